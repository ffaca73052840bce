"""Pay Now, the webhook and the sandbox page: the booking application meets the provider.

The domain decides (``booking_domain.paid_commands``); this service makes the
calls to the payment provider that go with each decision and records what the
provider answered. Pay Now starts (or resumes) a payment, then opens one
checkout for it; the webhook is verified by the provider's adapter and applied
once per provider event. The sandbox's buttons build the very webhook a real
provider would send and put it through the same ``handle_webhook``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from booking_domain.application import BookingApp, PaymentStarted
from booking_domain.errors import NotFound
from booking_domain.payment import PaymentStatus
from booking_domain.wording import local_time
from payments import (
    CheckoutRequest,
    IgnoredEvent,
    PaymentProvider,
    PaymentsNotConfigured,
    SandboxProvider,
    UnconfiguredProvider,
)
from payments.unconfigured import NOT_SET_UP

log = logging.getLogger("booking.payments")


@dataclass(frozen=True)
class WebhookResult:
    """What a webhook did: the payment's status after it, or that it was ignored."""

    payment_id: UUID | None
    status: str  # a PaymentStatus, or "ignored"
    position: int | None


@dataclass(frozen=True)
class SandboxCheckout:
    """What the sandbox checkout page shows."""

    payment_id: UUID
    title: str
    kickoff_at: datetime
    amount_minor: int
    currency: str
    status: PaymentStatus
    expires_at: datetime | None


class PaymentService:
    """The payments port in use (sandbox or Stripe) and the commands around it."""

    def __init__(self, app: BookingApp, provider: PaymentProvider, base_url: str) -> None:
        self.app = app
        self.provider = provider
        self.base_url = base_url.rstrip("/")

    @property
    def is_sandbox(self) -> bool:
        return isinstance(self.provider, SandboxProvider)

    def pay_now(self, match_id: UUID, offer_id: UUID, phone: str) -> str:
        """Re-validate the offer and its hold, then give the checkout's address.

        Refusals are the domain's ("Offer expired" after ``expires_at``). A
        payment already under way keeps its checkout: one offer, one checkout.
        """
        if self.provider.name == UnconfiguredProvider.name:
            # No provider: refuse before a payment is begun that nothing could finish.
            raise PaymentsNotConfigured(NOT_SET_UP)
        started = self.app.start_payment(match_id, offer_id, phone).value
        if started.checkout_url:
            return started.checkout_url
        checkout = self.provider.create_checkout(self._request(started))
        self.app.record_checkout(
            started.payment_id,
            provider=checkout.provider,
            provider_ref=checkout.provider_ref,
            url=checkout.url,
        )
        return checkout.url

    def _request(self, started: PaymentStarted) -> CheckoutRequest:
        match = self.app.get_match(started.match_id)
        return CheckoutRequest(
            payment_id=started.payment_id,
            offer_id=started.offer_id,
            match_id=started.match_id,
            amount_minor=started.amount.minor,
            currency=started.amount.currency,
            description=f"{started.title} — {local_time(started.kickoff_at, match.timezone)}",
            success_url=f"{self.base_url}/portal?paid={started.payment_id}",
            cancel_url=f"{self.base_url}/portal",
            expires_at=started.expires_at,
        )

    def handle_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookResult:
        """Verify and apply one provider event (``InvalidSignature`` if it is not genuine)."""
        try:
            event = self.provider.parse_webhook(body, headers)
        except IgnoredEvent:
            return WebhookResult(None, "ignored", None)
        try:
            done = self.app.settle_payment(
                event.payment_id, outcome=event.outcome, event_id=event.event_id
            )
        except NotFound:
            # Signed by the provider but not ours (another app on the same
            # account): nothing to do, and no reason for the provider to retry.
            log.warning("webhook for an unknown payment %s ignored", event.payment_id)
            return WebhookResult(event.payment_id, "ignored", None)
        return WebhookResult(event.payment_id, str(done.value), done.position)

    # ------------------------------------------------------------- sandbox

    def sandbox_checkout(self, payment_id: UUID) -> SandboxCheckout:
        """The sandbox page's content (404 when a real provider is in use)."""
        if not self.is_sandbox:
            raise NotFound("No such payment.")
        payment = self.app.get_payment(payment_id)
        match = self.app.get_match(payment.match_id)
        offer = self.app.get_waitlist(payment.match_id).offer_by_id(payment.offer_id)
        return SandboxCheckout(
            payment_id=payment.id,
            title=match.title,
            kickoff_at=match.kickoff_at,
            amount_minor=payment.amount.minor,
            currency=payment.amount.currency,
            status=payment.status,
            expires_at=offer.expires_at if offer is not None else None,
        )

    def sandbox_outcome(self, payment_id: UUID, outcome: str) -> WebhookResult:
        """A sandbox button: send the signed webhook a provider would, through the same path."""
        provider = self.provider
        if not isinstance(provider, SandboxProvider):
            raise NotFound("No such payment.")
        payment = self.app.get_payment(payment_id)
        body, headers = provider.signed_webhook(
            payment.id,
            payment.provider_ref or f"sbx_{payment.id.hex}",
            outcome,
            payment.amount.minor,
            payment.amount.currency,
            now=self.app.clock.now(),
        )
        return self.handle_webhook(body, headers)

    # ---------------------------------------------------- provider side effects

    def expire_checkout(self, payment_id: UUID) -> None:
        """The offer ended with this payment under way: close its checkout."""
        payment = self.app.get_payment(payment_id)
        if payment.provider_ref and payment.status == PaymentStatus.PENDING:
            self.provider.expire_checkout(payment.provider_ref)

    def refund(self, payment_id: UUID) -> None:
        """Give back money that could not buy a place, and record it (idempotent)."""
        payment = self.app.get_payment(payment_id)
        if payment.status != PaymentStatus.REFUND_DUE:
            return
        ref = payment.provider_ref or f"sbx_{payment.id.hex}"
        refund_ref = self.provider.refund(ref, payment_id=payment.id)
        self.app.record_refund(payment.id, refund_ref=refund_ref)
