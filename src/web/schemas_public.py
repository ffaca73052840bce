"""The shared link's and the test clock's bodies (api.md "Public booking", "Test clock").

Built on the same conventions as ``schemas.py``: strict types, unknown fields
refused, times in as ISO text with an offset and out in UTC.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, RootModel, StrictBool, StrictFloat, StrictInt

from booking_domain import limits
from web.schemas import Body, IsoTime, Out, Status, Tier, TierWindowsOut, UtcTime
from web.schemas_courts import CartIn
from web.schemas_values import NameText, PhoneText, Position, Token

# -------------------------------------------------------- public booking


class TokenQuery(Body):
    token: Token = ""


class LiveQuery(Body):
    token: Token = ""
    phone: PhoneText = ""
    #: The ``X-Event-Position`` of the caller's own last write: the answer includes it.
    after: Position | None = None


class PublicMatchOut(Out):
    match_id: UUID
    title: str
    kickoff_at: UtcTime
    timezone: str
    location: str
    maps_url: str
    capacity: int
    booked: int
    waitlist: int
    spots_left: int
    state: str
    booking_enabled: bool
    invite_mode: str
    tier_windows: TierWindowsOut | None
    instant_claim: bool
    price_minor: int
    currency: str


class RespondIn(Body):
    match_id: UUID
    token: Token
    phone: PhoneText
    action: Literal["IN", "OUT", "WAITLIST", "MAYBE"]
    out_flexible: StrictBool = False
    name: NameText | None = None
    source: Literal["web", "app"] = "web"
    #: A court slot (seed 002): the cart the page showed, checked against the slot.
    cart: CartIn | None = None
    #: A court slot: ties this answer to a multi-slot request (idempotent).
    request_id: UUID | None = None


class ClaimIn(Body):
    match_id: UUID
    token: Token
    phone: PhoneText


class LiveOfferOut(Out):
    offer_id: UUID
    expires_at: UtcTime


class StandingOut(Out):
    player_id: UUID
    status: Status
    waitlist_position: int | None = None
    #: HELD with a paid offer: until when the place is held (seed 000: log in to pay).
    hold: UtcTime | None = None
    grace_until: UtcTime | None = None
    out_flexible: bool = False
    offer: LiveOfferOut | None = None
    instant_claim: bool = False


class TierOpeningOut(Out):
    """A tier window still to open, for the page's "Tier X opens in …" (seed 004 §18)."""

    tier: Tier
    opens_at: UtcTime
    #: The caller may not book before ``opens_at`` (their tier; no phone: no tier open yet).
    caller_waits: bool
    #: B and C open at the same time: worded "Tiers B+C".
    b_and_c_together: bool
    #: The caller is (or would book as) a ringer: "Booking opens for your tier at …".
    ringer: bool


class LiveOut(Out):
    booked: int
    capacity: int
    waitlist: int
    spots_left: int
    state: str
    booking_enabled: bool
    status: Status | None
    waitlist_position: int | None
    grace_until: UtcTime | None = None
    offer: LiveOfferOut | None
    #: HELD with a paid offer: the place is theirs if they pay (in the portal) by then.
    hold_until: UtcTime | None = None
    instant_claim: bool
    #: The server's time (a test clock may differ from the browser's): countdowns run on it.
    now: UtcTime | None = None
    out_flexible: bool = False
    #: The caller may not book before this (their tier's window has not opened).
    opens_at: UtcTime | None = None
    opening: TierOpeningOut | None = None
    #: Why no one may answer now, in the domain's words (booking off, locked, …).
    closed: str | None = None


# ------------------------------------------------------------- test clock


class AdvanceBy(Body):
    advance_seconds: Annotated[
        StrictInt | StrictFloat,
        Field(ge=0, le=int(limits.LONGEST_CLOCK_MOVE.total_seconds())),
    ]


class MoveTo(Body):
    now: IsoTime


class ClockIn(RootModel[AdvanceBy | MoveTo]):
    """Move the test clock by some seconds, or to a moment (never back)."""


class FiredOut(Out):
    match_id: UUID
    kind: str
    due_at: UtcTime


class ClockOut(Out):
    now: UtcTime
    fired: list[FiredOut] = []


class InboxQuery(Body):
    phone: PhoneText


class InboxOut(Out):
    kind: str
    text: str
    at: UtcTime
