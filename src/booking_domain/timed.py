"""What the clock makes happen to a match: tiers opening, last calls, first tap.

Each function is one command's decision over a match and its waitlist, run
when its timer fires (``timers.py``) and safe to run late, early or twice:
it catches up with the clock first and records each moment only once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from booking_domain import policies
from booking_domain.errors import BookingClosed
from booking_domain.match import Match
from booking_domain.offers import SYSTEM, catch_up, is_instant_claim
from booking_domain.values import Booker, ClubPolicy, Status
from booking_domain.waitlist import Waitlist

MANUAL_LAST_CALL = "manual"


def open_tiers(
    match: Match, waitlist: Waitlist, players: Iterable[Booker], policy: ClubPolicy, now: datetime
) -> None:
    """Announce every tier whose window has opened to its players (seed 004 §6.1).

    Told: players of those tiers who have not responded yet; ringers only when
    the club includes them in invites.
    """
    catch_up(match, waitlist, now)
    tiers = match.tiers_opening(now)
    if not tiers:
        return
    told: list[UUID] = [
        p.player_id
        for p in players
        if p.tier in tiers
        and (policy.include_ringers_in_invites or not p.is_ringer)
        and match.roster.get(p.player_id) is None
    ]
    match.announce_open_tiers(tiers=tiers, player_ids=told, actor=SYSTEM, now=now)


def start_instant_claim(match: Match, waitlist: Waitlist, now: datetime) -> None:
    """Under 30 minutes to go: stop offering, tell everyone waiting (seed 004 §7)."""
    catch_up(match, waitlist, now)
    if not match.is_booking_open() or not is_instant_claim(match, now):
        return
    free = match.free_places
    match.start_instant_claim(
        player_ids=waitlist.waiting() if free > 0 else [], free_places=free, now=now
    )


def scheduled_last_calls(
    match: Match, waitlist: Waitlist, players: Iterable[Booker], policy: ClubPolicy, now: datetime
) -> None:
    """Make the last calls whose time has come, oldest first (seed 004 §22.2)."""
    catch_up(match, waitlist, now)
    if now >= match.kickoff_at:
        return
    roll = list(players)
    for which, at in sorted(match.last_calls_due().items(), key=lambda item: item[1]):
        if at <= now:
            _last_call(match, waitlist, roll, policy, which=which, actor=SYSTEM, now=now)


def manual_last_call(
    match: Match,
    waitlist: Waitlist,
    players: Iterable[Booker],
    policy: ClubPolicy,
    actor: str,
    now: datetime,
) -> list[UUID]:
    """The admin's "Send last-call" button, with the same targeting and cooldown."""
    catch_up(match, waitlist, now)
    if not match.is_booking_open() or now >= match.kickoff_at:
        raise BookingClosed("Booking isn't open for this match.")
    return _last_call(
        match, waitlist, list(players), policy, which=MANUAL_LAST_CALL, actor=actor, now=now
    )


def _last_call(
    match: Match,
    waitlist: Waitlist,
    players: list[Booker],
    policy: ClubPolicy,
    *,
    which: str,
    actor: str,
    now: datetime,
) -> list[UUID]:
    short_by = max(0, match.capacity - match.booked)
    chosen: list[UUID] = [
        p.player_id for p in players if _callable(match, waitlist, p, policy, now)
    ]
    targets = chosen if short_by else []
    match.record_last_call(which=which, short_by=short_by, player_ids=targets, actor=actor, now=now)
    return targets


def _callable(
    match: Match, waitlist: Waitlist, player: Booker, policy: ClubPolicy, now: datetime
) -> bool:
    """Unresponded or OUT-but-flexible, tier open, not called or offered in 6 h."""
    if player.is_ringer and not policy.include_ringers_in_invites:
        return False
    if not match.tier_is_open(player.tier, now):
        return False
    entry = match.roster.get(player.player_id)
    # Queued players have a WAITLIST entry, so they are not called either.
    if entry is not None and not (entry.status == Status.OUT and entry.out_flexible):
        return False
    since = now - policies.LAST_CALL_COOLDOWN
    return not (
        match.called_recently(player.player_id, now)
        or waitlist.offered_since(player.player_id, since)
    )
