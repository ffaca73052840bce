"""Court slots that need approval (seed 002; domain.md "Approval mode"): the rules.

A request may span several slots; ``load`` gives each slot's match and
waitlist, and the application saves every one the decision touched in one
atomic write, so a request is approved, rejected or withdrawn as a whole or
not at all. Two admins deciding the same request at once change the same
aggregates: the second write is refused, rerun, and finds it decided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from booking_domain import payment_window
from booking_domain.carts import (
    APPROVED_REASON,
    CANCELLED_REASON,
    STARTED_REASON,
    CartSnapshot,
    PendingBooking,
)
from booking_domain.errors import InvalidTransition, MatchFull, ValidationError
from booking_domain.match import Match
from booking_domain.values import Admission, Booker, Source, Status
from booking_domain.waitlist import Waitlist

SYSTEM = "system"
Load = Callable[[UUID], tuple[Match, Waitlist]]


@dataclass(frozen=True)
class SlotAnswer:
    """Where one slot of a request stands: HELD (awaiting approval) or WAITLIST."""

    match_id: UUID
    status: Status
    waitlist_position: int | None
    request_id: UUID
    cart: CartSnapshot


def ensure_slot(match: Match) -> None:
    if match.admission != Admission.APPROVAL or match.slot is None:
        raise InvalidTransition("This session isn't a court slot that takes requests.")


def request(
    load: Load,
    booker: Booker,
    parts: Sequence[tuple[UUID, Mapping[str, Any] | None]],
    request_id: UUID,
    source: str,
    now: datetime,
    *,
    queue_when_held: bool = True,
) -> list[SlotAnswer]:
    """Hold each free slot for this request; queue with its own cart behind each held one.

    Asking again with the same request id changes nothing (a retry, a double
    click). Every slot is checked before anything changes.
    """
    if not parts:
        raise ValidationError("slots", "choose at least one slot")
    if len({mid for mid, _ in parts}) != len(parts):
        raise ValidationError("slots", "choose each slot once")
    pid = booker.player_id
    plan: list[tuple[Match, Waitlist, CartSnapshot, str]] = []
    for match_id, sent in parts:
        match, waitlist = load(match_id)
        ensure_slot(match)
        match.ensure_open_for_players(now)
        match.ensure_tier_open(booker, now)
        cart = match.cart_snapshot()
        cart.check_matches(sent)
        plan.append((match, waitlist, cart, _step(match, waitlist, pid, request_id, cart)))
    repeats = [step for *_, step in plan if step in ("held", "queued")]
    if repeats and len(repeats) != len(plan):
        raise ValidationError("request_id", "is already used for other slots")
    if not queue_when_held and any(step == "queue" for *_, step in plan):
        waitlist = next(w for _, w, _, step in plan if step == "queue")
        raise MatchFull(waitlist.size + 1)
    holding = [m.id for m, _, _, step in plan if step in ("hold", "held")]
    for match, waitlist, cart, step in plan:
        if step == "hold":
            match.request_booking(
                player_id=pid,
                request_id=request_id,
                cart=cart,
                slots=holding,
                source=source,
                now=now,
            )
        elif step == "queue":
            waitlist.queue_cart(
                player_id=pid, request_id=request_id, cart=cart, source=source, now=now
            )
            match.mark_waitlisted(player_id=pid, source=source, now=now)
    return [_answer(m, w, pid, request_id, cart) for m, w, cart, _ in plan]


def _step(match: Match, waitlist: Waitlist, pid: UUID, request_id: UUID, cart: CartSnapshot) -> str:
    """What this request does on this slot: hold / queue, or nothing new (held / queued)."""
    pending = match.pending_of(pid)
    entry = waitlist.entry_of(pid)
    if pending is not None and pending.request_id == request_id:
        return "held"
    if entry is not None and entry.request_id == request_id:
        return "queued"
    if match.status_of(pid) == Status.IN:
        raise InvalidTransition(f"You've already booked {cart.describe()}.")
    if pending is not None or match.status_of(pid) == Status.HELD:
        raise InvalidTransition(f"You already have a request pending for {cart.describe()}.")
    if entry is not None:
        raise InvalidTransition(f"You're already on the waitlist for {cart.describe()}.")
    return "hold" if match.free_places > waitlist.size else "queue"


def _answer(
    match: Match, waitlist: Waitlist, pid: UUID, request_id: UUID, cart: CartSnapshot
) -> SlotAnswer:
    return SlotAnswer(match.id, match.status_of(pid), waitlist.position_of(pid), request_id, cart)


def pending_request(match: Match, player_id: UUID) -> PendingBooking:
    """This player's undecided request on this slot, or why there is none."""
    pending = match.pending_of(player_id)
    if pending is not None:
        return pending
    status = match.status_of(player_id)
    if status == Status.IN:
        raise InvalidTransition("This request was already approved.")
    if status in (Status.OUT, Status.WAITLIST):
        raise InvalidTransition("This request is no longer pending.")
    raise InvalidTransition("There's no request from this member for this slot.")


def _slots_of(load: Load, pending: PendingBooking) -> list[tuple[Match, Waitlist]]:
    return [load(match_id) for match_id in pending.slots]


def approve(
    load: Load, match_id: UUID, player_id: UUID, reason: str, actor: str, now: datetime
) -> PendingBooking:
    """Approve the request on every slot it holds; a slot now full cancels its queue."""
    pending = pending_request(load(match_id)[0], player_id)
    slots = _slots_of(load, pending)
    for match, _ in slots:
        if match.kickoff_at <= now:
            raise InvalidTransition("This request has expired: its slot has started.")
    for match, waitlist in slots:
        match.approve_booking(
            player_id=player_id, request_id=pending.request_id, reason=reason, actor=actor, now=now
        )
        if match.free_places <= 0:
            cancel_waiting(match, waitlist, APPROVED_REASON, actor, now)
    return pending


def reject(
    load: Load, match_id: UUID, player_id: UUID, reason: str, actor: str, now: datetime
) -> PendingBooking:
    """Reject the request on every slot it holds; each freed slot goes to its queue's head."""
    return _end(load, match_id, player_id, "rejected", reason, actor, now)


def withdraw(load: Load, match_id: UUID, player_id: UUID, actor: str, now: datetime) -> None:
    """The member takes back their request (every slot it holds) or their waiting cart."""
    match, waitlist = load(match_id)
    if match.pending_of(player_id) is not None:
        _end(load, match_id, player_id, "withdrawn", "withdrawn by the member", actor, now)
    elif player_id in waitlist:
        waitlist.cancel_cart(
            player_id=player_id, reason="withdrawn by the member", actor=actor, now=now
        )
        match.mark_out(player_id=player_id, flexible=False, source=Source.SYSTEM, now=now)
    else:
        raise InvalidTransition("You have no request waiting for this slot.")


def _end(
    load: Load,
    match_id: UUID,
    player_id: UUID,
    outcome: str,
    reason: str,
    actor: str,
    now: datetime,
) -> PendingBooking:
    pending = pending_request(load(match_id)[0], player_id)
    slots = _slots_of(load, pending)
    for match, _ in slots:
        match.end_pending(
            player_id=player_id,
            request_id=pending.request_id,
            outcome=outcome,
            reason=reason,
            actor=actor,
            now=now,
        )
    for match, waitlist in slots:
        convert_heads(match, waitlist, now)
    return pending


def convert_heads(match: Match, waitlist: Waitlist, now: datetime) -> None:
    """Free places go to the head of the queue, in order: each waiting cart becomes a
    new pending request carrying its own snapshot; the rest stay queued behind it."""
    payment_window.reinstate_bumped(match, waitlist, now)
    while (
        match.free_places > 0
        and waitlist.queue
        and not waitlist.queue[0].bumped
        and match.is_booking_open()
        and now < match.kickoff_at
    ):
        head = waitlist.queue[0]
        new_id = waitlist.converted_request_id(head)
        waitlist.convert_head(now=now)
        match.request_booking(
            player_id=head.player_id,
            request_id=new_id,
            cart=head.cart or match.cart_snapshot(),
            slots=[match.id],
            source=SYSTEM,
            now=now,
            converted_from=head.request_id,
        )


def cancel_waiting(
    match: Match, waitlist: Waitlist, reason: str, actor: str, now: datetime
) -> None:
    for entry in waitlist.cancel_carts(reason=reason, actor=actor, now=now):
        match.mark_out(player_id=entry.player_id, flexible=False, source=Source.SYSTEM, now=now)


def expire_started(load: Load, match_id: UUID, now: datetime) -> None:
    """At the slot's start: undecided requests lapse (all their slots) and waiting carts end."""
    match, waitlist = load(match_id)
    if now < match.kickoff_at:
        return
    for player_id, _ in match.pending_bookings():
        if match.pending_of(player_id) is not None:
            _end(load, match_id, player_id, "expired", STARTED_REASON, SYSTEM, now)
    cancel_waiting(match, waitlist, STARTED_REASON, SYSTEM, now)


def close_slot(load: Load, match_id: UUID, actor: str, now: datetime) -> None:
    """The slot was cancelled: each request pending on it is rejected as a whole (its
    other slots go to their queues' heads) and the slot's waiting carts end."""
    match, waitlist = load(match_id)
    if match.admission != Admission.APPROVAL:
        return
    for player_id, _ in match.pending_bookings():
        if match.pending_of(player_id) is not None:
            _end(load, match_id, player_id, "rejected", CANCELLED_REASON, actor, now)
    cancel_waiting(match, waitlist, CANCELLED_REASON, actor, now)


def move(
    load: Load, from_id: UUID, player_id: UUID, to_id: UUID, actor: str, now: datetime
) -> PendingBooking:
    """The admin moves a pending booking to another free slot; its waiting carts follow
    it there, in order, each told the slot changed (seed 002 "court change sync")."""
    if to_id == from_id:
        raise ValidationError("to_match_id", "is the slot the booking is already in")
    source, source_queue = load(from_id)
    pending = pending_request(source, player_id)
    target, target_queue = load(to_id)
    ensure_slot(target)
    target.ensure_open_for_players(now)
    if target.free_places <= 0 or target_queue.size:
        raise InvalidTransition("That slot isn't free.")
    if target.status_of(player_id) in (Status.IN, Status.HELD) or player_id in target_queue:
        raise InvalidTransition("That member already has that slot.")
    source.move_away(
        player_id=player_id, request_id=pending.request_id, to_match_id=to_id, actor=actor, now=now
    )
    target.request_booking(
        player_id=player_id,
        request_id=pending.request_id,
        cart=target.cart_snapshot(),
        slots=[to_id if s == from_id else s for s in pending.slots],
        source=Source.ADMIN,
        now=now,
        converted_from=pending.converted_from,
        moved_from=from_id,
    )
    for other in pending.slots:
        if other != from_id:
            load(other)[0].note_slot_moved(
                player_id=player_id,
                request_id=pending.request_id,
                from_match_id=from_id,
                to_match_id=to_id,
                now=now,
            )
    _carts_follow(source, source_queue, target, target_queue, actor, now)
    return pending


def _carts_follow(
    source: Match, source_queue: Waitlist, target: Match, target_queue: Waitlist,
    actor: str, now: datetime,
) -> None:  # fmt: skip
    for entry in list(source_queue.queue):
        if target.status_of(entry.player_id) in (Status.IN, Status.HELD):
            source_queue.cancel_cart(
                player_id=entry.player_id,
                reason="The slot moved to one you already have",
                actor=actor,
                now=now,
            )
            source.mark_out(player_id=entry.player_id, flexible=False, source=SYSTEM, now=now)
    cart = target.cart_snapshot()
    for entry in source_queue.move_carts(to_match_id=target.id, actor=actor, now=now):
        source.mark_out(player_id=entry.player_id, flexible=False, source=SYSTEM, now=now)
        target_queue.queue_cart(
            player_id=entry.player_id,
            request_id=entry.request_id or target_queue.converted_request_id(entry),
            cart=cart,
            source=SYSTEM,
            now=now,
            moved_from=source.id,
        )
        target.mark_waitlisted(player_id=entry.player_id, source=SYSTEM, now=now)
