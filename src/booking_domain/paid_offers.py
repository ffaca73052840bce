"""Paid offers (seed 000; domain.md ``payment_window``): the waitlist's side.

A paid offer goes to one waiting player for one free place, which the match
holds for them while they pay. Paying accepts it: the player leaves the queue
for the place. Declining, expiry and supersession end it like any offer
(``waitlist.py``); the match then releases the hold (``payment_window.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import event

from booking_domain import errors
from booking_domain.errors import GuardTripped
from booking_domain.queue_entries import Offer
from booking_domain.queue_state import WaitlistState


class PaidOffers(WaitlistState):
    """The events of paid offers: issued, payment started, accepted."""

    def offer_by_id(self, offer_id: UUID) -> Offer | None:
        return next((o for o in self.offers if o.offer_id == offer_id), None)

    def holding_offers(self) -> list[Offer]:
        """Open paid offers, each holding a place in the match."""
        return [o for o in self.offers if o.holds]

    def issue_paid_offers(
        self,
        *,
        player_ids: Sequence[UUID],
        expires_at: datetime,
        reason: str,
        promoted_by: str,
        now: datetime,
    ) -> list[Offer]:
        """One paid offer per free place, to these waiting players, as one batch."""
        if not player_ids:
            return []
        for player_id in player_ids:
            if player_id not in self or self.open_offer_for(player_id):
                raise GuardTripped("Offers go to queued players without an open offer.")
        batch = self.batches_issued + 1
        for player_id in player_ids:
            self._paid_offer_issued(
                offer_id=uuid4(),
                player_id=player_id,
                batch=batch,
                position=self._position(player_id),
                expires_at=expires_at,
                reason=reason,
                promoted_by=promoted_by,
                timestamp=now,
            )
        return self.offers[-len(player_ids) :]

    @event("PaidOfferIssued")
    def _paid_offer_issued(
        self,
        *,
        offer_id: UUID,
        player_id: UUID,
        batch: int,
        position: int,
        expires_at: datetime,
        reason: str,
        promoted_by: str,
        timestamp: datetime,
    ) -> None:
        """A waiting player was offered a held place, theirs if they pay by ``expires_at``
        (``promoted_by``: "system" for auto-promote, else the admin who chose them)."""
        self.batches_issued = max(self.batches_issued, batch)
        self.offers.append(Offer(offer_id, player_id, batch, timestamp, expires_at, holds=True))
        self._last_offered_at = {**self._last_offered(), player_id.hex: timestamp}

    def open_paid_offer(self, offer_id: UUID, now: datetime) -> Offer:
        """The paid offer, if it may still be paid for now; else why not."""
        offer = self.offer_by_id(offer_id)
        if offer is None or not offer.holds:
            raise errors.OfferExpired("Offer expired")
        if offer.expires_at <= now:
            raise errors.OfferExpired("Offer expired")
        return offer

    def start_payment(self, *, offer: Offer, payment_id: UUID, by: str, now: datetime) -> None:
        """Pay Now: a new payment attempt for this offer (the last one failed or none yet)."""
        if offer.payment_id == payment_id:
            return
        self._offer_payment_started(
            offer_id=offer.offer_id,
            player_id=offer.player_id,
            payment_id=payment_id,
            attempt=offer.attempts + 1,
            by=by,
            timestamp=now,
        )

    @event("OfferPaymentStarted")
    def _offer_payment_started(
        self,
        *,
        offer_id: UUID,
        player_id: UUID,
        payment_id: UUID,
        attempt: int,
        by: str,
        timestamp: datetime,
    ) -> None:
        """Pay Now was pressed (``by``: the player or a guardian); a payment began."""
        self.offers = [
            replace(o, payment_id=payment_id, attempts=attempt) if o.offer_id == offer_id else o
            for o in self.offers
        ]

    def accept(self, *, offer: Offer, payment_id: UUID, now: datetime) -> None:
        """Payment confirmed: the offer is accepted and the player leaves the queue."""
        if self.offer_by_id(offer.offer_id) is None:
            raise GuardTripped("Only an open offer can be accepted.")
        self._offer_accepted(
            offer_id=offer.offer_id,
            player_id=offer.player_id,
            batch=offer.batch,
            position=self._position(offer.player_id),
            payment_id=payment_id,
            timestamp=now,
        )

    @event("OfferAccepted")
    def _offer_accepted(
        self,
        *,
        offer_id: UUID,
        player_id: UUID,
        batch: int,
        position: int,
        payment_id: UUID,
        timestamp: datetime,
    ) -> None:
        """A paid offer was paid for in time; the player left the queue for the place."""
        self._remove(player_id)
