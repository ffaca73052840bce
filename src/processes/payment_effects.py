"""Calls to the payment provider that events ask for: close a checkout, make a refund.

``PaymentEffects`` is a process manager fed by the notification log (like the
notices): each payment attempt arms a task to close its checkout, which the
end of its offer (expired, declined, superseded) makes due and its acceptance
makes moot; money that could not buy a place makes a refund due at once. The
tasks are rows in ``booking_payment_tasks``, written with the manager's
tracked position, so none is lost or doubled. ``PaymentTasks`` runs the due
ones — in process (embedded) or from the dramatiq queue (production) — and
every call is idempotent at the provider (an idempotency key per payment), so
a task run twice by two workers, or again after a crash, does no harm.
A provider that fails is tried again with exponential backoff; after
``MAX_ATTEMPTS`` the task is marked failed for an admin to see.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from processes.sidestore import SideStore, Tx, to_us

if TYPE_CHECKING:
    from processes.payment_service import PaymentService

log = logging.getLogger("booking.payments")

EXPIRE_CHECKOUT, REFUND = "expire_checkout", "refund"
ARMED, PENDING, DONE, FAILED, MOOT = "armed", "pending", "done", "failed", "moot"
MAX_ATTEMPTS = 12
_TASK_IDS = uuid5(NAMESPACE_URL, "booking:payment-task")
_ENDS_OFFER = ("OfferExpired", "OfferSuperseded", "OfferDeclined")


@dataclass(frozen=True)
class TaskChange:
    """One change to the task table an event causes."""

    op: str  # "arm", "fire", "disarm" (by offer), or "due" (a refund)
    position: int
    at_us: int
    payment_id: UUID | None = None
    offer_id: UUID | None = None


def task_id(kind: str, payment_id: UUID) -> str:
    return uuid5(_TASK_IDS, f"{kind}:{payment_id}").hex


class PaymentEffects:
    """Turns payment and offer events into provider tasks."""

    name = "payment_effects"

    def __init__(self, tasks: PaymentTasks) -> None:
        self.tasks = tasks

    def effects(self, event: Any, position: int) -> list[TaskChange]:
        kind = type(event).__name__
        at = _us(event.timestamp)
        if kind == "OfferPaymentStarted":
            return [TaskChange("arm", position, at, event.payment_id, event.offer_id)]
        if kind in _ENDS_OFFER:
            return [TaskChange("fire", position, at, offer_id=event.offer_id)]
        if kind == "OfferAccepted":
            return [TaskChange("disarm", position, at, offer_id=event.offer_id)]
        if kind == "RefundDue":
            return [TaskChange("due", position, at, payment_id=event.originator_id)]
        return []

    def record(self, tx: Tx, effects: list[TaskChange]) -> None:
        for change in effects:
            self.tasks.apply(tx, change)


class PaymentTasks:
    """The task rows, and running them through the payment service."""

    def __init__(self, side: SideStore, wall_us: Callable[[], int]) -> None:
        self.side = side
        self.table = side.t["booking_payment_tasks"]
        self.wall_us = wall_us

    def apply(self, tx: Tx, change: TaskChange) -> None:
        t = self.table
        if change.op == "arm":
            assert change.payment_id is not None
            self._insert(tx, EXPIRE_CHECKOUT, change, ARMED)
        elif change.op == "due":
            assert change.payment_id is not None
            self._insert(tx, REFUND, change, PENDING)
        else:
            status = PENDING if change.op == "fire" else MOOT
            tx.execute(
                f"UPDATE {t} SET status = %s, due_us = %s WHERE offer_id = %s AND status = %s",  # noqa: S608
                [status, self.wall_us(), str(change.offer_id), ARMED],
            )

    def _insert(self, tx: Tx, kind: str, change: TaskChange, status: str) -> None:
        assert change.payment_id is not None
        tx.execute(
            f"INSERT INTO {self.table} (id, position, kind, payment_id, offer_id, status,"  # noqa: S608
            " created_us, due_us) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            [
                task_id(kind, change.payment_id),
                change.position,
                kind,
                str(change.payment_id),
                str(change.offer_id) if change.offer_id else None,
                status,
                change.at_us,
                self.wall_us(),
            ],
        )

    def due_ids(self, limit: int = 50) -> list[str]:
        with self.side.reading() as tx:
            rows = tx.execute(
                f"SELECT id FROM {self.table} WHERE status = %s AND due_us <= %s"  # noqa: S608
                " ORDER BY due_us LIMIT %s",
                [PENDING, self.wall_us(), limit],
            ).rows()
        return [r["id"] for r in rows]

    def dispatch(self, send: Callable[[str], object], *, lease_seconds: int = 60) -> int:
        """Hand due tasks to the queue (production). Each is leased: not handed out
        again for ``lease_seconds`` unless it fails sooner, so a lost message is
        handed out again, and a slow one is not doubled meanwhile."""
        skip = " FOR UPDATE SKIP LOCKED" if self.side.dialect == "postgres" else ""
        now = self.wall_us()
        with self.side.transaction() as tx:
            rows = tx.execute(
                f"SELECT id FROM {self.table} WHERE status = %s AND due_us <= %s"  # noqa: S608
                f" ORDER BY due_us LIMIT 50{skip}",
                [PENDING, now],
            ).rows()
            ids = [r["id"] for r in rows]
            for task in ids:
                tx.execute(
                    f"UPDATE {self.table} SET due_us = %s WHERE id = %s",  # noqa: S608
                    [now + lease_seconds * 1_000_000, task],
                )
        for task in ids:
            send(task)
        return len(ids)

    def run(self, service: PaymentService, task: str, *, leased: bool = False) -> str | None:
        """Run one task; its new status, or None if it was not due (``leased``: handed
        out by ``dispatch``, so due by definition)."""
        with self.side.reading() as tx:
            row = tx.execute(
                f"SELECT * FROM {self.table} WHERE id = %s",  # noqa: S608
                [task],
            ).one()
        if row is None or row["status"] != PENDING:
            return None
        if not leased and row["due_us"] > self.wall_us():
            return None
        payment_id = UUID(row["payment_id"])
        attempts = int(row["attempts"]) + 1
        try:
            if row["kind"] == REFUND:
                service.refund(payment_id)
            else:
                service.expire_checkout(payment_id)
        except Exception as failure:  # the provider's error, kept for the admin
            status = FAILED if attempts >= MAX_ATTEMPTS else PENDING
            backoff_us = min(2**attempts, 3600) * 1_000_000
            log.warning("payment task %s (%s) failed: %s", row["kind"], payment_id, failure)
            self._finish(task, status, attempts, str(failure)[:300], due_after_us=backoff_us)
            return status
        self._finish(task, DONE, attempts, "")
        return DONE

    def _finish(
        self, task: str, status: str, attempts: int, detail: str, *, due_after_us: int = 0
    ) -> None:
        now = self.wall_us()
        with self.side.transaction() as tx:
            tx.execute(
                f"UPDATE {self.table} SET status = %s, attempts = %s, detail = %s,"  # noqa: S608
                " done_us = %s, due_us = %s WHERE id = %s AND status = %s",
                [status, attempts, detail, now, now + due_after_us, task, PENDING],
            )

    def run_due(self, service: PaymentService) -> int:
        """Run every due task here (the embedded runner); how many were run."""
        return sum(1 for task in self.due_ids() if self.run(service, task) is not None)

    def rows(self, payment_id: UUID | None = None) -> list[dict[str, Any]]:
        where = "WHERE payment_id = %s" if payment_id else ""
        with self.side.reading() as tx:
            return tx.execute(
                f"SELECT * FROM {self.table} {where} ORDER BY created_us",  # noqa: S608
                [str(payment_id)] if payment_id else [],
            ).rows()


def _us(at: Any) -> int:
    return to_us(at)
