"""The read-model tables (SQLAlchemy Core), and each projector's tracked position."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Uuid

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
