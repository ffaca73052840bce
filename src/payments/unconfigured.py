"""No payment provider: what a production deployment without Stripe runs with (api.md).

The sandbox lets a signed-in payer mark their own payment paid, so it is never the
silent fallback on a real store. Without a provider, Pay Now on a priced offer is
refused with words the payer and the organiser can act on; free places need no
provider at all. A webhook has nobody to come from, so every one is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from uuid import UUID

from payments.port import Checkout, CheckoutRequest, InvalidSignature, PaymentEvent, ProviderError

NOT_SET_UP: Final = (
    "Paying online isn't set up for this club yet — please ask the organiser. "
    "Your place stays held until the offer ends."
)


class PaymentsNotConfigured(ProviderError):
    """Pay Now with no provider configured: not a passing failure, so no retry is offered."""


class UnconfiguredProvider:
    """`PaymentProvider` that takes no money and says so (no `STRIPE_*`, no sandbox)."""

    name = "none"

    def __repr__(self) -> str:
        return "UnconfiguredProvider()"

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        raise PaymentsNotConfigured(NOT_SET_UP)

    def expire_checkout(self, provider_ref: str) -> None:
        """Nothing was opened here, so there is nothing to close."""

    def refund(
        self, provider_ref: str, *, payment_id: UUID, amount_minor: int | None = None
    ) -> str:
        # Money taken by a provider that has since been unset: it must be configured
        # again to give it back, so the refund task keeps failing loudly until then.
        raise ProviderError("No payment provider is configured to refund this payment.")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        raise InvalidSignature("no payment provider is configured")
