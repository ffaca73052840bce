"""Which payment provider the app runs with, from its environment (api.md, "Payments
without a provider account").

Stripe when both `STRIPE_SECRET_KEY` and `STRIPE_WEBHOOK_SECRET` are set. Otherwise the
sandbox only where nobody can lose money by it — the embedded store and the test clock —
or where `BOOKING_PAYMENTS=sandbox` asks for it; anywhere else no provider, so a priced
offer is refused rather than "paid" by whoever clicks the sandbox's button.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from payments.port import PaymentProvider
from payments.sandbox import SandboxProvider
from payments.stripe_provider import StripeProvider
from payments.unconfigured import UnconfiguredProvider

STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
#: The values of `BOOKING_PAYMENTS`; "" lets the other settings decide.
CHOICES = ("", "stripe", "sandbox", "none")


def build_provider(
    env: Mapping[str, str],
    *,
    base_url: str,
    secret: bytes,
    clock: Callable[[], datetime],
    choice: str = "",
    sandbox_by_default: bool = True,
) -> PaymentProvider:
    """The provider `env` (`STRIPE_*`) and `choice` (`BOOKING_PAYMENTS`) select.

    `sandbox_by_default` is true on the embedded store and with the test clock. The
    sandbox is signed with `secret` on `clock` (the app's clock, test clock included);
    Stripe keeps the wall clock: its bounds are on its clock. `STRIPE_API_BASE` points
    the client at a fake Stripe in tests.

    Half a Stripe configuration, or Stripe keys beside another explicit choice, is
    refused rather than guessed at: which provider takes the money must be plain.
    """
    choice = choice.strip().lower()
    if choice not in CHOICES:
        raise ValueError(f"BOOKING_PAYMENTS={choice!r}: use stripe, sandbox or none")
    present = [key for key in STRIPE_KEYS if env.get(key)]
    if present and len(present) < len(STRIPE_KEYS):
        missing = next(key for key in STRIPE_KEYS if key not in present)
        raise ValueError(f"{present[0]} is set but {missing} is not; set both or neither")
    if present:
        if choice not in ("", "stripe"):
            raise ValueError(f"BOOKING_PAYMENTS={choice} but STRIPE_* is set: unset one of them")
        return StripeProvider(
            env["STRIPE_SECRET_KEY"],
            env["STRIPE_WEBHOOK_SECRET"],
            api_base=env.get("STRIPE_API_BASE") or None,
        )
    if choice == "stripe":
        raise ValueError(
            "BOOKING_PAYMENTS=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"
        )
    if choice == "sandbox" or (choice == "" and sandbox_by_default):
        return SandboxProvider(secret, base_url, clock=clock)
    return UnconfiguredProvider()
