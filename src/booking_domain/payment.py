"""The Payment aggregate: one attempt to pay for a paid offer (seed 000).

Its events are what a treasurer audits: who started paying for which offer,
which checkout the provider opened, and how it ended — confirmed (the place
is the player's), failed or abandoned (the offer stays open until its time is
up), or received when the place could no longer be given, in which case a
refund is due and, once the provider has made it, recorded. Each provider
event is applied at most once (its id is remembered), and a payment settles
at most once: nothing is paid twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from booking_domain.errors import GuardTripped
from booking_domain.values import CopiesContainersOnly, Money


class PaymentStatus(StrEnum):
    """Where a payment is: under way, ended without money, or settled."""

    PENDING = "pending"
    FAILED = "failed"
    ABANDONED = "abandoned"
    CONFIRMED = "confirmed"
    REFUND_DUE = "refund_due"
    REFUNDED = "refunded"


#: Outcomes of a payment that brought money in.
SETTLED = (PaymentStatus.CONFIRMED, PaymentStatus.REFUND_DUE, PaymentStatus.REFUNDED)


class Payment(CopiesContainersOnly, Aggregate):
    """One payment attempt for one paid offer."""

    @staticmethod
    def create_id(payment_id: UUID) -> UUID:
        return payment_id

    @staticmethod
    def id_for(offer_id: UUID, attempt: int) -> UUID:
        """The same offer and attempt give the same payment: a double click is one payment."""
        return uuid5(offer_id, f"payment:{attempt}")

    @event("PaymentStarted")
    def __init__(
        self,
        *,
        payment_id: UUID,
        offer_id: UUID,
        match_id: UUID,
        player_id: UUID,
        amount_minor: int,
        currency: str,
        by: str,
        timestamp: datetime,
    ) -> None:
        """Pay Now on a paid offer (``by``: the player or a guardian); nothing charged yet."""
        self.offer_id = offer_id
        self.match_id = match_id
        self.player_id = player_id
        self.amount = Money(amount_minor, currency)
        self._status = str(PaymentStatus.PENDING)
        self.provider: str | None = None
        self.provider_ref: str | None = None
        self.checkout_url: str | None = None
        self.refund_ref: str | None = None
        self.late = False
        self.seen_events: list[str] = []

    @property
    def status(self) -> PaymentStatus:
        return PaymentStatus(self._status)

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

    def has_seen(self, event_id: str) -> bool:
        return event_id in self.seen_events

    def record_checkout(self, *, provider: str, provider_ref: str, url: str, now: datetime) -> None:
        """The provider opened a checkout for this payment (once)."""
        if self.provider_ref == provider_ref:
            return
        if self.provider_ref is not None:
            raise GuardTripped("This payment already has a checkout.")
        self._checkout_created(provider=provider, provider_ref=provider_ref, url=url, timestamp=now)

    @event("CheckoutCreated")
    def _checkout_created(
        self, *, provider: str, provider_ref: str, url: str, timestamp: datetime
    ) -> None:
        """The payment provider opened a checkout (``provider_ref``) for this payment."""
        self.provider = provider
        self.provider_ref = provider_ref
        self.checkout_url = url

    def fail(self, *, event_id: str, outcome: PaymentStatus, now: datetime) -> None:
        """The provider says the payment failed or was abandoned; a settled one stays settled."""
        if outcome not in (PaymentStatus.FAILED, PaymentStatus.ABANDONED):
            raise GuardTripped("A payment fails as failed or abandoned.")
        if self.status != PaymentStatus.PENDING:
            return
        self._payment_failed(event_id=event_id, outcome=str(outcome), timestamp=now)

    @event("PaymentFailed")
    def _payment_failed(self, *, event_id: str, outcome: str, timestamp: datetime) -> None:
        """No money came (``outcome``: failed or abandoned); the offer is still open until
        its time is up, so another attempt may follow."""
        self._status = outcome
        self.seen_events = [*self.seen_events, event_id]

    def confirm(self, *, event_id: str, late: bool, now: datetime) -> None:
        """The money came and the place is the player's (``late``: after its offer ended)."""
        if self.settled:
            raise GuardTripped("A payment settles once.")
        self._payment_confirmed(event_id=event_id, late=late, timestamp=now)

    @event("PaymentConfirmed")
    def _payment_confirmed(self, *, event_id: str, late: bool, timestamp: datetime) -> None:
        """The payment came through and confirmed the player's place."""
        self._status = str(PaymentStatus.CONFIRMED)
        self.late = late
        self.seen_events = [*self.seen_events, event_id]

    def require_refund(self, *, event_id: str, reason: str, now: datetime) -> None:
        """The money came but no place could be given for it: it goes back."""
        if self.settled:
            raise GuardTripped("A payment settles once.")
        self._refund_due(event_id=event_id, reason=reason, timestamp=now)

    @event("RefundDue")
    def _refund_due(self, *, event_id: str, reason: str, timestamp: datetime) -> None:
        """Money came for a place that could not be given (``reason``); it is to be refunded."""
        self._status = str(PaymentStatus.REFUND_DUE)
        self.seen_events = [*self.seen_events, event_id]

    def record_refund(self, *, refund_ref: str, now: datetime) -> None:
        """The provider refunded the payment (once)."""
        if self.status == PaymentStatus.REFUNDED:
            return
        if self.status != PaymentStatus.REFUND_DUE:
            raise GuardTripped("Only a payment due a refund can be refunded.")
        self._payment_refunded(refund_ref=refund_ref, timestamp=now)

    @event("PaymentRefunded")
    def _payment_refunded(self, *, refund_ref: str, timestamp: datetime) -> None:
        """The provider gave the money back (``refund_ref``)."""
        self._status = str(PaymentStatus.REFUNDED)
        self.refund_ref = refund_ref
