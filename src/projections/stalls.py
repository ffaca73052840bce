"""Events a follower could not apply: recorded once, reported, never retried in a loop.

A projector (or a process manager) that fails on an event stops at it; the
others go on. The stall is a row naming the follower, the event's position,
type and stream, and what went wrong, so ``booking projections status``, the
health endpoint and ``booking audit`` can say which event it is. The follower
stays where it is until an operator either fixes the cause and says
``booking projections retry NAME``, or decides the event may be passed over
(``booking projections skip NAME``): a skipped event is then passed over by
the live follower and by every rebuild alike, so a rebuild still equals the
live read models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from projections.tables import metadata

stall_table = Table(
    "view_stalls",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("stream_id", String(64), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("error", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("skipped", Boolean, nullable=False, default=False),
)


@dataclass(frozen=True)
class Stall:
    """One event a follower could not apply (``skipped``: an operator passed it over)."""

    name: str
    position: int
    event_type: str
    stream_id: str
    version: int
    error: str
    at: datetime
    skipped: bool = False

    def describe(self) -> str:
        state = "skipped" if self.skipped else "stalled"
        return (
            f"{self.name} {state} at event #{self.position} ({self.event_type} of stream"
            f" {self.stream_id} v{self.version}): {self.error}"
        )


def is_outage(error: BaseException) -> bool:
    """A lost or refused connection: the database, not the event, is at fault.

    Those are raised to the caller (who answers ``unavailable`` or tries again
    later); anything else an event causes is a stall.
    """
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    import sqlite3

    import psycopg
    from eventsourcing import persistence

    return isinstance(
        error,
        psycopg.OperationalError
        | psycopg.InterfaceError
        | sqlite3.OperationalError
        | persistence.OperationalError
        | persistence.InterfaceError,
    )


_DIGITS = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_EMAIL = re.compile(r"[^\s@'\"]+@[^\s@'\"]+")


def what_went_wrong(error: BaseException) -> str:
    """The error's kind and first line, never its SQL parameters (they may hold a
    phone or an email), with anything shaped like one masked."""
    inner = getattr(error, "orig", None) or error
    first = (str(inner).strip().splitlines() or [""])[0]
    first = first.split("[SQL:")[0].strip()
    first = _EMAIL.sub("[email]", _DIGITS.sub("[number]", first))
    return f"{type(inner).__name__}: {first}"[:300]


def record(conn: Connection, stall: Stall) -> bool:
    """Write the stall; False if another process already had (it said so, not us)."""
    values = {
        "name": stall.name,
        "position": stall.position,
        "event_type": stall.event_type,
        "stream_id": stall.stream_id,
        "version": stall.version,
        "error": stall.error,
        "at": stall.at,
        "skipped": False,
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    result = conn.execute(dialect.insert(stall_table).values(values).on_conflict_do_nothing())
    return bool(result.rowcount)


def listed(conn: Connection, names: list[str] | None = None) -> list[Stall]:
    """Every stall (of these followers), oldest first."""
    query = select(stall_table).order_by(stall_table.c.name, stall_table.c.position)
    if names is not None:
        query = query.where(stall_table.c.name.in_(names))
    return [_stall(row) for row in conn.execute(query).mappings()]


def skipped_positions(conn: Connection, names: list[str]) -> dict[str, set[int]]:
    """The events an operator passed over, per follower."""
    found: dict[str, set[int]] = {name: set() for name in names}
    query = select(stall_table.c.name, stall_table.c.position).where(
        stall_table.c.name.in_(names), stall_table.c.skipped.is_(True)
    )
    for name, position in conn.execute(query).tuples():
        found[name].add(int(position))
    return found


def retry(conn: Connection, name: str) -> int:
    """Forget the open stall of ``name``: it tries the event again. How many were open."""
    result = conn.execute(
        delete(stall_table).where(stall_table.c.name == name, stall_table.c.skipped.is_(False))
    )
    return int(result.rowcount or 0)


def skip(conn: Connection, name: str) -> Stall | None:
    """Pass over the event ``name`` is stalled at (kept, marked skipped); which one."""
    open_ = [s for s in listed(conn, [name]) if not s.skipped]
    if not open_:
        return None
    conn.execute(
        update(stall_table)
        .where(stall_table.c.name == name, stall_table.c.position == open_[0].position)
        .values(skipped=True)
    )
    return open_[0]


def clear_open(conn: Connection, names: list[str]) -> None:
    """A rebuild got past every event: the open stalls of these followers are over."""
    conn.execute(
        delete(stall_table).where(stall_table.c.name.in_(names), stall_table.c.skipped.is_(False))
    )


def stall_of(name: str, notification: Any, error: BaseException, at: datetime) -> Stall:
    """The stall of ``name`` at a stored event (``eventsourcing``'s notification)."""
    topic = str(notification.topic)
    return Stall(
        name=name,
        position=int(notification.id),
        event_type=topic.rsplit(":", 1)[-1],
        stream_id=str(notification.originator_id),
        version=int(notification.originator_version),
        error=what_went_wrong(error),
        at=at,
    )


def _stall(row: Any) -> Stall:
    from projections.tables import utc

    fields = utc(row)
    return from_row(fields, at=fields["at"])


def from_row(row: Mapping[str, Any], *, at: datetime) -> Stall:
    """A stall as a table keeps it (here, or the process managers' side table)."""
    return Stall(
        name=row["name"],
        position=int(row["position"]),
        event_type=row["event_type"],
        stream_id=row["stream_id"],
        version=int(row["version"]),
        error=row["error"],
        at=at,
        skipped=bool(row["skipped"]),
    )
