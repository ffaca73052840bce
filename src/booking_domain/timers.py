"""The timers a match needs, derived from its state (architecture.md "Timers").

Every write of a match and its waitlist also writes the match's timers, in the
same transaction: the set below replaces the one stored before. A timer made
moot by an event (a dropout who came back, an offer claimed) is simply no
longer in the set, so it is cancelled with the event that made it moot. When a
timer fires, its command records what happened, which takes the timer out of
the set again: the write that records the effect deletes the timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from booking_domain import policies
from booking_domain.match import Match
from booking_domain.values import OfferMode
from booking_domain.waitlist import Waitlist

#: The keyword the event store's recorder is given each touched match's timers by.
TIMERS = "timers"


class TimerKind(StrEnum):
    """What a timer is for; each kind is one command of the application."""

    GRACE_END = "grace_end"
    OFFER_EXPIRY = "offer_expiry"
    TIER_OPEN = "tier_open"
    LAST_CALL = "last_call"
    INSTANT_CLAIM = "instant_claim"
    PAYMENT_WINDOW = "payment_window"
    APPROVAL_DEADLINE = "approval_deadline"


@dataclass(frozen=True, order=True)
class Timer:
    """One durable timer: at ``due_at``, run the ``kind`` command on the match."""

    due_at: datetime
    kind: TimerKind
    match_id: UUID

    @property
    def key(self) -> str:
        """Unique per match, kind and moment: the same deadline is one timer."""
        return f"{self.match_id.hex}:{self.kind}:{self.due_at.isoformat()}"


def timers_for(match: Match, waitlist: Waitlist, now: datetime) -> list[Timer]:
    """Every timer this match needs now, earliest first.

    Deadlines always; announcements only while booking is open and before
    kick-off (nothing is announced about a match that has started).
    """
    due: set[tuple[datetime, TimerKind]] = set()
    due |= {(e.grace_until, TimerKind.GRACE_END) for e in match.roster.in_grace() if e.grace_until}
    due |= {
        (o.expires_at, TimerKind.PAYMENT_WINDOW if o.holds else TimerKind.OFFER_EXPIRY)
        for o in waitlist.offers
    }
    if match.pending_bookings() or (match.offer_mode == OfferMode.APPROVAL and waitlist.size):
        # Undecided requests lapse, and waiting carts end, when the slot starts.
        due.add((match.kickoff_at, TimerKind.APPROVAL_DEADLINE))
    if match.offer_mode == OfferMode.APPROVAL:
        # Court slots are requested, not announced: no tier openings, no last calls.
        return sorted(Timer(at, kind, match.id) for at, kind in due)
    if match.is_booking_open() and now < match.kickoff_at:
        if (opening := match.next_tier_opening()) is not None:
            due.add((opening, TimerKind.TIER_OPEN))
        due |= {(at, TimerKind.LAST_CALL) for at in match.last_calls_due().values()}
        if match.instant_claim_started_at is None and match.offer_mode == OfferMode.FIRST_TO_CLAIM:
            due.add((policies.instant_claim_from(match.kickoff_at), TimerKind.INSTANT_CLAIM))
    return sorted(Timer(at, kind, match.id) for at, kind in due)
