"""What the court pages read (seed 002): the approvals queue, the day grid, "My requests",
the waitlist conversion rate. Each query takes the views' connection first and answers
plain dicts with aware UTC datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, case, func, select

from projections.court_views import places, slot_requests, slots, waiting_carts
from projections.tables import matches, players, roster, utc

Row = dict[str, Any]


def _names(conn: Connection, player_ids: set[UUID]) -> dict[UUID, str]:
    if not player_ids:
        return {}
    rows = conn.execute(
        select(players.c.player_id, players.c.name).where(players.c.player_id.in_(player_ids))
    )
    return {r.player_id: r.name for r in rows}


def waiting_on(conn: Connection, match_ids: Sequence[UUID]) -> dict[UUID, list[Row]]:
    """The carts waiting on each of these slots, in queue order."""
    rows = conn.execute(
        select(waiting_carts)
        .where(waiting_carts.c.match_id.in_(match_ids) & (waiting_carts.c.status == "waiting"))
        .order_by(waiting_carts.c.match_id, waiting_carts.c.position)
    ).mappings()
    found: dict[UUID, list[Row]] = {m: [] for m in match_ids}
    carts = [utc(r) for r in rows]
    names = _names(conn, {c["player_id"] for c in carts})
    for c in carts:
        found[c["match_id"]].append(
            {
                "player_id": c["player_id"],
                "player_name": names.get(c["player_id"], "?"),
                "request_id": c["request_id"],
                "position": c["position"],
                "cart": c["cart"],
                "joined_at": c["joined_at"],
            }
        )
    return found


def approvals_queue(conn: Connection) -> list[Row]:
    """Pending requests, oldest first, each with its slots and the carts waiting behind them."""
    rows = conn.execute(
        select(slot_requests, matches.c.kickoff_at)
        .join(matches, matches.c.match_id == slot_requests.c.match_id)
        .where(slot_requests.c.status == "pending")
        .order_by(slot_requests.c.requested_at, matches.c.kickoff_at)
    ).mappings()
    parts = [utc(r) for r in rows]
    waiting = waiting_on(conn, [p["match_id"] for p in parts])
    names = _names(conn, {p["player_id"] for p in parts})
    requests: dict[UUID, Row] = {}
    for part in parts:
        request = requests.setdefault(
            part["request_id"],
            {
                "request_id": part["request_id"],
                "player_id": part["player_id"],
                "player_name": names.get(part["player_id"], "?"),
                "requested_at": part["requested_at"],
                "converted_from": part["converted_from"],
                "moved_from": part["moved_from"],
                "slots": [],
            },
        )
        request["slots"].append(
            {
                "match_id": part["match_id"],
                "cart": part["cart"],
                "starts_at": part["kickoff_at"],
                "waitlist": waiting[part["match_id"]],
            }
        )
    found = list(requests.values())
    for request in found:
        request["slots"].sort(key=lambda s: s["starts_at"])
        first = request["slots"][0]
        request |= {"match_id": first["match_id"], "cart": first["cart"]}
        request["waitlist"] = first["waitlist"]
    return found


def request_for(conn: Connection, request_id: UUID) -> Row | None:
    """Where a request stands: its first slot, its member, and its status."""
    row = conn.execute(
        select(slot_requests.c.match_id, slot_requests.c.player_id, slot_requests.c.status)
        .join(matches, matches.c.match_id == slot_requests.c.match_id)
        .where(slot_requests.c.request_id == request_id)
        .order_by(slot_requests.c.status != "pending", matches.c.kickoff_at)
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"request_id": request_id, **row._asdict()}


def _court_order(name: str) -> list[Any]:
    """Court 2 before Court 10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _cell_state(slot: Row, now: datetime) -> str:
    if slot["state"] != "Draft" or not slot["booking_enabled"] or slot["kickoff_at"] <= now:
        return "closed"
    if slot["booked"] >= slot["capacity"]:
        return "booked"
    if slot["booked"] + slot["held"] >= slot["capacity"]:
        return "pending"
    return "free"


def day_grid(
    conn: Connection,
    day: date,
    timezone: str = "Europe/London",
    *,
    now: datetime | None = None,
    with_names: bool = True,
    mine: Sequence[UUID] = (),
) -> Row:
    """Courts × start times for one local day: free / pending / booked / closed, and
    how many carts wait on each slot; ``mine``: whose places and carts each cell
    marks as the reader's own (``yours``: booked, pending or waiting #n)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, datetime.min.time(), zone)
    end = start + timedelta(days=1)
    counts = (
        select(
            roster.c.match_id,
            func.sum(case((roster.c.status == "IN", 1), else_=0)).label("booked"),
            func.sum(case((roster.c.status == "HELD", 1), else_=0)).label("held"),
        )
        .group_by(roster.c.match_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            slots,
            matches.c.kickoff_at,
            matches.c.capacity,
            matches.c.price_minor,
            matches.c.currency,
            matches.c.state,
            matches.c.booking_enabled,
            func.coalesce(counts.c.booked, 0).label("booked"),
            func.coalesce(counts.c.held, 0).label("held"),
        )
        .join(matches, matches.c.match_id == slots.c.match_id)
        .outerjoin(counts, counts.c.match_id == slots.c.match_id)
        .where((matches.c.kickoff_at >= start) & (matches.c.kickoff_at < end))
    ).mappings()
    found = [utc(r) for r in rows]
    waiting = waiting_on(conn, [s["match_id"] for s in found])
    holders = _holders(conn, [s["match_id"] for s in found]) if with_names else {}
    own = _own(conn, [s["match_id"] for s in found], mine, waiting)
    at = now or datetime.now(zone)
    courts = sorted({s["court"] for s in found}, key=_court_order)
    by_time: dict[tuple[str, str], dict[str, Row]] = {}
    for s in found:
        begins, ends = s["kickoff_at"].astimezone(zone), s["ends_at"].astimezone(zone)
        key = (f"{begins:%H:%M}", f"{ends:%H:%M}")
        by_time.setdefault(key, {})[s["court"]] = {
            "court": s["court"],
            "match_id": s["match_id"],
            "sport": s["sport"],
            "state": _cell_state(s, at),
            "waitlist": len(waiting[s["match_id"]]),
            "booked": int(s["booked"]),
            "capacity": s["capacity"],
            "price_minor": s["price_minor"],
            "currency": s["currency"],
            "names": holders.get(s["match_id"], []),
            "yours": own.get(s["match_id"]),
        }
    rows_out = []
    for (begins_at, ends_at), cells in sorted(by_time.items()):
        rows_out.append(
            {
                "start": begins_at,
                "end": ends_at,
                "cells": [
                    cells.get(c) or {"court": c, "match_id": None, "state": "none"} for c in courts
                ],
            }
        )
    return {"date": day.isoformat(), "timezone": timezone, "courts": courts, "rows": rows_out}


def _own(
    conn: Connection,
    match_ids: Sequence[UUID],
    mine: Sequence[UUID],
    waiting: dict[UUID, list[Row]],
) -> dict[UUID, str]:
    """Where the reader's players stand on each slot: booked, pending, or waiting #n."""
    if not mine or not match_ids:
        return {}
    rows = conn.execute(
        select(roster.c.match_id, roster.c.status).where(
            roster.c.match_id.in_(match_ids)
            & roster.c.player_id.in_(mine)
            & roster.c.status.in_(("IN", "HELD"))
        )
    )
    found = {r.match_id: "booked" if r.status == "IN" else "pending" for r in rows}
    for match_id, carts in waiting.items():
        for cart in carts:
            if cart["player_id"] in mine and match_id not in found:
                found[match_id] = f"waiting #{cart['position']}"
    return found


def _no_slot(court: str) -> Row:
    return {"court": court, "match_id": None, "state": "none"}


def _holders(conn: Connection, match_ids: Sequence[UUID]) -> dict[UUID, list[str]]:
    rows = conn.execute(
        select(roster.c.match_id, players.c.name)
        .join(players, players.c.player_id == roster.c.player_id)
        .where(roster.c.match_id.in_(match_ids) & roster.c.status.in_(("IN", "HELD")))
        .order_by(players.c.name)
    )
    found: dict[UUID, list[str]] = {}
    for r in rows:
        found.setdefault(r.match_id, []).append(r.name)
    return found


def requests_of(conn: Connection, player_ids: Sequence[UUID]) -> list[Row]:
    """A member's "My requests" (and those of players they look after), newest first:
    each slot of each request, and each waiting cart."""
    if not player_ids:
        return []
    names = _names(conn, set(player_ids))
    bookings = conn.execute(
        select(
            slot_requests,
            matches.c.kickoff_at,
            places.c.checked_in_at,
            places.c.placed_seq.label("now_seq"),
        )
        .join(matches, matches.c.match_id == slot_requests.c.match_id)
        .outerjoin(
            places,
            (places.c.match_id == slot_requests.c.match_id)
            & (places.c.player_id == slot_requests.c.player_id),
        )
        .where(slot_requests.c.player_id.in_(player_ids))
    ).mappings()
    found: list[Row] = []
    for r in (utc(b) for b in bookings):
        same_place = r["now_seq"] == r["placed_seq"]
        found.append(
            {
                "request_id": r["request_id"],
                "match_id": r["match_id"],
                "player_id": r["player_id"],
                "player_name": names.get(r["player_id"], "?"),
                "kind": "booking",
                "status": r["status"],
                "cart": r["cart"],
                "starts_at": r["kickoff_at"],
                "waitlist_position": None,
                "reason": r["reason"],
                "requested_at": r["requested_at"],
                "decided_at": r["decided_at"],
                "placed_seq": r["placed_seq"],
                "checked_in_at": r["checked_in_at"] if same_place else None,
            }
        )
    carts = conn.execute(
        select(waiting_carts, matches.c.kickoff_at)
        .join(matches, matches.c.match_id == waiting_carts.c.match_id)
        .where(waiting_carts.c.player_id.in_(player_ids))
    ).mappings()
    for c in (utc(w) for w in carts):
        found.append(
            {
                "request_id": c["request_id"],
                "match_id": c["match_id"],
                "player_id": c["player_id"],
                "player_name": names.get(c["player_id"], "?"),
                "kind": "waiting",
                "status": c["status"],
                "cart": c["cart"],
                "starts_at": c["kickoff_at"],
                "waitlist_position": c["position"],
                "reason": c["reason"],
                "requested_at": c["joined_at"],
                "decided_at": c["ended_at"],
                "placed_seq": None,
                "checked_in_at": None,
            }
        )
    found.sort(key=lambda r: r["requested_at"], reverse=True)
    return found


def conversion_rate(conn: Connection, match_id: UUID | None = None) -> Row:
    """How waiting carts ended (seed 002 "analytics for waitlist conversion rates"):
    rate = converted ÷ (converted + cancelled), None until one has ended."""
    query = select(waiting_carts.c.status, func.count()).group_by(waiting_carts.c.status)
    if match_id is not None:
        query = query.where(waiting_carts.c.match_id == match_id)
    counts: dict[str, int] = {status: n for status, n in conn.execute(query)}  # noqa: C416
    converted, cancelled = counts.get("converted", 0), counts.get("cancelled", 0)
    decided = converted + cancelled
    return {
        "queued": sum(counts.values()),
        "converted": converted,
        "cancelled": cancelled,
        "moved": counts.get("moved", 0),
        "waiting": counts.get("waiting", 0),
        "rate": round(converted / decided, 3) if decided else None,
    }


def place_of(conn: Connection, match_id: UUID, player_id: UUID) -> Row | None:
    """The booking's place: the match version that gave it, and its check-in, if any."""
    row = (
        conn.execute(
            select(places).where(
                (places.c.match_id == match_id) & (places.c.player_id == player_id)
            )
        )
        .mappings()
        .first()
    )
    return utc(row) if row else None
