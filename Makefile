# Waitlist and booking engine — the commands a newcomer needs. `make help` lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install test test-fast lint format run play demo bench docs ci clean

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

run: $(STAMP)  ## serve the club on http://127.0.0.1:5000 (embedded store in var/club, with a showcase club)
	BOOKING_DATA_DIR=$${BOOKING_DATA_DIR:-var/club} BOOKING_DEV_INBOX=1 $(BIN)/booking serve --showcase

play: $(STAMP)  ## the same with the test clock: move time yourself, read every notice in the dev inbox
	BOOKING_DATA_DIR=$${BOOKING_DATA_DIR:-var/play} BOOKING_TEST_CLOCK=1 $(BIN)/booking serve --showcase --port 5001

demo: $(STAMP)  ## tell seed 004's flows A and B event by event
	$(BIN)/booking demo

bench: $(STAMP)  ## throughput, history scaling, timers, 1M-event rebuild, HTTP under gunicorn, paid places (~45 min; see docs/operations.md)
	$(BIN)/python bench/run.py

docs: $(STAMP)  ## regenerate docs/events.md from the code
	$(BIN)/python -m booking.catalogue > docs/events.md

ci:  ## what CI runs, from scratch
	bash .ci/run

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis var
