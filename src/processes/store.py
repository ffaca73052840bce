"""The event store adapters: where events live, and the one check we add.

``store_env`` turns the settings into the ``eventsourcing`` library's environment:
``DATABASE_URL=postgresql://…`` selects PostgreSQL through psycopg; otherwise the
embedded default keeps a SQLite file under ``BOOKING_DATA_DIR``; ``memory`` keeps
events in process (fast tests).

The recorders are the library's own, extended with one check made inside the
write transaction: the aggregates a command *read but did not change* must
still be at the versions it read (``read_versions``). The library already
refuses a write when an aggregate it *changes* has moved on; without this
check, two commands that each read a match and its waitlist but each change
only one of them could both succeed on stale reads (write skew). With it, the
whole decision is optimistic and serializable, and the loser is retried.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    Notification,
    StoredEvent,
)
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from booking_domain.timers import TIMERS
from booking_domain.transacting import READ_VERSIONS
from processes.sidestore import (
    TABLES,
    DatastoreSideStore,
    MemorySideStore,
    Tx,
    ddl,
)

EVENTS_FILE = "events.sqlite3"
_DDL_LOCK = 0x626F6F6B  # an advisory lock key of our own, for table creation


def _refuse(stale: list[UUID]) -> None:
    raise IntegrityError(f"aggregates changed since they were read: {stale}")


def _stale(read: Mapping[UUID, int], current: Mapping[UUID, int]) -> list[UUID]:
    return [aggregate_id for aggregate_id, v in read.items() if current.get(aggregate_id, 0) != v]


class CheckedPOPORecorder(POPOApplicationRecorder):
    """In-memory events, with the read-versions check."""

    checks_read_versions = True

    def __init__(self) -> None:
        super().__init__()
        self.side = MemorySideStore(self._database_lock)

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self._database_lock:
            read: Mapping[UUID, int] = kwargs.get(READ_VERSIONS) or {}
            current = {
                aggregate_id: max(self._stored_events_index[str(aggregate_id)], default=0)
                for aggregate_id in read
            }
            if stale := _stale(read, current):
                _refuse(stale)
            with self.side.transaction() as tx:
                self.side.replace_timers(tx, kwargs.get(TIMERS) or {})
                return super()._insert_events(stored_events, **kwargs)

    def stream_notifications(self, originator_ids: Sequence[UUID]) -> list[Notification]:
        """Every event of these streams with its position, in log order."""
        with self._database_lock:
            indexes = sorted(
                i for oid in originator_ids for i in self._stored_events_index[str(oid)].values()
            )
            return [_notification(i + 1, self._stored_events[i]) for i in indexes]


class CheckedPOPOFactory(POPOFactory):
    """The in-memory store (its factory takes no recorder topic)."""

    def application_recorder(self) -> ApplicationRecorder:
        return CheckedPOPORecorder()


class CheckedSQLiteRecorder(SQLiteApplicationRecorder):
    """The embedded store, with the read-versions check.

    The check runs after the inserts, when this transaction holds SQLite's
    write lock, so no other writer can slip in between check and commit.
    """

    checks_read_versions = True

    def stream_notifications(self, originator_ids: Sequence[UUID]) -> list[Notification]:
        """Every event of these streams with its position, in log order."""
        return _sqlite_stream_notifications(self, originator_ids)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.side = DatastoreSideStore(self.datastore, "sqlite")

    def construct_create_table_statements(self) -> list[str]:
        tables = {name: name for name in TABLES}
        # Decisions that list the club's players read registrations by topic.
        by_topic = (
            f"CREATE INDEX IF NOT EXISTS {self.events_table_name}_topic "
            f"ON {self.events_table_name} (topic)"
        )
        return [*super().construct_create_table_statements(), by_topic, *ddl("sqlite", tables)]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        self.side.replace_timers(Tx(c, "sqlite"), kwargs.get(TIMERS) or {})
        read: Mapping[UUID, int] = kwargs.get(READ_VERSIONS) or {}
        if read:
            marks = ",".join("?" * len(read))
            c.execute(
                f"SELECT originator_id, MAX(originator_version) AS v FROM {self.events_table_name} "  # noqa: S608
                f"WHERE originator_id IN ({marks}) GROUP BY originator_id",
                [a.hex for a in read],
            )
            current = {UUID(row["originator_id"]): row["v"] for row in c.fetchall()}
            if stale := _stale(read, current):
                _refuse(stale)
        return ids


def _sqlite_stream_notifications(
    recorder: SQLiteApplicationRecorder, originator_ids: Sequence[UUID]
) -> list[Notification]:
    marks = ",".join("?" * len(originator_ids))
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(
            f"SELECT rowid, * FROM {recorder.events_table_name}"  # noqa: S608
            f" WHERE originator_id IN ({marks}) ORDER BY rowid",
            [oid.hex for oid in originator_ids],
        )
        return [
            Notification(
                id=row["rowid"],
                originator_id=recorder.convert_originator_id(row["originator_id"]),
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=row["state"],
            )
            for row in c.fetchall()
        ]


class CheckedPostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL, with the read-versions check.

    The check takes the table lock the library takes for every write (the
    library then takes it again, which costs nothing in the same transaction),
    so no other write can commit between the check and this one.
    """

    checks_read_versions = True

    def stream_notifications(self, originator_ids: Sequence[UUID]) -> list[Notification]:
        """Every event of these streams with its position, in log order."""
        return _postgres_stream_notifications(self, originator_ids)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.side = DatastoreSideStore(self.datastore, "postgres")
        if self.datastore.enable_db_functions:
            # The library's database-function path inserts without calling
            # _insert_stored_events, so the check below would silently not run.
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS is not supported")

    def create_table(self) -> None:
        # The library creates its composite types first, each in a transaction
        # of its own; two workers creating them at once on a new database can
        # collide. A second try finds them made.
        for attempt in range(3):
            try:
                super().create_table()
                return
            except Exception:
                if attempt == 2:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        # Several workers starting at once would run the same DDL concurrently
        # ("tuple concurrently updated"); one at a time, the rest find it done.
        curs.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
        super()._create_table(curs)
        # Decisions that list the club's players read registrations by topic.
        curs.execute(
            SQL("CREATE INDEX IF NOT EXISTS {0} ON {1}.{2} (topic, notification_id)").format(
                Identifier(f"{self.events_table_name}_topic"),
                Identifier(self.datastore.schema),
                Identifier(self.events_table_name),
            )
        )
        self.side.create_tables(Tx(curs, "postgres"))

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        read: Mapping[UUID, int] = kwargs.get(READ_VERSIONS) or {}
        timers = kwargs.get(TIMERS)
        if read or timers:
            # The table lock the library takes for every write (again, below,
            # at no cost): nothing else commits between our work and its INSERT.
            self._lock_table(curs)
        if read:
            with curs.connection.cursor() as check:
                check.execute(
                    SQL(
                        "SELECT originator_id, MAX(originator_version) AS v FROM {0}.{1} "
                        "WHERE originator_id = ANY(%s) GROUP BY originator_id"
                    ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name)),
                    (list(read),),
                )
                current = {row["originator_id"]: row["v"] for row in check.fetchall()}
            if stale := _stale(read, current):
                _refuse(stale)
        if timers:
            # Before the events' INSERT: the library reads the new notification
            # ids from ``curs`` after it, and in its pipeline a statement queued
            # after an INSERT that lost a race would fail as "pipeline aborted"
            # rather than as the conflict it is. A lost race still undoes these.
            self.side.replace_timers(Tx(curs, "postgres"), timers)
        super()._insert_stored_events(curs, stored_events, **kwargs)


def _postgres_stream_notifications(
    recorder: PostgresApplicationRecorder, originator_ids: Sequence[UUID]
) -> list[Notification]:
    statement = SQL(
        "SELECT * FROM {schema}.{table} WHERE originator_id = ANY(%s) ORDER BY notification_id"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
    )
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(statement, [list(originator_ids)])
        return [
            Notification(
                id=row["notification_id"],
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in curs.fetchall()
        ]


def _notification(position: int, stored: StoredEvent) -> Notification:
    return Notification(
        id=position,
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=stored.state,
    )


def _topic(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def private_folder(folder: Path) -> Path:
    """The embedded store's folder, readable by its owner only.

    SQLite makes its files (and their ``-wal`` and ``-shm`` companions) with
    the process's umask, often world-readable; a folder only its owner may
    enter keeps every one of them, made now or later, away from other users.
    """
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def store_env(database_url: str | None, data_dir: str | Path | None) -> dict[str, str]:
    """The eventsourcing library's environment for the chosen store."""
    if database_url == "memory":
        return {"PERSISTENCE_MODULE": _topic(CheckedPOPOFactory)}
    if database_url:
        return _postgres_env(database_url)
    folder = private_folder(Path(data_dir or "var"))
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "APPLICATION_RECORDER_TOPIC": _topic(CheckedSQLiteRecorder),
        "SQLITE_DBNAME": str(folder / EVENTS_FILE),
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def _postgres_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise ValueError("DATABASE_URL must start with postgresql://")
    query = parse_qs(parts.query)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": _topic(CheckedPostgresRecorder),
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": _first(query, "pool_size", "5"),
        "POSTGRES_MAX_OVERFLOW": _first(query, "max_overflow", "15"),
        # The library tries ten times, each waiting this long for a pooled
        # connection: 2 s keeps an outage's 503 inside gunicorn's 30 s timeout.
        "POSTGRES_CONNECT_TIMEOUT": _first(query, "connect_timeout", "2"),
        "POSTGRES_LOCK_TIMEOUT": _first(query, "lock_timeout", "2"),
    }
    schema = _first(query, "schema", "")
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


def _first(query: dict[str, list[str]], key: str, default: str) -> str:
    return query.get(key, [default])[0]


@contextmanager
def scratch_schema(database_url: str, prefix: str = "scratch") -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards (tests, benchmarks, audit rebuilds)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA IF EXISTS {0} CASCADE").format(Identifier(name)))
