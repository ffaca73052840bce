"""The read-model tables (SQLAlchemy Core), and each projector's tracked position."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)

metadata = MetaData()

#: How far each projector has read the notification log.
tracking = Table(
    "view_tracking",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

#: Which match each waitlist belongs to (waitlist events name only the waitlist).
waitlists = Table(
    "view_waitlists",
    metadata,
    Column("waitlist_id", Uuid, primary_key=True),
    Column("match_id", Uuid, nullable=False),
)

#: The offer log (seed 004 §6): every offer and how it ended.
offer_log = Table(
    "view_offer_log",
    metadata,
    Column("offer_id", Uuid, primary_key=True),
    Column("match_id", Uuid, nullable=False, index=True),
    Column("player_id", Uuid, nullable=False),
    Column("batch", Integer, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(40), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
)

#: The activity feed (seed 004 §6): one plain-English line per event, offers
#: made, expired or ended together told as one line (``grouped``).
activity = Table(
    "view_activity",
    metadata,
    Column("position", BigInteger, primary_key=True),  # the line's first event
    Column("match_id", Uuid, nullable=True, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("player_id", Uuid, nullable=True),
    Column("actor", String(64), nullable=True),
    Column("grouped", JSON, nullable=True),
)

#: What the activity feed needs to name things: players, matches' time zones, waitlists.
activity_directory = Table(
    "view_activity_directory",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", String(200), nullable=False),
)

#: The match dashboard's header (seed 004 §6 "Match Control Centre").
matches = Table(
    "view_matches",
    metadata,
    Column("match_id", Uuid, primary_key=True),
    Column("waitlist_id", Uuid, nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("kickoff_at", DateTime(timezone=True), nullable=False),
    Column("location", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("price_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("admission", String(16), nullable=False),
    Column("offer_mode", String(20), nullable=False),
    Column("state", String(16), nullable=False),
    Column("booking_enabled", Boolean, nullable=False),
    Column("invite_mode", String(8), nullable=False),
    Column("a_open_at", DateTime(timezone=True), nullable=True),
    Column("b_open_at", DateTime(timezone=True), nullable=True),
    Column("c_open_at", DateTime(timezone=True), nullable=True),
    Column("instant_claim_at", DateTime(timezone=True), nullable=True),
)

#: Each player's answer in each match (the Match aggregate's roster).
roster = Table(
    "view_roster",
    metadata,
    Column("match_id", Uuid, primary_key=True),
    Column("player_id", Uuid, primary_key=True, index=True),
    Column("status", String(10), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("source", String(10), nullable=False),
    Column("out_flexible", Boolean, nullable=False),
    Column("grace_until", DateTime(timezone=True), nullable=True),
)

#: Each match's queue and the open offer of each waiting player (the Waitlist aggregate).
queue = Table(
    "view_queue",
    metadata,
    Column("match_id", Uuid, primary_key=True),
    Column("player_id", Uuid, primary_key=True, index=True),
    Column("position", Integer, nullable=False),
    Column("bumped", Boolean, nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    Column("offer_id", Uuid, nullable=True),
    Column("offer_batch", Integer, nullable=True),
    Column("offer_expires_at", DateTime(timezone=True), nullable=True),
)

#: The club's players as the dashboard badges them.
players = Table(
    "view_players",
    metadata,
    Column("player_id", Uuid, primary_key=True),
    Column("name", String(40), nullable=False),
    Column("phone", String(20), nullable=False, index=True),
    Column("tier", String(1), nullable=False),
    Column("is_ringer", Boolean, nullable=False),
    Column("muted", Boolean, nullable=False),
    Column("email", String(254), nullable=True),
    Column("guardian_phones", JSON, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

#: Club analytics, one row per match (seed 004 §13): counters folded from the events.
match_stats = Table(
    "view_match_stats",
    metadata,
    Column("match_id", Uuid, primary_key=True),
    Column("waitlist_id", Uuid, nullable=False, unique=True),
    Column("kickoff_at", DateTime(timezone=True), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("booking_opened_at", DateTime(timezone=True), nullable=True),
    Column("full_at", DateTime(timezone=True), nullable=True),
    Column("last_call_at", DateTime(timezone=True), nullable=True),
    *(
        Column(name, Integer, nullable=False, default=0)
        for name in (
            "booked",
            "in_grace",
            "self_booked",
            "admin_added",
            "ins_after_last_call",
            "waitlist_joined",
            "waitlist_converted",
            "offers_issued",
            "offers_claimed",
            "offers_expired",
            "offers_superseded",
            "offers_declined",
            "dropouts",
            "dropouts_retracted",
            "last_calls",
        )
    ),
)


def utc(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as a dict with aware UTC datetimes (SQLite hands back naive ones)."""
    return {
        k: v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v
        for k, v in row.items()
    }
