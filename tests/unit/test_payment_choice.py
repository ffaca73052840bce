"""Which payment provider the settings choose (api.md "Payments without a provider
account"): the sandbox never by default where money is real."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from payments import (
    CheckoutRequest,
    InvalidSignature,
    PaymentsNotConfigured,
    SandboxProvider,
    StripeProvider,
    UnconfiguredProvider,
    build_provider,
)

STRIPE = {"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1"}
NOW = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)


def choose(env: dict[str, str] | None = None, **kwargs: Any) -> Any:
    return build_provider(env or {}, base_url="", secret=b"s", clock=lambda: NOW, **kwargs)


def test_the_sandbox_is_the_default_only_where_it_may_be() -> None:
    assert isinstance(choose(), SandboxProvider)  # embedded store, test clock
    assert isinstance(choose(sandbox_by_default=False), UnconfiguredProvider)
    assert isinstance(choose(choice="sandbox", sandbox_by_default=False), SandboxProvider)
    assert isinstance(choose(choice=" Sandbox "), SandboxProvider)
    assert isinstance(choose(choice="none"), UnconfiguredProvider)


def test_stripe_keys_choose_stripe_wherever() -> None:
    assert isinstance(choose(STRIPE, sandbox_by_default=False), StripeProvider)
    assert isinstance(choose(STRIPE, choice="stripe"), StripeProvider)


@pytest.mark.parametrize(
    ("env", "choice", "message"),
    [
        ({}, "stripe", "needs STRIPE_SECRET_KEY"),
        (STRIPE, "sandbox", "unset one of them"),
        (STRIPE, "none", "unset one of them"),
        ({}, "paypal", "use stripe, sandbox or none"),
    ],
)
def test_contradictions_stop_the_start(env: dict[str, str], choice: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        choose(env, choice=choice)


def test_without_a_provider_a_checkout_is_refused_in_plain_words() -> None:
    none = UnconfiguredProvider()
    request = CheckoutRequest(
        payment_id=uuid.uuid4(),
        offer_id=uuid.uuid4(),
        match_id=uuid.uuid4(),
        amount_minor=750,
        currency="GBP",
        description="Tuesday 5s",
        success_url="/portal",
        cancel_url="/portal",
        expires_at=NOW,
    )
    with pytest.raises(PaymentsNotConfigured, match="isn't set up for this club"):
        none.create_checkout(request)
    none.expire_checkout("anything")  # nothing was opened: nothing to close
    with pytest.raises(InvalidSignature):
        none.parse_webhook(b"{}", {})
