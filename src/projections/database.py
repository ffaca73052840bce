"""Where the read models live: a SQLAlchemy engine beside the event store.

The embedded default keeps them in their own SQLite file (``views.sqlite3``
under ``BOOKING_DATA_DIR``), so that writing views never waits for the event
store's one writer; PostgreSQL keeps them in the events' database and schema;
``memory`` (tests) in a throwaway SQLite file, deleted with its engine: the
same code path as the embedded default, so threads each get a connection of
their own (one in-memory database would be one connection they all share).
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from sqlalchemy import Engine, create_engine, event

VIEWS_FILE = "views.sqlite3"


def views_engine(database_url: str | None, data_dir: str | Path | None) -> Engine:
    """The read models' database for these settings (the same choice as the events')."""
    if database_url == "memory":
        folder = Path(tempfile.mkdtemp(prefix="booking-views-"))
        engine = _sqlite(f"sqlite:///{folder / VIEWS_FILE}", durable=False)
        weakref.finalize(engine, shutil.rmtree, folder, ignore_errors=True)
        return engine
    if database_url:
        return _postgres(database_url)
    folder = Path(data_dir or "var")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # owner only, as the events' folder (``processes.store``)
    return _sqlite(f"sqlite:///{folder / VIEWS_FILE}")


def _sqlite(url: str, *, durable: bool = True) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we say BEGIN ourselves, below
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        if not durable:  # a test's throwaway views: no fsync
            dbapi_connection.execute("PRAGMA synchronous=OFF")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # One writer at a time, decided when the transaction starts (no upgrade deadlocks).
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _postgres(url: str) -> Engine:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    schema = query.get("schema", [""])[0]
    plain = urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, "", ""))
    options = f"-csearch_path={schema}" if schema else ""
    return create_engine(
        plain, connect_args={"options": options} if options else {}, pool_pre_ping=True
    )
