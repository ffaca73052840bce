"""The API's request and response bodies (api.md), as Pydantic models.

The same models validate requests and generate ``/api/openapi.json``. Types are
strict (``"5"`` is not a capacity); text, numbers and times are held to what the
engine accepts (``schemas_values.py``, the domain's rules), and names and phones
are checked by the domain, which answers with its own codes (``name_too_long``,
``invalid_phone``…).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StrictBool

from web.schemas_values import (
    Capacity,
    Currency,
    Email,
    HourOfDay,
    IsoTime,
    Location,
    NameText,
    OfferFanout,
    PaymentWindowMinutes,
    PhoneText,
    Position,
    PriceMinor,
    Reason,
    TierOffsetHours,
    TimeZone,
    Title,
)

#: Times out are ISO 8601 in UTC.
UtcTime = Annotated[
    datetime, PlainSerializer(lambda t: t.astimezone(UTC).isoformat(), return_type=str)
]
Tier = Literal["A", "B", "C"]
#: A player's response in a match (domain.md "response").
Status = Literal["IN", "HELD", "WAITLIST", "MAYBE", "OUT", "PENDING"]


class Body(BaseModel):
    """A request body: unknown fields are refused, so a typo is never ignored."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


# ---------------------------------------------------------------- players


class PlayerIn(Body):
    name: NameText
    phone: PhoneText
    tier: Tier = "C"
    is_ringer: StrictBool = False
    email: Email | None = None
    guardian_phones: list[PhoneText] = Field(default_factory=list, max_length=5)


class PlayerPatch(Body):
    name: NameText | None = None
    tier: Tier | None = None
    is_ringer: StrictBool | None = None
    muted: StrictBool | None = None
    #: The phones of the player's parents or guardians (they may pay for them).
    guardian_phones: Annotated[list[PhoneText], Field(max_length=5)] | None = None


class PlayerOut(Out):
    player_id: UUID
    name: str
    phone: str
    tier: Tier
    is_ringer: bool
    muted: bool
    email: str | None = None
    guardian_phones: list[str] = []


# --------------------------------------------------------------- settings


class SettingsPatch(Body):
    block_unknown_players: StrictBool | None = None
    enable_ringer_self_book: StrictBool | None = None
    include_ringers_in_invites: StrictBool | None = None
    rsvp_burst_guard_enabled: StrictBool | None = None
    tier_b_offset_hours: TierOffsetHours | None = None
    tier_c_offset_hours: TierOffsetHours | None = None
    quiet_hours_start: HourOfDay | None = None
    quiet_hours_end: HourOfDay | None = None


class SettingsOut(Out):
    block_unknown_players: bool
    enable_ringer_self_book: bool
    include_ringers_in_invites: bool
    rsvp_burst_guard_enabled: bool
    tier_b_offset_hours: int
    tier_c_offset_hours: int
    quiet_hours_start: int
    quiet_hours_end: int


# ---------------------------------------------------------------- matches


class MatchIn(Body):
    title: Title
    kickoff_at: IsoTime
    location: Location
    capacity: Capacity
    price_minor: PriceMinor = 0
    currency: Currency = "GBP"
    timezone: TimeZone = "Europe/London"
    admission: Literal["open", "approval"] = "open"
    offer_mode: Literal["first_to_claim", "payment_window", "approval"] | None = None
    payment_window_minutes: PaymentWindowMinutes = 60
    auto_promote: StrictBool = True
    offer_fanout: OfferFanout = 3


class TierWindowsIn(Body):
    a_open_at: IsoTime | None = None
    b_open_at: IsoTime | None = None
    c_open_at: IsoTime | None = None


class EnableBookingIn(Body):
    invite_mode: Literal["all", "tiered"] = "all"
    tier_windows: TierWindowsIn | None = None


class InviteModeIn(Body):
    invite_mode: Literal["all", "tiered"]
    tier_windows: TierWindowsIn | None = None


class CapacityIn(Body):
    capacity: Capacity


class AddPlayerIn(Body):
    player_id: UUID


class ReasonIn(Body):
    reason: Reason | None = None


class TierWindowsOut(Out):
    a_open_at: UtcTime
    b_open_at: UtcTime
    c_open_at: UtcTime


class RosterEntryOut(Out):
    player_id: UUID
    name: str
    status: Status
    waitlist_position: int | None
    out_flexible: bool
    is_ringer: bool
    tier: Tier
    source: str | None
    since: UtcTime | None
    grace_until: UtcTime | None
    bumped: bool
    offer_id: UUID | None
    offer_expires_at: UtcTime | None
    #: HELD: the place is theirs if they pay by then (seed 000).
    hold_until: UtcTime | None = None


class OpenOfferOut(Out):
    offer_id: UUID
    player_id: UUID
    batch: int | None
    expires_at: UtcTime | None
    #: A paid offer: a place is held while the player pays.
    holds: bool | None = None
    #: The latest payment attempt's status (pending, failed, abandoned …), if any.
    payment_status: str | None = None


class MatchSummaryOut(Out):
    match_id: UUID
    title: str
    kickoff_at: UtcTime
    timezone: str
    location: str
    state: str
    capacity: int
    booked: int
    held: int
    waitlist: int
    spots_left: int
    booking_enabled: bool


class MatchOut(MatchSummaryOut):
    price_minor: int
    currency: str
    admission: str
    offer_mode: str
    invite_mode: str
    tier_windows: TierWindowsOut | None
    instant_claim: bool
    in_grace: int
    players: list[RosterEntryOut]
    open_offers: list[OpenOfferOut]


class BookingLinkOut(Out):
    booking_link: str
    token: str


class OfferOut(Out):
    offer_id: UUID
    player_id: UUID
    batch: int
    expires_at: UtcTime | None


class LastCallOut(Out):
    queued: int
    player_ids: list[UUID]


class ActivityOut(Out):
    at: UtcTime
    kind: str
    text: str
    player_id: UUID | None = None
    actor: str | None = None


class OfferLogOut(Out):
    offer_id: UUID
    player_id: UUID
    player_name: str | None = None
    batch: int
    issued_at: UtcTime
    expires_at: UtcTime | None
    outcome: Literal["open", "claimed", "expired", "superseded", "declined", "accepted"]
    ended_at: UtcTime | None
    reason: str | None = None
    #: ``paid``: a payment-window offer (seed 000); ``claim``: first to claim (seed 004).
    kind: Literal["paid", "claim"] | None = None
    #: Who made a paid offer: an admin's promotion, or the system's auto-promote.
    promoted_by: str | None = None
    #: A paid offer's latest payment attempt: its status, how many, whether one came late.
    payment_status: str | None = None
    attempts: int | None = None
    late: bool | None = None


class EventOut(Out):
    position: int
    stream: Literal["Match", "Waitlist"]
    version: int
    type: str
    at: str
    data: dict[str, object]


class TryOut(Out):
    at: UtcTime
    channel: str
    outcome: str
    detail: str


class LedgerOut(Out):
    notice_id: str
    player_id: UUID
    match_id: UUID | None
    kind: str
    batch_key: str
    queued_at: UtcTime
    sent_at: UtcTime | None
    outcome: str
    channel: str | None
    detail: str | None
    attempts: int
    #: When it may go: later than queued when held for a digest, quiet hours or a retry.
    due_at: UtcTime | None = None
    #: The digest it was coalesced into.
    digest_id: str | None = None
    #: Each try at a channel: when, which, how it went (temporary, permanent, sent).
    tries: list[TryOut] = []


class LedgerQuery(Body):
    match_id: UUID | None = None
    player_id: UUID | None = None


class AfterQuery(Body):
    """Read endpoints: wait until the read models include this event position."""

    after: Position | None = None
