"""``make bench``, part four: how fast the read models catch up, and a 1M-event rebuild.

On PostgreSQL, each store and views schema a scratch one, dropped afterwards:

1. A template: one club's weeks told by commands on the in-memory store, as
   ``mixed_rsvp`` does but with the organiser too — players (and ringers who
   book themselves), matches scheduled day after day, IN / OUT / WAITLIST /
   MAYBE, claims, released spots, capacity changes, manual adds, last calls,
   reissued offers, a few cancellations, and kick-off's lock / balance /
   complete, while ``Engine.advance`` moves the test clock so that grace ends,
   offer expiries, tier openings, last calls and instant claims fire as timers.
2. The store: commands run at hundreds a second, far too slow for a million
   events, so the template's events are written straight into the
   PostgreSQL recorder in large batches: once whole, then its Match and
   Waitlist streams again and again (one club, many matches) with fresh match,
   waitlist and offer ids, until the log holds the target number of events.
   Each copy is one run of the log in the template's own order; the last is
   cut short at the target (a prefix of a story is a story).
3. Catch-up rate: ``ProjectionRunner.catch_up`` with every read model, as the
   engine runs it, from position 0 over the first ``sample`` events, into an
   empty views schema.
4. Full rebuild: every read model from position 0 to the end of the log into
   another empty views schema, run in segments so that the rate can be seen
   as the tables grow, and timed per read model; then the rows produced.
5. Check: each copied match's views equal its template's (header, counts,
   roster, queue, offer log, analytics, activity lines), and the template's
   counts equal its aggregates'. A rebuild that is fast but wrong is no use.

This file's name is also the read models' package's (``src/projections``);
``run.py`` imports that package first and loads this part under another name.
"""

from __future__ import annotations

import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from sqlalchemy import Connection, Engine, func, select

from booking.fictional import fictional_phone
from booking_domain.application import BookingApp
from booking_domain.errors import BookingError
from booking_domain.waitlist import Waitlist
from processes.clock import ManualClock, SystemClock
from processes.engine import Engine as Timers
from processes.store import store_env
from projections.database import views_engine
from projections.match_views import match_list
from projections.runner import ProjectionRunner, every_projector
from projections.tables import activity, match_stats, metadata, offer_log, queue, roster
from scratch import PG_URL, pg_schema, postgres_env

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STEP = timedelta(minutes=20)
TIERS = "A" * 12 + "B" * 18 + "C" * 30
ACTIONS = ["IN"] * 40 + ["OUT"] * 14 + ["WAITLIST"] * 10 + ["MAYBE"] * 5 + ["CLAIM"] * 14
ACTIONS += ["RELEASE"] * 3 + ["CAPACITY"] * 2 + ["ADD"] * 2 + ["LAST_CALL"] * 2
ACTIONS += ["REISSUE"] * 2 + ["RINGER"] * 2 + ["CANCEL"]
#: A stored value's uuid, as the application's JSON transcoder writes it.
_UUID_IN_STATE = re.compile(rb'"_data_":"([0-9a-f]{32})"')
_OFFER_ID = re.compile(rb'"offer_id":\{"_type_":"uuid_hex","_data_":"([0-9a-f]{32})"')


# ------------------------------------------------------------------ template


@dataclass
class Template:
    """The story's events, and which of them a copy repeats with fresh ids."""

    events: list[StoredEvent]
    matches: list[UUID]
    offers: set[bytes]
    commands: int
    seconds: float
    app: BookingApp
    repeated: list[StoredEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        streams = set(self.matches) | {Waitlist.create_id(m) for m in self.matches}
        self.repeated = [e for e in self.events if e.originator_id in streams]


def club_story(matches: int, seed: int = 11) -> Template:
    """``matches`` matches of one club, told by commands on the in-memory store."""
    rng = random.Random(seed)
    clock = ManualClock(START)
    app = BookingApp(store_env("memory", None), clock=clock)
    timers = Timers(app)
    phones = [fictional_phone(i) for i in range(len(TIERS))]
    players = [
        app.register_player(name=f"Player {i}", phone=p, tier=tier).value
        for i, (p, tier) in enumerate(zip(phones, TIERS, strict=True))
    ]
    app.change_settings({"enable_ringer_self_book": True, "tier_b_offset_hours": 6})
    open_: list[tuple[UUID, str]] = []
    made, commands, ringers = [], len(players) + 1, 0
    started = time.perf_counter()
    while len(made) < matches or open_:
        if len(made) < matches and rng.random() < 1 / 12:
            kickoff = clock.now() + timedelta(hours=rng.uniform(5, 72))
            mid = app.schedule_match(
                title=f"Match {len(made)}",
                kickoff_at=kickoff.replace(minute=0, second=0, microsecond=0),
                location=rng.choice(["Hackney Marshes", "Regent's Park", "Mile End"]),
                capacity=rng.choice([8, 10, 10, 12, 14]),
                offer_fanout=rng.choice([1, 2, 3, 3]),
            ).value
            tiered = rng.random() < 0.35
            token = app.enable_booking(mid, invite_mode="tiered" if tiered else "all").value
            open_.append((mid, token))
            made.append(mid)
            commands += 2
        for _ in range(rng.randint(1, 6) if open_ else 0):
            mid, token = rng.choice(open_)
            ringers += act(app, rng, rng.choice(ACTIONS), mid, token, phones, players, ringers)
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
    offers = {found for e in events for found in _OFFER_ID.findall(e.state)}
    return Template(events, made, offers, commands, seconds, app)


def attempt(command: Callable[[], object]) -> int:
    """Run a command; a refusal (a full match, a claim too late …) is part of the story."""
    try:
        command()
    except BookingError:
        return 0
    return 1


def act(
    app: BookingApp,
    rng: random.Random,
    action: str,
    mid: UUID,
    token: str,
    phones: list[str],
    players: list[UUID],
    ringers: int,
) -> int:
    """One player's or the organiser's action on a match; how many ringers it enrolled."""
    who = rng.randrange(len(phones))
    if action == "CLAIM":
        offered = [o.player_id for o in app.get_waitlist(mid).offers]
        if offered and rng.random() < 0.8:
            who = players.index(rng.choice(offered))
        attempt(lambda: app.claim_offer(match_id=mid, token=token, phone=phones[who]))
    elif action == "RELEASE":
        held = [e.player_id for e in app.get_match(mid).roster if e.grace_until is not None]
        if held:
            attempt(lambda: app.release_spot(mid, rng.choice(held)))
    elif action == "CAPACITY":
        capacity = max(4, app.get_match(mid).capacity + rng.choice([-2, -1, 1, 2]))
        attempt(lambda: app.change_capacity(mid, capacity))
    elif action == "ADD":
        attempt(lambda: app.add_player_to_match(mid, players[who]))
    elif action == "LAST_CALL":
        attempt(lambda: app.send_last_call(mid))
    elif action == "REISSUE":
        attempt(lambda: app.reissue_offers(mid))
    elif action == "CANCEL":
        if rng.random() < 0.3:
            attempt(lambda: app.cancel_match(mid, reason="Pitch waterlogged"))
    elif action == "RINGER":
        number = fictional_phone(len(phones) + ringers)
        return attempt(
            lambda: app.respond(
                match_id=mid, token=token, phone=number, action="IN", name=f"Ringer {ringers}"
            )
        )
    else:
        flexible = action == "OUT" and rng.random() < 0.3
        attempt(
            lambda: app.respond(
                match_id=mid, token=token, phone=phones[who], action=action, out_flexible=flexible
            )
        )
    return 0


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
            streams[e.originator_id],
            e.originator_version,
            e.topic,
            _UUID_IN_STATE.sub(swap, e.state),
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
def views() -> Iterator[Engine]:
    """An empty views schema, and its engine; dropped afterwards."""
    with pg_schema() as schema:
        engine = views_engine(f"{PG_URL}?schema={schema}", None)
        try:
            yield engine
        finally:
            engine.dispose()


def catch_up_rate(app: BookingApp, sample: int) -> dict[str, float]:
    """Every read model, caught up from 0 over the first ``sample`` events, as the engine does."""
    with views() as engine:
        runner = ProjectionRunner(app, engine, every_projector())
        started = time.perf_counter()
        runner.catch_up(stop=sample)
        seconds = time.perf_counter() - started
    return {"events": sample, "seconds": seconds, "events_per_s": sample / seconds}


def rebuild(app: BookingApp, events: int, segments: int, check: Callable[[Engine], Any]) -> Any:
    """Every read model from 0 to the end of the log, segment by segment; then ``check``."""
    with views() as engine:
        runners = {p.name: ProjectionRunner(app, engine, [p]) for p in every_projector()}
        seconds = dict.fromkeys(runners, 0.0)
        laps, done = [], 0
        for k in range(1, segments + 1):
            stop = events * k // segments
            lap = time.perf_counter()
            for name, runner in runners.items():
                started = time.perf_counter()
                runner.catch_up(stop=stop)
                seconds[name] += time.perf_counter() - started
            laps.append((stop - done) / (time.perf_counter() - lap))
            done = stop
            print(f"  rebuild: {stop} of {events} events, {laps[-1]:.0f}/s", file=sys.stderr)
        total = sum(seconds.values())
        with engine.connect() as conn:
            rows = {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables
            }
        return {
            "events": events,
            "seconds": total,
            "events_per_s": events / total,
            "per_projector": {n: {"seconds": s, "events_per_s": events / s} for n, s in seconds.items()},
            "segments_events_per_s": laps,
            "rows": rows,
            "check": check(engine),
        }


# --------------------------------------------------------------------- check


def signature(conn: Connection, match_ids: Sequence[UUID]) -> dict[UUID, tuple[Any, ...]]:
    """What the views hold of each match, with its own ids (and offers') left out."""
    listed = {m.pop("match_id"): tuple(m.values()) for m in match_list(conn)}
    found: dict[UUID, list[Any]] = {m: [listed.get(m)] for m in match_ids}
    queries = [
        select(roster).order_by(roster.c.player_id),
        select(queue).order_by(queue.c.position),
        select(offer_log).order_by(offer_log.c.issued_at, offer_log.c.player_id),
        select(match_stats),
        select(activity).order_by(activity.c.position),
    ]
    leave_out = {"match_id", "waitlist_id", "offer_id", "position"}
    for query in queries:
        table = query.get_final_froms()[0]
        rows = conn.execute(query.where(table.c.match_id.in_(match_ids))).mappings()
        per: dict[UUID, list[Any]] = {m: [] for m in match_ids}
        for row in rows:
            kept = {k: v for k, v in row.items() if k not in leave_out or table is queue}
            if table is queue:
                kept |= {"match_id": None, "offer_id": row["offer_id"] is not None}
            if kept.get("grouped"):
                kept["grouped"] = {**kept["grouped"], "originator_id": None}
            per[row["match_id"]].append(tuple(sorted(kept.items(), key=lambda kv: kv[0])))
        for m in match_ids:
            found[m].append(tuple(per[m]))
    return {m: tuple(v) for m, v in found.items()}


def check_copies(template: Template, copies: list[dict[UUID, UUID]]) -> Callable[[Engine], Any]:
    """A check for ``rebuild``: copies' views equal the template's; the template's its own."""
    sample = copies if len(copies) <= 4 else [*copies[:2], copies[len(copies) // 2], copies[-1]]

    def check(engine: Engine) -> dict[str, Any]:
        with engine.connect() as conn:
            want = signature(conn, template.matches)
            differ = 0
            for copy in sample:
                got = signature(conn, list(copy.values()))
                differ += sum(got[c] != want[m] for m, c in copy.items())
            listed = {m["match_id"]: m for m in match_list(conn)}
        wrong = 0
        for mid in template.matches:
            match, waitlist = template.app.get_match(mid), template.app.get_waitlist(mid)
            row = listed[mid]
            seen = (row["booked"], row["held"], row["waitlist"], row["capacity"])
            wrong += seen != (match.booked, match.held, waitlist.size, match.capacity)
        return {
            "copies_checked": len(sample),
            "matches_checked": len(sample) * len(template.matches),
            "copies_differing": differ,
            "template_unlike_aggregates": wrong,
        }

    return check


# ---------------------------------------------------------------------- part


def run(*, quick: bool) -> dict[str, Any]:
    """Template, store, catch-up rate, rebuild; every schema dropped afterwards."""
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
        app.recorder.max_notification_id()  # connected
        print(f"projections: catch-up over {sample} events ...", file=sys.stderr)
        rate = catch_up_rate(app, sample)
        print("projections: full rebuild ...", file=sys.stderr)
        rebuilt = rebuild(app, target, segments, check_copies(template, filled["copies"]))
        app.close()
    template.app.close()
    return {
        "template": {
            "events": len(template.events),
            "repeated_per_copy": len(template.repeated),
            "matches": len(template.matches),
            "commands": template.commands,
            "seconds": template.seconds,
        },
        "store": {k: v for k, v in filled.items() if k != "copies"}
        | {"complete_copies": len(filled["copies"])},
        "catch_up": rate,
        "rebuild": rebuilt,
    }


def report(result: dict[str, Any]) -> None:
    t, s, c, r = (result[k] for k in ("template", "store", "catch_up", "rebuild"))
    print(f"\nprojections (postgres, {len(r['per_projector'])} read models, batch 500)")
    print(
        f"  template                {t['events']:8d} events ({t['matches']} matches) by "
        f"{t['commands']} commands in {t['seconds']:.1f} s (in memory)"
    )
    print(
        f"  store                   {s['events']:8d} events: the template, then its "
        f"{t['repeated_per_copy']} match/waitlist events {s['complete_copies']}+ times "
        f"({s['seconds']:.1f} s, {s['events'] / s['seconds']:.0f} events/s)"
    )
    print(
        f"  catch-up, all together  {c['events_per_s']:8.0f} events/s "
        f"(first {c['events']} events in {c['seconds']:.1f} s)"
    )
    print(
        f"  full rebuild            {r['seconds']:8.1f} s for {r['events']} events "
        f"({r['events_per_s']:.0f} events/s)"
    )
    for name, p in r["per_projector"].items():
        print(f"    {name:<21} {p['seconds']:8.1f} s ({p['events_per_s']:.0f} events/s alone)")
    laps = ", ".join(f"{lap:.0f}" for lap in r["segments_events_per_s"])
    print(f"    by segment            {laps} events/s")
    rows = ", ".join(f"{name} {n}" for name, n in r["rows"].items())
    print(f"  rows                    {sum(r['rows'].values())}: {rows}")
    k = r["check"]
    print(
        f"  check                   {k['matches_checked']} copied matches in "
        f"{k['copies_checked']} copies: {k['copies_differing']} differ from their template; "
        f"{k['template_unlike_aggregates']} template matches unlike their aggregates"
    )
