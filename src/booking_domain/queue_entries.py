"""What a waitlist holds: its waiting players and the offers made to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from booking_domain.carts import CartSnapshot
from booking_domain.values import Immutable


@dataclass(frozen=True)
class QueueEntry(Immutable):
    """A waiting player.

    ``bumped``: demoted by a capacity cut, first back when capacity rises.
    ``passed``: offered a place in the current round and let it lapse; the round's
    cascade moves on to the next players (seed 004 §4 "auto-cascade").
    ``last_offer_reason``: how their latest offer ended ("expired", "spot_filled",
    "reissued", …); ``batches_seen``: how many batches had been issued by then,
    so an outcome stays news only until a newer batch goes out.
    ``request_id`` and ``cart``: a court-slot request waiting its turn, with the
    cart the member asked for (seed 002 "waitlist cart").
    """

    player_id: UUID
    joined_at: datetime
    bumped: bool = False
    passed: bool = False
    last_offer_reason: str | None = None
    batches_seen: int = 0
    request_id: UUID | None = None
    cart: CartSnapshot | None = None


@dataclass(frozen=True)
class Offer(Immutable):
    """A time-limited right for one waiting player to take a freed place.

    ``holds``: a paid offer (seed 000): the match holds a place for the player
    while they pay. ``payment_id``: the payment attempt under way, if any (a
    failed attempt may be followed by another within the window).
    """

    offer_id: UUID
    player_id: UUID
    batch: int
    issued_at: datetime
    expires_at: datetime
    holds: bool = False
    payment_id: UUID | None = None
    attempts: int = 0
