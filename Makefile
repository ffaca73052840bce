# Waitlist and booking engine — the commands a newcomer needs. `make help` lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install test test-fast lint format run demo bench docs ci clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## make .venv and install the project with its dev extras

test: $(STAMP)  ## every test: SQLite and the real PostgreSQL on 127.0.0.1 (as CI runs them)
	$(BIN)/pytest

test-fast: $(STAMP)  ## the quick loop: no PostgreSQL, no slow property runs
	$(BIN)/pytest -m "not pg and not slow"

lint: $(STAMP)  ## ruff (lint + format check) and mypy --strict on booking_domain
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/booking_domain

format: $(STAMP)  ## format the code with ruff
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

run: demo  ## run what there is to run on the embedded store (today: the demo)

demo: $(STAMP)  ## tell seed 004's flows A and B event by event
	$(BIN)/booking demo

bench: $(STAMP)  ## throughput, history scaling, timers, read-model rebuild of 1M events (~45 min; see docs/operations.md)
	$(BIN)/python bench/run.py

docs: $(STAMP)  ## regenerate docs/events.md from the code
	$(BIN)/python -m booking.catalogue > docs/events.md

ci:  ## what CI runs, from scratch
	bash .ci/run

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis var
