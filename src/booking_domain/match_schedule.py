"""The part of a match that is its schedule: settings, booking link, lifecycle.

``Match`` (match.py) extends this with the places: roster, dropouts, capacity.
Each public method checks its rule and then calls one ``@event`` method, which
*is* the state change (the library records it as an event of the same name).
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from eventsourcing.domain import Aggregate, event

from booking_domain import limits, policies
from booking_domain.errors import (
    BookingClosed,
    InvalidToken,
    InvalidTransition,
    TooEarly,
    ValidationError,
)
from booking_domain.roster import Roster
from booking_domain.tokens import token_matches
from booking_domain.values import (
    Admission,
    Booker,
    CopiesContainersOnly,
    InviteMode,
    MatchState,
    Money,
    OfferMode,
    TierWindows,
)
from booking_domain.wording import local_time

MAX_CAPACITY = limits.CAPACITY.highest
#: A booking link dies this long after kick-off (seed 004 §4.7 "dead after the match").
LINK_LIFETIME_AFTER_KICKOFF = policies.HOUR * 24

_NEXT_STATE = {
    MatchState.DRAFT: MatchState.POOL_LOCKED,
    MatchState.POOL_LOCKED: MatchState.TEAMS_BALANCED,
    MatchState.TEAMS_BALANCED: MatchState.COMPLETED,
}


def check_capacity(capacity: int) -> None:
    limits.CAPACITY.check("capacity", capacity)


class MatchSchedule(CopiesContainersOnly, Aggregate):
    """The schedule, booking settings and lifecycle of a match (seed 004 §2, §21)."""

    @classmethod
    def schedule(
        cls,
        *,
        title: str,
        kickoff_at: datetime,
        location: str,
        capacity: int,
        price: Money,
        timezone: str,
        admission: Admission,
        offer_mode: OfferMode | None,
        payment_window_minutes: int,
        auto_promote: bool,
        offer_fanout: int,
        actor: str,
        now: datetime,
    ) -> Self:
        """Create a match in Draft; free matches fill by first claim (domain.md)."""
        # What the engine accepts (limits.py): text, numbers and times it can keep.
        title = limits.text("title", title, limits.TITLE, required=True)
        limits.instant("kickoff_at", kickoff_at)
        if kickoff_at <= now:
            raise ValidationError("kickoff_at", "must be in the future")
        location = limits.text("location", location or "", limits.LOCATION)
        check_capacity(capacity)
        limits.PRICE_MINOR.check("price_minor", price.minor)
        limits.time_zone("timezone", timezone)
        limits.PAYMENT_WINDOW_MINUTES.check("payment_window_minutes", payment_window_minutes)
        limits.OFFER_FANOUT.check("offer_fanout", offer_fanout)
        limits.moment("kickoff_at", kickoff_at, now)
        mode = offer_mode or cls._default_offer_mode(price, admission)
        if (mode == OfferMode.APPROVAL) != (admission == Admission.APPROVAL):
            # Court slots (seed 002) are filled by approved requests, nothing else.
            raise ValidationError("offer_mode", "approval goes with admission approval")
        match: Self = cls(
            title=title,
            kickoff_at=kickoff_at,
            location=location,
            capacity=capacity,
            price_minor=price.minor,
            currency=price.currency,
            timezone=timezone,
            admission=str(admission),
            offer_mode=str(mode),
            payment_window_minutes=payment_window_minutes,
            auto_promote=auto_promote,
            offer_fanout=offer_fanout,
            actor=actor,
            timestamp=now,
        )
        return match

    @staticmethod
    def _default_offer_mode(price: Money, admission: Admission) -> OfferMode:
        if admission == Admission.APPROVAL:
            return OfferMode.APPROVAL
        return OfferMode.FIRST_TO_CLAIM if price.is_free else OfferMode.PAYMENT_WINDOW

    @event("MatchScheduled")
    def __init__(
        self,
        *,
        title: str,
        kickoff_at: datetime,
        location: str,
        capacity: int,
        price_minor: int,
        currency: str,
        timezone: str,
        admission: str,
        offer_mode: str,
        payment_window_minutes: int,
        auto_promote: bool,
        offer_fanout: int,
        actor: str,
        timestamp: datetime,
    ) -> None:
        """An admin created a match in Draft."""
        self.title = title
        self.kickoff_at = kickoff_at
        self.location = location
        self.capacity = capacity
        self.price = Money(price_minor, currency)
        self.timezone = timezone
        # Enum-valued state is kept as plain strings so that a snapshot, which
        # stores them as JSON strings, restores an equal aggregate.
        self._admission = admission
        self._offer_mode = offer_mode
        self.payment_window_minutes = payment_window_minutes
        self.auto_promote = auto_promote
        self.offer_fanout = offer_fanout
        self._state = str(MatchState.DRAFT)
        self.booking_enabled = False
        self.booking_enabled_at: datetime | None = None
        self._invite_mode = str(InviteMode.ALL)
        self.tier_windows: TierWindows | None = None
        self.invite_token_digest: str | None = None
        # The roster is Match's; it starts empty with the match.
        self.roster = Roster()

    # ----------------------------------------------------------------- queries

    @property
    def state(self) -> MatchState:
        return MatchState(self._state)

    @property
    def invite_mode(self) -> InviteMode:
        return InviteMode(self._invite_mode)

    @property
    def admission(self) -> Admission:
        return Admission(self._admission)

    @property
    def offer_mode(self) -> OfferMode:
        return OfferMode(self._offer_mode)

    def is_booking_open(self) -> bool:
        """Players may respond: enabled, in Draft (seed 004 §21.1)."""
        return self.booking_enabled and self.state == MatchState.DRAFT

    def ensure_open_for_players(self, now: datetime) -> None:
        """Refuse player responses when booking is off, locked, cancelled or started."""
        if self.state == MatchState.CANCELLED:
            raise BookingClosed("This match has been cancelled.")
        if self.state != MatchState.DRAFT:
            raise BookingClosed("The list is locked — ask the organiser.")
        if not self.booking_enabled:
            raise BookingClosed("Booking isn't open for this match.")
        if now >= self.kickoff_at:
            raise BookingClosed("This match has already kicked off.")

    def check_invite_token(self, token: str | None, now: datetime) -> None:
        """The shared link's token: right, current, and not dead after the match."""
        if not token_matches(token, self.invite_token_digest):
            raise InvalidToken()
        if self.state == MatchState.COMPLETED or now >= (
            self.kickoff_at + LINK_LIFETIME_AFTER_KICKOFF
        ):
            raise InvalidToken()

    def ensure_tier_open(self, booker: Booker, now: datetime) -> None:
        """Tiered mode: a player books from their tier's window (seed 004 §3)."""
        if policies.is_tier_open(booker.tier, self.invite_mode, self.tier_windows, now):
            return
        assert self.tier_windows is not None
        opens_at = self.tier_windows.opens_at(booker.tier)
        raise TooEarly(str(booker.tier), opens_at, local_time(opens_at, self.timezone))

    def _ensure_admin_editable(self) -> None:
        if self.state in (MatchState.COMPLETED, MatchState.CANCELLED):
            raise InvalidTransition(f"This match is {self.state.lower()}.")

    # ------------------------------------------------------ booking settings

    def enable_booking(
        self,
        *,
        invite_mode: InviteMode,
        windows: TierWindows | None,
        token_digest: str,
        actor: str,
        now: datetime,
    ) -> None:
        """Turn on the shared link with a fresh token (seed 004 §2, §5.1)."""
        if self.state != MatchState.DRAFT:
            raise InvalidTransition("Booking can only be enabled while the match is a draft.")
        if now >= self.kickoff_at:
            raise BookingClosed("This match has already kicked off.")
        if invite_mode == InviteMode.TIERED and windows is None:
            raise ValidationError("tier_windows", "tiered mode needs tier windows")
        self._booking_enabled(
            invite_mode=str(invite_mode),
            actor=actor,
            timestamp=now,
        )
        if invite_mode == InviteMode.TIERED and windows is not None:
            self._set_tier_windows(windows, actor, now)
        self._invite_token_rotated(token_digest=token_digest, actor=actor, timestamp=now)

    @event("BookingEnabled")
    def _booking_enabled(self, *, invite_mode: str, actor: str, timestamp: datetime) -> None:
        """Self-serve booking was switched on, all at once or tiered."""
        self.booking_enabled = True
        self.booking_enabled_at = timestamp
        self._invite_mode = invite_mode
        if self.invite_mode == InviteMode.ALL:
            self.tier_windows = None

    @event("InviteTokenRotated")
    def _invite_token_rotated(self, *, token_digest: str, actor: str, timestamp: datetime) -> None:
        """A new booking-link token was issued; only its SHA-256 digest is kept."""
        self.invite_token_digest = token_digest

    def change_invite_mode(
        self, *, invite_mode: InviteMode, windows: TierWindows | None, actor: str, now: datetime
    ) -> None:
        """Tiered → all opens to everyone now; all → tiered gates only new bookings."""
        self._ensure_admin_editable()
        if invite_mode == InviteMode.TIERED and windows is None:
            raise ValidationError("tier_windows", "tiered mode needs tier windows")
        if invite_mode != self.invite_mode:
            self._invite_mode_changed(invite_mode=str(invite_mode), actor=actor, timestamp=now)
        if (
            invite_mode == InviteMode.TIERED
            and windows is not None
            and not windows.same_effect(self.tier_windows, now)
        ):
            self._set_tier_windows(windows, actor, now)

    @event("InviteModeChanged")
    def _invite_mode_changed(self, *, invite_mode: str, actor: str, timestamp: datetime) -> None:
        """The invite mode changed without changing the link."""
        self._invite_mode = invite_mode
        if self.invite_mode == InviteMode.ALL:
            self.tier_windows = None

    def _set_tier_windows(self, windows: TierWindows, actor: str, now: datetime) -> None:
        self._tier_windows_set(
            a_open_at=windows.a_open_at,
            b_open_at=windows.b_open_at,
            c_open_at=windows.c_open_at,
            actor=actor,
            timestamp=now,
        )

    @event("TierWindowsSet")
    def _tier_windows_set(
        self,
        *,
        a_open_at: datetime,
        b_open_at: datetime,
        c_open_at: datetime,
        actor: str,
        timestamp: datetime,
    ) -> None:
        """The times from which tiers A, B and C may book."""
        self.tier_windows = TierWindows(a_open_at, b_open_at, c_open_at)

    def disable_booking(self, *, actor: str, now: datetime) -> None:
        """Turn the shared link off; a later enable issues a new token."""
        if self.booking_enabled:
            self._booking_disabled(actor=actor, timestamp=now)

    @event("BookingDisabled")
    def _booking_disabled(self, *, actor: str, timestamp: datetime) -> None:
        """Self-serve booking was switched off."""
        self.booking_enabled = False

    # ------------------------------------------------------------- lifecycle

    def _advance(self, to: MatchState) -> bool:
        """Lock Pool → Balance Teams → Complete, one step at a time (seed 004 §21.1).

        Asking for the state the match is already in changes nothing (a double
        click); any other jump is refused.
        """
        if self.state == to:
            return False
        if _NEXT_STATE.get(self.state) != to:
            raise InvalidTransition(f"A match in {self.state} cannot move to {to}.")
        return True

    def lock_pool(self, *, actor: str, now: datetime) -> bool:
        """Draft → PoolLocked: self-serve responses stop; the admin can still edit."""
        if not self._advance(MatchState.POOL_LOCKED):
            return False
        self._pool_locked(actor=actor, timestamp=now)
        return True

    @event("PoolLocked")
    def _pool_locked(self, *, actor: str, timestamp: datetime) -> None:
        """Draft → PoolLocked: self-serve responses stop."""
        self._state = str(MatchState.POOL_LOCKED)

    def balance_teams(self, *, actor: str, now: datetime) -> bool:
        """PoolLocked → TeamsBalanced."""
        if not self._advance(MatchState.TEAMS_BALANCED):
            return False
        self._teams_balanced(actor=actor, timestamp=now)
        return True

    @event("TeamsBalanced")
    def _teams_balanced(self, *, actor: str, timestamp: datetime) -> None:
        """PoolLocked → TeamsBalanced."""
        self._state = str(MatchState.TEAMS_BALANCED)

    def complete(self, *, actor: str, now: datetime) -> bool:
        """TeamsBalanced → Completed."""
        if not self._advance(MatchState.COMPLETED):
            return False
        self._match_completed(actor=actor, timestamp=now)
        return True

    @event("MatchCompleted")
    def _match_completed(self, *, actor: str, timestamp: datetime) -> None:
        """TeamsBalanced → Completed."""
        self._state = str(MatchState.COMPLETED)

    def cancel(self, *, reason: str, actor: str, now: datetime) -> bool:
        """Cancelled from any state before Completed."""
        reason = limits.text("reason", reason, limits.REASON, lines=True)
        if self.state == MatchState.CANCELLED:
            return False
        if self.state == MatchState.COMPLETED:
            raise InvalidTransition("A completed match cannot be cancelled.")
        self._match_cancelled(reason=reason, actor=actor, timestamp=now)
        return True

    @event("MatchCancelled")
    def _match_cancelled(self, *, reason: str, actor: str, timestamp: datetime) -> None:
        """The match was cancelled (``reason`` as the admin gave it)."""
        self._state = str(MatchState.CANCELLED)
