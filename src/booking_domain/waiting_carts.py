"""Waiting carts (seed 002; domain.md "Approval mode"): the waitlist's side.

A request for a slot someone else holds joins the slot's waitlist with its
own cart. Each waiting cart ends in exactly one way: converted into a pending
booking when the slot frees (the head first), cancelled (the booking it
queued behind was approved, the slot started or was cancelled, the member
withdrew), or moved with the pending booking it queued behind.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import event

from booking_domain.carts import CartSnapshot
from booking_domain.errors import GuardTripped
from booking_domain.paid_offers import PaidOffers
from booking_domain.queue_entries import QueueEntry


class WaitingCarts(PaidOffers):
    """The events of waiting carts: queued, converted, cancelled, moved."""

    def converted_request_id(self, entry: QueueEntry) -> UUID:
        """The id of the pending request a waiting cart becomes: one per cart and slot."""
        origin = entry.request_id or entry.player_id
        return uuid5(origin, f"converted:{self.match_id.hex}")

    def queue_cart(
        self,
        *,
        player_id: UUID,
        request_id: UUID,
        cart: CartSnapshot,
        source: str,
        now: datetime,
        moved_from: UUID | None = None,
    ) -> None:
        """Join the back of the slot's queue with this cart; joining twice changes nothing."""
        if player_id in self:
            return
        self._cart_queued(
            player_id=player_id,
            position=len(self.queue) + 1,
            request_id=request_id,
            cart=cart,
            moved_from=moved_from,
            source=source,
            timestamp=now,
        )

    @event("CartQueued")
    def _cart_queued(
        self,
        *,
        player_id: UUID,
        position: int,
        request_id: UUID,
        cart: CartSnapshot,
        moved_from: UUID | None,
        source: str,
        timestamp: datetime,
    ) -> None:
        """A request waits behind the slot's pending booking with its own cart
        (``moved_from``: it followed that booking from another slot)."""
        self.queue.append(QueueEntry(player_id, timestamp, request_id=request_id, cart=cart))

    def convert_head(self, *, now: datetime) -> QueueEntry:
        """The head's cart becomes a pending request; the rest move up, in order."""
        if not self.queue:
            raise GuardTripped("No waiting cart to convert.")
        head = self.queue[0]
        self._waiting_cart_converted(
            player_id=head.player_id,
            request_id=head.request_id,
            new_request_id=self.converted_request_id(head),
            position=1,
            timestamp=now,
        )
        return head

    @event("WaitingCartConverted")
    def _waiting_cart_converted(
        self,
        *,
        player_id: UUID,
        request_id: UUID | None,
        new_request_id: UUID,
        position: int,
        timestamp: datetime,
    ) -> None:
        """The slot freed: the head's cart became pending request ``new_request_id``."""
        self._remove(player_id)

    def cancel_carts(self, *, reason: str, actor: str, now: datetime) -> list[QueueEntry]:
        """End every waiting cart (the slot is taken for good, started or cancelled)."""
        ended = list(self.queue)
        for entry in reversed(ended):  # from the back, so each keeps its own position
            self.cancel_cart(player_id=entry.player_id, reason=reason, actor=actor, now=now)
        return ended

    def cancel_cart(self, *, player_id: UUID, reason: str, actor: str, now: datetime) -> None:
        entry = self.entry_of(player_id)
        if entry is None:
            return
        self._waiting_cart_cancelled(
            player_id=player_id,
            request_id=entry.request_id,
            position=self._position(player_id),
            reason=reason,
            actor=actor,
            timestamp=now,
        )

    @event("WaitingCartCancelled")
    def _waiting_cart_cancelled(
        self,
        *,
        player_id: UUID,
        request_id: UUID | None,
        position: int,
        reason: str,
        actor: str,
        timestamp: datetime,
    ) -> None:
        """A waiting cart ended without a booking (``reason``: approved, withdrawn…)."""
        self._remove(player_id)

    def move_carts(self, *, to_match_id: UUID, actor: str, now: datetime) -> list[QueueEntry]:
        """Every waiting cart follows the pending booking to another slot, in order."""
        moving = list(self.queue)
        for entry in reversed(moving):
            self._waiting_cart_moved(
                player_id=entry.player_id,
                request_id=entry.request_id,
                position=self._position(entry.player_id),
                to_match_id=to_match_id,
                actor=actor,
                timestamp=now,
            )
        return moving

    @event("WaitingCartMoved")
    def _waiting_cart_moved(
        self,
        *,
        player_id: UUID,
        request_id: UUID | None,
        position: int,
        to_match_id: UUID,
        actor: str,
        timestamp: datetime,
    ) -> None:
        """The cart followed the booking it queued behind to slot ``to_match_id``."""
        self._remove(player_id)
