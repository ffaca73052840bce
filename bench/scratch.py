"""Scratch stores for the benchmarks: made empty, removed afterwards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from processes.store import scratch_schema, store_env

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pg_schema() -> AbstractContextManager[str]:
    """A fresh PostgreSQL schema, dropped afterwards."""
    return scratch_schema(PG_URL, prefix="bench")


def postgres_env(schema: str) -> dict[str, str]:
    return store_env(f"{PG_URL}?schema={schema}", None)


@contextmanager
def store(kind: str) -> Iterator[dict[str, str]]:
    """An empty store of the given kind (``sqlite`` or ``postgres``), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield store_env(None, folder)
        return
    with pg_schema() as schema:
        yield postgres_env(schema)
