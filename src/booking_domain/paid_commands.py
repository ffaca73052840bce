"""The commands of paid places (seed 000): promote, Pay Now, decline, payment outcomes.

A player — or a guardian, with their own phone — acts on the player's paid
offers. What a payment provider reports arrives through ``settle_payment``,
idempotent on the provider's event id; money that cannot buy a place is
marked for a refund in the same write, never kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from booking_domain import payment_window
from booking_domain.errors import InvalidTransition, NotFound, ValidationError
from booking_domain.identity import PhoneNumber
from booking_domain.offers import catch_up, fill_free_places
from booking_domain.payment import Payment, PaymentStatus
from booking_domain.payment_window import REFUNDED, PaymentDecision
from booking_domain.player import Player
from booking_domain.queue_entries import Offer
from booking_domain.transacting import ADMIN, Done, Transacting
from booking_domain.unit import Unit
from booking_domain.values import Money, OfferMode, Status

#: What a provider may report about a payment.
OUTCOMES = ("paid", "failed", "abandoned")


@dataclass(frozen=True)
class PaymentStarted:
    """What Pay Now gives back: the payment to check out, and its offer's deadline."""

    payment_id: UUID
    offer_id: UUID
    match_id: UUID
    player_id: UUID
    amount: Money
    expires_at: datetime
    title: str
    kickoff_at: datetime
    checkout_url: str | None


class PaidPlaces(Transacting):
    """Paid offers (domain.md "Paid offers", api.md "Player portal")."""

    def promote(self, match_id: UUID, player_id: UUID, *, actor: str = ADMIN) -> Done[Offer]:
        """The admin offers a free place to the waiting player they choose."""

        def work(unit: Unit, now: datetime) -> Offer:
            match, waitlist = unit.match(match_id), unit.waitlist(match_id)
            if match.offer_mode != OfferMode.PAYMENT_WINDOW:
                raise InvalidTransition(
                    "Promotion is for paid matches; this one is first to claim."
                )
            catch_up(match, waitlist, now)
            return payment_window.promote(match, waitlist, player_id, actor, now)

        return self._transact(work)

    def start_payment(self, match_id: UUID, offer_id: UUID, phone: str) -> Done[PaymentStarted]:
        """Pay Now: re-validate the offer and its hold, then start (or resume) a payment.

        A payment already under way for the offer is given back (a double
        click, a parent and a child both pressing): one offer, one checkout.
        After ``expires_at`` the answer is "Offer expired".
        """
        caller = PhoneNumber.parse(phone)

        def work(unit: Unit, now: datetime) -> PaymentStarted:
            match, waitlist = unit.match(match_id), unit.waitlist(match_id)
            catch_up(match, waitlist, now)
            offer = waitlist.open_paid_offer(offer_id, now)
            player = unit.player(offer.player_id)
            by = _acting_for(player, caller)
            if match.status_of(player.id) != Status.HELD:
                raise InvalidTransition("The place held for this offer has gone.")
            current = unit.find(Payment, offer.payment_id) if offer.payment_id else None
            if current is None or current.status != PaymentStatus.PENDING:
                payment = Payment(
                    payment_id=Payment.id_for(offer_id, offer.attempts + 1),
                    offer_id=offer_id,
                    match_id=match_id,
                    player_id=player.id,
                    amount_minor=match.price.minor,
                    currency=match.price.currency,
                    by=by,
                    timestamp=now,
                )
                unit.add(payment)
                waitlist.start_payment(offer=offer, payment_id=payment.id, by=by, now=now)
                current = payment
            return PaymentStarted(
                payment_id=current.id,
                offer_id=offer_id,
                match_id=match_id,
                player_id=player.id,
                amount=current.amount,
                expires_at=offer.expires_at,
                title=match.title,
                kickoff_at=match.kickoff_at,
                checkout_url=current.checkout_url,
            )

        return self._transact(work)

    def record_checkout(
        self, payment_id: UUID, *, provider: str, provider_ref: str, url: str
    ) -> Done[UUID]:
        """The provider opened a checkout for this payment."""

        def work(unit: Unit, now: datetime) -> UUID:
            payment = unit.get(Payment, payment_id, "payment")
            payment.record_checkout(provider=provider, provider_ref=provider_ref, url=url, now=now)
            return payment.id

        return self._transact(work)

    def decline_offer(self, match_id: UUID, offer_id: UUID, phone: str) -> Done[UUID]:
        """Decline offer: the hold goes, the player leaves the waitlist, the next is offered."""
        caller = PhoneNumber.parse(phone)

        def work(unit: Unit, now: datetime) -> UUID:
            match, waitlist = unit.match(match_id), unit.waitlist(match_id)
            catch_up(match, waitlist, now)
            offer = waitlist.open_paid_offer(offer_id, now)
            by = _acting_for(unit.player(offer.player_id), caller)
            payment_window.decline(match, waitlist, offer, by, now)
            fill_free_places(match, waitlist, now, reason="declined")
            return offer.player_id

        return self._transact(work)

    def settle_payment(
        self, payment_id: UUID, *, outcome: str, event_id: str
    ) -> Done[PaymentStatus]:
        """What the provider reports, applied once per provider event (the webhook).

        Paid: the offer is accepted and the hold becomes IN; or, the offer
        having ended, the place is given if one is free, else a refund is due.
        Failed or abandoned: recorded; the offer stays open until its time.
        """
        if outcome not in OUTCOMES:
            raise ValidationError("outcome", f"must be one of {', '.join(OUTCOMES)}")
        if not event_id:
            raise ValidationError("event_id", "is required")

        def work(unit: Unit, now: datetime) -> PaymentStatus:
            payment = unit.get(Payment, payment_id, "payment")
            if payment.has_seen(event_id) or payment.settled:
                return payment.status
            if outcome != "paid":
                payment.fail(event_id=event_id, outcome=PaymentStatus(outcome), now=now)
                return payment.status
            match, waitlist = unit.match(payment.match_id), unit.waitlist(payment.match_id)
            catch_up(match, waitlist, now)
            decision = payment_window.take_payment(
                match, waitlist, payment.player_id, payment.id, now
            )
            if decision in REFUNDED:
                payment.require_refund(event_id=event_id, reason=str(decision), now=now)
            else:
                late = decision == PaymentDecision.LATE_CONFIRMED
                payment.confirm(event_id=event_id, late=late, now=now)
                fill_free_places(match, waitlist, now, reason="paid")
            return payment.status

        return self._transact(work)

    def record_refund(self, payment_id: UUID, *, refund_ref: str) -> Done[UUID]:
        """The provider gave the money back."""

        def work(unit: Unit, now: datetime) -> UUID:
            payment = unit.get(Payment, payment_id, "payment")
            payment.record_refund(refund_ref=refund_ref, now=now)
            return payment.id

        return self._transact(work)

    def get_payment(self, payment_id: UUID) -> Payment:
        return Unit(self).get(Payment, payment_id, "payment")


def _acting_for(player: Player, caller: PhoneNumber) -> str:
    """The caller is the player or one of their guardians; a stranger learns nothing."""
    by = player.answers_to(caller)
    if by is None:
        raise NotFound("No such offer.")
    return by
