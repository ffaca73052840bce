"""The sandbox provider (api.md, "Payments without a provider account"): its webhooks are
signed and checked like Stripe's, so the web layer's one code path is really exercised."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import stripe

from payments import (
    ABANDONED,
    FAILED,
    PAID,
    CheckoutRequest,
    IgnoredEvent,
    InvalidSignature,
    SandboxProvider,
    StripeProvider,
    build_provider,
)
from payments.sandbox import sign

SECRET = b"club-signing-secret"
# The test clock of a demo may run days ahead of the wall clock.
NOW = datetime(2026, 11, 27, 19, 0, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def sandbox(clock: Clock) -> SandboxProvider:
    return SandboxProvider(SECRET, "https://club.example", clock=clock)


def webhook(
    sandbox: SandboxProvider, outcome: str = PAID, payment_id: uuid.UUID | None = None
) -> tuple[bytes, dict[str, str]]:
    payment_id = payment_id or uuid.uuid4()
    return sandbox.signed_webhook(payment_id, f"sbx_{payment_id.hex}", outcome, 1250, "GBP", NOW)


@pytest.mark.parametrize("outcome", [PAID, FAILED, ABANDONED])
def test_a_signed_webhook_reads_back_as_its_outcome(sandbox: SandboxProvider, outcome: str) -> None:
    payment_id = uuid.uuid4()

    event = sandbox.parse_webhook(*webhook(sandbox, outcome, payment_id))

    assert event.outcome == outcome
    assert event.payment_id == payment_id
    assert event.provider_ref == f"sbx_{payment_id.hex}"
    assert (event.amount_minor, event.currency) == (1250, "GBP")
    assert event.occurred_at == NOW.replace(microsecond=0)
    assert event.event_id.startswith("evt_sbx_")


def test_signing_defaults_to_the_providers_clock(sandbox: SandboxProvider, clock: Clock) -> None:
    clock.now = NOW + timedelta(days=2)
    body, headers = sandbox.signed_webhook(uuid.uuid4(), "sbx_1", PAID, None, None)

    event = sandbox.parse_webhook(body, headers)

    assert event.occurred_at == clock.now.replace(microsecond=0)
    assert (event.amount_minor, event.currency) == (None, None)


def test_each_call_is_a_new_event(sandbox: SandboxProvider) -> None:
    payment_id = uuid.uuid4()
    ids = {sandbox.parse_webhook(*webhook(sandbox, PAID, payment_id)).event_id for _ in range(5)}

    assert len(ids) == 5


def test_the_header_is_found_whatever_its_case(sandbox: SandboxProvider) -> None:
    body, headers = webhook(sandbox)
    lowered = {k.lower(): v for k, v in headers.items()}

    assert sandbox.parse_webhook(body, lowered).outcome == PAID


def test_another_secret_is_refused(sandbox: SandboxProvider, clock: Clock) -> None:
    other = SandboxProvider(b"someone-else", clock=clock)

    with pytest.raises(InvalidSignature):
        sandbox.parse_webhook(*webhook(other))


def test_a_tampered_body_is_refused(sandbox: SandboxProvider) -> None:
    body, headers = webhook(sandbox, FAILED)
    changed = body.replace(b"payment.failed", b"payment.paid")
    assert changed != body

    with pytest.raises(InvalidSignature):
        sandbox.parse_webhook(changed, headers)


@pytest.mark.parametrize(
    "header",
    [None, "", "t=abc,v1=00", "v1=00", "t=1795000000", "t=1795000000,v0=00"],
    ids=["missing", "empty", "bad-time", "no-time", "no-sig", "other-scheme"],
)
def test_a_missing_or_garbled_header_is_refused(
    sandbox: SandboxProvider, header: str | None
) -> None:
    body, _ = webhook(sandbox)
    headers = {} if header is None else {"Stripe-Signature": header}

    with pytest.raises(InvalidSignature):
        sandbox.parse_webhook(body, headers)


def test_a_stale_signature_is_refused(sandbox: SandboxProvider, clock: Clock) -> None:
    body, headers = webhook(sandbox)
    clock.now = NOW + timedelta(minutes=5)
    assert sandbox.parse_webhook(body, headers).outcome == PAID  # the edge still counts

    clock.now = NOW + timedelta(minutes=5, seconds=1)
    with pytest.raises(InvalidSignature):
        sandbox.parse_webhook(body, headers)


def test_a_rotated_secret_is_accepted_if_one_signature_matches(sandbox: SandboxProvider) -> None:
    body, headers = webhook(sandbox)
    old = sign(b"last-years-secret", body, int(NOW.timestamp())).partition(",")[2]

    both = {"Stripe-Signature": f"{headers['Stripe-Signature']},{old}"}

    assert sandbox.parse_webhook(body, both).outcome == PAID


def test_the_signature_is_stripes_own_scheme() -> None:
    # Stripe's library accepts what the sandbox signs: the same header, the same HMAC.
    sandbox = SandboxProvider("whsec_sandbox")
    body, headers = sandbox.signed_webhook(uuid.uuid4(), "sbx_1", PAID, 1250, "GBP")

    assert stripe.WebhookSignature.verify_header(
        body, headers["Stripe-Signature"], "whsec_sandbox", tolerance=300
    )


def test_a_well_signed_event_of_another_type_is_ignored(sandbox: SandboxProvider) -> None:
    at = int(NOW.timestamp())
    body = json.dumps({"id": "evt_sbx_x", "type": "sandbox.payment.disputed", "created": at})
    raw = body.encode()

    with pytest.raises(IgnoredEvent):
        sandbox.parse_webhook(raw, {"Stripe-Signature": sign(SECRET, raw, at)})


def test_a_well_signed_unreadable_event_is_ignored(sandbox: SandboxProvider) -> None:
    raw = b'{"id": "evt_sbx_x", "type": "sandbox.payment.paid"}'

    with pytest.raises(IgnoredEvent):
        sandbox.parse_webhook(raw, {"Stripe-Signature": sign(SECRET, raw, int(NOW.timestamp()))})


def test_an_unknown_outcome_cannot_be_signed(sandbox: SandboxProvider) -> None:
    with pytest.raises(ValueError, match="unknown outcome"):
        sandbox.signed_webhook(uuid.uuid4(), "sbx_1", "refunded", 1250, "GBP", NOW)


def test_checkout_is_the_apps_own_page(sandbox: SandboxProvider) -> None:
    payment_id = uuid.uuid4()
    request = CheckoutRequest(
        payment_id=payment_id,
        offer_id=uuid.uuid4(),
        match_id=uuid.uuid4(),
        amount_minor=1250,
        currency="GBP",
        description="Thursday 5-a-side",
        success_url="/done",
        cancel_url="/cancel",
        expires_at=NOW + timedelta(hours=1),
    )

    checkout = sandbox.create_checkout(request)

    assert checkout.provider == "sandbox"
    assert checkout.provider_ref == f"sbx_{payment_id.hex}"
    assert checkout.url == f"https://club.example/pay/sandbox/{payment_id}"
    assert sandbox.create_checkout(request) == checkout


def test_refund_is_idempotent_per_payment(sandbox: SandboxProvider) -> None:
    payment_id = uuid.uuid4()
    ref = f"sbx_{payment_id.hex}"

    first = sandbox.refund(ref, payment_id=payment_id)

    assert first == sandbox.refund(ref, payment_id=payment_id, amount_minor=500)
    assert first == SandboxProvider(SECRET).refund(ref, payment_id=payment_id)  # any process
    assert first != sandbox.refund(ref, payment_id=uuid.uuid4())
    sandbox.expire_checkout(ref)  # nothing to close, never an error
    sandbox.expire_checkout(ref)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        SandboxProvider(b"")


def test_no_stripe_settings_select_the_sandbox(clock: Clock) -> None:
    chosen = build_provider({}, base_url="https://club.example", secret=SECRET, clock=clock)

    assert isinstance(chosen, SandboxProvider)
    clock.now = NOW + timedelta(days=3)  # it runs on the clock it was given
    body, headers = chosen.signed_webhook(uuid.uuid4(), "sbx_1", PAID, 1250, "GBP")
    assert chosen.parse_webhook(body, headers).occurred_at == clock.now.replace(microsecond=0)


def test_half_a_stripe_configuration_is_refused(clock: Clock) -> None:
    for env in ({"STRIPE_SECRET_KEY": "sk_test_1"}, {"STRIPE_WEBHOOK_SECRET": "whsec_1"}):
        with pytest.raises(ValueError, match="set both or neither"):
            build_provider(env, base_url="", secret=SECRET, clock=clock)


def test_both_stripe_settings_select_stripe(clock: Clock) -> None:
    env = {"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1"}

    chosen = build_provider(env, base_url="", secret=SECRET, clock=clock)

    assert isinstance(chosen, StripeProvider)
    assert "sk_test_1" not in repr(chosen)


def test_webhooks_are_checked_on_the_wall_clock_without_a_test_clock() -> None:
    sandbox = SandboxProvider(SECRET)
    body, headers = sandbox.signed_webhook(uuid.uuid4(), "sbx_1", PAID, 1250, "GBP")
    assert sandbox.parse_webhook(body, headers).outcome == PAID

    old = datetime.fromtimestamp(time.time() - 400, UTC)
    body, headers = sandbox.signed_webhook(uuid.uuid4(), "sbx_1", PAID, 1250, "GBP", old)
    with pytest.raises(InvalidSignature):
        sandbox.parse_webhook(body, headers)
