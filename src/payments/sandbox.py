"""The embedded sandbox provider: payments without a provider account (api.md).

With no provider configured, `payment_url` is the app's own page `/pay/sandbox/<payment_id>`;
its buttons make the app send itself the signed webhook a real provider would send, and
that webhook goes through `POST /api/payments/webhook` like any other. To keep that one
code path honest the sandbox signs exactly as Stripe does (`Stripe-Signature:
t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`) and verifies as strictly.

The sandbox keeps no state, so any number of web and worker processes agree on it:
`expire_checkout` has nothing to close (a sandbox page only sends a webhook when clicked;
whether the offer is still open is the booking engine's own check), and `refund`
answers a reference derived from the payment id, so asking twice gives the same refund.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from payments.port import (
    OUTCOMES,
    SIGNATURE_HEADER,
    Checkout,
    CheckoutRequest,
    IgnoredEvent,
    InvalidSignature,
    PaymentEvent,
    header_value,
)

TOLERANCE: Final = timedelta(minutes=5)
"""Stripe's default tolerance (`stripe.Webhook.DEFAULT_TOLERANCE`, 300 s) against replays."""

EVENT_TYPE_PREFIX: Final = "sandbox.payment."


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The `Stripe-Signature` value for `body` sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret, b"%d." % timestamp + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: bytes, body: bytes, header: str | None, now: datetime) -> None:
    """Check a `Stripe-Signature` value as Stripe's library does, with our clock for `now`.

    Several `v1` entries may be present (secret rotation); one match is enough. The
    timestamp is checked after the signature, so a forger learns nothing about timing.
    """
    if not header:
        raise InvalidSignature("missing signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise InvalidSignature("unreadable signature timestamp") from None
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("no timestamp or no v1 signature")
    expected = sign(secret, body, timestamp).partition(",v1=")[2]
    # compare_digest on every candidate: constant time, and no early exit on the first.
    matches = [hmac.compare_digest(expected, c) for c in candidates]
    if not any(matches):
        raise InvalidSignature("signature does not match")
    if timestamp < (now - TOLERANCE).timestamp():
        raise InvalidSignature("signature timestamp outside the tolerance")


class SandboxProvider:
    """`PaymentProvider` that works offline, for the embedded default, tests and demos.

    `clock` is injectable because the test clock (api.md "Test clock") may run days
    ahead of the wall clock; signing and verifying must use the same one.
    """

    name = "sandbox"

    def __init__(
        self,
        secret: bytes | str,
        base_url: str = "",
        clock: Callable[[], datetime] = _wall_clock,
    ) -> None:
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        if not key:
            raise ValueError("the sandbox needs a non-empty signing secret")
        self._secret = key
        self._base_url = base_url.rstrip("/")
        self._clock = clock

    def __repr__(self) -> str:
        return f"SandboxProvider(base_url={self._base_url!r})"

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """The app's own checkout page; deterministic, hence idempotent per payment."""
        return Checkout(
            provider=self.name,
            provider_ref=f"sbx_{request.payment_id.hex}",
            url=f"{self._base_url}/pay/sandbox/{request.payment_id}",
        )

    def expire_checkout(self, provider_ref: str) -> None:
        """Nothing to close: the sandbox holds no session (see the module docstring)."""

    def refund(
        self, provider_ref: str, *, payment_id: UUID, amount_minor: int | None = None
    ) -> str:
        """A reference derived from `payment_id`: the same refund however often asked."""
        return f"sbx_re_{payment_id.hex}"

    def signed_webhook(
        self,
        payment_id: UUID,
        provider_ref: str,
        outcome: str,
        amount_minor: int | None,
        currency: str | None,
        now: datetime | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers a real provider would POST for this outcome.

        Each call is a new event (a fresh `evt_sbx_…` id), as a provider's retry of one
        event keeps its id while a second click is a second event.
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(OUTCOMES)}")
        at = int((now or self._clock()).timestamp())
        event = {
            "id": f"evt_sbx_{uuid.uuid4().hex}",
            "object": "event",
            "type": EVENT_TYPE_PREFIX + outcome,
            "created": at,
            "data": {
                "object": {
                    "payment_id": str(payment_id),
                    "provider_ref": provider_ref,
                    "amount_minor": amount_minor,
                    "currency": currency,
                }
            },
        }
        body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, body, at),
        }
        return body, headers

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        """Verify against our clock, then read the event (`InvalidSignature`, `IgnoredEvent`)."""
        verify(self._secret, body, header_value(headers, SIGNATURE_HEADER), self._clock())
        try:
            return _to_payment_event(json.loads(body))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # Well signed but unreadable: only our own code signs these, so it is a bug to
            # drop and log, not a reason for the sender to retry.
            raise IgnoredEvent(f"unreadable sandbox event: {exc}") from exc


def _to_payment_event(event: dict[str, Any]) -> PaymentEvent:
    kind = str(event["type"])
    outcome = kind.removeprefix(EVENT_TYPE_PREFIX)
    if not kind.startswith(EVENT_TYPE_PREFIX) or outcome not in OUTCOMES:
        raise IgnoredEvent(f"sandbox event type {kind!r} is not acted on")
    data = event["data"]["object"]
    amount = data.get("amount_minor")
    currency = data.get("currency")
    return PaymentEvent(
        event_id=str(event["id"]),
        outcome=outcome,
        payment_id=UUID(data["payment_id"]),
        provider_ref=str(data["provider_ref"]),
        amount_minor=int(amount) if amount is not None else None,
        currency=str(currency) if currency is not None else None,
        occurred_at=datetime.fromtimestamp(int(event["created"]), UTC),
    )
