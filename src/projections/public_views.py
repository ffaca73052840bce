"""Small reads for the booking link and the admin's player list.

The shared link's page polls every 15 s (seed 004 §5.2 "live"), so its reads
are two indexed lookups, not the whole dashboard.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, select

from projections.match_views import player_matches
from projections.tables import matches, players, queue, roster, utc


def match_header(conn: Connection, match_id: UUID) -> dict[str, Any] | None:
    """A match's header with its counts, or None."""
    header = conn.execute(select(matches).where(matches.c.match_id == match_id)).mappings().first()
    if header is None:
        return None
    row = utc(header)
    counted = conn.execute(
        select(roster.c.status, roster.c.grace_until.is_not(None).label("graced"), func.count())
        .where(roster.c.match_id == match_id)
        .group_by(roster.c.status, "graced")
    ).all()
    booked = sum(n for status, _, n in counted if status == "IN")
    held = sum(n for status, _, n in counted if status == "HELD")
    in_grace = sum(n for _, graced, n in counted if graced)
    waiting = conn.execute(
        select(func.count()).select_from(queue).where(queue.c.match_id == match_id)
    ).scalar_one()
    windows = (
        {k: row[k] for k in ("a_open_at", "b_open_at", "c_open_at")}
        if row["a_open_at"] is not None
        else None
    )
    return {
        **{k: row[k] for k in ("match_id", "title", "kickoff_at", "location", "timezone")},
        **{k: row[k] for k in ("capacity", "price_minor", "currency", "state", "admission")},
        "booking_enabled": row["booking_enabled"],
        "invite_mode": row["invite_mode"],
        "tier_windows": windows,
        "instant_claim": row["instant_claim_at"] is not None,
        "booked": booked,
        "held": held,
        "in_grace": in_grace,
        "waitlist": waiting,
        "spots_left": max(0, row["capacity"] - booked - held - in_grace),
    }


def standing_of(conn: Connection, match_id: UUID, player_id: UUID) -> dict[str, Any] | None:
    """A player's answer, queue place and open offer in one match (None: no answer yet)."""
    found = player_matches(conn, player_id, match_id=match_id)
    return found[0] if found else None


def player_list(conn: Connection) -> list[dict[str, Any]]:
    """Every player, by name."""
    rows = conn.execute(select(players).order_by(func.lower(players.c.name))).mappings()
    return [_player(r) for r in rows]


def player_row(conn: Connection, player_id: UUID) -> dict[str, Any] | None:
    found = conn.execute(select(players).where(players.c.player_id == player_id)).mappings().first()
    return _player(found) if found is not None else None


def _player(row: Any) -> dict[str, Any]:
    return {
        "player_id": row["player_id"],
        "name": row["name"],
        "phone": row["phone"],
        "tier": row["tier"],
        "is_ringer": row["is_ringer"],
        "muted": row["muted"],
        "email": row["email"],
        "guardian_phones": list(row["guardian_phones"] or []),
    }
