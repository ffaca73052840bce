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
which this transaction holds.)
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from eventsourcing.application import Application

from processes.sidestore import SideStore, Tx

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

    def run_once(self) -> int:
        """Handle the next batch of events; how many there were (0: caught up or busy)."""
        start = self.position()
        found = self.app.recorder.select_notifications(start=start + 1, limit=self.batch)
        if not found:
            return 0
        effects: list[Any] = []
        for notification in found:
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
