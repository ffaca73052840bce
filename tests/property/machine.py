"""A stateful model of one match, driven by random command sequences with clock moves.

After every step it checks the invariants of domain.md:
1. IN + holds + places in grace ≤ capacity, except what manual adds made while
   the match was full put over it (and that excess only ever shrinks);
2. the queue is exactly the WAITLIST players, once each, bumped first, then in
   the order they joined;
3. a freed place is taken by one claim; the others are told "spot filled" and
   keep their order in the queue;
4. no open offer past kick-off − 15 min, none past its expiry once anything has
   acted on the match since (a timer or any command: commands catch up);
5. every saved aggregate equals its replay from the store (from scratch and
   via snapshot);
6. a command repeated at once writes nothing.
Refusals must leave the store untouched, and an aggregate's own guard tripping
(``GuardTripped``) is always a failure: the rules asked for something impossible.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import project_aggregate
from eventsourcing.domain import Aggregate
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from booking_domain import offers, policies
from booking_domain.application import BookingApp
from booking_domain.errors import BookingError, GuardTripped, InvalidToken
from booking_domain.match import Match
from booking_domain.values import InviteMode, MatchState, Status
from booking_domain.waitlist import Waitlist
from processes.clock import ManualClock
from processes.store import store_env
from tests.support import START, phone

M = timedelta(minutes=1)
TIERS = ["A", "A", "B", "B", "C", "C", "C", "C", "C"]
RINGER_PHONES = range(100, 104)
players = st.integers(0, len(TIERS) - 1)


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
        self.phones = [phone(i) for i in range(len(TIERS))]
        self.players = [
            self.app.register_player(name=f"P{i}", phone=p, tier=TIERS[i]).value
            for i, p in enumerate(self.phones)
        ]
        self.last: Callable[[], Any] | None = None
        self.caught_up_at = START
        self.allowed_excess = 0
        self.join_seq: dict[UUID, int] = {}
        self.joins = 0

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
        """Run a command on the match; a refusal must leave the store untouched."""
        before = self.position()
        try:
            command()
        except GuardTripped as tripped:
            raise AssertionError(f"an aggregate guard tripped: {tripped.message}") from tripped
        except BookingError as refusal:
            assert self.position() == before, "a refused command wrote events"
            event(f"refused: {refusal.code}")
            self.last = None
            return False
        self.last = command
        self.caught_up_at = self.clock.now()
        return True

    def respond_as(self, number: str, action: str, **kwargs: Any) -> bool:
        return self.attempt(
            lambda: self.app.respond(
                match_id=self.match_id, token=self.token, phone=number, action=action, **kwargs
            )
        )

    def offered(self) -> set[UUID]:
        """Players holding an offer that is still good now."""
        now = self.clock.now()
        return {o.player_id for o in self.waitlist.offers if o.expires_at > now}

    def check_claim(self, pid: UUID, took: bool, queue: list[UUID], offered: set[UUID]) -> None:
        """Invariant 3 around any claim: one winner, the others keep order and are told."""
        queue_after = [e.player_id for e in self.waitlist.queue]
        if not took:
            assert queue_after == queue, "a refused claim moved the queue"
            return
        assert self.match.status_of(pid) == Status.IN
        assert queue_after == [q for q in queue if q != pid], "losers lost their order"
        if self.match.free_places == 0:
            for loser in offered - {pid}:
                entry = self.waitlist.entry_of(loser)
                assert entry is not None, "a loser left the queue"
                assert entry.last_offer_reason == "spot_filled", "a loser was not told"

    # -------------------------------------------------------------- setup

    @initialize(
        capacity=st.integers(1, 4),
        kickoff_minutes=st.sampled_from([40, 150, 150, 600, 1500, 1500, 4400, 4400]),
        tiered=st.sampled_from([False, False, True]),
        fanout=st.integers(1, 3),
        crowd=st.integers(0, len(TIERS)),
    )
    def schedule(
        self, capacity: int, kickoff_minutes: int, tiered: bool, fanout: int, crowd: int
    ) -> None:
        self.match_id = self.app.schedule_match(
            title="Property FC",
            kickoff_at=START + kickoff_minutes * M,
            location="Pitch 1",
            capacity=capacity,
            offer_fanout=fanout,
        ).value
        self.windows = None
        if tiered:
            self.windows = {
                "a_open_at": START,
                "b_open_at": START + 5 * M,
                "c_open_at": START + 10 * M,
            }
        self.token = self.app.enable_booking(
            self.match_id, invite_mode="tiered" if tiered else "all", tier_windows=self.windows
        ).value
        for number in self.phones[:crowd]:  # a first rush: IN while there is room, then queue
            self.respond_as(number, "IN") or self.respond_as(number, "WAITLIST")

    # --------------------------------------------------------------- rules

    @rule(
        p=players,
        action=st.sampled_from(["IN", "IN", "OUT", "WAITLIST", "MAYBE"]),
        flex=st.booleans(),
    )
    def respond(self, p: int, action: str, flex: bool) -> None:
        pid = self.players[p]
        queue, offered = [e.player_id for e in self.waitlist.queue], self.offered()
        took = self.respond_as(self.phones[p], action, out_flexible=flex)
        if action == "IN" and pid in queue:
            self.check_claim(pid, took and self.match.status_of(pid) == Status.IN, queue, offered)

    @rule()
    def rush(self) -> None:
        """Everyone without a place wants in: fills the match and builds a queue."""
        for i, pid in enumerate(self.players):
            if self.match.status_of(pid) in (Status.PENDING, Status.OUT, Status.MAYBE):
                self.respond_as(self.phones[i], "IN") or self.respond_as(self.phones[i], "WAITLIST")

    @rule(k=st.integers(0, 20), maybe=st.booleans())
    def someone_drops_out(self, k: int, maybe: bool) -> None:
        ins = [i for i, pid in enumerate(self.players) if self.match.status_of(pid) == Status.IN]
        if ins:
            self.respond_as(self.phones[ins[k % len(ins)]], "MAYBE" if maybe else "OUT")

    @rule(k=st.integers(0, 20))
    def a_place_frees_up(self, k: int) -> None:
        """Someone IN drops out, their grace runs out and the timers run."""
        self.someone_drops_out(k, maybe=False)
        self.clock.advance(5 * M)
        self.attempt(lambda: self.app.process_deadlines(self.match_id))

    @rule(k=st.integers(0, 20))
    def an_offer_is_claimed(self, k: int) -> None:
        holders = [i for i, pid in enumerate(self.players) if pid in self.offered()]
        if holders:
            self.claim(holders[k % len(holders)])

    @rule(p=players)
    def claim(self, p: int) -> None:
        pid = self.players[p]
        queue, offered = [e.player_id for e in self.waitlist.queue], self.offered()
        took = self.attempt(
            lambda: self.app.claim_offer(
                match_id=self.match_id, token=self.token, phone=self.phones[p]
            )
        )
        if pid in queue:
            self.check_claim(pid, took, queue, offered)
            if took and pid in offered:
                event("an offer was claimed")

    @rule(p=players)
    def admin_add(self, p: int) -> None:
        entry = self.match.roster.get(self.players[p])
        adds_over = self.match.free_places == 0 and not (entry and entry.holds_place)
        if self.attempt(lambda: self.app.add_player_to_match(self.match_id, self.players[p])):
            self.allowed_excess += adds_over

    @rule(capacity=st.integers(1, 6))
    def change_capacity(self, capacity: int) -> None:
        lowered = capacity < self.match.capacity
        if self.attempt(lambda: self.app.change_capacity(self.match_id, capacity)) and lowered:
            assert self.match.places_taken <= capacity, "a capacity cut left too many places"

    @rule(k=st.integers(0, 20))
    def release_spot(self, k: int) -> None:
        graced = [e.player_id for e in self.match.roster.in_grace()] or self.players
        self.attempt(lambda: self.app.release_spot(self.match_id, graced[k % len(graced)]))

    @rule()
    def reissue(self) -> None:
        self.attempt(lambda: self.app.reissue_offers(self.match_id))

    @rule(minutes=st.sampled_from([1, 2, 3, 5, 14, 30, 61, 241]))
    def time_passes(self, minutes: int) -> None:
        """No timer runs: the next command must catch up by itself."""
        self.clock.advance(minutes * M)
        self.last = None  # a command resent later meets a different clock

    @rule(which=st.sampled_from(["all", "grace", "expiry"]))
    def timers_run(self, which: str) -> None:
        command = {
            "all": self.app.process_deadlines,
            "grace": self.app.finalise_dropouts,
            "expiry": self.app.expire_offers,
        }[which]
        before = self.caught_up_at
        self.attempt(lambda: command(self.match_id))
        now = self.clock.now()
        deadline = offers.next_deadline(self.match, self.waitlist)
        if deadline is not None and deadline <= now:
            self.caught_up_at = before  # a partial run leaves the other kind due

    @rule()
    def toggle_booking(self) -> None:
        if self.match.booking_enabled:
            self.attempt(lambda: self.app.disable_booking(self.match_id))
            return
        mode = self.match.invite_mode
        windows = self.windows if mode == InviteMode.TIERED else None

        def enable() -> None:
            self.token = self.app.enable_booking(
                self.match_id, invite_mode=str(mode), tier_windows=windows
            ).value

        self.attempt(enable)
        self.last = None  # enabling again is meant to issue a new token

    @rule(tiered=st.booleans())
    def change_invite_mode(self, tiered: bool) -> None:
        windows = self.windows or {"a_open_at": START, "b_open_at": START + 5 * M}
        self.attempt(
            lambda: self.app.change_invite_mode(
                self.match_id,
                invite_mode="tiered" if tiered else "all",
                tier_windows=windows if tiered else None,
            )
        )

    @rule(k=st.sampled_from(list(RINGER_PHONES)), allowed=st.booleans())
    def ringer_turns_up(self, k: int, allowed: bool) -> None:
        self.app.change_settings({"enable_ringer_self_book": allowed})
        self.respond_as(phone(k), "IN", name=f"Guest {k}")

    @rule(p=players)
    def wrong_link(self, p: int) -> None:
        before = self.position()
        try:
            self.app.respond(
                match_id=self.match_id, token="stale", phone=self.phones[p], action="IN"
            )
        except InvalidToken:
            pass
        else:
            raise AssertionError("a wrong token was accepted")
        assert self.position() == before

    @rule(p=players, tier=st.sampled_from(["A", "B", "C"]))
    def change_tier(self, p: int, tier: str) -> None:
        self.app.update_player(self.players[p], tier=tier)

    @rule(roll=st.integers(0, 11), end=st.sampled_from(["lock", "cancel", "balance", "complete"]))
    def organiser_moves_on(self, roll: int, end: str) -> None:
        if roll:  # rare: most runs should stay in Draft, where the booking happens
            return
        command = {
            "lock": self.app.lock_pool,
            "cancel": self.app.cancel_match,
            "balance": self.app.balance_teams,
            "complete": self.app.complete_match,
        }[end]
        self.attempt(lambda: command(self.match_id))

    @precondition(lambda self: self.last is not None)
    @rule()
    def repeat_last(self) -> None:
        before = self.position()
        assert self.last is not None
        try:
            self.last()
        except GuardTripped as tripped:
            raise AssertionError(tripped.message) from tripped
        except BookingError:
            pass
        assert self.position() == before, "a repeated command wrote new events"

    # ---------------------------------------------------------- invariants

    @invariant()
    def places_never_oversold(self) -> None:
        match = self.match
        excess = max(0, match.places_taken - match.capacity)
        assert excess <= self.allowed_excess, "oversold beyond what manual adds put over"
        self.allowed_excess = excess  # the excess may shrink, never grow by itself
        if self.waitlist.offers:
            event("offers open")
        if match.state == MatchState.DRAFT and self.waitlist.size:
            event("queue in draft")

    @invariant()
    def queue_is_the_waitlisted_once_each_bumped_first_then_in_join_order(self) -> None:
        match, waitlist = self.match, self.waitlist
        queued = [e.player_id for e in waitlist.queue]
        assert len(queued) == len(set(queued))
        assert set(queued) == {e.player_id for e in match.roster.with_status(Status.WAITLIST)}
        flags = [e.bumped for e in waitlist.queue]
        assert flags == sorted(flags, reverse=True), "a bumped player behind a joiner"
        for pid in list(self.join_seq):
            if pid not in queued:
                del self.join_seq[pid]
        for pid in queued:
            if pid not in self.join_seq:
                self.joins += 1
                self.join_seq[pid] = self.joins
        order = [self.join_seq[e.player_id] for e in waitlist.queue if not e.bumped]
        assert order == sorted(order), "a joiner was put ahead of someone who joined earlier"

    @invariant()
    def offers_are_sound(self) -> None:
        match, waitlist = self.match, self.waitlist
        offered = [o.player_id for o in waitlist.offers]
        assert len(offered) == len(set(offered)), "two open offers for one player"
        assert set(offered) <= {e.player_id for e in waitlist.queue}
        cutoff = policies.offer_cutoff(match.kickoff_at)
        for offer in waitlist.offers:
            assert offer.expires_at <= cutoff, "an offer runs past kick-off − 15"
            assert offer.expires_at > self.caught_up_at, "an offer outlived its expiry"
        if match.free_places == 0 or not match.is_booking_open():
            assert offered == [], "offers open with nothing to claim"
        assert len(offered) <= policies.offers_to_issue(match.free_places, match.offer_fanout)

    @invariant()
    def free_places_are_offered_when_they_should_be(self) -> None:
        match, waitlist = self.match, self.waitlist
        now = self.clock.now()
        if not match.is_booking_open() or match.free_places == 0 or self.caught_up_at != now:
            return
        if policies.offer_ttl(match.kickoff_at, now) is None:
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
