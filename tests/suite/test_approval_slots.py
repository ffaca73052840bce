"""Court slots that need approval (seed 002; domain.md "Approval mode"), on every store.

Seed 002's testing checklist, each item through the application: waiting
carts of their own, approval cancelling them, rejection converting them in
order, direct bookings to a held slot, and a failure mid-conversion leaving
nothing half-done.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from booking_domain.carts import APPROVED_REASON, STARTED_REASON, CartSnapshot
from booking_domain.errors import InvalidTransition, MatchFull, ValidationError
from booking_domain.match import Match
from booking_domain.timers import TimerKind, timers_for
from booking_domain.waitlist import Waitlist
from tests.support import Club, MatchHandle, Person

H = timedelta(hours=1)


def events_of(club: Club, aggregate_id: UUID, name: str) -> list[Any]:
    return [e for e in club.app.events.get(aggregate_id) if type(e).__name__ == name]


def queue_of(club: Club, slot: UUID) -> list[UUID]:
    return [e.player_id for e in club.app.get_waitlist(slot).queue]


def status(club: Club, slot: UUID, who: Person) -> str:
    return str(club.app.get_match(slot).status_of(who.player_id))


def waiting_behind(club: Club, slot: UUID, *names: str) -> list[Person]:
    people = club.players(*names)
    for person in people:
        club.ask(person, slot)
    return people


def test_a_request_for_a_free_slot_is_pending_with_its_cart(club: Club) -> None:
    slot = club.slot("Court 1", price_minor=1500)
    ana = club.player("Ana")
    answer = club.ask(ana, slot)
    (part,) = answer.slots
    assert (part.status, part.waitlist_position) == ("HELD", None)
    match = club.app.get_match(slot)
    pending = match.pending_of(ana.player_id)
    assert pending is not None and pending.request_id == answer.request_id
    local = match.kickoff_at.astimezone(ZoneInfo("Europe/London"))
    assert pending.cart == CartSnapshot(
        court="Court 1",
        sport="tennis",
        date=local.date().isoformat(),
        start=f"{local:%H:%M}",
        end=f"{local + H:%H:%M}",
        price_minor=1500,
        currency="GBP",
    )
    # The pending request holds the slot: capacity is taken.
    assert (match.booked, match.held, match.free_places) == (0, 1, 0)


def test_a_request_for_a_held_slot_joins_its_waitlist_with_its_own_cart(club: Club) -> None:
    slot = club.slot()
    ana, ben = club.players("Ana", "Ben")
    club.ask(ana, slot)
    answer = club.ask(ben, slot)
    (part,) = answer.slots
    assert (part.status, part.waitlist_position) == ("WAITLIST", 1)
    (entry,) = club.app.get_waitlist(slot).queue
    assert entry.request_id == answer.request_id and entry.cart == part.cart
    # The waiting cart is the waitlist's own event, not a booking of the match.
    (queued,) = events_of(club, Waitlist.create_id(slot), "CartQueued")
    assert queued.cart == part.cart and queued.request_id == answer.request_id
    assert events_of(club, slot, "BookingRequested")[0].player_id == ana.player_id
    assert len(events_of(club, slot, "BookingRequested")) == 1


def test_approval_books_the_slot_and_cancels_every_waiting_cart(club: Club) -> None:
    slot = club.slot()
    ana = club.player("Ana")
    club.ask(ana, slot)
    waiting = waiting_behind(club, slot, "Ben", "Cy", "Dee")
    decision = club.app.approve_request(slot, ana.player_id).value
    assert decision.slots == [slot]
    assert status(club, slot, ana) == "IN"
    assert queue_of(club, slot) == []
    for person in waiting:
        assert status(club, slot, person) == "OUT"
    cancelled = events_of(club, Waitlist.create_id(slot), "WaitingCartCancelled")
    assert {e.player_id for e in cancelled} == {p.player_id for p in waiting}
    assert {e.reason for e in cancelled} == {APPROVED_REASON}
    assert sorted(e.position for e in cancelled) == [1, 2, 3]
    # Deciding again is refused: one decision per request.
    with pytest.raises(InvalidTransition, match="already approved"):
        club.app.reject_request(slot, ana.player_id)


def test_rejection_converts_the_waiting_carts_in_order(club: Club) -> None:
    slot = club.slot()
    ana = club.player("Ana")
    club.ask(ana, slot)
    ben, cy, dee = waiting_behind(club, slot, "Ben", "Cy", "Dee")
    ben_request = club.app.get_waitlist(slot).queue[0].request_id
    club.app.reject_request(slot, ana.player_id, reason="Court closed for repair")
    assert status(club, slot, ana) == "OUT"
    # The head became a new pending request, carrying its own snapshot.
    pending = club.app.get_match(slot).pending_of(ben.player_id)
    assert pending is not None and pending.converted_from == ben_request
    assert pending.request_id != ben_request
    assert status(club, slot, ben) == "HELD"
    assert queue_of(club, slot) == [cy.player_id, dee.player_id]
    (rejected,) = events_of(club, slot, "BookingRejected")
    assert rejected.reason == "Court closed for repair"
    # Rejected again: the next in line, still in order.
    club.app.reject_request(slot, ben.player_id)
    assert status(club, slot, cy) == "HELD"
    assert queue_of(club, slot) == [dee.player_id]
    converted = events_of(club, Waitlist.create_id(slot), "WaitingCartConverted")
    assert [e.player_id for e in converted] == [ben.player_id, cy.player_id]


def test_direct_booking_to_a_waitlisted_slot_keeps_its_own_cart(club: Club) -> None:
    slot = club.slot()
    token = club.app.enable_booking(slot).value
    handle = MatchHandle(club.app, slot, token)
    ana, ben, cy = club.players("Ana", "Ben", "Cy")
    assert handle.say(ana, "IN").value.standing.status == "HELD"
    with pytest.raises(MatchFull) as full:
        handle.say(ben, "IN")
    assert full.value.data["waitlist_position_if_joined"] == 1
    standing = handle.say(ben, "WAITLIST").value.standing
    assert (standing.status, standing.waitlist_position) == ("WAITLIST", 1)
    (entry,) = club.app.get_waitlist(slot).queue
    assert entry.cart == club.app.get_match(slot).cart_snapshot()
    # A cart sent with a stale price is refused, and nothing changes.
    with pytest.raises(ValidationError, match="price_minor"):
        handle.say(cy, "WAITLIST", cart={"price_minor": 1})
    assert queue_of(club, slot) == [ben.player_id]


def test_a_request_spanning_slots_is_decided_as_a_whole(club: Club) -> None:
    ten, eleven = club.slot("Court 1"), club.slot("Court 1", starts_in=timedelta(days=2) + H)
    ana, ben = club.players("Ana", "Ben")
    answer = club.ask(ana, ten, eleven)
    assert [p.status for p in answer.slots] == ["HELD", "HELD"]
    assert club.app.get_match(eleven).pending_of(ana.player_id).slots == [ten, eleven]  # type: ignore[union-attr]
    club.ask(ben, ten, eleven)  # both held: Ben waits on both
    club.app.reject_request(eleven, ana.player_id)
    for slot in (ten, eleven):
        assert status(club, slot, ana) == "OUT"
        assert status(club, slot, ben) == "HELD"  # each freed slot went to its queue's head
    # Ben's two conversions are two requests, decided one by one.
    club.app.approve_request(ten, ben.player_id)
    assert (status(club, ten, ben), status(club, eleven, ben)) == ("IN", "HELD")


def test_a_request_is_idempotent_on_its_id(club: Club) -> None:
    slot = club.slot()
    ana = club.player("Ana")
    request_id = uuid4()
    first = club.ask(ana, slot, request_id=request_id)
    again = club.ask(ana, slot, request_id=request_id)
    assert first == again
    assert len(events_of(club, slot, "BookingRequested")) == 1
    with pytest.raises(InvalidTransition, match="already have a request pending"):
        club.ask(ana, slot)


def test_withdrawing_frees_the_slot_for_the_next_in_line(club: Club) -> None:
    slot = club.slot()
    ana = club.player("Ana")
    club.ask(ana, slot)
    ben, cy = waiting_behind(club, slot, "Ben", "Cy")
    club.app.withdraw_request(slot, phone=cy.phone)  # a waiting cart
    assert queue_of(club, slot) == [ben.player_id] and status(club, slot, cy) == "OUT"
    club.app.withdraw_request(slot, phone=ana.phone)  # the pending booking
    assert status(club, slot, ana) == "OUT" and status(club, slot, ben) == "HELD"
    with pytest.raises(InvalidTransition):
        club.app.withdraw_request(slot, phone=ana.phone)


def test_an_undecided_request_expires_when_its_slot_starts(club: Club) -> None:
    slot = club.slot(starts_in=3 * H)
    ana = club.player("Ana")
    club.ask(ana, slot)
    (ben,) = waiting_behind(club, slot, "Ben")
    match, waitlist = club.app.get_match(slot), club.app.get_waitlist(slot)
    deadlines = [(t.due_at, t.kind) for t in timers_for(match, waitlist, club.clock.now())]
    assert (match.kickoff_at, TimerKind.APPROVAL_DEADLINE) in deadlines
    club.clock.advance(3 * H)
    club.app.fire_timer(slot, "approval_deadline")
    assert status(club, slot, ana) == "OUT" and status(club, slot, ben) == "OUT"
    (expired,) = events_of(club, slot, "BookingRequestExpired")
    assert expired.reason == STARTED_REASON
    with pytest.raises(InvalidTransition):
        club.app.approve_request(slot, ana.player_id)
    match, waitlist = club.app.get_match(slot), club.app.get_waitlist(slot)
    left = timers_for(match, waitlist, club.clock.now())
    assert TimerKind.APPROVAL_DEADLINE not in [t.kind for t in left]


def test_moving_a_pending_booking_takes_its_waiting_carts_along(club: Club) -> None:
    court1, court2 = club.slot("Court 1"), club.slot("Court 2")
    ana = club.player("Ana")
    club.ask(ana, court1)
    ben, cy = waiting_behind(club, court1, "Ben", "Cy")
    club.app.move_booking(court1, ana.player_id, to_match_id=court2)
    assert status(club, court2, ana) == "HELD" and status(club, court1, ana) == "OUT"
    assert queue_of(club, court2) == [ben.player_id, cy.player_id]
    assert queue_of(club, court1) == [] and club.app.get_match(court1).free_places == 1
    carts = [e.cart for e in club.app.get_waitlist(court2).queue]
    assert {c.court for c in carts} == {"Court 2"}  # type: ignore[union-attr]
    # Approving the moved booking cancels the carts that followed it.
    club.app.approve_request(court2, ana.player_id)
    assert queue_of(club, court2) == []


def test_a_failure_mid_conversion_leaves_nothing_half_done(
    club: Club, monkeypatch: pytest.MonkeyPatch
) -> None:
    slot = club.slot()
    ana = club.player("Ana")
    club.ask(ana, slot)
    ben, cy = waiting_behind(club, slot, "Ben", "Cy")
    before = len(list(club.app.events.get(slot))), len(queue_of(club, slot))
    real = Match.request_booking

    def broken(self: Match, **kwargs: Any) -> None:
        if kwargs.get("converted_from") is not None:
            raise RuntimeError("disk full")
        real(self, **kwargs)

    monkeypatch.setattr(Match, "request_booking", broken)
    with pytest.raises(RuntimeError):
        club.app.reject_request(slot, ana.player_id)
    monkeypatch.undo()
    # Neither the rejection nor the half-made conversion was written.
    assert (len(list(club.app.events.get(slot))), len(queue_of(club, slot))) == before
    assert status(club, slot, ana) == "HELD"
    assert queue_of(club, slot) == [ben.player_id, cy.player_id]
    club.app.reject_request(slot, ana.player_id)
    assert status(club, slot, ben) == "HELD"


def test_check_in_once_and_never_for_a_cancelled_booking(club: Club) -> None:
    slot = club.slot()
    ana, ben = club.players("Ana", "Ben")
    club.ask(ana, slot)
    seq = club.app.get_match(slot).roster.get(ana.player_id).placed_seq  # type: ignore[union-attr]
    with pytest.raises(InvalidTransition, match="isn't confirmed"):
        club.app.check_in(slot, ana.player_id, seq)
    club.app.approve_request(slot, ana.player_id)
    first = club.app.check_in(slot, ana.player_id, seq).value
    assert first.player_name == "Ana"
    with pytest.raises(InvalidTransition, match="Already checked in") as again:
        club.app.check_in(slot, ana.player_id, seq)
    assert again.value.data["checked_in_at"] == first.checked_in_at.isoformat()
    # A code of a booking that was withdrawn is refused.
    other = club.slot("Court 2")
    club.ask(ben, other)
    ben_seq = club.app.get_match(other).roster.get(ben.player_id).placed_seq  # type: ignore[union-attr]
    club.app.withdraw_request(other, phone=ben.phone)
    with pytest.raises(InvalidTransition, match="cancelled"):
        club.app.check_in(other, ben.player_id, ben_seq)


def test_cancelling_a_slot_ends_its_requests_and_carts(club: Club) -> None:
    slot = club.slot()
    ana = club.player("Ana")
    club.ask(ana, slot)
    (ben,) = waiting_behind(club, slot, "Ben")
    club.app.cancel_match(slot, reason="Rain")
    assert status(club, slot, ana) == "OUT" and status(club, slot, ben) == "OUT"
    assert queue_of(club, slot) == []


def test_only_court_slots_take_requests(club: Club) -> None:
    game = club.match(capacity=4)
    ana = club.player("Ana")
    with pytest.raises(InvalidTransition, match="court slot"):
        club.ask(ana, game.match_id)


def test_organiser_steps_keep_a_request_whole(club: Club) -> None:
    ten, eleven = club.slot("Court 1"), club.slot("Court 1", starts_in=timedelta(days=2) + H)
    ana, ben, cy, dee = club.players("Ana", "Ben", "Cy", "Dee")
    club.ask(ana, ten, eleven)
    club.ask(ben, eleven)
    # Locking keeps requests decidable.
    club.app.lock_pool(ten)
    assert status(club, ten, ana) == "HELD"
    # Cancelling one slot rejects the whole request; the other slot goes to its queue.
    club.app.cancel_match(ten, reason="Flooded")
    assert (status(club, ten, ana), status(club, eleven, ana)) == ("OUT", "OUT")
    assert status(club, eleven, ben) == "HELD"
    # A cut below what the slot holds is refused: a request loses no slot to it.
    starts = club.clock.now() + timedelta(days=3)
    doubles = club.app.schedule_slot(
        court="Court 3", sport="tennis", starts_at=starts, ends_at=starts + H, capacity=2
    ).value
    club.ask(cy, doubles)
    club.ask(dee, doubles)
    with pytest.raises(InvalidTransition, match="before cutting its places"):
        club.app.change_capacity(doubles, 1)
    # An admin adding a member with a request approves all of it.
    one, two = club.slot("Court 2"), club.slot("Court 2", starts_in=timedelta(days=2) + H)
    club.ask(cy, one, two)
    club.app.add_player_to_match(one, cy.player_id)
    assert (status(club, one, cy), status(club, two, cy)) == ("IN", "IN")
