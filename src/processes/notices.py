"""The notices process manager: which events tell which players what (seed 004 §5–6).

Fed by the event notification log (``follower.py``); for each event it writes
the notices it causes to the outbox, in the same transaction as its tracked
position, so every notice is written exactly once per event. Recipients come
from the events themselves (an offer names its player; a tier opening, a last
call and a first-tap announcement name everyone told), or, for a cancellation,
from the match as it stood at that event.

Caps, duplicates, digests and quiet hours are the notification policy's
(``notice_policy.py``), applied as the outbox writes each notice; muted
players are skipped at delivery, so unmuting never resends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from booking_domain.application import BookingApp
from booking_domain.match import Match
from booking_domain.values import OfferMode, Status
from processes import messages
from processes.court_notices import KINDS as COURT_KINDS
from processes.court_notices import CourtNotices
from processes.notice_policy import NO_QUIET_HOURS, QuietHours

if TYPE_CHECKING:
    from processes.outbox import Outbox
    from processes.sidestore import Tx

#: Notice kinds (domain.md "Notifications").
TIER_OPEN = "tier_open"
WAITLIST_OFFER = "waitlist_offer"
SPOT_FILLED = "spot_filled"
LAST_CALL = "last_call"
#: A place came free in the last 30 minutes: everyone waiting may tap (seed 004's "dropout" push).
DROPOUT = "dropout"
CANCELLATION = "cancellation"
DEMOTION = "demotion"
OFFER_EXPIRED = "offer_expired"
PAYMENT_OFFER = "payment_offer"
BOOKING_CONFIRMED = "booking_confirmed"
PAYMENT_REFUND = "payment_refund"
#: Kinds a player's guardians are sent too: a parent pays for a child's place (seed 000).
#: Court requests too (seed 002): a parent books a court for a child.
FOR_GUARDIANS = frozenset(
    {PAYMENT_OFFER, OFFER_EXPIRED, BOOKING_CONFIRMED, PAYMENT_REFUND, *COURT_KINDS}
)

_NOTICE_IDS = uuid5(NAMESPACE_URL, "booking:notice")


@dataclass(frozen=True)
class Notice:
    """One message to one player, caused by the event at ``position``."""

    position: int
    player_id: UUID
    match_id: UUID | None
    kind: str
    batch_key: str
    text: str
    created_at: Any
    #: The match's kick-off and time zone, and the club's quiet hours: what the policy
    #: needs to hold a notice back (court notices, which are never held, leave them out).
    kickoff: datetime | None = None
    timezone: str = "UTC"
    quiet: QuietHours = NO_QUIET_HOURS

    @property
    def id(self) -> UUID:
        """The same event, player and kind always make the same notice (no doubles)."""
        return uuid5(_NOTICE_IDS, f"{self.position}:{self.player_id}:{self.kind}")


class NoticeManager:
    """Turns booking events into notices (the seed's "notification_batcher" triggers)."""

    name = "notices"

    def __init__(self, app: BookingApp, outbox: Outbox) -> None:
        self.app = app
        self.outbox = outbox
        self._rules: dict[str, Callable[[Any, int], list[Notice]]] = {
            "TierOpened": self._tier_opened,
            "LastCallSent": self._last_call,
            "InstantClaimStarted": self._first_tap,
            "PlaceUpForGrabs": self._dropout,
            "OfferIssued": self._offer_issued,
            "OfferSuperseded": self._offer_superseded,
            "OfferExpired": self._offer_expired,
            "PlayerDemoted": self._demoted,
            "MatchCancelled": self._cancelled,
            "PaidOfferIssued": self._paid_offer_issued,
            "HoldConfirmed": self._booking_confirmed,
            "PlayerIn": self._late_payment_confirmed,
            "RefundDue": self._refund_due,
            **CourtNotices(self).rules(),
        }

    def effects(self, event: Any, position: int) -> list[Notice]:
        """The notices this event causes (the follower writes them with its position)."""
        return self.notices_for(event, position)

    def record(self, tx: Tx, effects: list[Any]) -> None:
        self.outbox.add(tx, effects)

    def notices_for(self, event: Any, position: int) -> list[Notice]:
        rule = self._rules.get(type(event).__name__)
        return rule(event, position) if rule else []

    # ------------------------------------------------------------------ rules

    def _tell(
        self,
        event: Any,
        position: int,
        match: Match,
        player_ids: Iterable[UUID],
        kind: str,
        key: str,
        text: str,
    ) -> list[Notice]:
        club = self.app.club_policy()
        quiet = QuietHours(club.quiet_hours_start, club.quiet_hours_end)
        return [
            Notice(
                position, p, match.id, kind, key, text, event.timestamp,
                kickoff=match.kickoff_at, timezone=match.timezone, quiet=quiet,
            )
            for p in player_ids
        ]  # fmt: skip

    def _match(self, event: Any) -> Match:
        return self.app.get_match(event.originator_id)

    def _waitlist_match(self, event: Any) -> Match:
        waitlist: Any = self.app.repository.get(event.originator_id)
        return self.app.get_match(waitlist.match_id)

    @staticmethod
    def _date(match: Match) -> str:
        return messages.when(match.kickoff_at, match.timezone)

    def _tier_opened(self, event: Any, position: int) -> list[Notice]:
        match = self._match(event)
        text = messages.tiers_open(list(event.tiers), self._date(match))
        key = f"tier_open:{'+'.join(event.tiers)}"
        return self._tell(event, position, match, event.player_ids, TIER_OPEN, key, text)

    def _last_call(self, event: Any, position: int) -> list[Notice]:
        match = self._match(event)
        text = messages.LAST_CALL.format(n=event.short_by, date=self._date(match))
        key = f"last_call:{event.which}"
        return self._tell(event, position, match, event.player_ids, LAST_CALL, key, text)

    def _first_tap(self, event: Any, position: int) -> list[Notice]:
        match = self._match(event)
        text = messages.FIRST_TAP.format(date=self._date(match))
        key = f"first_tap:{position}"
        return self._tell(event, position, match, event.player_ids, WAITLIST_OFFER, key, text)

    def _dropout(self, event: Any, position: int) -> list[Notice]:
        """A place freed in the last 30 minutes, announced to everyone waiting: the
        seed's "dropout" push, which counts towards the cap."""
        match = self._match(event)
        text = messages.FIRST_TAP.format(date=self._date(match))
        key = f"dropout:{position}"
        return self._tell(event, position, match, event.player_ids, DROPOUT, key, text)

    def _about_an_offer(
        self, event: Any, position: int, kind: str, template: str, **words: str
    ) -> list[Notice]:
        match = self._waitlist_match(event)
        text = template.format(date=self._date(match), **words)
        key = f"offer:{event.batch}"
        return self._tell(event, position, match, [event.player_id], kind, key, text)

    def _offer_issued(self, event: Any, position: int) -> list[Notice]:
        left = messages.countdown(event.expires_at - event.timestamp)
        return self._about_an_offer(
            event, position, WAITLIST_OFFER, messages.WAITLIST_OFFER, countdown=left
        )

    def _offer_superseded(self, event: Any, position: int) -> list[Notice]:
        if event.reason != "spot_filled":
            return []
        return self._about_an_offer(event, position, SPOT_FILLED, messages.SPOT_FILLED)

    def _offer_expired(self, event: Any, position: int) -> list[Notice]:
        match = self._waitlist_match(event)
        if match.offer_mode == OfferMode.PAYMENT_WINDOW:
            text = messages.PAYMENT_OFFER_EXPIRED.format(
                session=self._session(match), expires=self._local(match, event.expired_at)
            )
            key = f"offer:{event.batch}"
            return self._tell(event, position, match, [event.player_id], OFFER_EXPIRED, key, text)
        return self._about_an_offer(event, position, OFFER_EXPIRED, messages.OFFER_EXPIRED)

    # ------------------------------------------------------------ paid places

    @staticmethod
    def _session(match: Match) -> str:
        return messages.session(match.title, match.kickoff_at, match.timezone)

    @staticmethod
    def _local(match: Match, at: Any) -> str:
        return messages.when(at, match.timezone)

    def _paid_offer_issued(self, event: Any, position: int) -> list[Notice]:
        """Seed 000's notice: log in and pay by {expires}; no payment link."""
        match = self._waitlist_match(event)
        text = messages.PAYMENT_OFFER.format(
            session=self._session(match), expires=self._local(match, event.expires_at)
        )
        key = f"offer:{event.batch}"
        return self._tell(event, position, match, [event.player_id], PAYMENT_OFFER, key, text)

    def _booking_confirmed(self, event: Any, position: int) -> list[Notice]:
        match = self._match(event)
        text = messages.BOOKING_CONFIRMED.format(session=self._session(match))
        key = "booking_confirmed"
        return self._tell(event, position, match, [event.player_id], BOOKING_CONFIRMED, key, text)

    def _late_payment_confirmed(self, event: Any, position: int) -> list[Notice]:
        return self._booking_confirmed(event, position) if event.via == "late_payment" else []

    def _refund_due(self, event: Any, position: int) -> list[Notice]:
        payment: Any = self.app.repository.get(event.originator_id)
        match = self.app.get_match(payment.match_id)
        template = {
            "already_booked": messages.REFUND_ALREADY_BOOKED,
            "booking_closed": messages.REFUND_BOOKING_CLOSED,
        }.get(event.reason, messages.REFUND_PLACE_GONE)
        text = template.format(session=self._session(match))
        key = f"refund:{payment.id}"
        return self._tell(event, position, match, [payment.player_id], PAYMENT_REFUND, key, text)

    def _demoted(self, event: Any, position: int) -> list[Notice]:
        match = self._match(event)
        text = messages.DEMOTION.format(date=self._date(match))
        return self._tell(event, position, match, [event.player_id], DEMOTION, "demotion", text)

    def _cancelled(self, event: Any, position: int) -> list[Notice]:
        # Who was in, held or waiting at the moment of cancellation.
        match: Any = self.app.repository.get(
            event.originator_id, version=event.originator_version - 1
        )
        told = [
            e.player_id
            for e in match.roster
            if e.status in (Status.IN, Status.HELD, Status.WAITLIST)
        ]
        date = self._date(match)
        text = (
            messages.CANCELLATION_REASON.format(title=match.title, date=date, reason=event.reason)
            if event.reason
            else messages.CANCELLATION.format(title=match.title, date=date)
        )
        return self._tell(event, position, match, told, CANCELLATION, "cancellation", text)
