"""Following the event notification log with a tracked position (exactly once per event).

A process manager is run over the log in batches. The manager first works
out each new event's effects (reading whatever it needs); then one
transaction locks the manager's position, checks nobody has moved it since,
writes the effects and moves the position past the batch. A crash loses the
whole batch, rows and position together, so the next run starts where the
last committed one ended: no event is missed, none is handled twice. Several
workers may follow at once: the lock on the position lets one write a batch
while the others move on. (Nothing is read through the event store inside
the write transaction: on SQLite that would wait for the store's one writer,
which this transaction holds.) An event the manager cannot handle stops it
there, once, with a row saying which (``projections/stalls.py``); the other
managers go on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from eventsourcing.application import Application

from processes.sidestore import SideStore, Tx, from_us, to_us
from projections.stalls import Stall, from_row, is_outage, stall_of

log = logging.getLogger(__name__)


class ProcessManager(Protocol):
    name: str

    def effects(self, event: Any, position: int) -> list[Any]:
        """What this event causes (may read the store)."""
        ...

    def record(self, tx: Tx, effects: list[Any]) -> None:
        """Write the effects in the batch's transaction (must not read the store)."""
        ...


class Follower:
    """Runs one process manager over the notification log."""

    def __init__(
        self, app: Application[Any], side: SideStore, manager: ProcessManager, *, batch: int = 100
    ) -> None:
        self.app = app
        self.side = side
        self.manager = manager
        self.batch = batch
        self._table = side.t["booking_tracking"]
        self._stalls = side.t["booking_stalls"]

    def run_once(self) -> int:
        """Handle the next batch of events; how many there were (0: caught up, busy,
        or stalled at an event it cannot handle)."""
        start, stalled, passed_over = self._state()
        if stalled:
            return 0
        found = self.app.recorder.select_notifications(start=start + 1, limit=self.batch)
        if not found:
            return 0
        try:
            return self._handle(start, found, passed_over)
        except Exception as error:
            if is_outage(error):
                raise
            if len(found) == 1:
                return self._stall(found[0], error)
        # One event of the batch is bad: handle them one by one up to it.
        done = 0
        for notification in found:
            try:
                if not self._handle(start, [notification], passed_over):
                    return done
            except Exception as error:
                if is_outage(error):
                    raise
                self._stall(notification, error)
                return done
            done += 1
            start = notification.id
        return done

    def _handle(self, start: int, found: Sequence[Any], passed_over: set[int]) -> int:
        effects: list[Any] = []
        for notification in found:
            if notification.id in passed_over:
                continue
            event = self.app.mapper.to_domain_event(notification)
            effects += self.manager.effects(event, notification.id)
        with self.side.transaction() as tx:
            if self._lock_position(tx) != start:
                return 0  # another worker holds this position or has moved it on
            self.manager.record(tx, effects)
            tx.execute(
                f"UPDATE {self._table} SET position = %s WHERE name = %s",  # noqa: S608
                [found[-1].id, self.manager.name],
            )
        return len(found)

    def _stall(self, notification: Any, error: BaseException) -> int:
        """Stop at this event, and say so once (not once per try, nor per process)."""
        stall = stall_of(self.manager.name, notification, error, datetime.now(UTC))
        with self.side.transaction() as tx:
            tx.execute(
                f"INSERT INTO {self._stalls} (name, position, event_type, stream_id, version,"  # noqa: S608
                " error, at_us) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (name, position) DO NOTHING",
                [
                    stall.name,
                    stall.position,
                    stall.event_type,
                    stall.stream_id,
                    stall.version,
                    stall.error,
                    to_us(stall.at),
                ],
            )
            first = tx.rowcount() == 1
        if first:
            log.error("process manager %s; the others go on", stall.describe())
        return 0

    def stalls(self, *, skipped: bool = False) -> list[Stall]:
        """The event this process manager is stopped at (and, if asked, those passed over)."""
        return [s for s in side_stalls(self.side, self.manager.name) if skipped or not s.skipped]

    def _state(self) -> tuple[int, bool, set[int]]:
        with self.side.reading() as tx:
            row = tx.execute(
                f"SELECT position FROM {self._table} WHERE name = %s",  # noqa: S608
                [self.manager.name],
            ).one()
            marks = tx.execute(
                f"SELECT position, skipped FROM {self._stalls} WHERE name = %s",  # noqa: S608
                [self.manager.name],
            ).rows()
        stalled = any(not m["skipped"] for m in marks)
        passed_over = {int(m["position"]) for m in marks if m["skipped"]}
        return (int(row["position"]) if row else 0), stalled, passed_over

    def catch_up(self) -> int:
        """Handle every event written so far; how many."""
        total = 0
        while handled := self.run_once():
            total += handled
        return total

    def position(self) -> int:
        with self.side.reading() as tx:
            row = tx.execute(
                f"SELECT position FROM {self._table} WHERE name = %s",  # noqa: S608
                [self.manager.name],
            ).one()
        return int(row["position"]) if row else 0

    def _lock_position(self, tx: Tx) -> int | None:
        name = self.manager.name
        tx.execute(
            f"INSERT INTO {self._table} (name, position) VALUES (%s, 0) "  # noqa: S608
            "ON CONFLICT (name) DO NOTHING",
            [name],
        )
        if tx.dialect == "postgres":
            row = tx.execute(
                f"SELECT position FROM {self._table} WHERE name = %s FOR UPDATE SKIP LOCKED",  # noqa: S608
                [name],
            ).one()
        else:  # SQLite: this transaction already holds the one write lock
            row = tx.execute(
                f"SELECT position FROM {self._table} WHERE name = %s",  # noqa: S608
                [name],
            ).one()
        return None if row is None else int(row["position"])


# ------------------------------------------------ stalls, for the operator's commands


def side_stalls(side: SideStore, name: str | None = None) -> list[Stall]:
    """The events process managers stopped at or passed over (of ``name``, or all)."""
    table = side.t["booking_stalls"]
    with side.reading() as tx:
        if name is None:
            rows = tx.execute(f"SELECT * FROM {table} ORDER BY name, position").rows()  # noqa: S608
        else:
            rows = tx.execute(
                f"SELECT * FROM {table} WHERE name = %s ORDER BY position",  # noqa: S608
                [name],
            ).rows()
    return [from_row(r, at=from_us(r["at_us"])) for r in rows]


def side_positions(side: SideStore) -> dict[str, int]:
    """How far each process manager has followed the log."""
    with side.reading() as tx:
        rows = tx.execute(f"SELECT name, position FROM {side.t['booking_tracking']}").rows()  # noqa: S608
    return {r["name"]: int(r["position"]) for r in rows}


def retry_side(side: SideStore, name: str) -> int:
    """Forget ``name``'s open stall: the event is tried again. How many were open."""
    with side.transaction() as tx:
        tx.execute(
            f"DELETE FROM {side.t['booking_stalls']} WHERE name = %s AND skipped = 0",  # noqa: S608
            [name],
        )
        return tx.rowcount()


def skip_side(side: SideStore, name: str) -> Stall | None:
    """Pass over the event ``name`` is stopped at; which one."""
    open_ = [s for s in side_stalls(side, name) if not s.skipped]
    if not open_:
        return None
    with side.transaction() as tx:
        tx.execute(
            f"UPDATE {side.t['booking_stalls']} SET skipped = 1"  # noqa: S608
            " WHERE name = %s AND position = %s",
            [name, open_[0].position],
        )
    return open_[0]
