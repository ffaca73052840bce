"""Everything that happens later, for one application: timers, notices, delivery.

``Engine`` puts the pump, the notices process manager and delivery together.
``settle`` runs the process managers and delivery until nothing is left;
``tick`` fires what is due and settles; ``advance`` moves a test clock,
stopping at each timer's due time so that every command runs at the moment
it was due. ``EmbeddedRunner`` is the in-process default: a thread that ticks
whenever a timer falls due, and after every command.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from booking_domain.application import BookingApp
from processes.channels import Sender
from processes.clock import ManualClock
from processes.delivery import Channel, Deliverer, DevInboxChannel, LogChannel
from processes.follower import Follower
from processes.notices import NoticeManager
from processes.outbox import Outbox
from processes.payment_effects import PaymentEffects, PaymentTasks
from processes.pump import DueTimer, TimerPump, wall_us
from processes.sidestore import SideStore

if TYPE_CHECKING:
    from processes.payment_service import PaymentService

log = logging.getLogger("booking.engine")


class ViewRunner(Protocol):
    """What the engine needs of the read models' runner (``projections.runner``)."""

    def catch_up(self) -> int: ...


class Engine:
    """The timer pump, the process managers and delivery of one application."""

    def __init__(
        self,
        app: BookingApp,
        *,
        channels: Sequence[Channel] | None = None,
        enqueue: Callable[[str], object] | None = None,
        lease_seconds: float = 30,
        resend_after_seconds: int = 60,
        views: ViewRunner | None = None,
        payments: PaymentService | None = None,
        enqueue_payment_task: Callable[[str], object] | None = None,
        senders: Mapping[str, Sender] | None = None,
        base_url: str = "",
        delivery_lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.app = app
        #: Calls to the payment provider (``None``: tasks wait for a process that has one).
        self.payments = payments
        self.enqueue_payment_task = enqueue_payment_task
        #: The read models' projection runner, kept current beside the notices.
        self.views = views
        #: A notice handed to the queue but not delivered this long after is handed out again.
        self.resend_after_seconds = resend_after_seconds
        self.side: SideStore = app.recorder.side  # type: ignore[attr-defined]
        self.outbox = Outbox(self.side)
        self.pump = TimerPump(app, self.side, lease_seconds=lease_seconds)
        self.notices = Follower(app, self.side, NoticeManager(app, self.outbox))
        self.payment_tasks = PaymentTasks(self.side, wall_us)
        self.payment_effects = Follower(app, self.side, PaymentEffects(self.payment_tasks))
        self.deliverer = Deliverer(
            app,
            self.outbox,
            channels if channels is not None else [DevInboxChannel(self.outbox), LogChannel()],
            app.clock,
            senders=senders,
            base_url=base_url,
            lease=delivery_lease,
        )
        #: Production hands notices to the dramatiq queue; embedded delivers in process.
        self.enqueue = enqueue
        self._settling = threading.RLock()

    def settle(self) -> int:
        """Run the process managers and delivery until quiet; how much was done."""
        total = 0
        with self._settling:
            while True:
                done = self.notices.catch_up()
                done += self.payment_effects.catch_up()
                done += self._run_payment_tasks()
                if self.views is not None:
                    done += self.views.catch_up()
                if self.enqueue is None:
                    done += self.deliverer.deliver_pending()
                else:
                    done += self.deliverer.dispatch(
                        self.enqueue, now_us=wall_us(), resend_after_s=self.resend_after_seconds
                    )
                total += done
                if not done:
                    return total

    def _run_payment_tasks(self) -> int:
        if self.enqueue_payment_task is not None:
            return self.payment_tasks.dispatch(self.enqueue_payment_task)
        if self.payments is None:
            return 0
        return self.payment_tasks.run_due(self.payments)

    def tick(self) -> list[DueTimer]:
        """Fire every timer due now, then settle."""
        fired = self.pump.run_due(self.app.clock.now())
        self.settle()
        return fired

    def next_due(self) -> datetime | None:
        """When the next timer, or the next notice held back (a digest, a retry), is due."""
        found = [d for d in (self.pump.next_due(), self.outbox.next_due()) if d is not None]
        return min(found, default=None)

    def seconds_until_due(self, *, at_most: float) -> float:
        """How long to sleep before the next timer is due (looking again at least this often)."""
        due = self.next_due()
        if due is None:
            return at_most
        return max(0.0, min(at_most, (due - self.app.clock.now()).total_seconds()))

    def advance(self, *, by: timedelta | None = None, to: datetime | None = None) -> list[DueTimer]:
        """Move the test clock, firing each timer at its due time, in due order.

        Returns when the clock has reached the target and nothing more is due
        or pending: every notice of what happened has been written and delivered.
        """
        clock = self.app.clock
        if not isinstance(clock, ManualClock):
            raise RuntimeError("only a test clock can be moved")
        target = to if to is not None else clock.now() + (by or timedelta(0))
        fired: list[DueTimer] = []
        self.settle()
        while (due := self.next_due()) is not None and due <= target:
            if due > clock.now():
                clock.set(due)
            claimed = self.pump.run_due(clock.now())
            delivered = self.settle()
            if not claimed and not delivered:
                break  # due work leased by someone else: nothing this process can do
            fired += claimed
        if target > clock.now():
            clock.set(target)
        fired += self.tick()
        return fired


class EmbeddedRunner:
    """The in-process runner: a thread that fires timers on time (the embedded default)."""

    def __init__(self, engine: Engine, *, idle_seconds: float = 1.0) -> None:
        self.engine = engine
        self.idle_seconds = idle_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="booking-timers", daemon=True)

    def start(self) -> EmbeddedRunner:
        self._thread.start()
        return self

    def poke(self) -> None:
        """Something was written: look again now."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.engine.tick()
                wait = self.engine.seconds_until_due(at_most=self.idle_seconds)
            except Exception:
                log.exception("timer thread: tick failed; trying again shortly")
                wait = self.idle_seconds
            self._wake.wait(timeout=wait)
            self._wake.clear()
