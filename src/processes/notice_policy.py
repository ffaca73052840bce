"""The notification policy: whether, and when, a notice goes out (seed 004 §5–6.2).

Pure: it sees one candidate notice, what the ledger already holds for that
player and match, the kick-off and the club's quiet hours, and decides. The
outbox applies the decision in the transaction that writes the notice, and
the ledger keeps the reason, so an auditor reads why a player was or was not
told.

- **Caps**: at most :data:`CAP` dropout / last-call notices per player per match;
  the next is "suppressed: cap".
- **Duplicates**: tier_open, waitlist_offer, last_call and dropout notices with a
  batch key the player was already told are "suppressed: duplicate".
- **Batching** of the kinds that can wait (:data:`BATCHED`): more than 5 days
  before kick-off they go into the player's one digest a day for the match;
  within 24 h, a second one within 10 minutes of the last goes into a digest
  sent when those 10 minutes are up. Offers, cancellations, payments and
  court decisions (everything else) are never delayed.
- **Quiet hours** (a club setting, off by default as in the seed) hold the kinds
  that can wait until the quiet hours end — never past kick-off.

Muted players are decided at delivery (so unmuting never resends); ringers and
last-call targeting are the domain's (``booking_domain.timed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

TIER_OPEN = "tier_open"
WAITLIST_OFFER = "waitlist_offer"
SPOT_FILLED = "spot_filled"
LAST_CALL = "last_call"
DROPOUT = "dropout"
DIGEST = "digest"

#: Kinds that count towards the cap ("max 3 dropout/last-call pushes per player per match").
CAPPED = frozenset({LAST_CALL, DROPOUT})
CAP = 3
#: Kinds de-duplicated by batch key (the seed: "uncapped (still deduped/batched)").
DEDUPED = frozenset({TIER_OPEN, WAITLIST_OFFER, LAST_CALL, DROPOUT})
#: Kinds that may wait for a digest; the rest go at once.
BATCHED = frozenset({TIER_OPEN, SPOT_FILLED, LAST_CALL})
#: Kinds quiet hours hold back (a last call is sent when scheduled, as the seed says).
QUIET = frozenset({TIER_OPEN, SPOT_FILLED})

DAILY_DIGEST_BEFORE = timedelta(days=5)
COALESCE_WITHIN = timedelta(hours=24)
WINDOW = timedelta(minutes=10)
#: When the daily digest goes, club time (moved to the end of quiet hours if inside them).
DIGEST_AT = time(9, 0)

#: Outcomes in the ledger that mean the player was, or will be, told.
TOLD = frozenset({"pending", "sending", "sent", "coalesced"})

_DIGEST_IDS = uuid5(NAMESPACE_URL, "booking:digest")

SEND, SUPPRESS, COALESCE = "send", "suppress", "coalesce"


@dataclass(frozen=True)
class Told:
    """A notice the ledger already holds for this player and match."""

    notice_id: str
    kind: str
    batch_key: str
    outcome: str
    queued_at: datetime
    due_at: datetime
    digest_id: str | None = None


@dataclass(frozen=True)
class QuietHours:
    """The club's quiet hours, local time; ``start == end`` means none."""

    start: int = 0
    end: int = 0

    def holds(self, at: datetime, tz: ZoneInfo) -> datetime | None:
        """The end of the quiet hours ``at`` falls in, or None if it does not."""
        if self.start == self.end:
            return None
        local = at.astimezone(tz)
        hour = local.hour
        inside = (
            self.start <= hour < self.end
            if self.start < self.end
            else hour >= self.start or hour < self.end
        )
        if not inside:
            return None
        end = local.replace(hour=self.end, minute=0, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end


@dataclass(frozen=True)
class Decision:
    """What to do with one notice: send at ``due_at``, suppress, or coalesce into a digest."""

    action: str
    due_at: datetime
    reason: str = ""
    digest_id: str | None = None

    @property
    def detail(self) -> str:
        """The ledger's "why"."""
        if self.action == SUPPRESS:
            return f"suppressed: {self.reason}"
        if self.action == COALESCE:
            return f"coalesced into digest {self.digest_id}"
        return self.reason


NO_QUIET_HOURS = QuietHours()
UTC_ZONE = ZoneInfo("UTC")


def digest_id(player_id: UUID, match_id: UUID, opened_at: datetime) -> str:
    """The same player, match and window always make the same digest."""
    return uuid5(_DIGEST_IDS, f"{player_id}:{match_id}:{opened_at.isoformat()}").hex


def decide(
    *,
    kind: str,
    batch_key: str,
    player_id: UUID,
    match_id: UUID | None,
    now: datetime,
    kickoff: datetime | None,
    told: Sequence[Told],
    quiet: QuietHours = NO_QUIET_HOURS,
    tz: ZoneInfo = UTC_ZONE,
) -> Decision:
    """Decide one notice for one player (``told``: the ledger for this player and match)."""
    live = [t for t in told if t.outcome in TOLD and t.kind != DIGEST]
    if kind in DEDUPED:
        for t in live:
            if t.kind == kind and t.batch_key == batch_key:
                return Decision(SUPPRESS, now, f"duplicate of {t.notice_id}")
    if kind in CAPPED and sum(t.kind in CAPPED for t in live) >= CAP:
        return Decision(SUPPRESS, now, "cap")
    if match_id is None or kickoff is None or kind not in BATCHED or now >= kickoff:
        return Decision(SEND, now)
    open_digest = _open_digest(told, now)
    if open_digest is not None:
        return Decision(COALESCE, open_digest.due_at, digest_id=open_digest.notice_id)
    to_go = kickoff - now
    if to_go > DAILY_DIGEST_BEFORE:
        due = _daily(now, quiet, tz)
        return Decision(COALESCE, due, digest_id=digest_id(player_id, match_id, due))
    if to_go <= COALESCE_WITHIN:
        recent = [t.due_at for t in live if now - WINDOW < t.due_at <= now]
        if recent:
            due = max(recent) + WINDOW
            return Decision(COALESCE, due, digest_id=digest_id(player_id, match_id, due))
    if kind in QUIET and (end := quiet.holds(now, tz)) is not None and end < kickoff:
        return Decision(SEND, end, f"held for quiet hours until {end:%H:%M}")
    return Decision(SEND, now)


def _open_digest(told: Sequence[Told], now: datetime) -> Told | None:
    """A digest for this player and match still waiting to go (the newest)."""
    waiting = [t for t in told if t.kind == DIGEST and t.outcome == "pending" and t.due_at > now]
    return max(waiting, key=lambda t: t.due_at, default=None)


def _daily(now: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    """The next daily digest time after ``now`` (club time), outside quiet hours."""
    local = now.astimezone(tz)
    due = local.replace(hour=DIGEST_AT.hour, minute=DIGEST_AT.minute, second=0, microsecond=0)
    if due <= local:
        due += timedelta(days=1)
    end = quiet.holds(due, tz)
    return end if end is not None else due
