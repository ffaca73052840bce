"""Paid places (seed 000; domain.md ``payment_window``): rules over a match and its waitlist.

A freed place in a priced match is offered to the head of the queue (or to
the entry an admin promotes), one offer per free place, and held for that
player while they pay. Paying confirms the place; an offer that ends unpaid
(expired, declined, superseded) releases its hold, and with auto-promote on
the next in line is offered it. Holds follow offers: whatever ends an offer,
``release_ended_holds`` lets its place go in the same write.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from booking_domain import policies
from booking_domain.errors import InvalidTransition, NotFound
from booking_domain.match import Match
from booking_domain.queue_entries import Offer
from booking_domain.values import Status
from booking_domain.waitlist import Waitlist

SYSTEM = "system"


class PaymentDecision(StrEnum):
    """What a payment that came through did (``take_payment``)."""

    CONFIRMED = "confirmed"  # paid in time: the held place is the player's
    LATE_CONFIRMED = "late_confirmed"  # paid after the offer ended, and a place was free
    ALREADY_BOOKED = "already_booked"  # the player already has their place: refund
    PLACE_GONE = "place_gone"  # the offer ended and no place is free: refund
    BOOKING_CLOSED = "booking_closed"  # locked, cancelled, kicked off: refund


#: Decisions that send the money back.
REFUNDED = (
    PaymentDecision.ALREADY_BOOKED,
    PaymentDecision.PLACE_GONE,
    PaymentDecision.BOOKING_CLOSED,
)


def release_ended_holds(match: Match, waitlist: Waitlist, now: datetime) -> None:
    """Every held place whose paid offer has ended is let go.

    The player goes back to WAITLIST when still queued (expiry, supersession:
    they keep their place in the queue), else OUT.
    """
    holding = {o.player_id for o in waitlist.holding_offers()}
    for player_id in match.held_players():
        if player_id in holding or match.pending_of(player_id) is not None:
            continue  # an open paid offer's, or a court request awaiting approval
        entry = waitlist.entry_of(player_id)
        reason = (entry.last_offer_reason if entry else None) or "offer_ended"
        to_status = Status.WAITLIST if entry else Status.OUT
        match.release_hold(player_id=player_id, reason=reason, to_status=to_status, now=now)


def reinstate_bumped(match: Match, waitlist: Waitlist, now: datetime) -> None:
    """Players a capacity cut demoted get free places back first, directly (domain.md
    "Capacity changes") — in a paid match they may have paid already, so they are
    never asked to pay again. One holding a place is given it."""
    for player_id in waitlist.bumped_players():
        held = match.status_of(player_id) == Status.HELD
        if match.free_places <= 0 and not held:
            break
        waitlist.reinstate(player_id=player_id, now=now)
        if held:
            match.release_hold(
                player_id=player_id, reason="reinstated", to_status=Status.WAITLIST, now=now
            )
        match.reinstate(player_id=player_id, now=now)


def fill_paid_places(
    match: Match,
    waitlist: Waitlist,
    now: datetime,
    *,
    reason: str,
    promoted_by: str = SYSTEM,
    force: bool = False,
) -> list[Offer]:
    """Bring paid offers in line with the free places.

    Ended offers release their holds (``offers.fill_free_places`` has ended
    every open offer if booking is closed); then, with auto-promote on (or
    ``force``: the admin's "Send new offers"), the head
    of the queue gets one offer per free place, each holding its place until
    ``payment_window_end``.
    """
    release_ended_holds(match, waitlist, now)
    if not match.is_booking_open():
        return []
    reinstate_bumped(match, waitlist, now)
    if not (match.auto_promote or force):
        return []
    free = match.free_places
    until = policies.payment_window_end(match.kickoff_at, now, match.payment_window_minutes)
    if free <= 0 or until is None:
        return []
    return _offer_and_hold(
        match, waitlist, waitlist.candidates()[:free], until, reason, promoted_by, now
    )


def promote(match: Match, waitlist: Waitlist, player_id: UUID, actor: str, now: datetime) -> Offer:
    """The admin offers a free place to a waiting player they choose (seed 000)."""
    match.ensure_open_for_players(now)
    if player_id not in waitlist:
        raise NotFound("That player isn't on the waitlist.")
    if waitlist.open_offer_for(player_id) is not None:
        raise InvalidTransition("That player already has an open offer.")
    if match.free_places <= 0:
        raise InvalidTransition("No place is free to offer — every place is booked or held.")
    until = policies.payment_window_end(match.kickoff_at, now, match.payment_window_minutes)
    if until is None:
        raise InvalidTransition("Too close to kick-off for a paid offer.")
    (offer,) = _offer_and_hold(match, waitlist, [player_id], until, "promoted", actor, now)
    return offer


def _offer_and_hold(
    match: Match,
    waitlist: Waitlist,
    player_ids: list[UUID],
    until: datetime,
    reason: str,
    promoted_by: str,
    now: datetime,
) -> list[Offer]:
    offers = waitlist.issue_paid_offers(
        player_ids=player_ids, expires_at=until, reason=reason, promoted_by=promoted_by, now=now
    )
    for offer in offers:
        match.hold_place(player_id=offer.player_id, offer_id=offer.offer_id, until=until, now=now)
    return offers


def decline(match: Match, waitlist: Waitlist, offer: Offer, by: str, now: datetime) -> None:
    """Decline offer: it ends, the hold is released, the player leaves the waitlist."""
    waitlist.leave(player_id=offer.player_id, reason="declined", actor=by, now=now)
    if match.status_of(offer.player_id) == Status.HELD:
        match.release_hold(
            player_id=offer.player_id, reason="declined", to_status=Status.OUT, now=now
        )


def take_payment(
    match: Match, waitlist: Waitlist, player_id: UUID, payment_id: UUID, now: datetime
) -> PaymentDecision:
    """Money came for this player's place; decide what it buys (never an oversell).

    Their open paid offer, if they hold a place: it is accepted. Otherwise the
    payment came after the offer ended: it is honoured if a place is free and
    booking is still open, and refunded if not, or if they are already IN.
    """
    offer = waitlist.open_offer_for(player_id)
    status = match.status_of(player_id)
    if offer is not None and offer.holds and status == Status.HELD:
        waitlist.accept(offer=offer, payment_id=payment_id, now=now)
        match.confirm_hold(player_id=player_id, payment_id=payment_id, now=now)
        return PaymentDecision.CONFIRMED
    if status == Status.IN:
        return PaymentDecision.ALREADY_BOOKED
    if not match.is_booking_open() or now >= match.kickoff_at:
        return PaymentDecision.BOOKING_CLOSED
    if match.free_places <= 0:
        return PaymentDecision.PLACE_GONE
    waitlist.leave(player_id=player_id, reason="paid_late", actor=SYSTEM, now=now, declined=False)
    match.book(player_id=player_id, source=SYSTEM, via="late_payment", now=now)
    return PaymentDecision.LATE_CONFIRMED
