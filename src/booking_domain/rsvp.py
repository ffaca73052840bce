"""What players do through the shared link: IN, OUT, WAITLIST, MAYBE, claim.

Rules that span a Match and its Waitlist (domain.md, "Aggregates"). Each
function is one command's decision: it is given both aggregates, changes them
through their own methods (which guard their own invariants) and leaves the
pending events for the application to save in one atomic write. Each starts
by catching up with the clock and ends by bringing the offers in line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from booking_domain import payment_window
from booking_domain.errors import (
    InvalidTransition,
    MatchFull,
    NoOffer,
    OfferExpired,
    RingerBlocked,
    SpotFilled,
)
from booking_domain.match import Match
from booking_domain.offers import catch_up, fill_free_places, is_instant_claim
from booking_domain.queue_entries import Offer
from booking_domain.values import Action, Booker, ClubPolicy, Source, Status
from booking_domain.waitlist import Waitlist

HELD_FOR_YOU = "A place is held for you — log in to your account to pay and confirm it."


@dataclass(frozen=True)
class PlayerStanding:
    """Where a player stands in a match: what the booking page shows them."""

    status: Status
    waitlist_position: int | None
    offer: Offer | None
    in_grace_until: datetime | None
    out_flexible: bool
    instant_claim: bool
    #: A paid offer's held place: theirs if they pay by then (seed 000).
    hold_until: datetime | None = None


def standing(match: Match, waitlist: Waitlist, player_id: UUID, now: datetime) -> PlayerStanding:
    """As it is at ``now``: an offer or a grace period that has run out is not shown."""
    entry = match.roster.get(player_id)
    offer = waitlist.open_offer_for(player_id)
    if offer is not None and offer.expires_at <= now:
        offer = None
    grace_until = entry.grace_until if entry else None
    held = offer is not None and offer.holds
    return PlayerStanding(
        status=match.status_of(player_id),
        waitlist_position=waitlist.position_of(player_id),
        offer=None if held else offer,  # a paid offer is paid for, not claimed
        in_grace_until=grace_until if grace_until and grace_until > now else None,
        out_flexible=entry.out_flexible if entry else False,
        instant_claim=is_instant_claim(match, now),
        hold_until=offer.expires_at if offer is not None and held else None,
    )


def check_self_booking(booker: Booker, policy: ClubPolicy, match: Match, action: Action) -> None:
    """Ringers book themselves only when the club allows it (seed 004 §7).

    A ringer the organiser added may still say OUT, and take back an OUT
    while its grace lasts: that is their organiser-given place, not a booking.
    """
    if not booker.is_ringer or policy.enable_ringer_self_book:
        return
    entry = match.roster.get(booker.player_id)
    if action == Action.OUT and entry is not None:
        return
    if action == Action.IN and entry is not None and entry.in_grace:
        return
    raise RingerBlocked()


def respond(
    match: Match,
    waitlist: Waitlist,
    booker: Booker,
    action: Action,
    now: datetime,
    *,
    policy_of: Callable[[], ClubPolicy],
    source: str = Source.WEB,
    out_flexible: bool = False,
) -> None:
    """A player's IN / OUT / WAITLIST / MAYBE (seed 004 §5.2), idempotent per player.

    ``policy_of`` gives the club's settings; it is asked only when they matter.
    """
    match.ensure_open_for_players(now)
    catch_up(match, waitlist, now)
    if booker.is_ringer:
        check_self_booking(booker, policy_of(), match, action)
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
    if entry is not None and entry.status in (Status.IN, Status.HELD):
        return  # HELD: their place is waiting for their payment
    if pid in waitlist:
        _claim_for_queued(match, waitlist, pid, now, source, saying_in=True)
        return
    match.ensure_tier_open(booker, now)
    if not _directly_bookable(match, waitlist, now, queued=False):
        raise MatchFull(waitlist.size + 1)
    match.book(player_id=pid, source=source, via="direct", now=now)


def _directly_bookable(match: Match, waitlist: Waitlist, now: datetime, *, queued: bool) -> bool:
    """May this player take a free place without an offer?

    Yes if there are more free places than waiting players with first call on
    one (those who have not let an offer lapse this round). Under 30 minutes to
    kick-off, anyone *in the queue* may take any free place: the first tap
    wins (seed 004 §7).
    """
    if match.free_places <= 0:
        return False
    if match.free_places > waitlist.claimants():
        return True
    return queued and is_instant_claim(match, now)


def _join_waitlist(
    match: Match, waitlist: Waitlist, booker: Booker, now: datetime, source: str
) -> None:
    pid = booker.player_id
    entry = match.roster.get(pid)
    if entry is not None and entry.in_grace:
        raise InvalidTransition("Your place is still held for you — tap IN to keep it.")
    if entry is not None and entry.status == Status.HELD:
        raise InvalidTransition(HELD_FOR_YOU)
    if entry is not None and entry.status == Status.IN:
        raise InvalidTransition("You're already IN — no need to queue.")
    if pid in waitlist:
        return
    match.ensure_tier_open(booker, now)
    if _directly_bookable(match, waitlist, now, queued=False):
        raise InvalidTransition(f"{match.free_places} spots left — tap IN to secure yours.")
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
    offer = waitlist.open_offer_for(pid)
    if entry is not None and entry.status == Status.HELD and offer is not None:
        payment_window.decline(match, waitlist, offer, "player", now)
    if pid in waitlist:
        waitlist.leave(player_id=pid, reason=f"said {to_status}", actor="player", now=now)
    if to_status == Status.OUT:
        match.mark_out(player_id=pid, flexible=flexible, source=source, now=now)
    else:
        match.mark_maybe(player_id=pid, source=source, now=now)


def claim(
    match: Match, waitlist: Waitlist, player_id: UUID, now: datetime, *, source: str = Source.WEB
) -> None:
    """Claim a freed place from the waitlist: first claim wins (seed 004 §7)."""
    match.ensure_open_for_players(now)
    catch_up(match, waitlist, now)
    if match.status_of(player_id) == Status.IN:
        return
    if match.status_of(player_id) == Status.HELD:
        raise InvalidTransition(HELD_FOR_YOU)
    if player_id not in waitlist:
        raise NoOffer()
    _claim_for_queued(match, waitlist, player_id, now, source)
    fill_free_places(match, waitlist, now)


def _claim_for_queued(
    match: Match,
    waitlist: Waitlist,
    pid: UUID,
    now: datetime,
    source: str,
    *,
    saying_in: bool = False,
) -> None:
    offer = waitlist.open_offer_for(pid)
    if offer is not None and match.free_places > 0:
        waitlist.claim(player_id=pid, now=now)
        match.book(player_id=pid, source=source, via="offer", now=now)
        return
    if _directly_bookable(match, waitlist, now, queued=True):
        why = "instant_claim" if is_instant_claim(match, now) else "open_place"
        waitlist.claim_without_offer(player_id=pid, why=why, now=now)
        match.book(player_id=pid, source=source, via=why, now=now)
        return
    _refuse_claim(match, waitlist, pid, saying_in)


def _refuse_claim(match: Match, waitlist: Waitlist, pid: UUID, saying_in: bool) -> None:
    """Say why there is no place for this waiting player, as precisely as is true now."""
    entry = waitlist.entry_of(pid)
    assert entry is not None
    if entry.passed:  # offered in this round and let it lapse
        raise OfferExpired()
    if entry.last_offer_reason == "spot_filled" and entry.batches_seen == waitlist.batches_issued:
        raise SpotFilled()
    if saying_in or match.free_places <= 0:
        # Their turn has not come: they stay where they are in the queue.
        raise MatchFull(waitlist.position_of(pid) or waitlist.size + 1, already_queued=True)
    raise NoOffer()
