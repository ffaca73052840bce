"""``booking worker``: the production runner (architecture.md "Two ways to run").

One worker process runs the timer pump, the notices process manager with its
dispatcher, and dramatiq worker threads that deliver notices, with the Redis
broker. Run as many as you like against one PostgreSQL and one Redis: pumps
claim timers with ``SKIP LOCKED``, the process manager's position is locked
per batch, and delivery is idempotent on the outbox id (dramatiq delivers at
least once). Deadlines never ride on broker-delayed messages: they are rows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Prometheus, default_middleware

from booking_domain.application import BookingApp
from processes.channels import Sender
from processes.channels.limits import limited
from processes.delivery import MAX_ATTEMPTS, RETRY
from processes.engine import Engine, ViewRunner
from processes.payment_service import PaymentService
from processes.sidestore import from_us

log = logging.getLogger("booking.worker")

QUEUE = "notices"
PAYMENTS_QUEUE = "payments"


class Worker:
    """The timer pump, the process managers and the delivery actors of one process."""

    def __init__(
        self,
        app: BookingApp,
        *,
        redis_url: str,
        namespace: str = "booking",
        delivery_threads: int = 4,
        poll_seconds: float = 0.2,
        lease_seconds: float = 30,
        resend_after_seconds: int = 60,
        views: ViewRunner | None = None,
        payments: PaymentService | None = None,
        senders: Mapping[str, Sender] | None = None,
        base_url: str = "",
        rate_limits: Mapping[str, int] | None = None,
        delivery_lease_seconds: float = 60,
    ) -> None:
        self.app = app
        self.poll_seconds = poll_seconds
        # dramatiq's Prometheus middleware only works under its own CLI; we run
        # the worker in process, so leave it out.
        self.broker = RedisBroker(
            url=redis_url,
            namespace=namespace,
            middleware=[m() for m in default_middleware if m is not Prometheus],
        )
        self.deliver_notice = dramatiq.actor(
            self._deliver,
            broker=self.broker,
            actor_name="deliver_notice",
            queue_name=QUEUE,
            # The outbox row counts the tries and gives up (``delivery.MAX_ATTEMPTS``);
            # dramatiq carries each retry, after the backoff the row asks for.
            max_retries=MAX_ATTEMPTS + 5,
            min_backoff=1_000,
            max_backoff=300_000,
        )
        self.run_payment_task = dramatiq.actor(
            self._run_payment_task,
            broker=self.broker,
            actor_name="run_payment_task",
            queue_name=PAYMENTS_QUEUE,
            max_retries=0,  # the task row keeps its own backoff and is handed out again
        )
        self.engine = Engine(
            app,
            enqueue=self.deliver_notice.send,
            payments=payments,
            enqueue_payment_task=self.run_payment_task.send if payments else None,
            lease_seconds=lease_seconds,
            resend_after_seconds=resend_after_seconds,
            views=views,
            senders=limited(senders or {}, self.broker, rate_limits or {}, namespace),
            base_url=base_url,
            delivery_lease=timedelta(seconds=delivery_lease_seconds),
        )
        self._dramatiq = dramatiq.Worker(
            self.broker, queues={QUEUE, PAYMENTS_QUEUE}, worker_threads=delivery_threads
        )
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(
                target=self._loop, args=(self._pump, self._until_next_due), name="pump", daemon=True
            ),
            threading.Thread(
                target=self._loop,
                args=(self.engine.settle, lambda: self.poll_seconds),
                name="notices",
                daemon=True,
            ),
        ]

    def _deliver(self, outbox_id: str) -> None:
        deliverer = self.engine.deliverer
        if deliverer.deliver(outbox_id) == RETRY:
            # Failed for now: dramatiq brings it back when the row is due again.
            row = deliverer.outbox.peek(outbox_id)
            due = from_us(int(row["due_us"])) if row else self.app.clock.now()
            wait = max(0.0, (due - self.app.clock.now()).total_seconds())
            raise dramatiq.Retry("failed for now", delay=int(wait * 1000) + 1)

    def _run_payment_task(self, task_id: str) -> None:
        assert self.engine.payments is not None
        self.engine.payment_tasks.run(self.engine.payments, task_id, leased=True)

    def _pump(self) -> int:
        return len(self.engine.pump.run_due(self.app.clock.now(), max_batches=5))

    def _until_next_due(self) -> float:
        return self.engine.seconds_until_due(at_most=self.poll_seconds)

    def _loop(self, step: Callable[[], int], idle: Callable[[], float]) -> None:
        while not self._stop.is_set():
            try:
                busy = step()
                wait = 0.0 if busy else idle()
            except Exception:
                log.exception("worker step failed; trying again shortly")
                wait = self.poll_seconds
            if wait:
                self._stop.wait(wait)

    def start(self) -> Worker:
        self._dramatiq.start()
        for thread in self._threads:
            thread.start()
        log.info(
            "worker started: pump, notices, %s delivery threads", self._dramatiq.worker_threads
        )
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._dramatiq.stop(timeout=10_000)
        self.broker.close()

    def run_until(self, stopped: threading.Event) -> None:
        self.start()
        try:
            while not stopped.wait(1):
                pass
        finally:
            self.stop()
