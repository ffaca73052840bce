"""Rules that span a Match and its Waitlist (domain.md, "Aggregates").

Each function here is one command's decision. It is given both aggregates,
changes them through their own methods (which guard their own invariants) and
leaves the pending events for the application to save in one atomic write.
Every function ends by ``fill_free_places``, so free places are always offered
the way the match's offer mode says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from booking_domain import policies
from booking_domain.errors import (
    InvalidTransition,
    MatchFull,
    NoOffer,
    OfferExpired,
    RingerBlocked,
    SpotFilled,
)
from booking_domain.match import Match
from booking_domain.values import (
    Action,
    Booker,
    ClubPolicy,
    OfferMode,
    OfferOutcome,
    Source,
    Status,
)
from booking_domain.waitlist import Offer, Waitlist

SYSTEM = "system"


@dataclass(frozen=True)
class PlayerStanding:
    """Where a player stands in a match: what the booking page shows them."""

    status: Status
    waitlist_position: int | None
    offer: Offer | None
    in_grace_until: datetime | None
    out_flexible: bool
    instant_claim: bool


def standing(match: Match, waitlist: Waitlist, player_id: UUID, now: datetime) -> PlayerStanding:
    entry = match.roster.get(player_id)
    return PlayerStanding(
        status=match.status_of(player_id),
        waitlist_position=waitlist.position_of(player_id),
        offer=waitlist.open_offer_for(player_id),
        in_grace_until=entry.grace_until if entry else None,
        out_flexible=entry.out_flexible if entry else False,
        instant_claim=is_instant_claim(match, now),
    )


def is_instant_claim(match: Match, now: datetime) -> bool:
    """Under 30 minutes to kick-off freed places go to the first tap (seed 004 §7)."""
    return now < match.kickoff_at and policies.offer_ttl(match.kickoff_at, now) is None


def check_self_booking(booker: Booker, policy: ClubPolicy, match: Match, action: Action) -> None:
    """Ringers book themselves only when the club allows it (seed 004 §7).

    A ringer the organiser added may still tell us they are OUT.
    """
    if not booker.is_ringer or policy.enable_ringer_self_book:
        return
    if action == Action.OUT and match.status_of(booker.player_id) != Status.PENDING:
        return
    raise RingerBlocked()


# ------------------------------------------------------------------ responses


def respond(
    match: Match,
    waitlist: Waitlist,
    booker: Booker,
    action: Action,
    now: datetime,
    *,
    source: str = Source.WEB,
    out_flexible: bool = False,
) -> None:
    """A player's IN / OUT / WAITLIST / MAYBE (seed 004 §5.2), idempotent per player."""
    match.ensure_open_for_players(now)
    if action == Action.IN:
        _say_in(match, waitlist, booker, now, source)
    elif action == Action.WAITLIST:
        _join_waitlist(match, waitlist, booker, now, source)
    else:
        to_status = Status.OUT if action == Action.OUT else Status.MAYBE
        _step_back(match, waitlist, booker.player_id, to_status, out_flexible, now, source)
    fill_free_places(match, waitlist, now)


def _say_in(match: Match, waitlist: Waitlist, booker: Booker, now: datetime, source: str) -> None:
    pid = booker.player_id
    entry = match.roster.get(pid)
    if entry is not None and entry.in_grace:
        match.retract_dropout(player_id=pid, source=source, now=now)
        return
    if entry is not None and entry.status == Status.IN:
        return
    if pid in waitlist:
        _claim_for_queued(match, waitlist, pid, now, saying_in=True)
        return
    match.ensure_tier_open(booker, now)
    if not _directly_bookable(match, waitlist, now):
        raise MatchFull(waitlist.size + 1)
    match.book(player_id=pid, source=source, via="direct", now=now)


def _directly_bookable(match: Match, waitlist: Waitlist, now: datetime) -> bool:
    """A free place nobody in the queue has first call on, or first-tap-wins time."""
    if match.free_places <= 0:
        return False
    return is_instant_claim(match, now) or not waitlist.blocks_direct_booking()


def _join_waitlist(
    match: Match, waitlist: Waitlist, booker: Booker, now: datetime, source: str
) -> None:
    pid = booker.player_id
    entry = match.roster.get(pid)
    if entry is not None and entry.in_grace:
        raise InvalidTransition("Your place is still held for you — tap IN to keep it.")
    if entry is not None and entry.status in (Status.IN, Status.HELD):
        raise InvalidTransition("You're already IN — no need to queue.")
    if pid in waitlist:
        return
    match.ensure_tier_open(booker, now)
    if _directly_bookable(match, waitlist, now):
        raise InvalidTransition(
            f"{match.free_places} spots left — tap IN to secure yours.",
        )
    waitlist.join(player_id=pid, source=source, now=now)
    match.mark_waitlisted(player_id=pid, source=source, now=now)


def _step_back(
    match: Match,
    waitlist: Waitlist,
    pid: UUID,
    to_status: Status,
    out_flexible: bool,
    now: datetime,
    source: str,
) -> None:
    """OUT or MAYBE: an IN starts grace; a queued player leaves the queue."""
    entry = match.roster.get(pid)
    flexible = out_flexible and to_status == Status.OUT
    if entry is not None and entry.status == Status.IN:
        match.drop_out(
            player_id=pid, to_status=to_status, flexible=flexible, source=source, now=now
        )
        return
    if pid in waitlist:
        waitlist.leave(player_id=pid, reason=f"said {to_status}", actor="player", now=now)
    if to_status == Status.OUT:
        match.mark_out(player_id=pid, flexible=flexible, source=source, now=now)
    else:
        match.mark_maybe(player_id=pid, source=source, now=now)


# --------------------------------------------------------------------- claims


def claim(match: Match, waitlist: Waitlist, player_id: UUID, now: datetime) -> None:
    """Claim a freed place from the waitlist: first claim wins (seed 004 §7)."""
    match.ensure_open_for_players(now)
    if match.status_of(player_id) == Status.IN:
        return
    if player_id not in waitlist:
        raise NoOffer()
    _claim_for_queued(match, waitlist, player_id, now)
    fill_free_places(match, waitlist, now)


def _claim_for_queued(
    match: Match, waitlist: Waitlist, pid: UUID, now: datetime, *, saying_in: bool = False
) -> None:
    offer = waitlist.open_offer_for(pid)
    if offer is not None and match.free_places > 0:
        waitlist.claim(player_id=pid, now=now)
        match.book(player_id=pid, source="offer", via="offer", now=now)
        return
    if _directly_bookable(match, waitlist, now):
        why = "instant_claim" if is_instant_claim(match, now) else "open_place"
        waitlist.claim_without_offer(player_id=pid, why=why, now=now)
        match.book(player_id=pid, source="offer", via=why, now=now)
        return
    entry = waitlist.entry_of(pid)
    assert entry is not None
    if entry.last_offer == OfferOutcome.EXPIRED:
        raise OfferExpired()
    if entry.last_offer_reason == "spot_filled":
        raise SpotFilled()
    if saying_in or match.free_places <= 0:
        # Their turn has not come: they stay where they are in the queue.
        raise MatchFull(waitlist.position_of(pid) or waitlist.size + 1, already_queued=True)
    raise NoOffer()


# ------------------------------------------------------------- admin actions


def admin_add(match: Match, waitlist: Waitlist, player_id: UUID, actor: str, now: datetime) -> None:
    """Manual add always works and consumes a place (seed 004 §7)."""
    entry = match.roster.get(player_id)
    if entry is not None and entry.in_grace:
        match.retract_dropout(player_id=player_id, source=Source.ADMIN, now=now)
    else:
        if player_id in waitlist:
            waitlist.leave(player_id=player_id, reason="added by admin", actor=actor, now=now)
        match.admin_add(player_id=player_id, actor=actor, now=now)
    fill_free_places(match, waitlist, now, when_full="admin_added")


def change_capacity(
    match: Match, waitlist: Waitlist, capacity: int, actor: str, now: datetime
) -> None:
    """Capacity down demotes the latest INs to the head; up reinstates them first."""
    old_capacity = match.capacity
    if not match.change_capacity(capacity=capacity, actor=actor, now=now):
        return
    if capacity < old_capacity:
        excess = match.places_taken - capacity
        if excess > 0:
            _shrink(match, waitlist, excess, now)
        fill_free_places(match, waitlist, now, when_full="capacity_reduced")
        return
    for pid in waitlist.bumped_players():
        if match.free_places <= 0:
            break
        waitlist.reinstate(player_id=pid, now=now)
        match.reinstate(player_id=pid, now=now)
    fill_free_places(match, waitlist, now, reason="capacity_raised")


def _shrink(match: Match, waitlist: Waitlist, excess: int, now: datetime) -> None:
    # Places reserved for dropouts in grace go first: those players said OUT.
    graced = sorted(match.roster.in_grace(), key=lambda e: e.since, reverse=True)
    for entry in graced[:excess]:
        match.finalise_dropout(
            player_id=entry.player_id, reason="capacity_reduced", actor=SYSTEM, now=now
        )
        excess -= 1
    victims = match.latest_placed(excess)
    for pid in victims:
        match.demote(player_id=pid, reason="capacity_reduced", now=now)
    waitlist.bump_to_head(player_ids=victims, reason="capacity_reduced", now=now)


def release_dropout(
    match: Match, waitlist: Waitlist, player_id: UUID, actor: str, now: datetime
) -> None:
    """ "Release spot now": end the grace period at once (seed 004 §5.1)."""
    if not match.finalise_dropout(
        player_id=player_id, reason="released_by_admin", actor=actor, now=now
    ) and match.status_of(player_id) not in (Status.OUT, Status.MAYBE):
        raise InvalidTransition("That player has no place in grace to release.")
    fill_free_places(match, waitlist, now, reason="dropout")


def reissue_offers(match: Match, waitlist: Waitlist, actor: str, now: datetime) -> list[Offer]:
    """ "Send new waitlist offers": a fresh batch to the head of the queue (seed 004 §5.1)."""
    match.ensure_open_for_players(now)
    waitlist.supersede_all(reason="reissued", now=now)
    waitlist.close_round(reason="reissued", now=now)
    return fill_free_places(match, waitlist, now, reason="reissued")


def lock_pool(match: Match, waitlist: Waitlist, actor: str, now: datetime) -> None:
    """Lock Pool ends self-serve booking: grace ends and open offers lapse."""
    match.lock_pool(actor=actor, now=now)
    _wind_down(match, waitlist, "pool_locked", now)


def cancel(match: Match, waitlist: Waitlist, reason: str, actor: str, now: datetime) -> None:
    """Cancel from any state before Completed."""
    match.cancel(reason=reason, actor=actor, now=now)
    _wind_down(match, waitlist, "match_cancelled", now)


def disable_booking(match: Match, waitlist: Waitlist, actor: str, now: datetime) -> None:
    """Switch the link off; open offers could no longer be claimed, so they end."""
    match.disable_booking(actor=actor, now=now)
    fill_free_places(match, waitlist, now)


def _wind_down(match: Match, waitlist: Waitlist, reason: str, now: datetime) -> None:
    for entry in match.roster.in_grace():
        match.finalise_dropout(player_id=entry.player_id, reason=reason, actor=SYSTEM, now=now)
    waitlist.supersede_all(reason=reason, now=now)


# --------------------------------------------------------------------- timers


def finalise_due_dropouts(match: Match, waitlist: Waitlist, now: datetime) -> None:
    """Grace periods that have run out end, and their places are offered (timer)."""
    for pid in match.dropouts_due(now):
        match.finalise_dropout(player_id=pid, reason="grace_ended", actor=SYSTEM, now=now)
    fill_free_places(match, waitlist, now, reason="dropout")


def expire_due_offers(match: Match, waitlist: Waitlist, now: datetime) -> None:
    """Offers past their time end; the cascade offers the next players (timer)."""
    waitlist.expire_due(now=now)
    fill_free_places(match, waitlist, now, reason="cascade")


def next_deadline(match: Match, waitlist: Waitlist) -> datetime | None:
    """The earliest moment a timer must act on this match, if any."""
    times = [e.grace_until for e in match.roster.in_grace() if e.grace_until]
    times += [o.expires_at for o in waitlist.offers]
    return min(times) if times else None


# ---------------------------------------------------------------- the engine


def fill_free_places(
    match: Match,
    waitlist: Waitlist,
    now: datetime,
    *,
    reason: str = "place_free",
    when_full: str = "spot_filled",
) -> list[Offer]:
    """Bring the offers in line with the free places (first_to_claim, seed 004 §4).

    Full → every open offer ends ("spot filled") and the round starts afresh.
    Booking closed → open offers end. Otherwise the top of the queue gets offers
    until ``offers_to_issue`` are open, each lasting ``offer_ttl``; under 30 minutes
    to kick-off nobody gets an offer: first tap wins.
    """
    if match.offer_mode != OfferMode.FIRST_TO_CLAIM:
        raise InvalidTransition(f"Offer mode {match.offer_mode} is not available yet.")
    if match.free_places <= 0:
        waitlist.supersede_all(reason=when_full, now=now)
        waitlist.close_round(reason=when_full, now=now)
        return []
    if not match.is_booking_open():
        waitlist.supersede_all(reason=_closed_reason(match), now=now)
        return []
    ttl = policies.offer_ttl(match.kickoff_at, now)
    if ttl is None:
        return []
    wanted = policies.offers_to_issue(match.free_places, match.offer_fanout) - len(waitlist.offers)
    chosen = waitlist.candidates()[: max(0, wanted)]
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
    return str(match.state).lower()


def describe_standing(s: PlayerStanding) -> dict[str, Any]:
    """The standing as plain data (for command answers)."""
    return {
        "status": str(s.status),
        "waitlist_position": s.waitlist_position,
        "offer": (
            {"offer_id": s.offer.offer_id, "expires_at": s.offer.expires_at} if s.offer else None
        ),
        "in_grace_until": s.in_grace_until,
        "out_flexible": s.out_flexible,
        "instant_claim": s.instant_claim,
    }
