"""Scratch stores for the benchmarks: made empty, removed afterwards."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from processes.store import store_env

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


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
