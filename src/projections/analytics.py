"""Club analytics (seed 004 §13): fill rate, time to full, waitlist conversion, offers.

One row of counters per match, each moved by the events that count for it;
the rates are worked out when read. ``booked`` and ``in_grace`` follow the
roster the way the Match aggregate counts it, so "full" means the places
taken reached capacity.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from booking_domain.queue_state import WaitlistState
from booking_domain.waitlist import Waitlist
from projections.tables import match_stats, utc

#: What each event adds to the counters of its match.
_COUNTS: Mapping[str, Mapping[str, int]] = {
    "PlayerIn": {"booked": 1, "self_booked": 1},
    "PlayerAddedByAdmin": {"booked": 1, "admin_added": 1},
    "PlayerReinstated": {"booked": 1},
    "PlayerDemoted": {"booked": -1},
    "DroppedOut": {"booked": -1, "in_grace": 1, "dropouts": 1},
    "DropoutRetracted": {"booked": 1, "in_grace": -1, "dropouts_retracted": 1},
    "DropoutFinalised": {"in_grace": -1},
    "LastCallSent": {"last_calls": 1},
    "JoinedWaitlist": {"waitlist_joined": 1},
    "OfferIssued": {"offers_issued": 1},
    "OfferClaimed": {"offers_claimed": 1, "waitlist_converted": 1},
    "ClaimedWithoutOffer": {"waitlist_converted": 1},
    "OfferExpired": {"offers_expired": 1},
    "OfferSuperseded": {"offers_superseded": 1},
    "OfferDeclined": {"offers_declined": 1},
    # Paid places (seed 000): a paid-for hold is a booking taken from the waitlist.
    "HoldConfirmed": {"booked": 1},
    "OfferAccepted": {"waitlist_converted": 1},
    # Court slots (seed 002): a waiting cart joins; a converted one got the slot.
    "BookingApproved": {"booked": 1},
    "CartQueued": {"waitlist_joined": 1},
    "WaitingCartConverted": {"waitlist_converted": 1},
}
_COUNTERS = frozenset({"ins_after_last_call"} | {c for steps in _COUNTS.values() for c in steps})
_STATES = {
    "PoolLocked": "PoolLocked",
    "TeamsBalanced": "TeamsBalanced",
    "MatchCompleted": "Completed",
    "MatchCancelled": "Cancelled",
}
_MILESTONES = frozenset({"BookingEnabled", "CapacityChanged", *_STATES})


class Analytics:
    """Projects events into ``view_match_stats``."""

    name = "analytics"
    tables = (match_stats,)

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        kind = type(event).__name__
        if kind == "MatchScheduled":
            conn.execute(
                insert(match_stats).values(
                    dict.fromkeys(_COUNTERS, 0)
                    | {
                        "match_id": event.originator_id,
                        "waitlist_id": Waitlist.create_id(event.originator_id),
                        "kickoff_at": event.kickoff_at,
                        "capacity": event.capacity,
                        "state": "Draft",
                    }
                )
            )
            return
        if kind not in _COUNTS and kind not in _MILESTONES:
            return
        where = self._row(event, kind)
        row = conn.execute(select(match_stats).where(where)).mappings().first()
        if row is None:
            return
        changes = self._changes(row, event, kind)
        if changes:
            after = {**row, **changes}
            if row["full_at"] is None and after["booked"] + after["in_grace"] >= after["capacity"]:
                changes["full_at"] = event.timestamp
            conn.execute(update(match_stats).where(where).values(changes))

    @staticmethod
    def _row(event: Any, kind: str) -> Any:
        if isinstance(event, WaitlistState.Event):
            return match_stats.c.waitlist_id == event.originator_id
        return match_stats.c.match_id == event.originator_id

    @staticmethod
    def _changes(row: Mapping[str, Any], event: Any, kind: str) -> dict[str, Any]:
        if kind == "CartQueued" and event.moved_from is not None:
            return {}  # a cart following its booking to another slot joined once already
        changes = {column: row[column] + step for column, step in _COUNTS.get(kind, {}).items()}
        if kind == "PlayerIn" and row["last_call_at"] is not None:
            changes["ins_after_last_call"] = row["ins_after_last_call"] + 1
        if kind == "LastCallSent" and row["last_call_at"] is None:
            changes["last_call_at"] = event.timestamp
        if kind == "BookingEnabled" and row["booking_opened_at"] is None:
            changes["booking_opened_at"] = event.timestamp
        if kind == "CapacityChanged":
            changes["capacity"] = event.capacity
        if kind in _STATES:
            changes["state"] = _STATES[kind]
        return changes


def match_analytics(conn: Connection) -> list[dict[str, Any]]:
    """Each match's figures, soonest kick-off first, with its rates worked out."""
    rows = conn.execute(
        select(match_stats).order_by(match_stats.c.kickoff_at, match_stats.c.match_id)
    ).mappings()
    return [_with_rates(utc(row)) for row in rows]


def club_totals(per_match: list[dict[str, Any]]) -> dict[str, Any]:
    """The club's figures over the given matches (cancelled ones left out of fill rate)."""
    played = [m for m in per_match if m["state"] != "Cancelled"]
    places = sum(m["capacity"] for m in played)
    joined = sum(m["waitlist_joined"] for m in per_match)
    filled = [m["time_to_full_seconds"] for m in played if m["time_to_full_seconds"] is not None]
    return {
        "matches": len(per_match),
        "cancelled": len(per_match) - len(played),
        "fill_rate": _ratio(sum(min(m["booked"], m["capacity"]) for m in played), places),
        "matches_full": sum(m["full_at"] is not None for m in played),
        "median_time_to_full_seconds": sorted(filled)[len(filled) // 2] if filled else None,
        "waitlist_conversion": _ratio(sum(m["waitlist_converted"] for m in per_match), joined),
        **{
            key: sum(m[key] for m in per_match)
            for key in (
                "offers_issued",
                "offers_claimed",
                "offers_expired",
                "offers_superseded",
                "offers_declined",
                "last_calls",
                "ins_after_last_call",
            )
        },
    }


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    opened: datetime | None = row["booking_opened_at"]
    full: datetime | None = row["full_at"]
    return {
        **row,
        "fill_rate": _ratio(min(row["booked"], row["capacity"]), row["capacity"]),
        "time_to_full_seconds": (full - opened).total_seconds() if full and opened else None,
        "waitlist_conversion": _ratio(row["waitlist_converted"], row["waitlist_joined"]),
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
