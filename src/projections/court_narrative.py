"""The activity feed's words for court slots (seed 002): what an organiser and an
auditor read about requests, waiting carts, decisions, moves and check-ins.

``narrative.py`` folds these into its table of words; ``n`` is its Narrator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from booking_domain.carts import APPROVED_REASON, STARTED_REASON


def _by(event: Any) -> str:
    actor = getattr(event, "actor", "")
    return "" if actor in ("", "system", "player", "self") else f" ({actor})"


def _more(e: Any) -> str:
    others = len(e.request_slots) - 1
    return f" (one request with {others} more slot{'s' if others > 1 else ''})" if others else ""


def _requested(n: Any, e: Any) -> str:
    name, cart = n.name(e.player_id), e.cart.describe()
    if e.converted_from is not None:
        return f"{name}'s waiting cart became a pending request for {cart} (slot freed)."
    if e.moved_from is not None:
        return f"{name}'s pending request was moved here: {cart}."
    return f"{name} requested {cart}{_more(e)} — awaiting approval."


def _rejected(n: Any, e: Any) -> str:
    reason = f": {e.reason}" if e.reason else "."
    return f"{n.name(e.player_id)}'s request was rejected{_by(e)}{reason}"


def _cancelled(n: Any, e: Any) -> str | None:
    name = n.name(e.player_id)
    if e.reason == APPROVED_REASON:
        return f"{name}'s waiting cart was cancelled: the booking ahead was approved."
    if e.reason == "withdrawn by the member":
        return f"{name} withdrew their waiting cart."
    if e.reason == "admin_added":
        return None  # the manual add says it
    return f"{name}'s waiting cart was cancelled: {e.reason}."


#: Court slots (seed 002): requests, carts, decisions, moves, check-ins.
COURT_WORDS: dict[str, Callable[[Any, Any], str | None]] = {
    "SlotDescribed": lambda n, e: (
        f"A court slot: {e.court}{f' ({e.sport})' if e.sport else ''}, "
        f"until {n.hhmm(e, e.ends_at)}."
    ),
    "BookingRequested": _requested,
    "BookingApproved": lambda n, e: f"{n.name(e.player_id)}'s request was approved{_by(e)} — IN.",
    "BookingRejected": _rejected,
    "BookingWithdrawn": lambda n, e: f"{n.name(e.player_id)} withdrew their request.",
    "BookingRequestExpired": lambda n, e: (
        f"{n.name(e.player_id)}'s request lapsed: "
        + ("nobody decided before the slot started." if e.reason == STARTED_REASON else e.reason)
    ),
    "PendingBookingMoved": lambda n, e: (
        f"{n.name(e.player_id)}'s pending request was moved to another slot{_by(e)}."
    ),
    "CheckedIn": lambda n, e: f"{n.name(e.player_id)} checked in{_by(e)}.",
    "CartQueued": lambda n, e: (
        f"{n.name(e.player_id)} is waiting as #{e.position} with their own cart"
        + (" (followed the booking ahead from another slot)." if e.moved_from else ".")
    ),
    "WaitingCartConverted": None,  # type: ignore[dict-item]  # the request it became says it
    "WaitingCartCancelled": _cancelled,
    "WaitingCartMoved": lambda n, e: (
        f"{n.name(e.player_id)}'s waiting cart followed the booking ahead to another slot."
    ),
}
COURT_WORDS = {kind: words for kind, words in COURT_WORDS.items() if words is not None}
