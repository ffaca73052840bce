"""Reading the dashboard's tables: one match, the list of matches, a player's view.

These are the queries behind the admin's Match Control Centre (api.md
``GET /api/admin/matches/<id>``) and a player's "my matches" page; they read
rows only, never the event store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, case, func, select

from projections.tables import matches, players, queue, roster, utc

_ORDER = {"IN": 0, "HELD": 1, "WAITLIST": 2, "MAYBE": 3, "OUT": 4, "PENDING": 5}


def match_dashboard(conn: Connection, match_id: UUID) -> dict[str, Any] | None:
    """The dashboard of one match, or None if there is no such match."""
    header = conn.execute(select(matches).where(matches.c.match_id == match_id)).mappings().first()
    if header is None:
        return None
    row = utc(header)
    entries = _roster(conn, match_id)
    counts = _counts(entries)
    return {
        "match_id": row["match_id"],
        "title": row["title"],
        "kickoff_at": row["kickoff_at"],
        "location": row["location"],
        "timezone": row["timezone"],
        "capacity": row["capacity"],
        "price_minor": row["price_minor"],
        "currency": row["currency"],
        "admission": row["admission"],
        "offer_mode": row["offer_mode"],
        "state": row["state"],
        "booking_enabled": row["booking_enabled"],
        "invite_mode": row["invite_mode"],
        "tier_windows": _windows(row),
        "instant_claim": row["instant_claim_at"] is not None,
        **counts,
        "spots_left": max(0, row["capacity"] - counts["places_taken"]),
        "players": entries,
        "open_offers": [
            {
                "offer_id": e["offer_id"],
                "player_id": e["player_id"],
                "batch": e["offer_batch"],
                "expires_at": e["offer_expires_at"],
            }
            for e in sorted(entries, key=lambda e: e["waitlist_position"] or 0)
            if e["offer_id"] is not None
        ],
    }


def match_list(conn: Connection) -> list[dict[str, Any]]:
    """Every match with its counts, soonest kick-off first."""
    booked = _count_of(roster.c.status == "IN")
    held = _count_of(roster.c.status == "HELD")
    graced = _count_of(roster.c.grace_until.is_not(None))
    per_match = (
        select(
            roster.c.match_id,
            booked.label("booked"),
            held.label("held"),
            graced.label("in_grace"),
        )
        .group_by(roster.c.match_id)
        .subquery()
    )
    waiting = (
        select(queue.c.match_id, func.count().label("waitlist"))
        .group_by(queue.c.match_id)
        .subquery()
    )
    query = (
        select(
            matches,
            func.coalesce(per_match.c.booked, 0).label("booked"),
            func.coalesce(per_match.c.held, 0).label("held"),
            func.coalesce(per_match.c.in_grace, 0).label("in_grace"),
            func.coalesce(waiting.c.waitlist, 0).label("waitlist"),
        )
        .outerjoin(per_match, per_match.c.match_id == matches.c.match_id)
        .outerjoin(waiting, waiting.c.match_id == matches.c.match_id)
        .order_by(matches.c.kickoff_at, matches.c.match_id)
    )
    listed = []
    for found in conn.execute(query).mappings():
        row = utc(found)
        taken = row["booked"] + row["held"] + row["in_grace"]
        listed.append(
            {
                **{k: row[k] for k in ("match_id", "title", "kickoff_at", "location", "state")},
                "timezone": row["timezone"],
                **{k: row[k] for k in ("capacity", "booked", "held", "waitlist")},
                "booking_enabled": row["booking_enabled"],
                "spots_left": max(0, row["capacity"] - taken),
            }
        )
    return listed


def player_matches(
    conn: Connection, player_id: UUID, *, match_id: UUID | None = None
) -> list[dict[str, Any]]:
    """A player's answer, queue place and open offer in every match they answered (or one)."""
    query = (
        select(
            matches.c.match_id,
            matches.c.title,
            matches.c.kickoff_at,
            matches.c.location,
            matches.c.state,
            roster.c.status,
            roster.c.out_flexible,
            roster.c.grace_until,
            queue.c.position.label("waitlist_position"),
            queue.c.offer_id,
            queue.c.offer_expires_at,
        )
        .join(matches, matches.c.match_id == roster.c.match_id)
        .outerjoin(
            queue, and_(queue.c.match_id == roster.c.match_id, queue.c.player_id == player_id)
        )
        .where(roster.c.player_id == player_id)
        .order_by(matches.c.kickoff_at, matches.c.match_id)
    )
    if match_id is not None:
        query = query.where(roster.c.match_id == match_id)
    return [utc(r) for r in conn.execute(query).mappings()]


def player_offers(conn: Connection, player_id: UUID) -> list[dict[str, Any]]:
    """The player's open offers, soonest deadline first."""
    query = (
        select(
            queue.c.offer_id,
            queue.c.match_id,
            queue.c.offer_expires_at.label("expires_at"),
            matches.c.title,
            matches.c.kickoff_at,
            matches.c.location,
            matches.c.price_minor,
            matches.c.currency,
        )
        .join(matches, matches.c.match_id == queue.c.match_id)
        .where((queue.c.player_id == player_id) & queue.c.offer_id.is_not(None))
        .order_by(queue.c.offer_expires_at, queue.c.offer_id)
    )
    return [utc(r) for r in conn.execute(query).mappings()]


def _count_of(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _roster(conn: Connection, match_id: UUID) -> list[dict[str, Any]]:
    """Everyone who answered, plus the club's regulars who have not (PENDING)."""
    answered = (
        select(
            roster.c.player_id,
            roster.c.status,
            roster.c.since,
            roster.c.source,
            roster.c.out_flexible,
            roster.c.grace_until,
            players.c.name,
            players.c.tier,
            players.c.is_ringer,
            queue.c.position.label("waitlist_position"),
            queue.c.bumped,
            queue.c.offer_id,
            queue.c.offer_batch,
            queue.c.offer_expires_at,
        )
        .join(players, players.c.player_id == roster.c.player_id)
        .outerjoin(
            queue,
            and_(queue.c.match_id == roster.c.match_id, queue.c.player_id == roster.c.player_id),
        )
        .where(roster.c.match_id == match_id)
    )
    entries = [utc(r) | {"bumped": bool(r["bumped"])} for r in conn.execute(answered).mappings()]
    seen = {e["player_id"] for e in entries}
    regulars = conn.execute(
        select(players.c.player_id, players.c.name, players.c.tier, players.c.is_ringer).where(
            players.c.is_ringer.is_(False)
        )
    ).mappings()
    entries += [_pending(dict(r)) for r in regulars if r["player_id"] not in seen]
    return sorted(entries, key=_display_order)


def _pending(player: dict[str, Any]) -> dict[str, Any]:
    return {
        **player,
        "status": "PENDING",
        "since": None,
        "source": None,
        "out_flexible": False,
        "grace_until": None,
        "waitlist_position": None,
        "bumped": False,
        "offer_id": None,
        "offer_batch": None,
        "offer_expires_at": None,
    }


def _display_order(entry: dict[str, Any]) -> tuple[Any, ...]:
    since: datetime | None = entry["since"]
    return (
        _ORDER[entry["status"]],
        entry["waitlist_position"] or 0,
        since.timestamp() if since else 0.0,
        entry["name"].casefold(),
    )


def _counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    booked = sum(e["status"] == "IN" for e in entries)
    held = sum(e["status"] == "HELD" for e in entries)
    in_grace = sum(e["grace_until"] is not None for e in entries)
    waitlist = sum(e["waitlist_position"] is not None for e in entries)
    return {
        "booked": booked,
        "held": held,
        "in_grace": in_grace,
        "waitlist": waitlist,
        "places_taken": booked + held + in_grace,
    }


def _windows(row: dict[str, Any]) -> dict[str, datetime] | None:
    if row["a_open_at"] is None:
        return None
    return {k: row[k] for k in ("a_open_at", "b_open_at", "c_open_at")}
