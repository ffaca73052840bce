"""Which payment provider the app runs with, from its environment (api.md, "Payments
without a provider account")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from payments.port import PaymentProvider
from payments.sandbox import SandboxProvider
from payments.stripe_provider import StripeProvider

STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")


def build_provider(
    env: Mapping[str, str],
    *,
    base_url: str,
    secret: bytes,
    clock: Callable[[], datetime],
) -> PaymentProvider:
    """Stripe when both `STRIPE_SECRET_KEY` and `STRIPE_WEBHOOK_SECRET` are set, else the
    sandbox signed with `secret` on `clock` (the app's clock, test clock included).

    Half a Stripe configuration is refused rather than quietly served by the sandbox,
    whose page lets anyone mark a payment as paid. `STRIPE_API_BASE` points the client
    at a fake Stripe in tests. Stripe keeps the wall clock: its bounds are on its clock.
    """
    present = [key for key in STRIPE_KEYS if env.get(key)]
    if len(present) == len(STRIPE_KEYS):
        return StripeProvider(
            env["STRIPE_SECRET_KEY"],
            env["STRIPE_WEBHOOK_SECRET"],
            api_base=env.get("STRIPE_API_BASE") or None,
        )
    if present:
        missing = next(key for key in STRIPE_KEYS if key not in present)
        raise ValueError(f"{present[0]} is set but {missing} is not; set both or neither")
    return SandboxProvider(secret, base_url, clock=clock)
