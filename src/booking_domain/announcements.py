"""What a match has announced, and when: tier openings, last calls, first-tap places.

These are the moments the clock brings (seed 004 §5, §6.1, §22.2). Each is
recorded once, as an event naming who is to be told, so that the notices that
follow and an auditor reading the stream agree on who was told what and why.
``Match`` (match.py) builds on this; the timers that bring these moments are
derived from this state (``timers.py``).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from booking_domain import policies
from booking_domain.match_schedule import MatchSchedule
from booking_domain.values import InviteMode, Tier

TIERS = (Tier.A, Tier.B, Tier.C)


class MatchAnnouncements(MatchSchedule):
    """The announcements of a match (seed 004 §5 "Notifications")."""

    # What was announced is kept in attributes set by the events below; a
    # match whose stream began before an event was first recorded reads the
    # empty default. Containers are replaced, never changed in place.

    @property
    def tiers_announced(self) -> tuple[str, ...]:
        return tuple(self.__dict__.get("_tiers_announced", ()))

    @property
    def last_calls(self) -> dict[str, datetime]:
        """Which scheduled last calls were made, and when."""
        return dict(self.__dict__.get("_last_calls", {}))

    @property
    def instant_claim_started_at(self) -> datetime | None:
        return self.__dict__.get("_instant_claim_started_at")

    def _last_called(self) -> dict[str, datetime]:
        """Player id (hex) → when they were last asked in a last call."""
        return dict(self.__dict__.get("_last_called_at", {}))

    # -------------------------------------------------------------- tier open

    def tier_is_open(self, tier: Tier, now: datetime) -> bool:
        if self.invite_mode == InviteMode.ALL or self.tier_windows is None:
            return True
        return self.tier_windows.opens_at(tier) <= now

    def next_tier_opening(self) -> datetime | None:
        """When the next tier not yet announced opens (all at once: when booking opened)."""
        pending = [t for t in TIERS if t not in self.tiers_announced]
        if not pending:
            return None
        if self.invite_mode == InviteMode.ALL or self.tier_windows is None:
            return self.booking_enabled_at
        return min(self.tier_windows.opens_at(t) for t in pending)

    def tiers_opening(self, now: datetime) -> list[Tier]:
        """The tiers whose windows have opened but which have not been told yet."""
        if not self.is_booking_open() or now >= self.kickoff_at:
            return []
        return [t for t in TIERS if t not in self.tiers_announced and self.tier_is_open(t, now)]

    def announce_open_tiers(
        self, *, tiers: list[Tier], player_ids: list[UUID], actor: str, now: datetime
    ) -> None:
        """Tell each tier once when its window opens (seed 004 §6.1 "Tier open")."""
        if tiers:
            self._tier_opened(
                tiers=[str(t) for t in tiers], player_ids=player_ids, actor=actor, timestamp=now
            )

    @event("TierOpened")
    def _tier_opened(
        self, *, tiers: list[str], player_ids: list[UUID], actor: str, timestamp: datetime
    ) -> None:
        """These tiers may now book, and these of their players are told."""
        self._tiers_announced = [*self.tiers_announced, *tiers]

    # -------------------------------------------------------------- last call

    def last_calls_due(self) -> dict[str, datetime]:
        """The last calls still to make, each with its time (seed 004 §22.2).

        A last call whose time came before booking was switched on is not made:
        the players heard about the match when it opened.
        """
        opened = self.booking_enabled_at
        if not self.is_booking_open() or opened is None:
            return {}
        due = {which: self.kickoff_at - before for which, before in policies.LAST_CALLS.items()}
        return {w: at for w, at in due.items() if w not in self.last_calls and at > opened}

    def called_recently(self, player_id: UUID, now: datetime) -> bool:
        """A last call within the cooldown (seed 004 §5 "6h last-call cooldown")."""
        at = self._last_called().get(player_id.hex)
        return at is not None and now - at < policies.LAST_CALL_COOLDOWN

    def record_last_call(
        self, *, which: str, short_by: int, player_ids: list[UUID], actor: str, now: datetime
    ) -> None:
        """A last call was made (``short_by`` 0: the match was full, nobody was called)."""
        self._last_call_sent(
            which=which, short_by=short_by, player_ids=player_ids, actor=actor, timestamp=now
        )

    @event("LastCallSent")
    def _last_call_sent(
        self,
        *,
        which: str,
        short_by: int,
        player_ids: list[UUID],
        actor: str,
        timestamp: datetime,
    ) -> None:
        """A last call: the match was ``short_by`` players short and these were asked."""
        self._last_calls = {**self.last_calls, which: timestamp}
        self._last_called_at = {**self._last_called(), **{p.hex: timestamp for p in player_ids}}

    # ---------------------------------------------------------- instant claim

    def start_instant_claim(
        self, *, player_ids: list[UUID], free_places: int, now: datetime
    ) -> None:
        """Under 30 minutes to go, free places go to the first tap (seed 004 §7)."""
        if self.instant_claim_started_at is None:
            self._instant_claim_started(
                player_ids=player_ids, free_places=free_places, timestamp=now
            )

    @event("InstantClaimStarted")
    def _instant_claim_started(
        self, *, player_ids: list[UUID], free_places: int, timestamp: datetime
    ) -> None:
        """Offers stopped: a free place now goes to the first waiting player to tap Claim."""
        self._instant_claim_started_at = timestamp

    def put_up_for_grabs(
        self, *, player_ids: list[UUID], free_places: int, reason: str, now: datetime
    ) -> None:
        """A place freed after instant claim began: everyone waiting is told at once."""
        if player_ids:
            self._place_up_for_grabs(
                player_ids=player_ids, free_places=free_places, reason=reason, timestamp=now
            )

    @event("PlaceUpForGrabs")
    def _place_up_for_grabs(
        self, *, player_ids: list[UUID], free_places: int, reason: str, timestamp: datetime
    ) -> None:
        """A place came free in the last 30 minutes; the first of these to tap gets it."""
