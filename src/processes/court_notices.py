"""Notices for court slots (seed 002): request received, approved, rejected, converted
("confirm and pay" with the QR code), waitlist cancelled, slot changed, lapsed.

A request over several slots is told once: the rule for the request's first
slot speaks for it. What a request was for is read from the slot as it stood
just before the event (its pending request, its waiting cart), so a notice
says what the member asked for even after the slot moved on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from booking_domain.carts import APPROVED_REASON, CartSnapshot
from processes import messages

if TYPE_CHECKING:
    from processes.notices import Notice, NoticeManager

REQUEST_RECEIVED = "request_received"
REQUEST_APPROVED = "request_approved"
REQUEST_REJECTED = "request_rejected"
REQUEST_EXPIRED = "request_expired"
REQUEST_MOVED = "request_moved"
REQUEST_CONVERTED = "request_converted"
WAITLIST_CANCELLED = "waitlist_cancelled"
SLOT_CHANGED = "slot_changed"
KINDS = frozenset(
    {
        REQUEST_RECEIVED,
        REQUEST_APPROVED,
        REQUEST_REJECTED,
        REQUEST_EXPIRED,
        REQUEST_MOVED,
        REQUEST_CONVERTED,
        WAITLIST_CANCELLED,
        SLOT_CHANGED,
    }
)
#: Endings nobody needs telling of: the member withdrew, or was booked by hand.
_SELF_INFLICTED = ("withdrawn by the member", "admin_added")


class CourtNotices:
    """The court rules of the notices process manager."""

    def __init__(self, manager: NoticeManager) -> None:
        self.manager = manager
        self.app = manager.app

    def rules(self) -> dict[str, Callable[[Any, int], list[Notice]]]:
        return {
            "BookingRequested": self._requested,
            "BookingApproved": self._decided(REQUEST_APPROVED),
            "BookingRejected": self._decided(REQUEST_REJECTED),
            "BookingRequestExpired": self._decided(REQUEST_EXPIRED),
            "WaitingCartCancelled": self._cart_cancelled,
            "CartQueued": self._cart_moved_in,
        }

    def _tell(
        self, event: Any, position: int, match_id: UUID, kind: str, key: str, text: str
    ) -> list[Notice]:
        from processes.notices import Notice

        return [Notice(position, event.player_id, match_id, kind, key, text, event.timestamp)]

    def _before(self, event: Any) -> Any:
        """The aggregate as it stood just before this event."""
        return self.app.repository.get(event.originator_id, version=event.originator_version - 1)

    def _requested(self, event: Any, position: int) -> list[Notice]:
        cart: CartSnapshot = event.cart
        key = f"request:{event.request_id}"
        if event.converted_from is not None:
            text = messages.REQUEST_CONVERTED.format(
                slot=cart.describe(), price=messages.price(cart.price_minor, cart.currency)
            )
            return self._tell(event, position, event.originator_id, REQUEST_CONVERTED, key, text)
        if event.moved_from is not None:
            text = messages.REQUEST_MOVED.format(slot=cart.describe())
            return self._tell(event, position, event.originator_id, REQUEST_MOVED, key, text)
        if event.request_slots and event.request_slots[0] != event.originator_id:
            return []  # told once, with the request's first slot
        text = messages.REQUEST_RECEIVED.format(
            slots=messages.slots_text(cart.describe(), len(event.request_slots) - 1)
        )
        return self._tell(event, position, event.originator_id, REQUEST_RECEIVED, key, text)

    def _decided(self, kind: str) -> Callable[[Any, int], list[Notice]]:
        def rule(event: Any, position: int) -> list[Notice]:
            pending = self._before(event).pending_of(event.player_id)
            if pending is None or pending.slots[0] != event.originator_id:
                return []  # told once, with the request's first slot
            slots = messages.slots_text(pending.cart.describe(), len(pending.slots) - 1)
            if kind == REQUEST_APPROVED:
                text = messages.REQUEST_APPROVED.format(slots=slots)
            elif kind == REQUEST_EXPIRED:
                text = messages.REQUEST_EXPIRED.format(slots=slots)
            elif event.reason:
                text = messages.REQUEST_REJECTED_REASON.format(slots=slots, reason=event.reason)
            else:
                text = messages.REQUEST_REJECTED.format(slots=slots)
            key = f"request:{event.request_id}"
            return self._tell(event, position, event.originator_id, kind, key, text)

        return rule

    def _cart_cancelled(self, event: Any, position: int) -> list[Notice]:
        if event.reason in _SELF_INFLICTED:
            return []
        waitlist = self._before(event)
        entry = waitlist.entry_of(event.player_id)
        match = self.app.get_match(waitlist.match_id)
        cart = entry.cart if entry is not None and entry.cart else match.cart_snapshot()
        if event.reason == APPROVED_REASON:
            text = messages.WAITLIST_CANCELLED_BOOKED.format(slot=cart.describe())
        else:
            text = messages.WAITLIST_CANCELLED.format(slot=cart.describe(), reason=event.reason)
        key = f"cart:{event.request_id}"
        return self._tell(event, position, match.id, WAITLIST_CANCELLED, key, text)

    def _cart_moved_in(self, event: Any, position: int) -> list[Notice]:
        if event.moved_from is None:
            return []
        waitlist: Any = self.app.repository.get(event.originator_id)
        text = messages.SLOT_CHANGED.format(slot=event.cart.describe())
        key = f"cart:{event.request_id}:{event.originator_version}"
        return self._tell(event, position, waitlist.match_id, SLOT_CHANGED, key, text)
