"""A stateful model of a morning of court slots that need approval (seed 002), driven
by random sequences of requests (one or several slots each), direct waitlist joins,
approvals, rejections, withdrawals, moves, repeated commands and clock moves that
fire the slots' start timers.

After every step it checks (issue 8, domain.md "Approval mode"):
1. a slot never has more approved bookings than places, nor IN + HELD over capacity;
2. every HELD player has exactly one pending request on that slot, and every slot of
   a pending request holds it under the same request id;
3. every waiting cart ends in exactly one way — converted, cancelled or moved (and a
   moved cart waits on again in its new slot) — or is still waiting; the carts still
   waiting are exactly the queue, in the order they joined (FIFO), and every
   conversion took the head of the queue;
4. no request is pending, and no cart waiting, on a slot whose start timer has run;
5. a command repeated at once writes nothing, a refusal writes nothing, and every
   saved aggregate equals its replay from the store.
An aggregate's own guard tripping (``GuardTripped``) is always a failure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import project_aggregate
from eventsourcing.domain import Aggregate
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from booking_domain.application import BookingApp
from booking_domain.errors import BookingError, GuardTripped
from booking_domain.timers import TimerKind, timers_for
from booking_domain.values import Status
from booking_domain.waitlist import Waitlist
from processes.clock import ManualClock
from processes.store import store_env
from tests.property.paid_machine import SnapshottingApp
from tests.support import START, phone

H = timedelta(hours=1)
PLAYERS = 6
SLOTS = 4
players = st.integers(0, PLAYERS - 1)
slots = st.integers(0, SLOTS - 1)
ENDINGS = ("WaitingCartConverted", "WaitingCartCancelled", "WaitingCartMoved")


class ApprovalMachine(RuleBasedStateMachine):
    """Four slots on two courts over two hours; slot 3 takes two players."""

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
        self.phones = [phone(i) for i in range(PLAYERS)]
        self.players = [
            self.app.register_player(name=f"P{i}", phone=p).value for i, p in enumerate(self.phones)
        ]
        start = START + 2 * H
        self.slots = [
            self.app.schedule_slot(
                court=f"Court {1 + i % 2}",
                sport="padel",
                starts_at=start + (i // 2) * H,
                ends_at=start + (i // 2 + 1) * H,
                capacity=2 if i == 3 else 1,
                price_minor=1000,
            ).value
            for i in range(SLOTS)
        ]
        self.token = {s: self.app.enable_booking(s).value for s in self.slots}
        self.started: set[UUID] = set()
        self.cancelled: set[UUID] = set()
        self.last: Callable[[], Any] | None = None

    def teardown(self) -> None:
        self.close_app()

    # ------------------------------------------------------------- helpers

    def attempt(self, command: Callable[[], Any]) -> Any:
        """Run a command; a refusal must write nothing."""
        before = self.app.recorder.max_notification_id()
        try:
            done = command()
        except GuardTripped:
            raise
        except BookingError as refusal:
            event(f"refused: {type(refusal).__name__}")
            assert self.app.recorder.max_notification_id() == before, "a refusal wrote"
            return None
        self.last = command
        return done

    def holders(self, slot: UUID) -> list[UUID]:
        match = self.app.get_match(slot)
        return [p for p in self.players if match.status_of(p) == Status.HELD]

    # --------------------------------------------------------------- rules

    @rule(who=players, picks=st.lists(slots, min_size=1, max_size=3, unique=True))
    def request(self, who: int, picks: list[int]) -> None:
        parts = [{"match_id": self.slots[i]} for i in picks]
        done = self.attempt(lambda: self.app.request_slots(phone=self.phones[who], slots=parts))
        if done is not None:
            event(f"request of {len(picks)} slot(s): {[p.status for p in done.value.slots]}")

    @rule(who=players, slot=slots)
    def join_waitlist_by_link(self, who: int, slot: int) -> None:
        mid = self.slots[slot]
        self.attempt(
            lambda: self.app.respond(
                match_id=mid, token=self.token[mid], phone=self.phones[who], action="WAITLIST"
            )
        )

    @rule(slot=slots, pick=st.integers(0, 5), approve=st.booleans())
    def decide(self, slot: int, pick: int, approve: bool) -> None:
        mid = self.slots[slot]
        holders = self.holders(mid) or self.players
        who = holders[pick % len(holders)]
        decide = self.app.approve_request if approve else self.app.reject_request
        if self.attempt(lambda: decide(mid, who, reason="model")) is not None:
            event("approved" if approve else "rejected")

    @rule(who=players, slot=slots)
    def withdraw(self, who: int, slot: int) -> None:
        mid = self.slots[slot]
        self.attempt(lambda: self.app.withdraw_request(mid, phone=self.phones[who]))

    @rule(slot=slots, to=slots, pick=st.integers(0, 5))
    def move(self, slot: int, to: int, pick: int) -> None:
        mid = self.slots[slot]
        holders = self.holders(mid) or self.players
        who = holders[pick % len(holders)]
        target = self.slots[to]
        if self.attempt(lambda: self.app.move_booking(mid, who, to_match_id=target)):
            event("moved")

    @rule(slot=slots, step=st.sampled_from(["lock_pool", "cancel_match", "disable_booking"]))
    def organiser_step(self, slot: int, step: str) -> None:
        """Lock, cancel or switch booking off: requests stay decidable or end, never lost."""
        mid = self.slots[slot]
        if self.attempt(lambda: getattr(self.app, step)(mid)) is not None:
            event(step)
            if step == "cancel_match":
                self.cancelled.add(mid)

    @rule(slot=slots, who=players)
    def admin_adds(self, slot: int, who: int) -> None:
        """A manual add: approves the member's request if they have one (all of it)."""
        mid = self.slots[slot]
        if self.attempt(lambda: self.app.add_player_to_match(mid, self.players[who])):
            event("admin add")

    @rule(slot=slots, capacity=st.integers(1, 3))
    def change_capacity(self, slot: int, capacity: int) -> None:
        mid = self.slots[slot]
        if self.attempt(lambda: self.app.change_capacity(mid, capacity)) is not None:
            event("capacity changed")

    @precondition(lambda self: self.last is not None)
    @rule()
    def repeat_at_once(self) -> None:
        """A double click: the same command again changes nothing (or is refused)."""
        assert self.last is not None
        before = self.app.recorder.max_notification_id()
        try:
            self.last()
        except GuardTripped:
            raise
        except BookingError:
            pass
        assert self.app.recorder.max_notification_id() == before, "a repeat wrote"

    @rule(minutes=st.sampled_from([10, 45, 60, 70]))
    def time_passes(self, minutes: int) -> None:
        """The clock moves; every start timer now due fires, as the pump would."""
        self.clock.advance(timedelta(minutes=minutes))
        now = self.clock.now()
        for mid in self.slots:
            due = timers_for(self.app.get_match(mid), self.app.get_waitlist(mid), now)
            for timer in due:
                if timer.kind == TimerKind.APPROVAL_DEADLINE and timer.due_at <= now:
                    self.app.fire_timer(mid, str(timer.kind))
            if self.app.get_match(mid).kickoff_at <= now:
                self.started.add(mid)

    # ---------------------------------------------------------- invariants

    @invariant()
    def places_are_never_oversold(self) -> None:
        for mid in self.slots:
            match = self.app.get_match(mid)
            # An admin's manual add may go over, visibly (invariant 1); nothing else does.
            added = sum(1 for e in match.roster if e.source == "admin" and e.status == Status.IN)
            assert match.booked <= match.capacity + added, "two approved bookings for one place"
            assert match.booked + match.held <= match.capacity + added

    @invariant()
    def holds_and_pending_requests_agree(self) -> None:
        for mid in self.slots:
            match = self.app.get_match(mid)
            held = {e.player_id for e in match.roster.with_status(Status.HELD)}
            assert held == {p for p, _ in match.pending_bookings()}
            for player, pending in match.pending_bookings():
                assert mid in pending.slots
                for other in pending.slots:
                    twin = self.app.get_match(other).pending_of(player)
                    assert twin is not None and twin.request_id == pending.request_id
                    assert twin.slots == pending.slots

    @invariant()
    def every_waiting_cart_ends_once_and_the_queue_is_fifo(self) -> None:
        for mid in self.slots:
            waitlist = self.app.get_waitlist(mid)
            open_carts: list[tuple[UUID, UUID]] = []
            for e in self.app.events.get(Waitlist.create_id(mid)):
                name = type(e).__name__
                if name == "CartQueued":
                    assert (e.player_id, e.request_id) not in open_carts
                    open_carts.append((e.player_id, e.request_id))
                elif name in ENDINGS:
                    key = (e.player_id, e.request_id)
                    assert key in open_carts, f"{name} for a cart that was not waiting"
                    assert open_carts.index(key) + 1 == e.position
                    if name == "WaitingCartConverted":
                        assert e.position == 1, "a conversion skipped the head"
                    open_carts.remove(key)
            queue = [(q.player_id, q.request_id) for q in waitlist.queue]
            assert queue == open_carts, "the queue is not the carts still waiting, in order"
            match = self.app.get_match(mid)
            for player, _ in queue:
                assert match.status_of(player) == Status.WAITLIST

    @invariant()
    def nothing_waits_on_a_started_or_cancelled_slot(self) -> None:
        for mid in self.started | self.cancelled:
            assert self.app.get_match(mid).pending_bookings() == []
            assert self.app.get_waitlist(mid).queue == []

    @invariant()
    def replay_reproduces_every_saved_aggregate(self) -> None:
        for aggregate in self.saved.values():
            events = self.app.events.get(aggregate.id, lte=aggregate.version)
            assert project_aggregate(None, events) == aggregate
            assert self.app.repository.get(aggregate.id, version=aggregate.version) == aggregate
        self.saved.clear()
