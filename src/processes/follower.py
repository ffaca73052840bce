"""Following the event notification log with a tracked position (exactly once per event).

A process manager is run over the log in batches. Each batch is one
transaction that locks the manager's position, hands each new event to the
manager (which writes its rows with the same transaction), and moves the
position past the batch. A crash loses the whole batch, rows and position
together, so the next run starts where the last committed one ended: no
event is missed, none is handled twice. Several workers may follow at once:
the lock on the position lets one run a batch while the others move on.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from eventsourcing.application import Application

from processes.sidestore import SideStore, Tx

log = logging.getLogger(__name__)


class ProcessManager(Protocol):
    name: str

    def process(self, tx: Tx, event: Any, position: int) -> None: ...


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
        with self.side.transaction() as tx:
            position = self._lock_position(tx)
            if position is None:
                return 0  # another worker holds this manager's position
            found = self.app.recorder.select_notifications(start=position + 1, limit=self.batch)
            for notification in found:
                event = self.app.mapper.to_domain_event(notification)
                self.manager.process(tx, event, notification.id)
            if found:
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
        with self.side.transaction() as tx:
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
