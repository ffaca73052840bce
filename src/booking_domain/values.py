"""Value objects and the domain's vocabulary (domain.md, "Words").

Everything here is immutable. Aggregates keep these in their state, so each one
is also registered with the event store's transcoder (see ``transcodings.py``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NewType, Self
from uuid import UUID

from booking_domain.errors import ValidationError


class Immutable:
    """Frozen value objects are shared, never copied.

    The repository deep-copies aggregates out of its cache for each command;
    without this, copying a roster of frozen entries would be most of a
    command's cost.
    """

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self


class CopiesContainersOnly:
    """For aggregates: a deep copy copies the containers in their state, and
    shares everything else, which is immutable (ids, times, strings, numbers,
    enums, value objects). What the repository does for every command."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        clone = object.__new__(type(self))
        for name, value in vars(self).items():
            if isinstance(value, list | dict | set) or hasattr(value, "__deepcopy__"):
                value = copy.deepcopy(value, memo)
            clone.__dict__[name] = value
        return clone


PlayerId = NewType("PlayerId", UUID)


class Status(StrEnum):
    """A player's response in a match (seed 004 §3.3, plus HELD from seeds 000/002)."""

    PENDING = "PENDING"
    IN = "IN"
    OUT = "OUT"
    MAYBE = "MAYBE"
    WAITLIST = "WAITLIST"
    HELD = "HELD"


class Action(StrEnum):
    """What a player can say through the booking link."""

    IN = "IN"
    OUT = "OUT"
    WAITLIST = "WAITLIST"
    MAYBE = "MAYBE"


class MatchState(StrEnum):
    """The lifecycle of seed 004 §1: Draft → PoolLocked → TeamsBalanced → Completed."""

    DRAFT = "Draft"
    POOL_LOCKED = "PoolLocked"
    TEAMS_BALANCED = "TeamsBalanced"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"


class InviteMode(StrEnum):
    """Who may book when (seed 004 §3): everyone at once, or by tier windows."""

    ALL = "all"
    TIERED = "tiered"


class Tier(StrEnum):
    """Booking tier; C is the default for every player (seed 004 §22.4)."""

    A = "A"
    B = "B"
    C = "C"


class OfferMode(StrEnum):
    """How a freed place is filled (domain.md, "Three ways a freed place is filled")."""

    FIRST_TO_CLAIM = "first_to_claim"
    PAYMENT_WINDOW = "payment_window"
    APPROVAL = "approval"


class Admission(StrEnum):
    """Whether a booking is confirmed at once or waits for an admin (seed 002)."""

    OPEN = "open"
    APPROVAL = "approval"


class Source(StrEnum):
    """Where a response came from (seed 004 §3.3 ``source``)."""

    WEB = "web"
    APP = "app"
    ADMIN = "admin"
    SYSTEM = "system"


class OfferOutcome(StrEnum):
    """How an offer ended, as the offer log shows it (seed 004 §7)."""

    OPEN = "open"
    CLAIMED = "claimed"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    DECLINED = "declined"
    ACCEPTED = "accepted"


@dataclass(frozen=True)
class Money(Immutable):
    """An amount in integer minor units (pence) with its ISO currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if self.minor < 0:
            raise ValidationError("price_minor", "must not be negative")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValidationError("currency", "must be a three-letter ISO code such as GBP")

    @property
    def is_free(self) -> bool:
        return self.minor == 0


@dataclass(frozen=True)
class TierWindows(Immutable):
    """When each tier may start booking; A ≤ B ≤ C (seed 004 §5.1)."""

    a_open_at: datetime
    b_open_at: datetime
    c_open_at: datetime

    def opens_at(self, tier: Tier) -> datetime:
        return {Tier.A: self.a_open_at, Tier.B: self.b_open_at, Tier.C: self.c_open_at}[Tier(tier)]

    def same_effect(self, other: TierWindows | None, now: datetime) -> bool:
        """Whether ``other`` lets the same tiers book at the same times from ``now`` on.

        Two windows that have both already opened are the same in effect, so
        resending "open now" later changes nothing.
        """
        if other is None:
            return False
        return all(
            mine == theirs or (mine <= now and theirs <= now)
            for mine, theirs in zip(
                (self.a_open_at, self.b_open_at, self.c_open_at),
                (other.a_open_at, other.b_open_at, other.c_open_at),
                strict=True,
            )
        )

    @property
    def b_and_c_together(self) -> bool:
        """The two-window flow, shown as "Tiers B+C" (seed 004 §18)."""
        return self.b_open_at == self.c_open_at


@dataclass(frozen=True)
class Booker(Immutable):
    """What the booking rules need to know about the player acting."""

    player_id: PlayerId
    name: str
    tier: Tier
    is_ringer: bool


@dataclass(frozen=True)
class ClubPolicy(Immutable):
    """Club-wide settings that decide who may book (seed 004 §3.4, all off by default)."""

    block_unknown_players: bool = False
    enable_ringer_self_book: bool = False
    include_ringers_in_invites: bool = False
    rsvp_burst_guard_enabled: bool = False
    tier_b_offset_hours: int = 24
    tier_c_offset_hours: int = 48
    #: Quiet hours, club time (0–23): notices that can wait are held until they end.
    #: Equal hours: none (the seed's default).
    quiet_hours_start: int = 0
    quiet_hours_end: int = 0
