"""Stripe Checkout behind the payments port (api.md: `STRIPE_SECRET_KEY` and
`STRIPE_WEBHOOK_SECRET` set).

Everything goes through the official `stripe` library: `StripeClient` for the API (its
`base_addresses` points it at a fake in tests) and `stripe.WebhookSignature` for webhooks.
Every write carries an idempotency key derived from our payment id, because the outbox
and dramatiq deliver at least once (architecture.md) and the library retries on its own.
The secret key lives only inside the client; it is never logged, shown or repr'd.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

import stripe

from payments.port import (
    ABANDONED,
    FAILED,
    PAID,
    SIGNATURE_HEADER,
    Checkout,
    CheckoutRequest,
    IgnoredEvent,
    InvalidSignature,
    PaymentEvent,
    ProviderError,
    header_value,
)

log = logging.getLogger(__name__)

# Stripe accepts a Checkout Session `expires_at` between 30 minutes and 24 hours after
# the session is created. Our offer may end sooner (the last minutes of a payment window)
# or, in principle, later; the session is clamped into Stripe's bounds and the offer's own
# end is enforced by us: the payment-window process calls `expire_checkout` when it ends.
MIN_SESSION_LIFETIME: Final = timedelta(minutes=31)  # 30 min + a minute for latency and skew
MAX_SESSION_LIFETIME: Final = timedelta(hours=24)
# Both bounds move with `now`; rounding `now` to this grid keeps a retried create (same
# idempotency key) sending the same parameters, which Stripe requires of a reused key.
BOUND_GRID: Final = timedelta(minutes=5)

HTTP_TIMEOUT_SECONDS: Final = 20.0  # Pay Now waits on this call; the library default is 80
WEBHOOK_TOLERANCE_SECONDS: Final = stripe.Webhook.DEFAULT_TOLERANCE  # 300 s, against replays
NETWORK_RETRIES: Final = 2  # safe: every POST has an idempotency key

# checkout.session.* events we act on; `completed` counts only once the money is in
# (a delayed method such as a bank debit completes "unpaid", then sends async_payment_*).
EVENT_OUTCOMES: Final = {
    "checkout.session.completed": PAID,
    "checkout.session.async_payment_succeeded": PAID,
    "checkout.session.async_payment_failed": FAILED,
    "checkout.session.expired": ABANDONED,
}

_KEY_PATTERN = re.compile(r"\b(?:sk|rk|pk|whsec)_[A-Za-z0-9_*]+")


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def session_expiry(offer_ends: datetime, now: datetime) -> datetime:
    """When the Checkout Session should expire: our offer's end, inside Stripe's bounds."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    floor = now - (now - epoch) % BOUND_GRID
    ceiling = floor if floor == now else floor + BOUND_GRID
    earliest = ceiling + MIN_SESSION_LIFETIME
    latest = floor + MAX_SESSION_LIFETIME
    return min(max(offer_ends, earliest), latest)


class StripeProvider:
    """`PaymentProvider` over Stripe Checkout (seed 000 Pay Now, api.md "Player portal").

    `api_base` and `http_client` exist for tests (a local fake) and proxies; `clock` is
    the wall clock by default because Stripe's bounds are measured on Stripe's clock,
    never on the app's test clock.
    """

    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        *,
        api_base: str | None = None,
        http_client: stripe.HTTPClient | None = None,
        clock: Callable[[], datetime] = _wall_clock,
    ) -> None:
        if not secret_key or not webhook_secret:
            raise ValueError("Stripe needs both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET")
        self._webhook_secret = webhook_secret
        self._clock = clock
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=http_client or stripe.new_default_http_client(timeout=HTTP_TIMEOUT_SECONDS),
            max_network_retries=NETWORK_RETRIES,
        )

    def __repr__(self) -> str:
        return "StripeProvider(<credentials hidden>)"

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """A one-line-item Checkout Session in payment mode, keyed `checkout-<payment_id>`."""
        ids = {
            "payment_id": str(request.payment_id),
            "offer_id": str(request.offer_id),
            "match_id": str(request.match_id),
        }
        expires_at = session_expiry(request.expires_at, self._clock())
        try:
            session = self._client.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "line_items": [
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": request.currency.lower(),
                                "unit_amount": request.amount_minor,
                                "product_data": {"name": request.description},
                            },
                        }
                    ],
                    "metadata": ids,
                    # Also on the PaymentIntent, so a refund or dispute traces back to us.
                    "payment_intent_data": {"metadata": ids},
                    "client_reference_id": str(request.payment_id),
                    "success_url": request.success_url,
                    "cancel_url": request.cancel_url,
                    "expires_at": int(expires_at.timestamp()),
                },
                options={"idempotency_key": f"checkout-{request.payment_id}"},
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc, "open the checkout") from exc
        if not session.url:
            raise ProviderError("Stripe opened a checkout without a payment page.")
        return Checkout(provider=self.name, provider_ref=session.id, url=session.url)

    def expire_checkout(self, provider_ref: str) -> None:
        """Close an open session; a completed or expired one is already done.

        Stripe answers 400 for a session that is not open; rather than parse its message
        we ask the session's status, which is the fact that matters.
        """
        try:
            self._client.v1.checkout.sessions.expire(provider_ref)
        except stripe.InvalidRequestError as exc:
            status = self._session(provider_ref).status
            if status in ("complete", "expired"):
                log.info("checkout %s already %s; nothing to expire", provider_ref, status)
                return
            raise _provider_error(exc, "close the checkout") from exc
        except stripe.StripeError as exc:
            raise _provider_error(exc, "close the checkout") from exc

    def refund(
        self, provider_ref: str, *, payment_id: UUID, amount_minor: int | None = None
    ) -> str:
        """Refund the session's PaymentIntent, keyed `refund-<payment_id>` (one per payment)."""
        intent = self._session(provider_ref).payment_intent
        intent_id = intent if isinstance(intent, str) else getattr(intent, "id", None)
        if not intent_id:
            raise ProviderError("This checkout has no payment to refund.")
        options: stripe.RequestOptions = {"idempotency_key": f"refund-{payment_id}"}
        metadata = {"payment_id": str(payment_id)}
        try:
            if amount_minor is None:
                refund = self._client.v1.refunds.create(
                    params={"payment_intent": intent_id, "metadata": metadata}, options=options
                )
            else:
                refund = self._client.v1.refunds.create(
                    params={
                        "payment_intent": intent_id,
                        "amount": amount_minor,
                        "metadata": metadata,
                    },
                    options=options,
                )
        except stripe.StripeError as exc:
            raise _provider_error(exc, "refund the payment") from exc
        return str(refund.id)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        """Verify with the library, then map a checkout.session.* event to our outcome.

        `WebhookSignature.verify_header` is the check inside `Webhook.construct_event`
        (HMAC-SHA256, constant-time compare, 300 s tolerance). We read the verified JSON
        ourselves rather than the library's `Event`, whose shape changed across the
        library's majors (a dict in 12, not in 16), both of which we accept.
        """
        header = header_value(headers, SIGNATURE_HEADER)
        try:
            # Without an explicit tolerance `verify_header` skips the replay check.
            stripe.WebhookSignature.verify_header(
                body, header, self._webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature(_redact(str(exc))) from None
        try:
            event = json.loads(body)
            return _to_payment_event(event)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise IgnoredEvent(f"unreadable Stripe event: {exc}") from exc

    def _session(self, provider_ref: str) -> stripe.checkout.Session:
        try:
            return self._client.v1.checkout.sessions.retrieve(provider_ref)
        except stripe.StripeError as exc:
            raise _provider_error(exc, "read the checkout") from exc


def _to_payment_event(event: dict[str, Any]) -> PaymentEvent:
    kind = event.get("type")
    outcome = EVENT_OUTCOMES.get(str(kind))
    if event.get("object") != "event" or outcome is None:
        raise IgnoredEvent(f"Stripe event type {kind!r} is not acted on")
    session = event["data"]["object"]
    if kind == "checkout.session.completed" and session.get("payment_status") != "paid":
        raise IgnoredEvent("checkout completed unpaid; waiting for async_payment_*")
    reference = (session.get("metadata") or {}).get("payment_id")
    reference = reference or session.get("client_reference_id")
    if not reference:
        raise IgnoredEvent("checkout session without our payment_id; not ours")
    amount = session.get("amount_total")
    currency = session.get("currency")
    return PaymentEvent(
        event_id=str(event["id"]),
        outcome=outcome,
        payment_id=UUID(str(reference)),
        provider_ref=str(session["id"]),
        amount_minor=int(amount) if amount is not None else None,
        currency=str(currency).upper() if currency else None,
        occurred_at=datetime.fromtimestamp(int(event["created"]), UTC),
    )


def _redact(text: str) -> str:
    return _KEY_PATTERN.sub("[redacted]", text)


def _provider_error(exc: stripe.StripeError, action: str) -> ProviderError:
    """A message safe for the payer and the logs: the kind of failure, never a key."""
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        message = "Stripe refused our credentials; the club must check its Stripe settings."
    elif isinstance(exc, stripe.APIConnectionError):
        message = f"Could not reach Stripe to {action}; please try again."
    elif isinstance(exc, stripe.RateLimitError):
        message = f"Stripe is busy and could not {action}; please try again."
    else:
        detail = _redact(exc.user_message or "no reason given")
        message = f"Stripe could not {action}: {detail}"
    log.warning("%s (%s, HTTP %s)", message, type(exc).__name__, exc.http_status)
    return ProviderError(message)
