"""Free places and the offers made for them (seed 004 §4, §7; domain.md first_to_claim).

Every command on a match starts with ``catch_up``, which applies what time has
already decided (grace over, offers expired) in case a timer has not run yet.
Every command that can change the free places or the queue then ends with
``fill_free_places``, which brings the open offers in line with them (locking
and cancelling end every open offer instead; a change of invite mode or the
last lifecycle steps change neither). So the offer state is a function of the
match state and the clock, however late the timers are.
"""

from __future__ import annotations

from datetime import datetime

from booking_domain import approvals, payment_window, policies
from booking_domain.errors import InvalidTransition
from booking_domain.match import Match
from booking_domain.queue_entries import Offer
from booking_domain.values import MatchState, OfferMode
from booking_domain.waitlist import Waitlist

SYSTEM = "system"


def is_instant_claim(match: Match, now: datetime) -> bool:
    """Under 30 minutes to kick-off freed places go to the first tap (seed 004 §7).

    Only where places are claimed, not paid for or approved.
    """
    return (
        match.offer_mode == OfferMode.FIRST_TO_CLAIM
        and now < match.kickoff_at
        and policies.offer_ttl(match.kickoff_at, now) is None
    )


def catch_up(match: Match, waitlist: Waitlist, now: datetime, *, offer: bool = True) -> None:
    """Apply every deadline that has passed, in the order the deadlines fell due.

    Deadlines falling due at the same moment are applied together: offers
    expiring pass their players over for the round, grace periods ending free
    their places and start a new round, then the free places are offered once.
    This leaves the state the timers would have left had they run on time.
    ``offer=False`` when the command is about to close booking anyway:
    deadlines are recorded, nothing is offered.
    """
    while (moment := next_deadline(match, waitlist)) is not None and moment <= now:
        for due in [o for o in waitlist.offers if o.expires_at <= moment]:
            waitlist.expire(offer=due, now=now)
        ended = [e.player_id for e in match.roster.in_grace() if e.grace_until == moment]
        for player_id in ended:
            match.finalise_dropout(player_id=player_id, reason="grace_ended", actor=SYSTEM, now=now)
        if ended:
            place_freed(match, waitlist, now, reason="dropout", offer=offer)
        elif offer:
            fill_free_places(match, waitlist, now, reason="cascade")


def place_freed(
    match: Match, waitlist: Waitlist, now: datetime, *, reason: str, offer: bool = True
) -> None:
    """A place has just come free: everyone waiting may be offered it (a new round)."""
    if match.free_places > 0:
        waitlist.close_round(reason=reason, now=now)
    if offer:
        fill_free_places(match, waitlist, now, reason=reason)
        if match.instant_claim_started_at is not None and _first_tap_open(match, now):
            match.put_up_for_grabs(
                player_ids=waitlist.waiting(),
                free_places=match.free_places,
                reason=reason,
                now=now,
            )


def _first_tap_open(match: Match, now: datetime) -> bool:
    return match.free_places > 0 and match.is_booking_open() and is_instant_claim(match, now)


def next_deadline(match: Match, waitlist: Waitlist) -> datetime | None:
    """The earliest deadline of this match (a grace end, an offer expiry), if any."""
    times = [e.grace_until for e in match.roster.in_grace() if e.grace_until is not None]
    times += [o.expires_at for o in waitlist.offers]
    return min(times) if times else None


def fill_free_places(
    match: Match,
    waitlist: Waitlist,
    now: datetime,
    *,
    reason: str = "place_free",
    when_full: str = "spot_filled",
) -> list[Offer]:
    """Bring the offers in line with the free places (first_to_claim; paid places
    are ``payment_window.fill_paid_places``'s).

    Full → every open offer ends (``when_full``: spot filled, capacity cut, …)
    and the round starts afresh.
    Booking closed → open offers end. Otherwise the head of the queue gets
    offers until ``offers_to_issue`` are open, each lasting ``offer_ttl``; fewer
    places than before → the offers furthest back in the queue end. Under 30
    minutes to kick-off nobody gets an offer: first tap wins.
    """
    if match.offer_mode == OfferMode.PAYMENT_WINDOW:
        if not match.is_booking_open():
            waitlist.supersede_all(reason=_closed_reason(match), now=now)
        return payment_window.fill_paid_places(match, waitlist, now, reason=reason)
    if match.offer_mode == OfferMode.APPROVAL:
        # Court slots offer nothing: the head's waiting cart becomes a request.
        approvals.convert_heads(match, waitlist, now)
        return []
    if match.offer_mode != OfferMode.FIRST_TO_CLAIM:
        raise InvalidTransition(f"Offer mode {match.offer_mode} is not available yet.")
    if match.free_places <= 0:
        waitlist.supersede_all(reason=when_full, now=now)
        waitlist.close_round(reason=when_full, now=now)
        return []
    if not match.is_booking_open():
        waitlist.supersede_all(reason=_closed_reason(match), now=now)
        return []
    wanted = policies.offers_to_issue(match.free_places, match.offer_fanout)
    waitlist.supersede_beyond(count=wanted, reason="fewer_places", now=now)
    ttl = policies.offer_ttl(match.kickoff_at, now)
    if ttl is None:
        return []
    chosen = waitlist.candidates()[: max(0, wanted - len(waitlist.offers))]
    return waitlist.issue_offers(
        player_ids=chosen,
        expires_at=now + ttl,
        free_places=match.free_places,
        reason=reason,
        now=now,
    )


def _closed_reason(match: Match) -> str:
    if not match.booking_enabled:
        return "booking_disabled"
    return {
        MatchState.POOL_LOCKED: "pool_locked",
        MatchState.CANCELLED: "match_cancelled",
    }.get(match.state, str(match.state).lower())
