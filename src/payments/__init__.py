"""Payments: the port the booking engine pays through, and its adapters.

`SandboxProvider` is the embedded default (no account, works offline); `StripeProvider`
is Stripe Checkout; `UnconfiguredProvider` refuses priced offers where neither may run
(`payments.settings` chooses). None imports the rest of the project: the booking engine
depends on this package, never the other way round (api.md, "Player portal").
"""

from payments.port import (
    ABANDONED,
    FAILED,
    OUTCOMES,
    PAID,
    SIGNATURE_HEADER,
    Checkout,
    CheckoutRequest,
    IgnoredEvent,
    InvalidSignature,
    PaymentEvent,
    PaymentProvider,
    ProviderError,
)
from payments.sandbox import SandboxProvider
from payments.settings import build_provider
from payments.stripe_provider import StripeProvider
from payments.unconfigured import PaymentsNotConfigured, UnconfiguredProvider

__all__ = [
    "ABANDONED",
    "FAILED",
    "OUTCOMES",
    "PAID",
    "SIGNATURE_HEADER",
    "Checkout",
    "CheckoutRequest",
    "IgnoredEvent",
    "InvalidSignature",
    "PaymentEvent",
    "PaymentProvider",
    "PaymentsNotConfigured",
    "ProviderError",
    "SandboxProvider",
    "StripeProvider",
    "UnconfiguredProvider",
    "build_provider",
]
