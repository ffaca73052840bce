"""Court slots' bodies and answers (api.md "Court slots"; seed 002).

Built on the conventions of ``schemas.py``: strict types, unknown fields refused,
times out in UTC, money as integer minor units plus ``currency``.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from web.schemas import Body, IsoTime, Out, Status, UtcTime
from web.schemas_values import (
    Capacity,
    Court,
    Currency,
    HourMinute,
    IsoDate,
    PriceMinor,
    Reason,
    SlotMinutes,
    Sport,
    TimeZone,
    Token,
)


class CartIn(Body):
    """The cart the page showed (seed 002 ``cart_items``): checked against the slot."""

    court: Court | None = None
    sport: Sport | None = None
    date: IsoDate | None = None
    start: HourMinute | None = None
    end: HourMinute | None = None
    price_minor: PriceMinor | None = None


class CartOut(Out):
    court: str
    sport: str
    date: str
    start: str
    end: str
    price_minor: int
    currency: str


class SlotPick(Body):
    match_id: UUID
    cart: CartIn | None = None


class RequestIn(Body):
    slots: Annotated[list[SlotPick], Field(min_length=1, max_length=12)]
    #: Ties a retried request to the first one (idempotent).
    request_id: UUID | None = None
    #: A guardian asks for a player they look after; default: the signed-in phone's own.
    player_id: UUID | None = None


class SlotAnswerOut(Out):
    match_id: UUID
    status: Status
    waitlist_position: int | None
    cart: CartOut


class RequestOut(Out):
    request_id: UUID
    player_id: UUID
    slots: list[SlotAnswerOut]


class WithdrawIn(Body):
    player_id: UUID | None = None


class WithdrawOut(Out):
    match_id: UUID
    player_id: UUID
    withdrawn: bool


class MyRequestOut(Out):
    request_id: UUID | None
    match_id: UUID
    player_id: UUID
    player_name: str
    kind: Literal["booking", "waiting"]
    #: booking: pending, approved, rejected, withdrawn, expired, moved;
    #: waiting: waiting, converted, cancelled, moved.
    status: str
    cart: CartOut
    starts_at: UtcTime
    waitlist_position: int | None
    reason: str | None
    requested_at: UtcTime
    decided_at: UtcTime | None
    checked_in_at: UtcTime | None
    #: What the QR code holds (pending and approved bookings).
    checkin_code: str | None = None
    qr_url: str | None = None


class WaitingCartOut(Out):
    player_id: UUID
    player_name: str
    request_id: UUID | None
    position: int
    cart: CartOut
    joined_at: UtcTime


class QueueSlotOut(Out):
    match_id: UUID
    cart: CartOut
    starts_at: UtcTime
    waitlist: list[WaitingCartOut]


class ApprovalOut(Out):
    request_id: UUID
    match_id: UUID
    player_id: UUID
    player_name: str
    cart: CartOut
    requested_at: UtcTime
    converted_from: UUID | None
    moved_from: UUID | None
    slots: list[QueueSlotOut]
    #: The carts waiting behind the request's first slot.
    waitlist: list[WaitingCartOut]


class DecisionIn(Body):
    reason: Reason = ""


class DecisionOut(Out):
    request_id: UUID
    player_id: UUID
    slots: list[UUID]


class BulkIn(Body):
    decision: Literal["approve", "reject"]
    request_ids: Annotated[list[UUID], Field(min_length=1, max_length=200)]
    reason: Reason = ""


class BulkItemOut(Out):
    request_id: UUID
    ok: bool
    error: str | None = None
    code: str | None = None


class MoveIn(Body):
    to_match_id: UUID


class SlotIn(Body):
    court: Court
    sport: Sport = ""
    starts_at: IsoTime
    ends_at: IsoTime
    capacity: Capacity = 1
    price_minor: PriceMinor = 0
    currency: Currency = "GBP"
    timezone: TimeZone = "Europe/London"


class SlotOut(Out):
    match_id: UUID


class DayIn(Body):
    date: IsoDate
    courts: Annotated[list[Court], Field(min_length=1, max_length=40)]
    sport: Sport = ""
    first_start: HourMinute
    last_start: HourMinute
    length_minutes: SlotMinutes = 60
    price_minor: PriceMinor = 0
    timezone: TimeZone = "Europe/London"


class DayOut(Out):
    match_ids: list[UUID]


class DayQuery(Body):
    date: IsoDate | None = None


class CellOut(Out):
    court: str
    match_id: UUID | None
    state: Literal["free", "pending", "booked", "closed", "none"]
    sport: str | None = None
    waitlist: int | None = None
    booked: int | None = None
    capacity: int | None = None
    price_minor: int | None = None
    currency: str | None = None
    #: Who holds the slot (admins only).
    names: list[str] | None = None
    #: For a member: "booked", "pending" or "waiting #n" where it is theirs.
    yours: str | None = None


class GridRowOut(Out):
    start: str
    end: str
    cells: list[CellOut]


class GridOut(Out):
    date: str
    timezone: str
    courts: list[str]
    rows: list[GridRowOut]


class ConversionQuery(Body):
    match_id: UUID | None = None


class ConversionOut(Out):
    queued: int
    converted: int
    cancelled: int
    moved: int
    waiting: int
    #: converted ÷ (converted + cancelled); null until one has ended.
    rate: float | None


class CheckinIn(Body):
    code: Annotated[Token, Field(min_length=1)]


class CheckinOut(Out):
    booking_id: UUID
    match_id: UUID
    player_id: UUID
    player: str
    match: str
    checked_in_at: UtcTime


class QrQuery(Body):
    code: Annotated[Token, Field(min_length=1)]
