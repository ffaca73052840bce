"""The read-model tables (SQLAlchemy Core), and each projector's tracked position."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
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
