"""No notice is delivered twice, whatever the queue does (dramatiq delivers at least once).

A state machine over the deliverer: notices are written; deliveries of any of
them come in any order and any number of times (redelivered, duplicated);
the channel answers ok, "try later" or "never"; a worker dies after claiming a
notice and before handing it over; time passes (leases run out, backoffs end).
Throughout: the channel has each notice at most once; a notice marked sent was
handed over exactly once; a failed one never was.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from uuid import uuid4

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from booking_domain.application import BookingApp
from processes.channels import Outgoing, PermanentFailure, TemporaryFailure
from processes.clock import ManualClock
from processes.delivery import Deliverer
from processes.notices import Notice
from processes.outbox import FAILED, SENT, Outbox
from processes.sidestore import to_us
from processes.store import store_env
from tests.support import START, phone, stateful_settings

LEASE = timedelta(seconds=30)


class FlakyEmail:
    """An email service that answers as told, and counts what it was handed."""

    name = "email"

    def __init__(self) -> None:
        self.answer = "ok"
        self.handed: Counter[str] = Counter()

    def send(self, address: str, message: Outgoing) -> None:
        if self.answer == "later":
            raise TemporaryFailure("mail server answered 451")
        if self.answer == "never":
            raise PermanentFailure("mail server answered 550")
        self.handed[message.outbox_id] += 1


class Redelivery(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.clock = ManualClock(START)
        self.app = BookingApp(store_env("memory", None), clock=self.clock)
        self.outbox = Outbox(self.app.recorder.side)  # type: ignore[attr-defined]
        self.email = FlakyEmail()
        self.deliverer = Deliverer(
            self.app,
            self.outbox,
            [],
            self.clock,
            senders={"email": self.email},
            lease=LEASE,
            retry_after=lambda n: timedelta(seconds=2**n),
            max_attempts=4,
        )
        self.players = [
            self.app.register_player(name=f"P{n}", phone=phone(n), email=f"p{n}@example.org").value
            for n in range(2)
        ]
        self.ids: list[str] = []

    def teardown(self) -> None:
        self.app.close()

    @rule(who=st.integers(0, 1))
    def a_notice_is_written(self, who: int) -> None:
        notice = Notice(
            len(self.ids) + 1, self.players[who], None, "payment_offer", f"k{uuid4()}",
            "A place is held for you.", self.clock.now(),
        )  # fmt: skip
        with self.outbox.side.transaction() as tx:
            self.outbox.add(tx, [notice])
        self.ids.append(notice.id.hex)

    @rule(which=st.integers(0, 30), answer=st.sampled_from(["ok", "ok", "later", "never"]))
    def a_delivery_arrives(self, which: int, answer: str) -> None:
        if self.ids:
            self.email.answer = answer
            self.deliverer.deliver(self.ids[which % len(self.ids)])

    @rule(which=st.integers(0, 30))
    def a_worker_dies_after_claiming(self, which: int) -> None:
        if self.ids:
            now = to_us(self.clock.now())
            with self.outbox.side.transaction() as tx:
                self.outbox.claim(
                    tx,
                    self.ids[which % len(self.ids)],
                    now,
                    now + to_us(START + LEASE) - to_us(START),
                )

    @rule(seconds=st.sampled_from([1, 5, 29, 31, 120]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    @invariant()
    def nothing_is_handed_over_twice(self) -> None:
        if not self.ids:
            return
        assert all(n <= 1 for n in self.email.handed.values()), self.email.handed
        for row in self.outbox.rows():
            handed = self.email.handed[row["id"]]
            if row["status"] == SENT:
                assert handed == 1
            if row["status"] == FAILED:
                assert handed == 0


Redelivery.TestCase.settings = stateful_settings(examples=60, steps=40)
TestRedelivery = Redelivery.TestCase
