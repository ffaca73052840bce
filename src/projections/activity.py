"""The activity feed read model: the match's story in plain words (seed 004 §6).

Lines come from ``narrative.Narrator``; what it needs to remember (player
names, each match's time zone, each waitlist's match) lives in the
projector's own directory table, so the feed reads the same however the
log is cut into batches. Offers made, expired or ended together are one line:
an event that continues the group of the newest line rewrites that line.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, insert, select, update

from projections.narrative import _GROUPED, Narrator, event_kind
from projections.tables import activity, activity_directory, utc

_SYSTEM_ACTORS = ("", "system", "player", "self")


class StoredNarrator(Narrator):
    """A narrator whose memory is the directory table (read and written in ``conn``).

    It lives for one transaction and remembers what it read and wrote there
    (misses too), so a batch asks the database about each key once.
    """

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn
        self._known: dict[str, str | None] = {}

    def learn(self, event: Any) -> None:
        # What an event teaches is always about its own aggregate.
        oid = event.originator_id
        memories: dict[str, dict[UUID, Any]] = {
            "player": self.names,
            "tz": self.timezones,
            "waitlist": self.match_of_waitlist,
            "payer": self.payer_of,
        }
        before = {prefix: memory.get(oid) for prefix, memory in memories.items()}
        super().learn(event)
        for prefix, memory in memories.items():
            if (value := memory.get(oid)) is not None and value != before[prefix]:
                self._put(f"{prefix}:{oid.hex}", str(value))

    def name(self, player_id: UUID) -> str:
        if player_id not in self.names and (found := self._get(f"player:{player_id.hex}")):
            self.names[player_id] = found
        return super().name(player_id)

    def payer(self, event: Any) -> str:
        oid = event.originator_id
        if oid not in self.payer_of and (found := self._get(f"payer:{oid.hex}")):
            self.payer_of[oid] = UUID(found)
        return super().payer(event)

    def match_id(self, event: Any) -> UUID | None:
        oid = event.originator_id
        if oid not in self.timezones and (tz := self._get(f"tz:{oid.hex}")):
            self.timezones[oid] = tz
        if oid not in self.match_of_waitlist and (mid := self._get(f"waitlist:{oid.hex}")):
            self.match_of_waitlist[oid] = UUID(mid)
            if (tz := self._get(f"tz:{mid}")) is not None:
                self.timezones[UUID(mid)] = tz
        return super().match_id(event)

    def _get(self, key: str) -> str | None:
        if key not in self._known:
            self._known[key] = self.conn.execute(
                select(activity_directory.c.value).where(activity_directory.c.key == key)
            ).scalar()
        return self._known[key]

    def _put(self, key: str, value: str) -> None:
        table = activity_directory
        if self._get(key) is None:
            self.conn.execute(insert(table).values(key=key, value=value))
        else:
            self.conn.execute(update(table).where(table.c.key == key).values(value=value))
        self._known[key] = value


class ActivityFeed:
    """Projects every event into ``view_activity``."""

    name = "activity"
    tables = (activity, activity_directory)

    def __init__(self) -> None:
        self._transaction: Any = None
        self._narrator: StoredNarrator | None = None

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        narrator = self._narrator_for(conn)
        narrator.learn(event)
        kind = event_kind(event)
        if kind in _GROUPED:
            self._grouped(conn, narrator, event, position)
            return
        line = narrator.describe(event)
        if line is None:
            return
        conn.execute(
            insert(activity).values(
                position=position,
                match_id=line.match_id,
                at=line.at,
                kind=line.kind,
                text=line.text,
                player_id=getattr(event, "player_id", None),
                actor=_actor(event),
            )
        )

    def _narrator_for(self, conn: Connection) -> StoredNarrator:
        """One narrator per transaction: its memory is only good until it ends."""
        transaction = conn.get_transaction()
        if self._narrator is None or transaction is None or transaction is not self._transaction:
            self._transaction, self._narrator = transaction, StoredNarrator(conn)
        return self._narrator

    def _grouped(self, conn: Connection, narrator: Narrator, event: Any, position: int) -> None:
        key = {
            "kind": event_kind(event),
            "originator_id": event.originator_id.hex,
            "batch": getattr(event, "batch", None),
            "reason": getattr(event, "reason", None),
            "at": _iso(event.timestamp),
        }
        newest = conn.execute(
            select(activity).order_by(activity.c.position.desc()).limit(1)
        ).first()
        group = newest.grouped if newest is not None else None
        if group is not None and {k: group.get(k) for k in key} == key:
            members = [*group["members"], event.player_id.hex]
            conn.execute(
                update(activity)
                .where(activity.c.position == newest.position)
                .values(
                    text=_render(narrator, {**group, "members": members}),
                    grouped={**group, "members": members},
                    player_id=None,
                )
            )
            return
        group = {
            **key,
            "members": [event.player_id.hex],
            "expires_at": _iso(getattr(event, "expires_at", None)),
        }
        conn.execute(
            insert(activity).values(
                position=position,
                match_id=narrator.match_id(event),
                at=event.timestamp,
                kind=key["kind"],
                text=_render(narrator, group),
                player_id=event.player_id,
                actor=None,
                grouped=group,
            )
        )


def _render(narrator: Narrator, group: dict[str, Any]) -> str:
    events = [
        SimpleNamespace(
            originator_id=UUID(group["originator_id"]),
            player_id=UUID(member),
            batch=group["batch"],
            reason=group["reason"],
            expires_at=datetime.fromisoformat(group["expires_at"]) if group["expires_at"] else None,
            timestamp=datetime.fromisoformat(group["at"]),
        )
        for member in group["members"]
    ]
    return _GROUPED[group["kind"]](narrator, events)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _actor(event: Any) -> str | None:
    actor = getattr(event, "actor", None)
    return None if actor in _SYSTEM_ACTORS else actor


def activity_of(conn: Connection, match_id: UUID, *, limit: int = 200) -> list[dict[str, Any]]:
    """A match's feed, newest first (api.md ``GET /api/admin/matches/<id>/activity``)."""
    rows = conn.execute(
        select(
            activity.c.at,
            activity.c.kind,
            activity.c.text,
            activity.c.player_id,
            activity.c.actor,
        )
        .where(activity.c.match_id == match_id)
        .order_by(activity.c.position.desc())
        .limit(limit)
    ).mappings()
    return [utc(row) for row in rows]
