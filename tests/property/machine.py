"""A stateful model of one match, driven by random command sequences with clock moves.

After every step it checks the invariants of domain.md:
1. IN + holds + places in grace ≤ capacity, except what manual adds put over it;
2. the queue is the WAITLIST players, once each, bumped first, then FIFO by join time;
3. a freed place is taken by one claim; the others keep their order in the queue;
4. no open offer past kick-off − 15 min, none past its expiry once timers have run;
5. every saved aggregate equals its replay from the store (from scratch and via snapshot);
6. a command repeated at once writes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import project_aggregate
from eventsourcing.domain import Aggregate
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from booking_domain import policies
from booking_domain.application import BookingApp
from booking_domain.errors import BookingError
from booking_domain.match import Match
from booking_domain.values import MatchState, Status
from booking_domain.waitlist import Waitlist
from processes.clock import ManualClock
from processes.store import store_env
from tests.support import START, phone

M = timedelta(minutes=1)
N_PLAYERS = 9
TIERS = ["A", "A", "B", "B", "C", "C", "C", "C", "C"]


class SnapshottingApp(BookingApp):
    """Snapshots every few events, so replays go through the snapshot path too."""

    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Match: 7, Waitlist: 5}


class MatchMachine(RuleBasedStateMachine):
    """Subclasses say which store to run on by overriding ``make_app``."""

    def make_app(self, clock: ManualClock) -> BookingApp:
        return SnapshottingApp(store_env("memory", None), clock=clock)

    def close_app(self) -> None:
        self.app.close()

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.app = self.make_app(self.clock)
        self.saved: dict[UUID, Aggregate] = {}
        original_save = self.app.save

        def capturing_save(*objs: Any, **kwargs: Any) -> Any:
            recordings = original_save(*objs, **kwargs)
            for obj in objs:
                self.saved[obj.id] = obj
            return recordings

        self.app.save = capturing_save  # type: ignore[method-assign]
        self.players = [
            self.app.register_player(name=f"P{i}", phone=phone(i), tier=TIERS[i]).value
            for i in range(N_PLAYERS)
        ]
        self.last: Callable[[], Any] | None = None
        self.timers_ran_at = START

    def teardown(self) -> None:
        self.close_app()

    # ------------------------------------------------------------- helpers

    @property
    def match(self) -> Match:
        return self.app.get_match(self.match_id)

    @property
    def waitlist(self) -> Waitlist:
        return self.app.get_waitlist(self.match_id)

    def position(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def attempt(self, command: Callable[[], Any]) -> bool:
        """Run a command; a refusal must leave the store untouched."""
        before = self.position()
        try:
            command()
        except BookingError:
            assert self.position() == before, "a refused command wrote events"
            self.last = None
            return False
        self.last = command
        return True

    # -------------------------------------------------------------- setup

    @initialize(
        capacity=st.integers(1, 4),
        kickoff_minutes=st.sampled_from([35, 50, 150, 600, 1500, 4400]),
        tiered=st.booleans(),
        fanout=st.integers(1, 3),
    )
    def schedule(self, capacity: int, kickoff_minutes: int, tiered: bool, fanout: int) -> None:
        self.match_id = self.app.schedule_match(
            title="Property FC",
            kickoff_at=START + kickoff_minutes * M,
            location="Pitch 1",
            capacity=capacity,
            offer_fanout=fanout,
        ).value
        windows = None
        if tiered:
            windows = {"a_open_at": START, "b_open_at": START + 10 * M, "c_open_at": START + 30 * M}
        self.token = self.app.enable_booking(
            self.match_id, invite_mode="tiered" if tiered else "all", tier_windows=windows
        ).value

    # --------------------------------------------------------------- rules

    @rule(
        p=st.integers(0, N_PLAYERS - 1),
        action=st.sampled_from(["IN", "IN", "OUT", "WAITLIST", "MAYBE"]),
        flexible=st.booleans(),
    )
    def respond(self, p: int, action: str, flexible: bool) -> None:
        self.attempt(
            lambda: self.app.respond(
                match_id=self.match_id,
                token=self.token,
                phone=phone(p),
                action=action,
                out_flexible=flexible,
            )
        )

    @rule(p=st.integers(0, N_PLAYERS - 1))
    def claim(self, p: int) -> None:
        pid = self.players[p]
        queue_before = [e.player_id for e in self.waitlist.queue]
        free_before = self.match.free_places
        claimed = self.attempt(
            lambda: self.app.claim_offer(match_id=self.match_id, token=self.token, phone=phone(p))
        )
        queue_after = [e.player_id for e in self.waitlist.queue]
        if claimed and pid in queue_before:
            assert self.match.status_of(pid) == Status.IN
            assert free_before > 0, "a claim took a place that was not free"
            assert queue_after == [q for q in queue_before if q != pid], "losers lost their order"
        elif not claimed:
            assert queue_after == queue_before

    @rule(p=st.integers(0, N_PLAYERS - 1))
    def admin_add(self, p: int) -> None:
        self.attempt(lambda: self.app.add_player_to_match(self.match_id, self.players[p]))

    @rule(capacity=st.integers(1, 6))
    def change_capacity(self, capacity: int) -> None:
        lowered = capacity < self.match.capacity
        if self.attempt(lambda: self.app.change_capacity(self.match_id, capacity)) and lowered:
            assert self.match.places_taken <= capacity, "a capacity cut left too many places"

    @rule(p=st.integers(0, N_PLAYERS - 1))
    def release_spot(self, p: int) -> None:
        self.attempt(lambda: self.app.release_spot(self.match_id, self.players[p]))

    @rule()
    def reissue(self) -> None:
        self.attempt(lambda: self.app.reissue_offers(self.match_id))

    @rule(minutes=st.sampled_from([1, 2, 3, 5, 14, 30, 61, 240]))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes * M)
        self.attempt(lambda: self.app.process_deadlines(self.match_id))
        self.timers_ran_at = self.clock.now()

    @rule()
    def toggle_booking(self) -> None:
        if self.match.booking_enabled:
            self.attempt(lambda: self.app.disable_booking(self.match_id))
        else:
            with contextlib.suppress(BookingError):
                self.token = self.app.enable_booking(self.match_id).value
            self.last = None

    @precondition(lambda self: self.match.state == MatchState.DRAFT)
    @rule(end=st.sampled_from(["lock", "cancel"]))
    def wind_up(self, end: str) -> None:
        command = self.app.lock_pool if end == "lock" else self.app.cancel_match
        self.attempt(lambda: command(self.match_id))

    @precondition(lambda self: self.last is not None)
    @rule()
    def repeat_last(self) -> None:
        before = self.position()
        assert self.last is not None
        with contextlib.suppress(BookingError):
            self.last()
        assert self.position() == before, "a repeated command wrote new events"

    # ---------------------------------------------------------- invariants

    @invariant()
    def places_never_oversold(self) -> None:
        match = self.match
        by_admin = sum(1 for e in match.roster if e.holds_place and e.admin_added)
        assert match.places_taken - by_admin <= match.capacity

    @invariant()
    def queue_is_the_waitlisted_once_each_bumped_first_then_fifo(self) -> None:
        match, waitlist = self.match, self.waitlist
        queued = [e.player_id for e in waitlist.queue]
        assert len(queued) == len(set(queued))
        assert set(queued) == {e.player_id for e in match.roster.with_status(Status.WAITLIST)}
        flags = [e.bumped for e in waitlist.queue]
        assert flags == sorted(flags, reverse=True), "a bumped player behind a joiner"
        joined = [e.joined_at for e in waitlist.queue if not e.bumped]
        assert joined == sorted(joined)

    @invariant()
    def offers_are_sound(self) -> None:
        match, waitlist = self.match, self.waitlist
        offered = [o.player_id for o in waitlist.offers]
        assert len(offered) == len(set(offered)), "two open offers for one player"
        assert set(offered) <= {e.player_id for e in waitlist.queue}
        cutoff = policies.offer_cutoff(match.kickoff_at)
        for offer in waitlist.offers:
            assert offer.expires_at <= cutoff, "an offer runs past kick-off − 15"
            assert offer.expires_at > self.timers_ran_at, "an offer outlived its expiry"
        if match.free_places == 0 or not match.is_booking_open():
            assert offered == [], "offers open with nothing to claim"
        limit = policies.offers_to_issue(match.free_places, match.offer_fanout)
        assert len(offered) <= limit

    @invariant()
    def free_places_are_offered_when_they_should_be(self) -> None:
        match, waitlist = self.match, self.waitlist
        now = self.clock.now()
        if not match.is_booking_open() or match.free_places == 0:
            return
        if policies.offer_ttl(match.kickoff_at, now) is None or waitlist.offers_due(now):
            return
        wanted = policies.offers_to_issue(match.free_places, match.offer_fanout)
        assert len(waitlist.offers) == min(
            wanted, len(waitlist.offers) + len(waitlist.candidates())
        )

    @invariant()
    def replay_reproduces_every_saved_aggregate(self) -> None:
        for aggregate in self.saved.values():
            events = self.app.events.get(aggregate.id, lte=aggregate.version)
            assert project_aggregate(None, events) == aggregate
            assert self.app.repository.get(aggregate.id, version=aggregate.version) == aggregate
        self.saved.clear()
