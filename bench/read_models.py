"""``make bench``, part four: how fast the read models catch up; a 1M-event rebuild.

On PostgreSQL, in scratch schemas dropped afterwards:

1. A template: a club's weeks told by commands on the in-memory store — players
   and self-booking ringers, matches day after day, IN / OUT / WAITLIST / MAYBE,
   claims, the organiser's overrides, cancellations, kick-off's lock / balance /
   complete — while ``Engine.advance`` moves the test clock so grace ends, offer
   expiries, tier openings, last calls and instant claims fire as timers.
2. The store: commands run at hundreds a second, far too slow for a million
   events, so the template goes straight into the recorder in large batches:
   once whole, then its Match and Waitlist streams again and again (one club,
   many matches) with fresh match, waitlist and offer ids, each copy a run of
   the log in the template's order, the last one cut short at the target.
3. Catch-up: ``ProjectionRunner.catch_up``, as the engine runs it, from 0 over
   the first ``sample`` events into empty views: every read model together,
   then each alone, with the SQL statements each sends per event.
4. Full rebuild: ``ProjectionRunner.rebuild`` (one transaction, as ``booking
   projections rebuild`` runs it) of every read model over the whole log into
   empty views, its rate by segment (does it hold as tables grow?); the rows.
5. Check: copied matches' views equal each other's and the template's, and the
   template's counts its aggregates'. A fast but wrong rebuild is no use.
"""

from __future__ import annotations

import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from sqlalchemy import Connection, Engine, event, func, select

from booking.fictional import fictional_phone
from booking_domain.application import BookingApp
from booking_domain.errors import BookingError
from booking_domain.waitlist import Waitlist
from processes.clock import ManualClock, SystemClock
from processes.engine import Engine as Timers
from processes.store import store_env
from projections.database import views_engine
from projections.match_views import match_list
from projections.runner import ProjectionRunner, Projector, every_projector
from projections.tables import activity, match_stats, metadata, offer_log, queue, roster
from scratch import PG_URL, pg_schema, postgres_env

T = TypeVar("T")
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STEP = timedelta(minutes=20)
TIERS = "A" * 12 + "B" * 18 + "C" * 30
ACTIONS = ["IN"] * 40 + ["OUT"] * 14 + ["WAITLIST"] * 10 + ["MAYBE"] * 5 + ["CLAIM"] * 14
ACTIONS += ["RELEASE"] * 3 + ["CAPACITY"] * 2 + ["ADD"] * 2 + ["LAST_CALL"] * 2
ACTIONS += ["REISSUE"] * 2 + ["RINGER"] * 2 + ["CANCEL"]
#: A stored value's uuid, as the application's JSON transcoder writes it.
_IN_STATE = re.compile(rb'"_data_":"([0-9a-f]{32})"')
_OFFER_ID = re.compile(rb'"offer_id":\{"_type_":"uuid_hex","_data_":"([0-9a-f]{32})"')


# ------------------------------------------------------------------ template


@dataclass
class Template:
    """The story's events; the Match and Waitlist ones a copy repeats with fresh ids."""

    events: list[StoredEvent]
    repeated: list[StoredEvent]
    matches: list[UUID]
    offers: set[bytes]
    commands: int
    seconds: float
    app: BookingApp


def club_story(matches: int, seed: int = 11) -> Template:
    """``matches`` matches of one club, told by commands on the in-memory store."""
    rng = random.Random(seed)
    clock = ManualClock(START)
    app = BookingApp(store_env("memory", None), clock=clock)
    timers = Timers(app)
    club: dict[UUID, str] = {}  # every player's phone, ringers added as they book
    for i, tier in enumerate(TIERS):
        phone = fictional_phone(i)
        club[app.register_player(name=f"Player {i}", phone=phone, tier=tier).value] = phone
    app.change_settings({"enable_ringer_self_book": True, "tier_b_offset_hours": 6})
    open_: list[tuple[UUID, str]] = []
    made: list[UUID] = []
    commands, started = len(TIERS) + 1, time.perf_counter()
    while len(made) < matches or open_:
        if len(made) < matches and rng.random() < 1 / 12:
            kickoff = clock.now() + timedelta(hours=rng.uniform(5, 96))
            mid = app.schedule_match(
                title=f"Match {len(made)}",
                kickoff_at=kickoff.replace(minute=0, second=0, microsecond=0),
                location=rng.choice(["Hackney Marshes", "Regent's Park", "Mile End"]),
                capacity=rng.choice([8, 10, 10, 12, 14]),
                offer_fanout=rng.choice([1, 2, 3, 3]),
            ).value
            mode = "tiered" if rng.random() < 0.35 else "all"
            open_.append((mid, app.enable_booking(mid, invite_mode=mode).value))
            made.append(mid)
            commands += 2
        for mid, token in open_:
            for _ in range(rng.randint(0, 3)):
                act(app, rng, rng.choice(ACTIONS), mid, token, club)
                commands += 1
        timers.advance(by=STEP)
        for mid, token in list(open_):
            if app.get_match(mid).kickoff_at <= clock.now():
                for close in (app.lock_pool, app.balance_teams, app.complete_match):
                    attempt(partial(close, mid))
                commands += 3
                open_.remove((mid, token))
    seconds = time.perf_counter() - started
    events = [
        StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
        for n in app.recorder.select_notifications(start=1, limit=10**9)
    ]
    streams = set(made) | {Waitlist.create_id(m) for m in made}
    repeated = [e for e in events if UUID(str(e.originator_id)) in streams]
    offers = {found for e in events for found in _OFFER_ID.findall(e.state)}
    return Template(events, repeated, made, offers, commands, seconds, app)


def attempt(command: Callable[[], T]) -> T | None:
    """Run a command; a refusal (a full match, a claim too late …) is part of the story."""
    try:
        return command()
    except BookingError:
        return None


def act(
    app: BookingApp, rng: random.Random, action: str, mid: UUID, token: str, club: dict[UUID, str]
) -> None:
    """One player's or the organiser's action on a match."""
    match, phone = app.get_match(mid), rng.choice(list(club.values()))
    if action in ("IN", "OUT", "WAITLIST", "MAYBE"):
        flexible = action == "OUT" and rng.random() < 0.3
        attempt(
            lambda: app.respond(
                match_id=mid, token=token, phone=phone, action=action, out_flexible=flexible
            )
        )
    elif action == "CLAIM":  # mostly by someone offered the place
        offered = [club[o.player_id] for o in app.get_waitlist(mid).offers]
        phone = rng.choice(offered) if offered and rng.random() < 0.8 else phone
        attempt(lambda: app.claim_offer(match_id=mid, token=token, phone=phone))
    elif action == "RINGER":
        number, name = fictional_phone(len(club)), f"Ringer {len(club)}"
        done = attempt(
            lambda: app.respond(match_id=mid, token=token, phone=number, action="IN", name=name)
        )
        if done is not None:
            club[done.value.player_id] = number
    elif action == "RELEASE":
        held = [e.player_id for e in match.roster if e.grace_until is not None]
        if held:
            attempt(partial(app.release_spot, mid, rng.choice(held)))
    elif action == "CAPACITY":
        attempt(partial(app.change_capacity, mid, max(4, match.capacity + rng.choice([-2, 1]))))
    elif action == "ADD":
        attempt(partial(app.add_player_to_match, mid, rng.choice(list(club))))
    elif action == "CANCEL" and rng.random() < 0.05:
        attempt(partial(app.cancel_match, mid, reason="Pitch waterlogged"))
    elif action in ("LAST_CALL", "REISSUE"):
        attempt(partial(app.send_last_call if action == "LAST_CALL" else app.reissue_offers, mid))


# --------------------------------------------------------------------- store


def copy_of(template: Template) -> tuple[list[StoredEvent], dict[UUID, UUID]]:
    """The template's Match and Waitlist streams with fresh ids; and which match is which."""
    matches = {m: uuid.uuid4() for m in template.matches}
    streams = matches | {Waitlist.create_id(m): Waitlist.create_id(c) for m, c in matches.items()}
    ids = {old.hex.encode(): new.hex.encode() for old, new in streams.items()}
    ids |= {offer: uuid.uuid4().hex.encode() for offer in template.offers}

    def swap(found: re.Match[bytes]) -> bytes:
        return b'"_data_":"' + ids.get(found.group(1), found.group(1)) + b'"'

    events = [
        StoredEvent(
            streams[UUID(str(e.originator_id))],
            e.originator_version,
            e.topic,
            _IN_STATE.sub(swap, e.state),
        )
        for e in template.repeated
    ]
    return events, matches


def fill(env: dict[str, str], template: Template, target: int) -> dict[str, Any]:
    """Write the template once whole, then copies of its matches, up to ``target`` events."""
    app = BookingApp(env, clock=SystemClock())
    copies: list[dict[UUID, UUID]] = []
    written, pending = 0, list(template.events[:target])
    started = time.perf_counter()
    while True:
        for at in range(0, len(pending), 10_000):
            app.recorder.insert_events(pending[at : at + 10_000])
        written += len(pending)
        if written >= target:
            break
        pending, matches = copy_of(template)
        if written + len(pending) <= target:
            copies.append(matches)  # complete copies only: those are checked
        pending = pending[: target - written]
    seconds = time.perf_counter() - started
    assert app.recorder.max_notification_id() == written == target
    app.close()
    return {"events": written, "copies": copies, "seconds": seconds}


# --------------------------------------------------------------- measurement


@contextmanager
def views() -> Iterator[tuple[Engine, list[int]]]:
    """An empty views schema, its engine, and a count of the SQL statements sent to it."""
    with pg_schema() as schema:
        engine = views_engine(f"{PG_URL}?schema={schema}", None)
        sent = [0]

        def count(*_: Any) -> None:
            sent[0] += 1

        event.listen(engine, "before_cursor_execute", count)
        try:
            yield engine, sent
        finally:
            engine.dispose()


def catch_up(app: BookingApp, projectors: list[Projector], sample: int) -> dict[str, float]:
    """``catch_up`` of these read models (batches of 500, one transaction each, as the
    engine runs it) from 0 over the first ``sample`` events, into empty views."""
    with views() as (engine, sent):
        runner = ProjectionRunner(app, engine, projectors)
        sent[0], started = 0, time.perf_counter()
        runner.catch_up(stop=sample)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "events_per_s": sample / seconds, "sql_per_event": sent[0] / sample}


def rebuild(app: BookingApp, events: int, segments: int, check: Callable[[Engine], Any]) -> Any:
    """``ProjectionRunner.rebuild`` of every read model (what ``booking projections
    rebuild`` runs: one transaction) into empty views, its rate in ``segments``
    (does it hold as the tables grow?); then the rows it made, and ``check``."""
    laps: list[float] = []
    done, lap_done, lap_started = 0, 0, time.perf_counter()

    def progress(handled: int) -> None:
        nonlocal done, lap_done, lap_started
        done += handled
        if done * segments >= (len(laps) + 1) * events:
            now = time.perf_counter()
            laps.append((done - lap_done) / (now - lap_started))
            lap_done, lap_started = done, now
            print(f"  rebuild: {done} of {events} events, {laps[-1]:.0f}/s", file=sys.stderr)

    with views() as (engine, sent):
        runner = ProjectionRunner(app, engine, every_projector())
        sent[0], started = 0, time.perf_counter()
        lap_started = started
        reached = runner.rebuild(progress=progress)
        seconds = time.perf_counter() - started
        assert reached == events, (reached, events)
        with engine.connect() as conn:
            rows = {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables
            }
        return {"events": events, "seconds": seconds, "events_per_s": events / seconds} | {
            "sql_per_event": sent[0] / events,
            "segments_events_per_s": laps,
            "rows": rows,
            "check": check(engine),
        }


# --------------------------------------------------------------------- check


def signature(
    conn: Connection, copy: dict[UUID, UUID], *, wording: bool = True
) -> dict[UUID, tuple[Any, ...]]:
    """What the views hold of each copied match, by its template's id, without the ids
    a copy changes (match, waitlist, offers); ``wording``: with activity lines' text."""
    ids = list(copy.values())
    listed = {m.pop("match_id"): tuple(m.values()) for m in match_list(conn)}
    found: dict[UUID, list[Any]] = {c: [listed.get(c)] for c in ids}
    leave_out = {"match_id", "waitlist_id", "offer_id"} | (set() if wording else {"text"})
    for query in (
        select(roster).order_by(roster.c.player_id),
        select(queue).order_by(queue.c.position),
        select(offer_log).order_by(offer_log.c.issued_at, offer_log.c.player_id),
        select(match_stats),
        select(*(c for c in activity.c if c.name != "position")).order_by(activity.c.position),
    ):
        per: dict[UUID, list[Any]] = {c: [] for c in ids}
        for row in conn.execute(query.where(query.selected_columns.match_id.in_(ids))).mappings():
            kept = {k: v for k, v in row.items() if k not in leave_out}
            kept["offer_id"] = row.get("offer_id") is not None
            if kept.get("grouped"):
                kept["grouped"] = {**kept["grouped"], "originator_id": None}
            per[row["match_id"]].append(tuple(sorted(kept.items())))
        for c in ids:
            found[c].append(tuple(per[c]))
    return {m: tuple(found[c]) for m, c in copy.items()}


def check_copies(template: Template, copies: list[dict[UUID, UUID]]) -> Callable[[Engine], Any]:
    """A check for ``rebuild``: copies' views are alike, and like the template's.

    The first copy is the reference. Differences in the activity lines' wording
    alone are counted apart: they would mean a line named someone the log had
    not registered yet (copies come after every registration); expected 0.
    """
    n = len(copies)
    sample = [copies[i] for i in sorted({0, 1, n // 2, n - 1}) if 0 <= i < n]
    itself = {m: m for m in template.matches}

    def differ(a: dict[UUID, Any], b: dict[UUID, Any]) -> int:
        return sum(a[m] != b[m] for m in itself)

    def check(engine: Engine) -> dict[str, int]:
        found = {"copies": len(sample), "matches": len(itself) * len(sample)}
        with engine.connect() as conn:
            if sample:
                want = signature(conn, sample[0])
                found["differing"] = sum(differ(signature(conn, c), want) for c in sample[1:])
                plain = signature(conn, sample[0], wording=False)
                found["template_differing"] = differ(signature(conn, itself, wording=False), plain)
                found["template_reworded"] = differ(signature(conn, itself), want)
                found["template_reworded"] -= found["template_differing"]
            listed = {m["match_id"]: m for m in match_list(conn)}
        app, unlike = template.app, 0
        for mid in template.matches:
            match, waitlist, row = app.get_match(mid), app.get_waitlist(mid), listed[mid]
            seen = (row["booked"], row["held"], row["waitlist"], row["capacity"])
            unlike += seen != (match.booked, match.held, waitlist.size, match.capacity)
        found["template_unlike_aggregates"] = unlike
        return found

    return check


# ---------------------------------------------------------------------- part


def run(*, quick: bool) -> dict[str, Any]:
    """Template, store, catch-up rates, full rebuild; every schema dropped afterwards."""
    target, matches, sample, segments = (
        (20_000, 30, 5_000, 4) if quick else (1_000_000, 120, 50_000, 10)
    )
    print(f"projections: telling a club's story ({matches} matches) ...", file=sys.stderr)
    template = club_story(matches)
    print(f"projections: filling a store to {target} events ...", file=sys.stderr)
    with pg_schema() as schema:
        env = postgres_env(schema)
        filled = fill(env, template, target)
        app = BookingApp(env, clock=SystemClock())
        print(f"projections: catch-up over the first {sample} events ...", file=sys.stderr)
        rates = {"all together": catch_up(app, every_projector(), sample)}
        rates |= {p.name: catch_up(app, [p], sample) for p in every_projector()}
        print(f"projections: full rebuild of {target} events ...", file=sys.stderr)
        rebuilt = rebuild(app, target, segments, check_copies(template, filled["copies"]))
        app.close()
    template.app.close()
    told: dict[str, float] = {"events": len(template.events), "seconds": template.seconds}
    told |= {"repeated_per_copy": len(template.repeated), "matches": len(template.matches)}
    told["commands"] = template.commands
    store = {"events": target, "seconds": filled["seconds"], "copies": len(filled["copies"])}
    caught_up = {"events": sample, "rates": rates}
    return {"template": told, "store": store, "catch_up": caught_up, "rebuild": rebuilt}


def report(result: dict[str, Any]) -> None:
    """The part's numbers, in the layout of the others."""
    t, s, c, r = (result[k] for k in ("template", "store", "catch_up", "rebuild"))
    k, rows = r["check"], r["rows"]
    lines = [
        "\nprojections (postgres, every read model: dashboard, offer log, activity, analytics)",
        f"  template                {t['events']:8d} events, {t['matches']} matches, by "
        f"{t['commands']} commands in {t['seconds']:.1f} s (in memory)",
        f"  store                   {s['events']:8d} events: the template, then its "
        f"{t['repeated_per_copy']} match and waitlist events {s['copies']}+ times "
        f"({s['seconds']:.1f} s, {s['events'] / s['seconds']:.0f} events/s)",
        f"  catch-up (batches of 500, from 0 over the first {c['events']} events, into empty "
        "views)",
        *(
            f"    {name:<21} {p['events_per_s']:8.0f} events/s ({p['seconds']:.1f} s, "
            f"{p['sql_per_event']:.1f} SQL statements/event)"
            for name, p in c["rates"].items()
        ),
        f"  full rebuild            {r['seconds']:8.1f} s for {r['events']} events "
        f"({r['events_per_s']:.0f} events/s, {r['sql_per_event']:.1f} SQL statements/event; "
        "one transaction)",
        "    by segment            "
        + ", ".join(f"{lap:.0f}" for lap in r["segments_events_per_s"])
        + " events/s",
        f"  rows                    {sum(rows.values()):8d}: "
        + ", ".join(f"{name} {n}" for name, n in rows.items()),
        f"  check                   {k['matches']} copied matches in {k['copies']} copies: "
        f"{k.get('differing', 0)} differ from the first copy's, "
        f"{k.get('template_differing', 0)} from the template's "
        f"({k.get('template_reworded', 0)} more in wording only); "
        f"{k['template_unlike_aggregates']} template matches unlike their aggregates",
    ]
    print("\n".join(lines))
