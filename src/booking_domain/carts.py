"""What a court-slot booking request is for: the slot, and the cart a member asked for.

Seed 002 kept waiting requests in their own cart tables so that they could not
be mistaken for bookings. Here a request's cart is a value carried by its
events: a pending booking's cart by the match's ``BookingRequested``, a
waiting cart by the waitlist's ``CartQueued``. A cart is a snapshot: what the
member saw when they asked, kept as it was even if the slot changes later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from booking_domain.errors import ValidationError
from booking_domain.values import Immutable, Money

#: Why waiting carts end when the booking they queued behind is approved (seed 002).
APPROVED_REASON = "Original booking was approved - waitlist cancelled"
#: Why waiting carts and undecided requests end when their slot starts.
STARTED_REASON = "The slot has started"
#: Why they end when the admin cancels the slot.
CANCELLED_REASON = "The slot was cancelled"


@dataclass(frozen=True)
class SlotDetails(Immutable):
    """What makes a match a court slot: which court, which sport, when it ends."""

    court: str
    sport: str
    ends_at: datetime


@dataclass(frozen=True)
class CartSnapshot(Immutable):
    """One slot of a request as the member asked for it (seed 002 ``cart_items``).

    Date and times are the slot's local wall-clock values, as shown to the
    member; the price is what the slot cost when they asked.
    """

    court: str
    sport: str
    date: str
    start: str
    end: str
    price_minor: int
    currency: str

    @classmethod
    def of_slot(
        cls, slot: SlotDetails, starts_at: datetime, timezone: str, price: Money
    ) -> CartSnapshot:
        zone = ZoneInfo(timezone)
        start, end = starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
        return cls(
            court=slot.court,
            sport=slot.sport,
            date=start.date().isoformat(),
            start=f"{start:%H:%M}",
            end=f"{end:%H:%M}",
            price_minor=price.minor,
            currency=price.currency,
        )

    def check_matches(self, sent: Mapping[str, Any] | None) -> None:
        """A cart sent by a client must be this slot as it is now (a stale page is refused)."""
        if not sent:
            return
        for name in ("court", "sport", "date", "start", "end", "price_minor"):
            if name in sent and str(sent[name]) != str(getattr(self, name)):
                raise ValidationError(
                    f"cart.{name}", f"the slot's {name} is now {getattr(self, name)}"
                )

    def describe(self) -> str:
        """E.g. ``Court 1 (tennis), 2026-11-28 10:00–11:00``."""
        sport = f" ({self.sport})" if self.sport else ""
        return f"{self.court}{sport}, {self.date} {self.start}–{self.end}"


@dataclass(frozen=True)
class PendingBooking(Immutable):
    """A request's hold on one slot, awaiting an admin's decision.

    ``slots``: every slot the request holds, this one included; the request
    is approved or rejected as a whole. ``converted_from``: the request whose
    waiting cart this came from (seed 002 "convert waitlist to booking").
    """

    request_id: UUID
    cart: CartSnapshot
    slots: list[UUID]
    requested_at: datetime
    converted_from: UUID | None = None
