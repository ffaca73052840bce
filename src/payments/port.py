"""The payments port: what the booking engine asks of a payment provider.

Seed 000 ("Pay Now" on a payment-window offer) and api.md "Player portal": accepting an
offer opens a hosted checkout; the provider's signed webhook, and nothing else, confirms
or fails the payment. Adapters (`sandbox`, `stripe_provider`) translate to and from these
types so the rest of the project never sees a provider's own objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol
from uuid import UUID

PAID: Final = "paid"
FAILED: Final = "failed"
ABANDONED: Final = "abandoned"
OUTCOMES: Final = frozenset({PAID, FAILED, ABANDONED})

SIGNATURE_HEADER: Final = "Stripe-Signature"
"""Both adapters sign with Stripe's scheme, so the webhook view reads one header."""


@dataclass(frozen=True)
class CheckoutRequest:
    """What Pay Now asks for once the offer and its hold are re-validated (seed 000)."""

    payment_id: UUID
    offer_id: UUID
    match_id: UUID
    amount_minor: int
    currency: str
    description: str
    success_url: str
    cancel_url: str
    expires_at: datetime  # tz-aware UTC: when our offer ends


@dataclass(frozen=True)
class Checkout:
    """A hosted checkout the payer's browser is sent to (api.md: `payment_url`)."""

    provider: str
    provider_ref: str
    url: str


@dataclass(frozen=True)
class PaymentEvent:
    """A verified provider webhook, in our terms.

    `event_id` is the idempotency key of `POST /api/payments/webhook` (api.md): providers
    deliver at least once, so the same event may arrive twice.
    """

    event_id: str
    outcome: str  # PAID | FAILED | ABANDONED
    payment_id: UUID
    provider_ref: str
    amount_minor: int | None
    currency: str | None
    occurred_at: datetime  # the provider's event time, UTC


class InvalidSignature(Exception):
    """The webhook's signature is bad, missing or stale: answer 400 and drop it."""


class IgnoredEvent(Exception):
    """A well-signed event we do not act on: answer 200 so the provider stops retrying."""


class ProviderError(Exception):
    """The provider refused or was unreachable; the message is safe to show (no secrets)."""


class PaymentProvider(Protocol):
    """The port. Every method is safe to call twice: callers run under at-least-once
    delivery (architecture.md, the outbox and dramatiq)."""

    name: str

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Open a hosted checkout for one payment; idempotent per `payment_id`."""
        ...

    def expire_checkout(self, provider_ref: str) -> None:
        """Close the checkout when the offer ends; a completed or expired one is done."""
        ...

    def refund(
        self, provider_ref: str, *, payment_id: UUID, amount_minor: int | None = None
    ) -> str:
        """Refund (all, or `amount_minor` of) a paid checkout; idempotent per `payment_id`."""
        ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        """Verify the signature first, then read the event (raises the errors above)."""
        ...


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """Read a header whatever its case: Flask's headers ignore case, a plain dict does not."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)
