"""Payments: the port the booking engine pays through, and its adapters.

`SandboxProvider` is the embedded default (no account, works offline); `StripeProvider`
is Stripe Checkout. Neither imports the rest of the project: the booking engine depends
on this package, never the other way round (api.md, "Player portal").
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
    "ProviderError",
    "SandboxProvider",
    "StripeProvider",
    "build_provider",
]
