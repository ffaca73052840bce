"""The auditor's commands: ``booking events | export | projections rebuild | audit | as-of``.

Each reads the store the settings choose (``DATABASE_URL`` or the embedded
SQLite files under ``BOOKING_DATA_DIR``) and writes plain text or JSON lines
to standard output; none changes an event.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit
from uuid import UUID

from eventsourcing.utils import get_topic
from sqlalchemy import Engine
from tqdm import tqdm

from booking import health
from booking.bootstrap import Settings, build_app, build_views
from booking_domain.application import BookingApp
from booking_domain.player import Player
from booking_domain.unit import Unit
from booking_domain.waitlist import Waitlist
from processes.store import scratch_schema
from projections.audit import audit
from projections.dashboard import Dashboard
from projections.database import views_engine
from projections.match_views import match_dashboard
from projections.runner import CannotApply, ProjectionRunner
from projections.tables import metadata

_PLAYER_EVENTS = (
    "PlayerRegistered",
    "PlayerRenamed",
    "TierChanged",
    "RingerStatusChanged",
    "MuteChanged",
)
_HIDDEN = {"originator_id", "originator_version", "originator_topic", "timestamp", "token_digest"}


def event_fields(event: Any) -> dict[str, Any]:
    """An event's own fields, as JSON-ready values (the invite token's digest left out)."""
    return {k: _jsonable(v) for k, v in vars(event).items() if k not in _HIDDEN}


def match_events(app: BookingApp, match_id: UUID) -> list[dict[str, Any]]:
    """The Match and Waitlist streams of one match, merged in log order."""
    streams = {match_id: "Match", Waitlist.create_id(match_id): "Waitlist"}
    found = app.recorder.stream_notifications(list(streams))  # type: ignore[attr-defined]
    rows = []
    for notification in found:
        event = app.mapper.to_domain_event(notification)
        rows.append(
            {
                "position": notification.id,
                "stream": streams[notification.originator_id],
                "version": notification.originator_version,
                "type": type(event).__name__,
                "at": event.timestamp.isoformat(),
                "data": event_fields(event),
            }
        )
    return rows


def print_events(app: BookingApp, match_id: UUID, out: TextIO, *, as_json: bool) -> int:
    rows = match_events(app, match_id)
    if not rows:
        print(f"No match {match_id} in this store.", file=out)
        return 1
    names = {str(b.player_id): b.name for b in Unit(app).club_roll()}
    for row in rows:
        if as_json:
            print(json.dumps(row), file=out)
            continue
        fields = "  ".join(f"{k}={_short(_named(v, names))}" for k, v in row["data"].items())
        print(
            f"{row['position']:>8}  {row['stream']:<8} v{row['version']:<4} {row['at'][:19]}Z"
            f"  {row['type']:<20} {fields}",
            file=out,
        )
    return 0


def export(app: BookingApp, out: TextIO, *, page: int = 2000) -> int:
    """Every event of the store as JSON lines, in log order; how many."""
    start, written = 1, 0
    while found := app.recorder.select_notifications(start=start, limit=page):
        for n in found:
            event = app.mapper.to_domain_event(n)
            line = {
                "position": n.id,
                "stream_id": str(n.originator_id),
                "version": n.originator_version,
                "topic": n.topic,
                "type": type(event).__name__,
                "at": event.timestamp.isoformat(),
                "data": event_fields(event),
            }
            out.write(json.dumps(line) + "\n")
        written += len(found)
        start = found[-1].id + 1
    return written


def rebuild(settings: Settings, err: TextIO) -> int:
    """Replace the live read models with a replay of the whole log."""
    with _store(settings) as (app, views):
        total = app.recorder.max_notification_id() or 0
        try:
            with tqdm(total=total, unit="ev", file=err, desc="rebuilding read models") as bar:
                position = views.rebuild(progress=bar.update)
        except CannotApply as error:
            print(
                f"Rebuild stopped, the read models are as they were: {error.stall.describe()}."
                f" Fix the cause, or pass over the event with"
                f" `booking projections skip {error.stall.name}` once it is stalled live.",
                file=err,
            )
            return 1
        print(f"Read models rebuilt to position {position}.", file=err)
        return 0


@contextmanager
def _store(settings: Settings) -> Iterator[tuple[BookingApp, ProjectionRunner]]:
    """The application and its read models for one command, closed after it."""
    app = build_app(settings)
    views = build_views(settings, app)
    try:
        yield app, views
    finally:
        views.engine.dispose()
        app.close()


def followers(settings: Settings, action: str, name: str | None, out: TextIO) -> int:
    """``booking projections status | retry NAME | skip NAME``."""
    with _store(settings) as (app, views):
        if action == "status":
            report = health.health(app, views)
            print("\n".join(report.lines()), file=out)
            return 1 if report.stalled else 0
        assert name is not None
        try:
            if action == "retry":
                count = health.retry(app, views, name)
                print(f"{name}: {count} stalled event(s) will be tried again.", file=out)
                return 0
            passed = health.skip(app, views, name)
        except KeyError as error:
            print(error.args[0], file=out)
            return 2
        if passed is None:
            print(f"{name} is not stopped at any event.", file=out)
            return 1
        print(f"Passed over, kept on record: {passed.describe()}", file=out)
        return 0


def run_audit(settings: Settings, out: TextIO, err: TextIO) -> int:
    """Rebuild into scratch and compare; 1 if anything differs."""
    with _store(settings) as (app, views):
        with _scratch_engine(settings) as scratch:
            total = app.recorder.max_notification_id() or 0
            with tqdm(total=total, unit="ev", file=err, desc="rebuilding into scratch") as bar:
                report = audit(views, scratch, progress=bar.update)
        if report.clean:
            print(
                f"Audit clean: {report.rows} rows of every read model equal a rebuild"
                f" from the events (position {report.position}).",
                file=out,
            )
            return 0
        for stall in report.stalled:
            print(f"Live read model not compared: {stall.describe()}", file=out)
        if report.unreplayable is not None:
            print(f"The rebuild cannot replay: {report.unreplayable.describe()}", file=out)
        if report.differences:
            print(f"Audit found {len(report.differences)} differences:", file=out)
        for difference in report.differences:
            print("  " + difference.describe(), file=out)
        return 1


def as_of(app: BookingApp, match_id: UUID, at: datetime, out: TextIO) -> int:
    """The match dashboard as it stood at ``at``, by replaying the events up to then."""
    streams = [match_id, Waitlist.create_id(match_id)]
    topics = [get_topic(getattr(Player, name)) for name in _PLAYER_EVENTS]
    players = []
    start = 1
    while found := app.recorder.select_notifications(start=start, limit=2000, topics=topics):
        players += found
        start = found[-1].id + 1
    notifications = sorted(
        [*players, *app.recorder.stream_notifications(streams)],  # type: ignore[attr-defined]
        key=lambda n: n.id,
    )
    engine = views_engine("memory", None)
    metadata.create_all(engine)
    projector = Dashboard()
    with engine.begin() as conn:
        for n in notifications:
            event = app.mapper.to_domain_event(n)
            if event.timestamp <= at:
                projector.apply(conn, event, n.id)
    with engine.connect() as conn:
        board = match_dashboard(conn, match_id)
    engine.dispose()
    if board is None:
        print(f"Match {match_id} did not exist at {at.isoformat()}.", file=out)
        return 1
    _print_board(board, at, out)
    return 0


def _print_board(board: dict[str, Any], at: datetime, out: TextIO) -> None:
    print(f"{board['title']} — as it stood at {at.isoformat()}", file=out)
    print(
        f"State {board['state']} • Booked {board['booked']}/{board['capacity']}"
        f" • Held {board['held']} • Waitlist {board['waitlist']}"
        f" • Spots left {board['spots_left']} • Booking"
        f" {'on' if board['booking_enabled'] else 'off'} ({board['invite_mode']})",
        file=out,
    )
    for p in board["players"]:
        badges = f"Tier {p['tier']}" + (" • ringer" if p["is_ringer"] else "")
        extra = []
        if p["waitlist_position"]:
            extra.append(f"#{p['waitlist_position']}")
        if p["out_flexible"]:
            extra.append("might be available later")
        if p["grace_until"]:
            extra.append(f"grace until {p['grace_until'].isoformat()}")
        if p["offer_id"]:
            extra.append(f"offer until {p['offer_expires_at'].isoformat()}")
        line = f"  {p['status']:<9} {p['name']:<15} {badges}"
        print(line + (f"  ({'; '.join(extra)})" if extra else ""), file=out)


@contextmanager
def _scratch_engine(settings: Settings) -> Iterator[Engine]:
    if settings.database_url:
        with scratch_schema(_plain(settings.database_url), "audit") as schema:
            engine = views_engine(_with_schema(settings.database_url, schema), None)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    with tempfile.TemporaryDirectory() as folder:
        engine = views_engine(None, Path(folder))
        try:
            yield engine
        finally:
            engine.dispose()


def _plain(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _with_schema(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"schema": schema}
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def _named(value: Any, names: dict[str, str]) -> Any:
    """Player ids as the names people know them by (text output only)."""
    if isinstance(value, list):
        return [names.get(v, v) if isinstance(v, str) else v for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "…"
