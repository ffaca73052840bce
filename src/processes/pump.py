"""The timer pump: due timers become commands, each fired once (architecture.md "Timers").

A pump claims a batch of due timers by taking a short lease on each (on
PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so pumps never claim the same
row; on SQLite the claim is one write, and SQLite has one writer at a time),
then runs each timer's command. The command's own write replaces the match's
timers, which deletes the fired one in the same transaction as its events. A
command that finds nothing to do (a stale timer) writes nothing; the pump then
deletes the row itself. A pump killed mid-batch leaves leases that simply run
out: another pump claims those timers again, and their commands are idempotent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from booking_domain.application import BookingApp
from booking_domain.errors import BookingError, ConcurrencyConflict, StoreBusy
from processes.sidestore import SideStore, from_us, to_us

log = logging.getLogger("booking.timers")


def wall_us() -> int:
    """Leases run on the machines' own clock, not on the (possibly test) business clock."""
    return time.time_ns() // 1000


@dataclass(frozen=True)
class DueTimer:
    """A timer this pump has claimed."""

    key: str
    match_id: UUID
    kind: str
    due_at: datetime
    lease_until_us: int
    attempts: int


class TimerPump:
    """Claims due timers and runs their commands."""

    def __init__(
        self,
        app: BookingApp,
        side: SideStore,
        *,
        lease_seconds: float = 30,
        batch: int = 20,
        on_fired: Callable[[DueTimer, datetime], None] | None = None,
    ) -> None:
        self.app = app
        self.side = side
        self.lease_us = int(lease_seconds * 1_000_000)
        self.batch = batch
        self.on_fired = on_fired
        self.table = side.t["booking_timers"]

    def claim(self, now: datetime, limit: int | None = None) -> list[DueTimer]:
        """Lease up to ``limit`` timers due by ``now``, earliest first."""
        wall = wall_us()
        skip = " FOR UPDATE SKIP LOCKED" if self.side.dialect == "postgres" else ""
        with self.side.transaction() as tx:
            rows = tx.execute(
                f"UPDATE {self.table} SET lease_until_us = %s, attempts = attempts + 1"  # noqa: S608
                f" WHERE key IN (SELECT key FROM {self.table}"
                " WHERE due_us <= %s AND lease_until_us < %s"
                f" ORDER BY due_us, key LIMIT %s{skip})"
                " RETURNING key, match_id, kind, due_us, lease_until_us, attempts",
                [wall + self.lease_us, to_us(now), wall, limit or self.batch],
            ).rows()
        timers = [
            DueTimer(
                r["key"],
                UUID(r["match_id"]),
                r["kind"],
                from_us(r["due_us"]),
                r["lease_until_us"],
                r["attempts"],
            )
            for r in rows
        ]
        return sorted(timers, key=lambda t: (t.due_at, t.key))

    def fire(self, timer: DueTimer) -> bool:
        """Run the timer's command; whether it changed anything."""
        try:
            done = self.app.fire_timer(timer.match_id, timer.kind)
        except (StoreBusy, ConcurrencyConflict):
            log.warning("timer %s: store busy, will retry when its lease ends", timer.key)
            return False
        except BookingError as refused:  # e.g. the match no longer exists
            log.warning("timer %s dropped: %s", timer.key, refused.message)
            self._forget(timer)
            return False
        except Exception:
            log.exception("timer %s failed; retrying later", timer.key)
            self._back_off(timer)
            return False
        if self.on_fired is not None:
            self.on_fired(timer, self.app.clock.now())
        if done.position is None:
            self._forget(timer)
            return False
        return True

    def run_due(self, now: datetime, *, max_batches: int | None = None) -> list[DueTimer]:
        """Claim and fire batches until nothing due by ``now`` is left; what was fired."""
        fired: list[DueTimer] = []
        batches = 0
        while claimed := self.claim(now):
            for timer in claimed:
                self.fire(timer)
            fired += claimed
            batches += 1
            if max_batches is not None and batches >= max_batches:
                break
        return fired

    def next_due(self) -> datetime | None:
        """When the earliest timer that a pump could claim falls due."""
        with self.side.reading() as tx:
            row = tx.execute(
                f"SELECT MIN(due_us) AS due FROM {self.table} WHERE lease_until_us < %s",  # noqa: S608
                [wall_us()],
            ).one()
        return from_us(row["due"]) if row and row["due"] is not None else None

    def pending(self) -> int:
        with self.side.reading() as tx:
            row = tx.execute(f"SELECT COUNT(*) AS n FROM {self.table}").one()  # noqa: S608
        return int(row["n"]) if row else 0

    def _forget(self, timer: DueTimer) -> None:
        with self.side.transaction() as tx:
            tx.execute(
                f"DELETE FROM {self.table} WHERE key = %s AND lease_until_us = %s",  # noqa: S608
                [timer.key, timer.lease_until_us],
            )

    def _back_off(self, timer: DueTimer) -> None:
        delay_us = min(300, 2 ** min(timer.attempts, 8)) * 1_000_000
        with self.side.transaction() as tx:
            tx.execute(
                f"UPDATE {self.table} SET lease_until_us = %s"  # noqa: S608
                " WHERE key = %s AND lease_until_us = %s",
                [wall_us() + delay_us, timer.key, timer.lease_until_us],
            )
