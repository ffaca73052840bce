"""The player portal's and the payments' bodies (api.md "Player portal", "Payments
without a provider account"), and the admin's views of paid places.

Built on the conventions of ``schemas.py``: strict types, unknown fields
refused, times out in UTC, money as integer minor units plus ``currency``.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StrictBool, StrictStr

from web.schemas import Body, Out, UtcTime
from web.schemas_values import EmailOrBlank, PhoneText, text_rule

# ------------------------------------------------------------------ sign in


class LoginIn(Body):
    phone: Annotated[PhoneText, Field(max_length=40)]


class LoginOut(Out):
    #: The same words whether or not the number is registered.
    message: str
    expires_in_seconds: int


class VerifyIn(Body):
    phone: Annotated[PhoneText, Field(max_length=40)]
    code: Annotated[StrictStr, Field(pattern=r"^[0-9]{6}$")]


class PortalPlayerOut(Out):
    player_id: UUID
    name: str
    #: Who the signed-in phone is to this player.
    relation: Literal["player", "guardian"]


class SessionOut(Out):
    #: The signed-in phone, masked as lists show it.
    phone: str
    players: list[PortalPlayerOut]


class SignedOutOut(Out):
    signed_out: bool


# ------------------------------------------------------------------- offers


class PortalOfferOut(Out):
    """An "Available Session" (seed 000): a place held for one of the caller's players."""

    offer_id: UUID
    match_id: UUID
    player_id: UUID
    player_name: str
    session_name: str
    session_date_time: UtcTime
    timezone: str
    location: str
    maps_url: str
    offer_expires_at: UtcTime
    price_minor: int
    currency: str
    #: The payment under way for it, if any (pending, failed, abandoned …).
    payment_status: str | None = None


class AcceptOut(Out):
    #: Where to pay: the provider's checkout (or the app's own sandbox page).
    payment_url: str


class DeclineOut(Out):
    offer_id: UUID
    declined: bool


class PortalBookingOut(Out):
    booking_id: UUID
    match_id: UUID
    player_id: UUID
    player_name: str
    session_name: str
    session_date_time: UtcTime
    timezone: str
    location: str
    status: str
    price_minor: int
    currency: str
    paid: bool
    payment_status: str | None = None
    #: What the check-in QR code holds.
    checkin_code: str | None = None
    qr_url: str | None = None


# ----------------------------------------------------------------- payments


class WebhookOut(Out):
    payment_id: UUID | None
    #: The payment's status after the event, or ``ignored``.
    status: str


class SandboxIn(Body):
    outcome: Literal["paid", "failed", "abandoned"]


# -------------------------------------------------------------------- admin


class PromotedOut(Out):
    """The payment-window offer an admin's promotion made."""

    offer_id: UUID
    player_id: UUID
    batch: int
    expires_at: UtcTime


class MatchPaymentOut(Out):
    """One payment attempt of a match, as a treasurer reads it."""

    payment_id: UUID
    offer_id: UUID | None = None
    player_id: UUID
    player_name: str | None = None
    amount_minor: int
    currency: str
    status: str
    late: bool = False
    started_at: UtcTime
    updated_at: UtcTime | None = None


# ------------------------------------------------------------ notifications


class DeviceOut(Out):
    device_id: str
    kind: Literal["webpush", "fcm"]
    platform: Literal["web", "android", "ios"]
    last_seen_at: UtcTime


class NotificationsOut(Out):
    #: In order of preference; the first that reaches the player is used.
    channels: list[Literal["push", "email", "sms"]]
    email: str | None
    muted: bool
    #: The channels this club has set up.
    available: list[Literal["push", "email", "sms"]]
    #: The Web Push application server key (null: the club has no Web Push).
    push_key: str | None
    devices: list[DeviceOut]


class NotificationsPatch(Body):
    channels: Annotated[list[Literal["push", "email", "sms"]], Field(max_length=3)] | None = None
    #: One address to be emailed at (normalised); "" removes it.
    email: EmailOrBlank | None = None
    muted: StrictBool | None = None


#: A Web Push endpoint (a URL) and a native app's token: one line each.
Endpoint = Annotated[StrictStr, Field(max_length=2000), text_rule(2000)]
DeviceToken = Annotated[StrictStr, Field(max_length=4096), text_rule(4096)]


class PushKeys(Body):
    p256dh: Annotated[StrictStr, Field(min_length=1, max_length=200), text_rule(200)]
    auth: Annotated[StrictStr, Field(min_length=1, max_length=100), text_rule(100)]


class PushSubscriptionIn(Body):
    """A browser's ``PushSubscription.toJSON()``, or a native app's FCM token."""

    endpoint: Endpoint | None = None
    keys: PushKeys | None = None
    #: Browsers send it (usually null); kept out of the stored subscription.
    expirationTime: float | None = None  # noqa: N815 - the browser's own name
    platform: Literal["android", "ios"] | None = None
    token: Annotated[DeviceToken, Field(min_length=1)] | None = None


class PushSubscriptionOut(Out):
    device_id: str


class PushRemoveIn(Body):
    endpoint: Endpoint | None = None
    token: DeviceToken | None = None
