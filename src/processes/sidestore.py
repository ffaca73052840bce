"""The tables beside the events: timers, the outbox, tracking, the dev inbox, admin tokens,
sign-in sessions, portal login codes, payment tasks, delivery attempts and how players
are reached.

They live in the event store's own database (the SQLite file, the PostgreSQL
schema; for the in-memory store, a private in-memory SQLite database guarded
by the store's lock), so that timers can be written in the same transaction
as the events that start them (``store.py``), and a process manager's rows in
the same transaction as its tracked position (``follower.py``).

SQL is written once, with ``%s`` placeholders, for both SQLite and PostgreSQL.
Times are integer microseconds since the epoch: one ordering, no time zones.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from booking_domain.timers import Timer

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TABLES = (
    "booking_timers",
    "booking_outbox",
    "booking_tracking",
    "booking_inbox",
    "booking_admin_tokens",
    "booking_sessions",
    "booking_login_codes",
    "booking_payment_tasks",
    "booking_delivery_attempts",
    "booking_contact_prefs",
    "booking_push_addresses",
    "booking_stalls",
)
#: Columns added since the tables were first made: (table, column, definition).
ADDED_COLUMNS = (
    ("booking_outbox", "due_us", "BIGINT NOT NULL DEFAULT 0"),
    ("booking_outbox", "digest_id", "TEXT"),
    ("booking_outbox", "lease_until_us", "BIGINT NOT NULL DEFAULT 0"),
)


def to_us(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def ddl(dialect: str, t: Mapping[str, str]) -> list[str]:
    serial = "BIGSERIAL PRIMARY KEY" if dialect == "postgres" else "INTEGER PRIMARY KEY"
    return [
        f"CREATE TABLE IF NOT EXISTS {t['booking_timers']} ("
        " key TEXT PRIMARY KEY, match_id TEXT NOT NULL, kind TEXT NOT NULL,"
        " due_us BIGINT NOT NULL, lease_until_us BIGINT NOT NULL DEFAULT 0,"
        " attempts INTEGER NOT NULL DEFAULT 0)",
        f"CREATE INDEX IF NOT EXISTS booking_timers_due ON {t['booking_timers']} (due_us)",
        f"CREATE INDEX IF NOT EXISTS booking_timers_match ON {t['booking_timers']} (match_id)",
        f"CREATE TABLE IF NOT EXISTS {t['booking_outbox']} ("
        " id TEXT PRIMARY KEY, position BIGINT NOT NULL, match_id TEXT,"
        " player_id TEXT NOT NULL, kind TEXT NOT NULL, batch_key TEXT NOT NULL,"
        " text TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',"
        " created_us BIGINT NOT NULL, enqueued_us BIGINT NOT NULL DEFAULT 0,"
        " done_us BIGINT NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
        " channel TEXT, detail TEXT, due_us BIGINT NOT NULL DEFAULT 0, digest_id TEXT,"
        " lease_until_us BIGINT NOT NULL DEFAULT 0)",
        f"CREATE INDEX IF NOT EXISTS booking_outbox_status ON {t['booking_outbox']}"
        " (status, enqueued_us)",
        f"CREATE INDEX IF NOT EXISTS booking_outbox_match ON {t['booking_outbox']} (match_id)",
        f"CREATE INDEX IF NOT EXISTS booking_outbox_player ON {t['booking_outbox']}"
        " (player_id, match_id)",
        # Every try at a channel (the ledger's retries, ``delivery.py``).
        f"CREATE TABLE IF NOT EXISTS {t['booking_delivery_attempts']} ("
        f" id {serial}, outbox_id TEXT NOT NULL, at_us BIGINT NOT NULL,"
        " channel TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS booking_delivery_attempts_outbox"
        f" ON {t['booking_delivery_attempts']} (outbox_id)",
        # How each player wants to be reached (``contacts.py``).
        f"CREATE TABLE IF NOT EXISTS {t['booking_contact_prefs']} ("
        " player_id TEXT PRIMARY KEY, channels TEXT NOT NULL, updated_us BIGINT NOT NULL)",
        # Web Push subscriptions and native push tokens, per player and device.
        f"CREATE TABLE IF NOT EXISTS {t['booking_push_addresses']} ("
        " id TEXT PRIMARY KEY, player_id TEXT NOT NULL, kind TEXT NOT NULL,"
        " platform TEXT NOT NULL, address TEXT NOT NULL, created_us BIGINT NOT NULL,"
        " last_seen_us BIGINT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS booking_push_addresses_player"
        f" ON {t['booking_push_addresses']} (player_id)",
        f"CREATE TABLE IF NOT EXISTS {t['booking_tracking']} ("
        " name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
        # Events a process manager could not handle: it waits there (``follower.py``).
        f"CREATE TABLE IF NOT EXISTS {t['booking_stalls']} ("
        " name TEXT NOT NULL, position BIGINT NOT NULL, event_type TEXT NOT NULL,"
        " stream_id TEXT NOT NULL, version BIGINT NOT NULL, error TEXT NOT NULL,"
        " at_us BIGINT NOT NULL, skipped INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (name, position))",
        f"CREATE TABLE IF NOT EXISTS {t['booking_inbox']} ("
        f" id {serial}, outbox_id TEXT NOT NULL UNIQUE, phone TEXT NOT NULL,"
        " kind TEXT NOT NULL, text TEXT NOT NULL, at_us BIGINT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {t['booking_admin_tokens']} ("
        " digest TEXT PRIMARY KEY, label TEXT NOT NULL, created_us BIGINT NOT NULL,"
        " revoked_us BIGINT NOT NULL DEFAULT 0)",
        # Sign-in sessions: the cookie holds only the id, this its digest (``sessions.py``).
        f"CREATE TABLE IF NOT EXISTS {t['booking_sessions']} ("
        " digest TEXT PRIMARY KEY, kind TEXT NOT NULL, token_digest TEXT, label TEXT,"
        " phone TEXT, created_us BIGINT NOT NULL, last_seen_us BIGINT NOT NULL,"
        " ended_us BIGINT NOT NULL DEFAULT 0)",
        f"CREATE INDEX IF NOT EXISTS booking_sessions_token ON {t['booking_sessions']}"
        " (token_digest)",
        # Portal login codes: only digests, one live code per phone (``login_codes.py``).
        f"CREATE TABLE IF NOT EXISTS {t['booking_login_codes']} ("
        " phone_digest TEXT PRIMARY KEY, code_digest TEXT NOT NULL,"
        " expires_us BIGINT NOT NULL, tries INTEGER NOT NULL DEFAULT 0,"
        " sent_us BIGINT NOT NULL)",
        # Calls to the payment provider that events asked for (``payment_effects.py``).
        f"CREATE TABLE IF NOT EXISTS {t['booking_payment_tasks']} ("
        " id TEXT PRIMARY KEY, position BIGINT NOT NULL, kind TEXT NOT NULL,"
        " payment_id TEXT NOT NULL, offer_id TEXT, status TEXT NOT NULL DEFAULT 'pending',"
        " created_us BIGINT NOT NULL, due_us BIGINT NOT NULL, done_us BIGINT NOT NULL DEFAULT 0,"
        " attempts INTEGER NOT NULL DEFAULT 0, detail TEXT)",
        f"CREATE INDEX IF NOT EXISTS booking_payment_tasks_due ON {t['booking_payment_tasks']}"
        " (status, due_us)",
        f"CREATE INDEX IF NOT EXISTS booking_payment_tasks_offer ON {t['booking_payment_tasks']}"
        " (offer_id)",
    ]


class Tx:
    """A cursor in one transaction, taking ``%s`` placeholders on either database."""

    def __init__(self, cursor: Any, dialect: str) -> None:
        self._cursor = cursor
        self.dialect = dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Tx:
        if self.dialect == "sqlite":
            self._cursor.execute(sql.replace("%s", "?"), list(params))
        else:
            # Not prepared: a statement psycopg prepared inside a transaction
            # that then rolled back (a lost race, retried) would be gone from
            # the server while psycopg still thought it was there.
            self._cursor.execute(sql, list(params), prepare=False)
        return self

    def rows(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._cursor.fetchall()]

    def one(self) -> dict[str, Any] | None:
        row = self._cursor.fetchone()
        return dict(row) if row is not None else None

    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return int(self._cursor.rowcount or 0)


class SideStore:
    """Transactions on the side tables, and the one statement the recorders share."""

    dialect: str

    def __init__(self, dialect: str, tables: Mapping[str, str]) -> None:
        self.dialect = dialect
        self.t = dict(tables)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:  # pragma: no cover - each store has its own
        """A write transaction. On SQLite it holds the store's one writer, so
        nothing read through the event store may happen inside it (read first)."""
        raise NotImplementedError
        yield

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        """A read-only transaction."""
        with self.transaction() as tx:
            yield tx

    def create_tables(self, tx: Tx) -> None:
        for statement in ddl(self.dialect, self.t):
            tx.execute(statement)
        for table, column, definition in ADDED_COLUMNS:  # a store made by an older version
            # Looked up first: ALTER TABLE locks the table even when there is nothing to do.
            if column not in self._columns(tx, table):
                tx.execute(
                    f"ALTER TABLE {self.t[table]} ADD COLUMN IF NOT EXISTS {column} {definition}"
                    if self.dialect == "postgres"
                    else f"ALTER TABLE {self.t[table]} ADD COLUMN {column} {definition}"
                )

    def _columns(self, tx: Tx, table: str) -> set[str]:
        if self.dialect == "postgres":
            schema, _, name = self.t[table].rpartition(".")
            rows = tx.execute(
                "SELECT column_name AS name FROM information_schema.columns WHERE table_name = %s"
                " AND table_schema = COALESCE(NULLIF(%s, ''), current_schema())",
                [name, schema.strip('"')],
            ).rows()
        else:
            rows = tx.execute(f"PRAGMA table_info({table})").rows()
        return {r["name"] for r in rows}

    def replace_timers(self, tx: Tx, timers: Mapping[UUID, Sequence[Timer]]) -> None:
        """Make each match's stored timers exactly these (in the events' transaction).

        Rows that stay keep their lease, so a timer being fired is not fired again.
        """
        table = self.t["booking_timers"]
        for match_id, wanted in timers.items():
            keys = [timer.key for timer in wanted]
            if keys:
                marks = ",".join(["%s"] * len(keys))
                tx.execute(
                    f"DELETE FROM {table} WHERE match_id = %s AND key NOT IN ({marks})",  # noqa: S608
                    [match_id.hex, *keys],
                )
            else:
                tx.execute(f"DELETE FROM {table} WHERE match_id = %s", [match_id.hex])  # noqa: S608
            if wanted:
                rows = ",".join(["(%s, %s, %s, %s)"] * len(wanted))
                values = [
                    v
                    for timer in wanted
                    for v in (timer.key, match_id.hex, str(timer.kind), to_us(timer.due_at))
                ]
                tx.execute(
                    f"INSERT INTO {table} (key, match_id, kind, due_us) VALUES {rows} "  # noqa: S608
                    "ON CONFLICT (key) DO NOTHING",
                    values,
                )


class DatastoreSideStore(SideStore):
    """Side tables beside the events, through the event store's own connections.

    SQLite: in the embedded file. PostgreSQL: in the schema of the events.
    """

    def __init__(self, datastore: Any, dialect: str) -> None:
        prefix = f'"{datastore.schema}".' if dialect == "postgres" else ""
        super().__init__(dialect, {name: prefix + name for name in TABLES})
        self._datastore = datastore

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._datastore.transaction(commit=True) as cursor:
            yield Tx(cursor, self.dialect)

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        with self._datastore.transaction(commit=False) as cursor:
            yield Tx(cursor, self.dialect)


class MemorySideStore(SideStore):
    """Side tables for the in-memory store: a private in-memory SQLite database.

    Guarded by the in-memory recorder's lock, so a write of events and timers
    is one step for every other thread.
    """

    def __init__(self, lock: threading.RLock) -> None:
        super().__init__("sqlite", {name: name for name in TABLES})
        self.lock = lock
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        with self.transaction() as tx:
            self.create_tables(tx)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.lock:
            cursor = self._conn.cursor()
            cursor.execute("BEGIN")
            try:
                yield Tx(cursor, "sqlite")
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()
