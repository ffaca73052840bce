"""Random commands with the clock moved by the test clock, which fires the timers.

The match machine's invariants hold, plus what the timers promise: once the
clock has moved past a moment, no offer is open past its expiry or past
kick-off − 15 min, no grace period is left running past its end, no timer is
left due, and every deadline of the match has its durable timer. Every offer
made is told to its player exactly once.
"""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from booking_domain import policies
from booking_domain.application import BookingApp
from booking_domain.timers import TimerKind, timers_for
from processes.clock import ManualClock
from processes.engine import Engine
from processes.notices import WAITLIST_OFFER
from tests.property.machine import M, MatchMachine
from tests.property.test_stateful import PostgresMatchMachine, SQLiteMatchMachine
from tests.support import stateful_settings

DEADLINES = (TimerKind.GRACE_END, TimerKind.OFFER_EXPIRY)


class TimedMatchMachine(MatchMachine):
    """The match machine, with time moved only by the test clock (timers fire)."""

    def make_app(self, clock: ManualClock) -> BookingApp:
        app = super().make_app(clock)
        self.engine = Engine(app)
        return app

    @rule(minutes=st.sampled_from([1, 2, 3, 5, 14, 30, 61, 241]))
    def time_passes(self, minutes: int) -> None:
        """The test clock moves: every timer due on the way fires at its time."""
        self.engine.advance(by=minutes * M)
        self.caught_up_at = self.clock.now()
        self.last = None

    def stored_timers(self) -> dict[str, object]:
        side = self.engine.side
        with side.transaction() as tx:
            rows = tx.execute(
                f"SELECT key, due_us FROM {side.t['booking_timers']} WHERE match_id = %s",  # noqa: S608
                [self.match_id.hex],
            ).rows()
        return {r["key"]: r["due_us"] for r in rows}

    @invariant()
    def every_deadline_has_its_timer(self) -> None:
        match, waitlist = self.match, self.waitlist
        stored = self.stored_timers()
        for timer in timers_for(match, waitlist, self.clock.now()):
            if timer.kind in DEADLINES:
                assert timer.key in stored, f"{timer.kind} at {timer.due_at} has no timer"

    @invariant()
    def nothing_is_overdue_once_the_clock_has_moved(self) -> None:
        if self.caught_up_at != self.clock.now():
            return  # the base machine moved the clock without timers (its own rules)
        now = self.clock.now()
        match, waitlist = self.match, self.waitlist
        cutoff = policies.offer_cutoff(match.kickoff_at)
        for offer in waitlist.offers:
            assert offer.expires_at > now, "an offer is open past its expiry"
            assert offer.expires_at <= cutoff, "an offer is open past kick-off − 15 min"
        for entry in match.roster.in_grace():
            assert entry.grace_until is not None and entry.grace_until > now, "grace overran"

    @invariant()
    def every_offer_is_told_once(self) -> None:
        self.engine.settle()
        issued = [
            n
            for n in self.app.recorder.select_notifications(start=1, limit=100_000)
            if n.topic.endswith("Waitlist.OfferIssued")
        ]
        told = [
            r
            for r in self.engine.outbox.rows(match_id=self.match_id)
            if r["kind"] == WAITLIST_OFFER
        ]
        told_for_offers = [r for r in told if r["batch_key"].startswith("offer:")]
        assert len(told_for_offers) == len(issued)
        assert all(r["status"] in ("sent", "suppressed") for r in told)


TimedMatchMachine.TestCase.settings = stateful_settings(120, 30)
TestTimedMatchInMemory = TimedMatchMachine.TestCase


class TimedSQLiteMachine(TimedMatchMachine, SQLiteMatchMachine):
    pass


class TimedPostgresMachine(TimedMatchMachine, PostgresMatchMachine):
    pass


_on_real_stores = stateful_settings(25, 25)
TimedSQLiteMachine.TestCase.settings = _on_real_stores
TimedPostgresMachine.TestCase.settings = _on_real_stores
TestTimedMatchOnSQLite = pytest.mark.slow(TimedSQLiteMachine.TestCase)
TestTimedMatchOnPostgres = pytest.mark.pg(pytest.mark.slow(TimedPostgresMachine.TestCase))
