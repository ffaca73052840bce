"""Pure timing and eligibility rules (seed 004 §4, §7, §22.2), to the minute.

No I/O and no clock: every function is given the times it needs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from booking_domain.errors import ValidationError
from booking_domain.values import InviteMode, Tier, TierWindows

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)

#: No offer may stay open past kick-off minus this (seed 004 §7).
OFFER_CUTOFF = timedelta(minutes=15)
#: Below this much room before the cut-off, offers become instant claims.
INSTANT_CLAIM_BELOW = timedelta(minutes=15)
#: The shortest hold an offer gets when it has one.
MIN_OFFER_TTL = timedelta(minutes=5)


def offer_ttl(kickoff_at: datetime, now: datetime) -> timedelta | None:
    """How long a waitlist offer made ``now`` stays open; ``None`` means instant claim.

    Seed 004 §22.2, "v3.1.4 fixed": base 4 h (≥ 24 h to go), 1 h (≥ 3 h), else 30 min;
    never past kick-off − 15 min; under 15 min of room → instant claim; at least 5 min.
    """
    to_kickoff = kickoff_at - now
    if to_kickoff >= 24 * HOUR:
        base = 240 * MINUTE
    elif to_kickoff >= 3 * HOUR:
        base = 60 * MINUTE
    else:
        base = 30 * MINUTE
    max_allowed = max(timedelta(0), to_kickoff - OFFER_CUTOFF)
    if max_allowed < INSTANT_CLAIM_BELOW:
        return None
    return max(MIN_OFFER_TTL, min(base, max_allowed))


def grace_period(kickoff_at: datetime, now: datetime) -> timedelta:
    """How long a dropout may change their mind: 5 min, 2 min under 24 h, 1 min under 3 h."""
    to_kickoff = kickoff_at - now
    if to_kickoff < 3 * HOUR:
        return 1 * MINUTE
    if to_kickoff < 24 * HOUR:
        return 2 * MINUTE
    return 5 * MINUTE


def offer_cutoff(kickoff_at: datetime) -> datetime:
    """The moment after which no offer may be open."""
    return kickoff_at - OFFER_CUTOFF


def offers_to_issue(free_places: int, fanout: int) -> int:
    """How many players are offered at once: ``fanout`` for one place, one more per extra place.

    With the default fanout of 3 that is the seed's "top 3" for one place and
    "free places + 2" in general (domain.md, first_to_claim).
    """
    if free_places <= 0:
        return 0
    return free_places + max(1, fanout) - 1


def tier_opens_at(
    tier: Tier, invite_mode: InviteMode, windows: TierWindows | None
) -> datetime | None:
    """When ``tier`` may start booking; ``None`` means it may book now."""
    if invite_mode == InviteMode.ALL or windows is None:
        return None
    return windows.opens_at(tier)


def is_tier_open(
    tier: Tier, invite_mode: InviteMode, windows: TierWindows | None, now: datetime
) -> bool:
    """Tier eligibility: all-at-once is always open; tiered opens at the tier's window."""
    opens_at = tier_opens_at(tier, invite_mode, windows)
    return opens_at is None or now >= opens_at


def plan_tier_windows(
    *,
    now: datetime,
    kickoff_at: datetime,
    a_open_at: datetime | None,
    b_open_at: datetime | None,
    c_open_at: datetime | None,
    b_offset: timedelta,
    c_offset: timedelta,
) -> TierWindows:
    """Tier windows as the admin asked, with the seed's guards (seed 004 §5.1).

    Missing A means now; missing B and C default to A (as given) + the club's offsets.
    When those would open Tier C at or after kick-off (a match soon after
    booking opens), both offsets shrink in proportion so that C opens two thirds
    of the way to kick-off. Past times are clamped to now. The result satisfies
    A ≤ B ≤ C < kick-off (every tier gets some time); B = C is the two-window flow.
    """
    for given in (a_open_at, b_open_at, c_open_at):
        if given is not None and given >= kickoff_at:
            raise ValidationError("tier_windows", "every tier must open before kick-off")
    # Defaults count from A as given (even if it is past), so resending the
    # same windows later gives the same windows.
    base = a_open_at or now
    if c_offset > timedelta(0) and base + c_offset >= kickoff_at:
        scale = ((kickoff_at - base) * 2 / 3) / c_offset
        b_offset, c_offset = b_offset * scale, c_offset * scale
    a = max(now, base)
    b = max(now, b_open_at or base + b_offset)
    c = max(now, c_open_at or max(base + c_offset, b))
    if not a <= b:
        raise ValidationError("tier_windows", "Tier B cannot open before Tier A")
    if not b <= c:
        raise ValidationError("tier_windows", "Tier C cannot open before Tier B")
    if not c < kickoff_at:
        raise ValidationError("tier_windows", "every tier must open before kick-off")
    return TierWindows(a_open_at=a, b_open_at=b, c_open_at=c)


#: Last calls go out this long before kick-off if the match is short (seed 004 §22.2).
LAST_CALLS: dict[str, timedelta] = {"T-12h": 12 * HOUR, "T-3h": 3 * HOUR}
#: A player who got a last call, or a waitlist offer, this recently is not called again.
LAST_CALL_COOLDOWN = 6 * HOUR


def instant_claim_from(kickoff_at: datetime) -> datetime:
    """The first moment at which ``offer_ttl`` says instant claim (under 30 min to go)."""
    return kickoff_at - OFFER_CUTOFF - INSTANT_CLAIM_BELOW + timedelta(microseconds=1)


def payment_window_end(kickoff_at: datetime, now: datetime, minutes: int) -> datetime | None:
    """When a paid offer made ``now`` ends: ``now + payment_window_minutes``, never past
    kick-off − 15 min (domain.md "Paid offers"); ``None`` when that leaves under 5
    minutes to pay, too little to be fair, so no paid offer is made."""
    ends = min(now + minutes * MINUTE, offer_cutoff(kickoff_at))
    return ends if ends - now >= MIN_OFFER_TTL else None
