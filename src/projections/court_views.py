"""Court slots read model (seed 002): slots, requests, waiting carts, places, check-ins.

``view_slots`` says what makes a match a court slot; ``view_slot_requests`` keeps
each request's hold on each slot and how it ended; ``view_waiting_carts`` each
waiting cart and how it ended (converted, cancelled, moved) — the seed's
separate cart tables, rebuilt from the events. ``view_places`` keeps, for every
booking of any match, the match version that gave the place: what a check-in
code names. The approvals queue, the day grid and "My requests" read them
(``court_queries.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    delete,
    insert,
    select,
    update,
)

from projections.tables import metadata, waitlists

slots = Table(
    "view_slots",
    metadata,
    Column("match_id", Uuid, primary_key=True),
    Column("court", String(200), nullable=False),
    Column("sport", String(60), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
)

slot_requests = Table(
    "view_slot_requests",
    metadata,
    Column("match_id", Uuid, primary_key=True),
    # The slot's version that the request took it at: a request moved away and
    # back is a second row.
    Column("placed_seq", Integer, primary_key=True),
    Column("request_id", Uuid, nullable=False, index=True),
    Column("player_id", Uuid, nullable=False, index=True),
    # pending, approved, rejected, withdrawn, expired, moved
    Column("status", String(12), nullable=False),
    Column("cart", JSON, nullable=False),
    Column("request_slots", JSON, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("reason", Text, nullable=True),
    Column("converted_from", Uuid, nullable=True),
    Column("moved_from", Uuid, nullable=True),
    Column("moved_to", Uuid, nullable=True),
)

waiting_carts = Table(
    "view_waiting_carts",
    metadata,
    Column("cart_id", BigInteger, primary_key=True),  # the position of its CartQueued
    Column("match_id", Uuid, nullable=False, index=True),
    Column("player_id", Uuid, nullable=False, index=True),
    Column("request_id", Uuid, nullable=True),
    Column("cart", JSON, nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),  # waiting, converted, cancelled, moved
    Column("position", Integer, nullable=True),  # while waiting
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("reason", Text, nullable=True),
    Column("converted_to", Uuid, nullable=True),
    Column("moved_from", Uuid, nullable=True),
    Column("moved_to", Uuid, nullable=True),
)

places = Table(
    "view_places",
    metadata,
    Column("match_id", Uuid, primary_key=True),
    Column("player_id", Uuid, primary_key=True, index=True),
    Column("placed_seq", Integer, nullable=False),
    Column("checked_in_at", DateTime(timezone=True), nullable=True),
)

#: Match events that give a player a place: the event's version is the booking's.
_PLACING = ("PlayerIn", "PlayerAddedByAdmin", "PlayerReinstated", "PlaceHeld", "BookingRequested")
_REQUEST_ENDINGS = {
    "BookingApproved": "approved",
    "BookingRejected": "rejected",
    "BookingWithdrawn": "withdrawn",
    "BookingRequestExpired": "expired",
}
_CART_ENDINGS = {
    "WaitingCartConverted": "converted",
    "WaitingCartCancelled": "cancelled",
    "WaitingCartMoved": "moved",
}


def cart_dict(cart: Any) -> dict[str, Any]:
    """A cart snapshot as the JSON the pages and the API show."""
    names = ("court", "sport", "date", "start", "end", "price_minor", "currency")
    return {name: getattr(cart, name) for name in names}


class Courts:
    """Projects court-slot events (and every booking's place) into the tables above."""

    name = "courts"
    tables = (slots, slot_requests, waiting_carts, places)

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        kind = type(event).__name__
        if kind in _PLACING:
            self._placed(conn, event)
        handler: Callable[[Connection, Any, int], None] | None = _HANDLERS.get(kind)
        if handler is not None:
            handler(conn, event, position)

    @staticmethod
    def _placed(conn: Connection, e: Any) -> None:
        where = (places.c.match_id == e.originator_id) & (places.c.player_id == e.player_id)
        conn.execute(delete(places).where(where))
        conn.execute(
            insert(places).values(
                match_id=e.originator_id, player_id=e.player_id, placed_seq=e.originator_version
            )
        )


def _described(conn: Connection, e: Any, position: int) -> None:
    conn.execute(
        insert(slots).values(
            match_id=e.originator_id, court=e.court, sport=e.sport, ends_at=e.ends_at
        )
    )


def _requested(conn: Connection, e: Any, position: int) -> None:
    conn.execute(
        insert(slot_requests).values(
            request_id=e.request_id,
            match_id=e.originator_id,
            player_id=e.player_id,
            status="pending",
            cart=cart_dict(e.cart),
            request_slots=[str(s) for s in e.request_slots],
            requested_at=e.timestamp,
            converted_from=e.converted_from,
            moved_from=e.moved_from,
            placed_seq=e.originator_version,
        )
    )


def _request(e: Any) -> Any:
    """The request's pending row on this slot."""
    return (
        (slot_requests.c.request_id == e.request_id)
        & (slot_requests.c.match_id == e.originator_id)
        & (slot_requests.c.status == "pending")
    )


def _request_ended(conn: Connection, e: Any, position: int) -> None:
    conn.execute(
        update(slot_requests)
        .where(_request(e))
        .values(
            status=_REQUEST_ENDINGS[type(e).__name__],
            decided_at=e.timestamp,
            decided_by=e.actor,
            reason=e.reason or None,
        )
    )


def _moved_away(conn: Connection, e: Any, position: int) -> None:
    conn.execute(
        update(slot_requests)
        .where(_request(e))
        .values(status="moved", decided_at=e.timestamp, decided_by=e.actor, moved_to=e.to_match_id)
    )


def _sibling_moved(conn: Connection, e: Any, position: int) -> None:
    row = conn.execute(select(slot_requests.c.request_slots).where(_request(e))).first()
    if row is None:
        return
    moved = [str(e.to_match_id) if s == str(e.from_match_id) else s for s in row.request_slots]
    conn.execute(update(slot_requests).where(_request(e)).values(request_slots=moved))


def _checked_in(conn: Connection, e: Any, position: int) -> None:
    conn.execute(
        update(places)
        .where(
            (places.c.match_id == e.originator_id)
            & (places.c.player_id == e.player_id)
            & (places.c.placed_seq == e.placed_seq)
        )
        .values(checked_in_at=e.timestamp)
    )


def _match_of(conn: Connection, waitlist_id: UUID) -> UUID:
    match_id: UUID = conn.execute(
        select(waitlists.c.match_id).where(waitlists.c.waitlist_id == waitlist_id)
    ).scalar_one()
    return match_id


def _cart_queued(conn: Connection, e: Any, position: int) -> None:
    conn.execute(
        insert(waiting_carts).values(
            cart_id=position,
            match_id=_match_of(conn, e.originator_id),
            player_id=e.player_id,
            request_id=e.request_id,
            cart=cart_dict(e.cart),
            joined_at=e.timestamp,
            status="waiting",
            position=e.position,
            moved_from=e.moved_from,
        )
    )


def _cart_ended(conn: Connection, e: Any, position: int) -> None:
    match_id = _match_of(conn, e.originator_id)
    waiting = (waiting_carts.c.match_id == match_id) & (waiting_carts.c.status == "waiting")
    kind = type(e).__name__
    conn.execute(
        update(waiting_carts)
        .where(waiting & (waiting_carts.c.player_id == e.player_id))
        .values(
            status=_CART_ENDINGS[kind],
            position=None,
            ended_at=e.timestamp,
            reason=getattr(e, "reason", None),
            converted_to=getattr(e, "new_request_id", None),
            moved_to=getattr(e, "to_match_id", None),
        )
    )
    _close_gap(conn, match_id, e.position)


def _left_queue(conn: Connection, e: Any, position: int) -> None:
    """Any other way out of a slot's queue (e.g. an admin's manual add)."""
    match_id = _match_of(conn, e.originator_id)
    waiting = (waiting_carts.c.match_id == match_id) & (waiting_carts.c.status == "waiting")
    found = conn.execute(
        update(waiting_carts)
        .where(waiting & (waiting_carts.c.player_id == e.player_id))
        .values(status="cancelled", position=None, ended_at=e.timestamp, reason=e.reason)
    )
    if found.rowcount:
        _close_gap(conn, match_id, e.position)


def _close_gap(conn: Connection, match_id: UUID, gone: int) -> None:
    conn.execute(
        update(waiting_carts)
        .where(
            (waiting_carts.c.match_id == match_id)
            & (waiting_carts.c.status == "waiting")
            & (waiting_carts.c.position > gone)
        )
        .values(position=waiting_carts.c.position - 1)
    )


_HANDLERS: dict[str, Callable[[Connection, Any, int], None]] = {
    "SlotDescribed": _described,
    "BookingRequested": _requested,
    **dict.fromkeys(_REQUEST_ENDINGS, _request_ended),
    "PendingBookingMoved": _moved_away,
    "RequestSlotMoved": _sibling_moved,
    "CheckedIn": _checked_in,
    "CartQueued": _cart_queued,
    **dict.fromkeys(_CART_ENDINGS, _cart_ended),
    "LeftWaitlist": _left_queue,
}
