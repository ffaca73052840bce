"""What a waitlist knows, read-only: its queue, its open offers, who comes next.

The Waitlist aggregate's state and queries, apart from the events that change
them (``waitlist.py``, ``paid_offers.py``), so each module stays one idea.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from booking_domain.queue_entries import Offer, QueueEntry
from booking_domain.values import CopiesContainersOnly


class WaitlistState(CopiesContainersOnly, Aggregate):
    """The queue (positions 1..k) and the open offers of one match."""

    if TYPE_CHECKING:  # set by ``Waitlist.__init__``; not fields of its first event
        match_id: UUID
        queue: list[QueueEntry]
        offers: list[Offer]
        batches_issued: int

    # ----------------------------------------------------------------- queries

    def _last_offered(self) -> dict[str, datetime]:
        """Player id (hex) → when last offered a place (replaced, never changed in place)."""
        return dict(self.__dict__.get("_last_offered_at", {}))

    def offered_since(self, player_id: UUID, since: datetime) -> bool:
        at = self._last_offered().get(player_id.hex)
        return at is not None and at >= since

    def __contains__(self, player_id: object) -> bool:
        return any(e.player_id == player_id for e in self.queue)

    @property
    def size(self) -> int:
        # Not __len__: an empty aggregate must not be falsy (the library tests truth).
        return len(self.queue)

    def position_of(self, player_id: UUID) -> int | None:
        for index, entry in enumerate(self.queue, start=1):
            if entry.player_id == player_id:
                return index
        return None

    def _position(self, player_id: UUID) -> int:
        position = self.position_of(player_id)
        assert position is not None, "checked by the caller"
        return position

    def entry_of(self, player_id: UUID) -> QueueEntry | None:
        position = self.position_of(player_id)
        return self.queue[position - 1] if position else None

    def open_offer_for(self, player_id: UUID) -> Offer | None:
        return next((o for o in self.offers if o.player_id == player_id), None)

    def waiting(self) -> list[UUID]:
        """Everyone in the queue, in order."""
        return [e.player_id for e in self.queue]

    def candidates(self) -> list[UUID]:
        """Who the next offers go to: queue order, skipping open offers and passed players."""
        offered = {o.player_id for o in self.offers}
        return [e.player_id for e in self.queue if not e.passed and e.player_id not in offered]

    def claimants(self) -> int:
        """How many waiting players still have first call on a free place (FIFO fairness).

        Those who let an offer lapse this round have had their turn; places
        beyond the claimants are open to anyone (seed 004: "otherwise the
        place is open to anyone").
        """
        return sum(1 for e in self.queue if not e.passed)

    def bumped_players(self) -> list[UUID]:
        return [e.player_id for e in self.queue if e.bumped]

    def _remove(self, player_id: UUID) -> None:
        self.queue = [e for e in self.queue if e.player_id != player_id]
        self.offers = [o for o in self.offers if o.player_id != player_id]

    def _mark(self, player_id: UUID, **changes: Any) -> None:
        self.queue = [replace(e, **changes) if e.player_id == player_id else e for e in self.queue]
