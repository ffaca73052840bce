"""What the player portal reads (seed 000): who a phone acts for, their offers, bookings.

A phone signs in; it acts for the player whose phone it is and for every
player it is a guardian of. Their open paid offers are the dashboard's
"Available Sessions"; their bookings are the matches where they are IN or
HELD, and the payments that were refunded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlalchemy import Connection, and_, select

from projections.paid_places import paid_offers, payments
from projections.tables import matches, players, roster, utc

_BOOKING_IDS = uuid5(NAMESPACE_URL, "booking:booking")


def booking_id(match_id: UUID, player_id: UUID) -> UUID:
    """One player's booking in one match, the same id however often it is read."""
    return uuid5(_BOOKING_IDS, f"{match_id}:{player_id}")


def players_answering_to(conn: Connection, phone_e164: str) -> list[dict[str, Any]]:
    """The players this phone is, or is a guardian of (name order)."""
    rows = conn.execute(
        select(players.c.player_id, players.c.name, players.c.phone, players.c.guardian_phones)
    ).mappings()
    found = []
    for row in rows:
        if row["phone"] == phone_e164:
            found.append({"player_id": row["player_id"], "name": row["name"], "relation": "player"})
        elif phone_e164 in (row["guardian_phones"] or []):
            found.append(
                {"player_id": row["player_id"], "name": row["name"], "relation": "guardian"}
            )
    return sorted(found, key=lambda r: (r["relation"] != "player", r["name"]))


def _session_columns() -> list[Any]:
    return [
        matches.c.match_id,
        matches.c.title.label("session_name"),
        matches.c.kickoff_at.label("session_date_time"),
        matches.c.timezone,
        matches.c.location,
        matches.c.price_minor,
        matches.c.currency,
    ]


def open_paid_offers(
    conn: Connection, player_ids: list[UUID], now: datetime
) -> list[dict[str, Any]]:
    """Open paid offers of these players, soonest deadline first ("Available Sessions")."""
    if not player_ids:
        return []
    rows = conn.execute(
        select(
            paid_offers.c.offer_id,
            paid_offers.c.player_id,
            players.c.name.label("player_name"),
            paid_offers.c.expires_at.label("offer_expires_at"),
            paid_offers.c.payment_status,
            *_session_columns(),
        )
        .join(matches, matches.c.match_id == paid_offers.c.match_id)
        .join(players, players.c.player_id == paid_offers.c.player_id)
        .where(paid_offers.c.player_id.in_(player_ids) & (paid_offers.c.outcome == "open"))
        .order_by(paid_offers.c.expires_at, paid_offers.c.offer_id)
    ).mappings()
    offers = [{**utc(r), "maps_url": None} for r in rows]
    return [o for o in offers if o["offer_expires_at"] > now]


def bookings_of(conn: Connection, player_ids: list[UUID]) -> list[dict[str, Any]]:
    """Matches where these players are IN or HELD, and refunded payments; latest first."""
    if not player_ids:
        return []
    placed = conn.execute(
        select(
            roster.c.player_id,
            roster.c.status,
            players.c.name.label("player_name"),
            *_session_columns(),
        )
        .join(matches, matches.c.match_id == roster.c.match_id)
        .join(players, players.c.player_id == roster.c.player_id)
        .where(roster.c.player_id.in_(player_ids) & roster.c.status.in_(("IN", "HELD")))
    ).mappings()
    paid = {
        (r["match_id"], r["player_id"]): r
        for r in conn.execute(
            select(payments)
            .where(payments.c.player_id.in_(player_ids))
            .order_by(payments.c.updated_at)
        ).mappings()
    }
    found: dict[tuple[UUID, UUID], dict[str, Any]] = {}
    for row in placed:
        payment = paid.get((row["match_id"], row["player_id"]))
        found[(row["match_id"], row["player_id"])] = _booking(row, row["status"], payment)
    refunded = [p for p in paid.values() if p["status"] in ("refund_due", "refunded")]
    for p in refunded:
        key = (p["match_id"], p["player_id"])
        if key in found:
            continue
        session = (
            conn.execute(
                select(players.c.name.label("player_name"), *_session_columns())
                .join(players, and_(players.c.player_id == p["player_id"]))
                .where(matches.c.match_id == p["match_id"])
            )
            .mappings()
            .one()
        )
        found[key] = _booking({**session, "player_id": p["player_id"]}, "refunded", p)
    return sorted(found.values(), key=lambda b: b["session_date_time"], reverse=True)


def _booking(row: Any, status: str, payment: Any) -> dict[str, Any]:
    session = utc(row)
    return {
        "booking_id": booking_id(session["match_id"], session["player_id"]),
        "match_id": session["match_id"],
        "player_id": session["player_id"],
        "player_name": session["player_name"],
        "session_name": session["session_name"],
        "session_date_time": session["session_date_time"],
        "timezone": session["timezone"],
        "location": session["location"],
        "status": status,
        "price_minor": session["price_minor"],
        "currency": session["currency"],
        "paid": payment is not None and payment["status"] == "confirmed",
        "payment_status": payment["status"] if payment is not None else None,
        "checkin_code": None,
        "qr_url": None,
    }


def payments_of_match(conn: Connection, match_id: UUID) -> list[dict[str, Any]]:
    """Every payment for this match's places, newest first, for the admin."""
    rows = conn.execute(
        select(payments, players.c.name.label("player_name"))
        .join(players, players.c.player_id == payments.c.player_id)
        .where(payments.c.match_id == match_id)
        .order_by(payments.c.started_at.desc(), payments.c.payment_id)
    ).mappings()
    return [utc(r) for r in rows]
