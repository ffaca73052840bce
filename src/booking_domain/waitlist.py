"""The Waitlist aggregate: one FIFO queue per match, and the offers made from it.

Positions are the queue order, 1..k, with no gaps (invariant 2). Offers are
issued in batches to the head of the queue (seed 004 §4); a claimed offer takes
its player out of the queue, the others keep their places. Ended offers leave
only their outcome on the queue entry, so the aggregate does not grow with the
match's history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import event

from booking_domain import errors
from booking_domain.errors import GuardTripped
from booking_domain.queue_entries import Offer, QueueEntry
from booking_domain.waiting_carts import WaitingCarts


class Waitlist(WaitingCarts):
    """The queue and offers of one match (domain.md, "Aggregates")."""

    @staticmethod
    def create_id(match_id: UUID) -> UUID:
        """Each match has exactly one waitlist, found from the match id."""
        return uuid5(match_id, "waitlist")

    @classmethod
    def open_for(cls, match_id: UUID, now: datetime) -> Waitlist:
        waitlist: Waitlist = cls(match_id=match_id, timestamp=now)
        return waitlist

    @event("WaitlistOpened")
    def __init__(self, *, match_id: UUID, timestamp: datetime) -> None:
        """The match's waitlist began, empty."""
        self.match_id = match_id
        self.queue: list[QueueEntry] = []
        self.offers: list[Offer] = []
        self.batches_issued = 0

    # ------------------------------------------------------------------ queue

    def join(
        self,
        *,
        player_id: UUID,
        source: str,
        now: datetime,
    ) -> None:
        """Join the back of the queue; joining twice changes nothing."""
        if player_id in self:
            return
        self._joined_waitlist(
            player_id=player_id,
            position=len(self.queue) + 1,
            source=source,
            timestamp=now,
        )

    @event("JoinedWaitlist")
    def _joined_waitlist(
        self,
        *,
        player_id: UUID,
        position: int,
        source: str,
        timestamp: datetime,
    ) -> None:
        """A player joined the back of the queue at ``position``."""
        self.queue.append(QueueEntry(player_id, timestamp))

    def leave(
        self,
        *,
        player_id: UUID,
        reason: str,
        actor: str,
        now: datetime,
        declined: bool = True,
    ) -> None:
        """Leave the queue. An open offer ends as declined when the player chose to
        go, as superseded when someone else decided (e.g. an admin added them)."""
        if player_id not in self:
            return
        offer = self.open_offer_for(player_id)
        if offer is not None and declined:
            self._offer_declined(
                offer_id=offer.offer_id,
                player_id=player_id,
                batch=offer.batch,
                reason=reason,
                timestamp=now,
            )
        elif offer is not None:
            self._supersede(offer, reason, now)
        self._left_waitlist(
            player_id=player_id,
            position=self._position(player_id),
            reason=reason,
            actor=actor,
            timestamp=now,
        )

    @event("LeftWaitlist")
    def _left_waitlist(
        self, *, player_id: UUID, position: int, reason: str, actor: str, timestamp: datetime
    ) -> None:
        """A player left the queue (``reason``: said OUT, added by admin…)."""
        self._remove(player_id)

    def bump_to_head(self, *, player_ids: Sequence[UUID], reason: str, now: datetime) -> None:
        """Demoted players go to the head, in their original order (seed 004 §1)."""
        if not player_ids:
            return
        if any(p in self for p in player_ids):
            raise GuardTripped("A demoted player is already queued.")
        self._players_bumped(player_ids=list(player_ids), reason=reason, timestamp=now)

    @event("PlayersBumped")
    def _players_bumped(self, *, player_ids: list[UUID], reason: str, timestamp: datetime) -> None:
        """Players demoted by a capacity cut were put at the head, in their order."""
        head = [QueueEntry(p, timestamp, bumped=True) for p in player_ids]
        self.queue[:0] = head

    def reinstate(self, *, player_id: UUID, now: datetime) -> None:
        """A bumped player leaves the queue because their place came back."""
        entry = self.entry_of(player_id)
        if entry is None or not entry.bumped:
            raise GuardTripped("Only a bumped player can be reinstated.")
        offer = self.open_offer_for(player_id)
        if offer is not None:
            self._supersede(offer, "reinstated", now)
        self._bumped_player_reinstated(player_id=player_id, timestamp=now)

    @event("BumpedPlayerReinstated")
    def _bumped_player_reinstated(self, *, player_id: UUID, timestamp: datetime) -> None:
        """A bumped player left the queue because their place came back."""
        self._remove(player_id)

    # ----------------------------------------------------------------- offers

    def issue_offers(
        self,
        *,
        player_ids: Sequence[UUID],
        expires_at: datetime,
        free_places: int,
        reason: str,
        now: datetime,
    ) -> list[Offer]:
        """Offer the freed place(s) to these players as one batch (seed 004 §7)."""
        if not player_ids:
            return []
        for player_id in player_ids:
            if player_id not in self or self.open_offer_for(player_id):
                raise GuardTripped("Offers go to queued players without an open offer.")
        batch = self.batches_issued + 1
        for player_id in player_ids:
            self._offer_issued(
                offer_id=uuid4(),
                player_id=player_id,
                batch=batch,
                position=self._position(player_id),
                expires_at=expires_at,
                free_places=free_places,
                reason=reason,
                timestamp=now,
            )
        return self.offers[-len(player_ids) :]

    @event("OfferIssued")
    def _offer_issued(
        self,
        *,
        offer_id: UUID,
        player_id: UUID,
        batch: int,
        position: int,
        expires_at: datetime,
        free_places: int,
        reason: str,
        timestamp: datetime,
    ) -> None:
        """A waiting player was offered a freed place until ``expires_at`` (one ``batch``)."""
        self.batches_issued = max(self.batches_issued, batch)
        self.offers.append(Offer(offer_id, player_id, batch, timestamp, expires_at))
        self._last_offered_at = {**self._last_offered(), player_id.hex: timestamp}

    def claim(self, *, player_id: UUID, now: datetime) -> Offer:
        """Take the freed place with an open offer; the player leaves the queue."""
        offer = self.open_offer_for(player_id)
        if offer is None:
            raise errors.NoOffer()
        if offer.expires_at <= now:
            raise errors.OfferExpired()
        self._offer_claimed(
            offer_id=offer.offer_id,
            player_id=player_id,
            batch=offer.batch,
            position=self._position(player_id),
            timestamp=now,
        )
        return offer

    @event("OfferClaimed")
    def _offer_claimed(
        self, *, offer_id: UUID, player_id: UUID, batch: int, position: int, timestamp: datetime
    ) -> None:
        """An offer was claimed; the player left the queue for the place."""
        self._remove(player_id)

    def claim_without_offer(self, *, player_id: UUID, why: str, now: datetime) -> None:
        """First tap wins: instant-claim mode near kick-off, or a place open to anyone."""
        if player_id not in self:
            raise errors.NoOffer()
        self._claimed_without_offer(
            player_id=player_id, position=self._position(player_id), why=why, timestamp=now
        )

    @event("ClaimedWithoutOffer")
    def _claimed_without_offer(
        self, *, player_id: UUID, position: int, why: str, timestamp: datetime
    ) -> None:
        """A waiting player took a place by first tap (instant claim or open place)."""
        self._remove(player_id)

    def expire(self, *, offer: Offer, now: datetime) -> None:
        """End an offer whose time is up; its player keeps their place in the queue."""
        if offer.expires_at > now:
            raise GuardTripped("That offer has not run out yet.")
        self._offer_expired(
            offer_id=offer.offer_id,
            player_id=offer.player_id,
            batch=offer.batch,
            expired_at=offer.expires_at,
            timestamp=now,
        )

    @event("OfferExpired")
    def _offer_expired(
        self,
        *,
        offer_id: UUID,
        player_id: UUID,
        batch: int,
        expired_at: datetime,
        timestamp: datetime,
    ) -> None:
        """An offer ran out unclaimed; the player keeps their place in the queue."""
        self.offers = [o for o in self.offers if o.offer_id != offer_id]
        self._mark(
            player_id,
            passed=True,
            last_offer_reason="expired",
            batches_seen=self.batches_issued,
        )

    def supersede_all(self, *, reason: str, now: datetime) -> list[Offer]:
        """End every open offer: the place went, or a new batch replaces them."""
        ended = list(self.offers)
        for offer in ended:
            self._supersede(offer, reason, now)
        return ended

    def supersede_beyond(self, *, count: int, reason: str, now: datetime) -> list[Offer]:
        """Keep the ``count`` open offers nearest the head of the queue; end the rest."""
        order = {e.player_id: i for i, e in enumerate(self.queue)}
        ranked = sorted(self.offers, key=lambda o: order.get(o.player_id, len(order)))
        extra = ranked[max(0, count) :]
        for offer in extra:
            self._supersede(offer, reason, now)
        return extra

    def supersede_offer(self, *, offer: Offer, reason: str, now: datetime) -> None:
        """End one open offer unclaimed (a capacity cut takes its held place)."""
        self._supersede(offer, reason, now)

    def _supersede(self, offer: Offer, reason: str, now: datetime) -> None:
        self._offer_superseded(
            offer_id=offer.offer_id,
            player_id=offer.player_id,
            batch=offer.batch,
            reason=reason,
            timestamp=now,
        )

    @event("OfferSuperseded")
    def _offer_superseded(
        self, *, offer_id: UUID, player_id: UUID, batch: int, reason: str, timestamp: datetime
    ) -> None:
        """An open offer ended unclaimed (``reason``: spot filled, reissued, cut…)."""
        self.offers = [o for o in self.offers if o.offer_id != offer_id]
        self._mark(
            player_id,
            last_offer_reason=reason,
            batches_seen=self.batches_issued,
        )

    @event("OfferDeclined")
    def _offer_declined(
        self, *, offer_id: UUID, player_id: UUID, batch: int, reason: str, timestamp: datetime
    ) -> None:
        """The player turned the offer down by leaving the queue."""
        self.offers = [o for o in self.offers if o.offer_id != offer_id]
        self._mark(
            player_id,
            last_offer_reason=reason,
            batches_seen=self.batches_issued,
        )

    def close_round(self, *, reason: str, now: datetime) -> None:
        """Start afresh: everyone waiting may be offered the next freed place."""
        if any(e.passed for e in self.queue):
            self._offer_round_closed(reason=reason, timestamp=now)

    @event("OfferRoundClosed")
    def _offer_round_closed(self, *, reason: str, timestamp: datetime) -> None:
        """A new round starts: everyone waiting may be offered the next place."""
        self.queue = [replace(e, passed=False) if e.passed else e for e in self.queue]
