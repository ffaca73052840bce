"""`StripeProvider` against a local fake of Stripe's API, through the official library.

Seed 000 Pay Now and api.md "Player portal": the checkout carries our ids and the offer's
end, every write is idempotent, and only a verified webhook confirms a payment. No network
beyond 127.0.0.1; nothing here is skipped.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from payments import (
    ABANDONED,
    FAILED,
    PAID,
    CheckoutRequest,
    IgnoredEvent,
    InvalidSignature,
    ProviderError,
    SandboxProvider,
    StripeProvider,
    build_provider,
)
from tests.integration.fake_stripe import (
    API_KEY,
    WEBHOOK_SECRET,
    FakeStripe,
    checkout_event,
    paid_session,
    signed,
)

# One minute past a 5-minute mark, so a retry seconds later stays in the same bound grid.
START = datetime(2026, 11, 24, 18, 1, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def stripe_fake(clock: Clock) -> Iterator[FakeStripe]:
    server = FakeStripe(clock=clock)
    with server.serve():
        yield server


@pytest.fixture
def provider(stripe_fake: FakeStripe, clock: Clock) -> StripeProvider:
    return StripeProvider(API_KEY, WEBHOOK_SECRET, api_base=stripe_fake.url, clock=clock)


@pytest.fixture
def verifier() -> StripeProvider:
    """Webhooks need no API calls, so no server (and the library's own clock)."""
    return StripeProvider(API_KEY, WEBHOOK_SECRET)


def a_request(offer_ends: datetime, **changes: Any) -> CheckoutRequest:
    fields: dict[str, Any] = {
        "payment_id": uuid.uuid4(),
        "offer_id": uuid.uuid4(),
        "match_id": uuid.uuid4(),
        "amount_minor": 1250,
        "currency": "GBP",
        "description": "Thursday 5-a-side — Tue 24 Nov 19:00",
        "success_url": "https://club.example/pay/done",
        "cancel_url": "https://club.example/pay/cancelled",
        "expires_at": offer_ends,
    }
    return CheckoutRequest(**(fields | changes))


# -- create_checkout ----------------------------------------------------------------------


def test_checkout_session_carries_our_ids_amount_and_offer_end(
    provider: StripeProvider, stripe_fake: FakeStripe
) -> None:
    request = a_request(START + timedelta(minutes=45))

    checkout = provider.create_checkout(request)

    [call] = stripe_fake.calls("POST", "/v1/checkout/sessions")
    assert call.headers["Authorization"] == f"Bearer {API_KEY}"
    assert call.idempotency_key == f"checkout-{request.payment_id}"
    assert call.form["mode"] == "payment"
    assert call.form["line_items[0][quantity]"] == "1"
    assert call.form["line_items[0][price_data][currency]"] == "gbp"
    assert call.form["line_items[0][price_data][unit_amount]"] == "1250"
    assert call.form["line_items[0][price_data][product_data][name]"] == request.description
    assert call.form["metadata[payment_id]"] == str(request.payment_id)
    assert call.form["metadata[offer_id]"] == str(request.offer_id)
    assert call.form["metadata[match_id]"] == str(request.match_id)
    assert call.form["payment_intent_data[metadata][payment_id]"] == str(request.payment_id)
    assert call.form["client_reference_id"] == str(request.payment_id)
    assert call.form["success_url"] == request.success_url
    assert call.form["cancel_url"] == request.cancel_url
    assert int(call.form["expires_at"]) == int(request.expires_at.timestamp())
    session = stripe_fake.sessions[checkout.provider_ref]
    assert checkout.provider == "stripe"
    assert checkout.url == session["url"]


@pytest.mark.parametrize(
    "offer_ends",
    [START + timedelta(minutes=5), START - timedelta(minutes=1), START + timedelta(days=3)],
    ids=["ends-in-5-min", "already-ended", "ends-in-3-days"],
)
def test_session_expiry_is_clamped_into_stripes_bounds(
    provider: StripeProvider, stripe_fake: FakeStripe, offer_ends: datetime
) -> None:
    # The fake refuses an expires_at outside 30 min – 24 h, as Stripe does.
    checkout = provider.create_checkout(a_request(offer_ends))

    expires_at = stripe_fake.sessions[checkout.provider_ref]["expires_at"]
    assert START + timedelta(minutes=30) <= datetime.fromtimestamp(expires_at, UTC)
    assert datetime.fromtimestamp(expires_at, UTC) <= START + timedelta(hours=24)


def test_a_retried_checkout_is_the_same_session(
    provider: StripeProvider, stripe_fake: FakeStripe, clock: Clock
) -> None:
    # An offer ending soon makes the lower bound (which moves with now) decide expires_at;
    # a retry 20 s later must still send the same parameters under the same key.
    request = a_request(START + timedelta(minutes=10))
    first = provider.create_checkout(request)
    clock.now += timedelta(seconds=20)

    again = provider.create_checkout(request)

    assert again == first
    assert len(stripe_fake.sessions) == 1
    calls = stripe_fake.calls("POST", "/v1/checkout/sessions")
    assert [c.form for c in calls] == [calls[0].form] * 2


def test_a_reused_key_with_other_parameters_is_a_provider_error(
    provider: StripeProvider,
) -> None:
    request = a_request(START + timedelta(hours=1))
    provider.create_checkout(request)

    with pytest.raises(ProviderError, match="same parameters"):
        provider.create_checkout(
            a_request(request.expires_at, payment_id=request.payment_id, amount_minor=999)
        )


def test_a_rejected_key_is_reported_without_the_key(stripe_fake: FakeStripe) -> None:
    wrong = "sk_test_not_the_right_one_42"
    provider = StripeProvider(wrong, WEBHOOK_SECRET, api_base=stripe_fake.url, clock=Clock(START))

    with pytest.raises(ProviderError) as refused:
        provider.create_checkout(a_request(START + timedelta(hours=1)))

    assert "credentials" in str(refused.value)
    assert wrong not in str(refused.value)
    assert wrong not in repr(provider)


def test_an_unreachable_stripe_is_a_provider_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = StripeProvider(
        API_KEY, WEBHOOK_SECRET, api_base=f"http://127.0.0.1:{port}", clock=Clock(START)
    )

    with pytest.raises(ProviderError, match="Could not reach Stripe"):
        provider.create_checkout(a_request(START + timedelta(hours=1)))


# -- expire_checkout ----------------------------------------------------------------------


def test_expire_closes_the_session_and_tolerates_a_second_call(
    provider: StripeProvider, stripe_fake: FakeStripe
) -> None:
    ref = provider.create_checkout(a_request(START + timedelta(hours=1))).provider_ref

    provider.expire_checkout(ref)
    provider.expire_checkout(ref)  # Stripe answers 400: the session is no longer open

    expires = stripe_fake.calls("POST", f"/v1/checkout/sessions/{ref}/expire")
    assert len(expires) == 2
    assert stripe_fake.sessions[ref]["status"] == "expired"


def test_expiring_a_paid_session_is_not_an_error(
    provider: StripeProvider, stripe_fake: FakeStripe
) -> None:
    ref = provider.create_checkout(a_request(START + timedelta(hours=1))).provider_ref
    stripe_fake.complete(ref)

    provider.expire_checkout(ref)

    assert stripe_fake.calls("GET", f"/v1/checkout/sessions/{ref}")
    assert stripe_fake.sessions[ref]["status"] == "complete"


def test_expiring_an_unknown_session_is_a_provider_error(provider: StripeProvider) -> None:
    with pytest.raises(ProviderError, match=r"No such checkout\.session"):
        provider.expire_checkout("cs_test_nobody")


# -- refund -------------------------------------------------------------------------------


def test_refund_sends_the_payment_intent_under_one_key_per_payment(
    provider: StripeProvider, stripe_fake: FakeStripe
) -> None:
    request = a_request(START + timedelta(hours=1))
    ref = provider.create_checkout(request).provider_ref
    intent = stripe_fake.complete(ref)["payment_intent"]

    first = provider.refund(ref, payment_id=request.payment_id)
    again = provider.refund(ref, payment_id=request.payment_id)

    assert first == again
    assert list(stripe_fake.refunds) == [first]
    calls = stripe_fake.calls("POST", "/v1/refunds")
    assert [c.idempotency_key for c in calls] == [f"refund-{request.payment_id}"] * 2
    assert calls[0].form["payment_intent"] == intent
    assert calls[0].form["metadata[payment_id]"] == str(request.payment_id)
    assert "amount" not in calls[0].form
    assert stripe_fake.refunds[first]["amount"] == 1250


def test_a_partial_refund_sends_the_amount(
    provider: StripeProvider, stripe_fake: FakeStripe
) -> None:
    request = a_request(START + timedelta(hours=1))
    ref = provider.create_checkout(request).provider_ref
    stripe_fake.complete(ref)

    refund_id = provider.refund(ref, payment_id=request.payment_id, amount_minor=500)

    assert stripe_fake.calls("POST", "/v1/refunds")[0].form["amount"] == "500"
    assert stripe_fake.refunds[refund_id]["amount"] == 500


def test_an_unpaid_checkout_has_nothing_to_refund(
    provider: StripeProvider, stripe_fake: FakeStripe
) -> None:
    request = a_request(START + timedelta(hours=1))
    ref = provider.create_checkout(request).provider_ref

    with pytest.raises(ProviderError, match="no payment to refund"):
        provider.refund(ref, payment_id=request.payment_id)
    assert not stripe_fake.calls("POST", "/v1/refunds")


# -- parse_webhook ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "payment_status", "outcome"),
    [
        ("checkout.session.completed", "paid", PAID),
        ("checkout.session.async_payment_succeeded", "paid", PAID),
        ("checkout.session.async_payment_failed", "unpaid", FAILED),
        ("checkout.session.expired", "unpaid", ABANDONED),
    ],
)
def test_checkout_events_map_to_our_outcomes(
    verifier: StripeProvider, kind: str, payment_status: str, outcome: str
) -> None:
    payment_id = uuid.uuid4()
    session = paid_session(payment_id, payment_status=payment_status)
    event = checkout_event(kind, session, created=1_795_000_000)

    parsed = verifier.parse_webhook(*signed(event))

    assert parsed.event_id == event["id"]
    assert parsed.outcome == outcome
    assert parsed.payment_id == payment_id
    assert parsed.provider_ref == session["id"]
    assert (parsed.amount_minor, parsed.currency) == (1250, "GBP")
    assert parsed.occurred_at == datetime.fromtimestamp(1_795_000_000, UTC)


def test_the_signature_header_is_found_whatever_its_case(verifier: StripeProvider) -> None:
    body, headers = signed(checkout_event("checkout.session.completed", paid_session(uuid.uuid4())))

    parsed = verifier.parse_webhook(body, {"stripe-signature": headers["Stripe-Signature"]})

    assert parsed.outcome == PAID


def test_client_reference_id_stands_in_for_missing_metadata(verifier: StripeProvider) -> None:
    payment_id = uuid.uuid4()
    session = paid_session(payment_id, metadata={})

    parsed = verifier.parse_webhook(*signed(checkout_event("checkout.session.expired", session)))

    assert parsed.payment_id == payment_id


@pytest.mark.parametrize(
    "event",
    [
        checkout_event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"}),
        checkout_event("charge.refunded", {"id": "ch_1", "object": "charge"}),
        checkout_event(
            "checkout.session.completed", paid_session(uuid.uuid4(), payment_status="unpaid")
        ),
        checkout_event(
            "checkout.session.completed",
            paid_session(uuid.uuid4(), metadata={}, client_reference_id=None),
        ),
    ],
    ids=["other-type", "refund-echo", "completed-unpaid", "not-ours"],
)
def test_events_we_do_not_act_on_are_ignored(
    verifier: StripeProvider, event: dict[str, Any]
) -> None:
    with pytest.raises(IgnoredEvent):
        verifier.parse_webhook(*signed(event))


def a_completed_event() -> dict[str, Any]:
    return checkout_event("checkout.session.completed", paid_session(uuid.uuid4()))


@pytest.mark.parametrize("flaw", ["forged", "tampered", "unsigned", "stale", "garbled"])
def test_bad_signatures_are_refused(verifier: StripeProvider, flaw: str) -> None:
    secret = "whsec_someone_else" if flaw == "forged" else WEBHOOK_SECRET
    age = 330 if flaw == "stale" else 0  # the library's tolerance is 300 s
    body, headers = signed(a_completed_event(), secret=secret, at=int(time.time()) - age)
    if flaw == "tampered":
        body = body.replace(b'"amount_total": 1250', b'"amount_total": 1')
        assert b'"amount_total": 1,' in body
    headers = {"unsigned": {}, "garbled": {"Stripe-Signature": "t=soon,v1=abc"}}.get(flaw, headers)

    with pytest.raises(InvalidSignature):
        verifier.parse_webhook(body, headers)


def test_a_signature_within_the_tolerance_is_accepted(verifier: StripeProvider) -> None:
    webhook = signed(a_completed_event(), at=int(time.time()) - 240)

    assert verifier.parse_webhook(*webhook).outcome == PAID


def test_a_sandbox_signature_is_refused_by_stripe(verifier: StripeProvider) -> None:
    sandbox = SandboxProvider(b"sandbox-secret")
    body, headers = sandbox.signed_webhook(uuid.uuid4(), "sbx_1", PAID, 1250, "GBP")

    with pytest.raises(InvalidSignature):
        verifier.parse_webhook(body, headers)


# -- build_provider -----------------------------------------------------------------------


def test_both_stripe_settings_select_stripe(stripe_fake: FakeStripe) -> None:
    stripe_fake.clock = lambda: datetime.now(UTC)  # a built provider runs on the wall clock
    env = {
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_fake.url,
    }

    chosen = build_provider(env, base_url="", secret=b"s", clock=lambda: START)

    assert isinstance(chosen, StripeProvider)
    checkout = chosen.create_checkout(a_request(datetime.now(UTC) + timedelta(hours=1)))
    assert checkout.provider_ref in stripe_fake.sessions
