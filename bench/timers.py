"""``make bench``, part two: how late timers fire, and how fast notices are written.

Measured by ``run.py`` after the core numbers, each part in a fresh store
removed afterwards:

1. Timer lateness on PostgreSQL, with two worker processes. Two creator
   processes schedule and enable matches on the system clock (tiered booking,
   all three tiers opening at one moment) so that, once set-up is done, more
   than 10,000 real match timers are pending. Each of the ``spread`` matches
   has exactly one timer due in a ``window``-second span, at distinct moments
   spread evenly in random order: by turns its tier opening, its T-12h or T-3h
   last call, or the start of instant claim, as its tier windows and kick-off
   put them. (A match's four announcement timers span 11.5 hours of its
   kick-off, so no real-time window can hold them all: its other timers fall
   due hours later and stay pending.) Then the ``burst`` matches' tier
   openings all fall due at one moment, 2 s after the window, which measures
   how fast the two workers drain a backlog. The workers each run their own
   ``BookingApp`` on the system clock and the pump loop of
   ``processes.worker.Worker`` (its very ``_loop`` and ``_pump``, without the
   broker and delivery, which timers do not need). A timer's lateness is
   ``fired_at - due_at`` as the pump reports it (``on_fired``), so it includes
   the timer's own command. Every timer due must fire, and only once.
2. The notices process manager: ``Engine(app).notices.catch_up()`` from
   position 0 in a fresh process, over the events of part 1 on PostgreSQL,
   and over a copy of the same events in a new SQLite store.
"""

from __future__ import annotations

import inspect
import logging
import math
import multiprocessing
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg

import notices
from booking.fictional import fictional_phone
from booking_domain import policies
from booking_domain.application import BookingApp
from booking_domain.timers import Timer, TimerKind
from processes.clock import SystemClock
from processes.engine import Engine
from processes.pump import DueTimer
from processes.sidestore import to_us
from processes.worker import Worker
from scratch import PG_URL, pg_schema, postgres_env

US = timedelta(microseconds=1)
TIERS = "ABC"
#: What ``booking worker`` runs with unless told otherwise.
_WORKER_DEFAULTS = inspect.signature(Worker.__init__).parameters
POLL_SECONDS: float = _WORKER_DEFAULTS["poll_seconds"].default
LEASE_SECONDS: float = _WORKER_DEFAULTS["lease_seconds"].default
#: For a timer of each kind due at d: when its match's tiers open and when it kicks
#: off, after d. Its other timers fall due hours after d (its T-12h last call only
#: if that comes after booking opened, its instant claim unless kick-off is past).
SHAPES: dict[str, tuple[TimerKind, timedelta, timedelta]] = {
    "tier_open": (TimerKind.TIER_OPEN, timedelta(0), timedelta(hours=13)),
    "last_call T-12h": (
        TimerKind.LAST_CALL,
        policies.LAST_CALLS["T-12h"] - timedelta(hours=1),
        policies.LAST_CALLS["T-12h"],
    ),
    "last_call T-3h": (
        TimerKind.LAST_CALL,
        policies.LAST_CALLS["T-3h"] - timedelta(hours=2),
        policies.LAST_CALLS["T-3h"],
    ),
    "instant_claim": (
        TimerKind.INSTANT_CLAIM,
        timedelta(minutes=10),
        policies.OFFER_CUTOFF + policies.INSTANT_CLAIM_BELOW - US,
    ),
}


# ------------------------------------------------------------------- stores


# ------------------------------------------------------------------ processes


class PumpOnly:
    """What ``Worker._loop`` and ``Worker._pump`` use of a worker: no broker, no delivery."""

    _loop = Worker._loop
    _pump = Worker._pump
    _until_next_due = Worker._until_next_due

    def __init__(self, app: BookingApp, stop: Any) -> None:
        self.app = app
        self.engine = Engine(app, lease_seconds=LEASE_SECONDS)
        self.poll_seconds = POLL_SECONDS
        self._stop = stop


class Complaints(logging.Handler):
    """Counts what the pump and the loop log as going wrong (and shows it)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.count <= 5:
            print(f"  worker {os.getpid()}: {record.getMessage()}", flush=True)


def pump_worker(env: dict[str, str], stop: Any, out: Any) -> None:
    """A worker process: the pump loop until told to stop; then what it fired."""
    complaints = Complaints()
    for name in ("booking.timers", "booking.worker"):
        logging.getLogger(name).addHandler(complaints)
    app = BookingApp(env, clock=SystemClock())
    worker = PumpOnly(app, stop)
    fired: list[tuple[str, str, int, int]] = []

    def on_fired(timer: DueTimer, at: datetime) -> None:
        fired.append((timer.key, timer.kind, to_us(timer.due_at), to_us(at)))

    worker.engine.pump.on_fired = on_fired
    worker.engine.pump.next_due()  # connected
    out.put(("ready", os.getpid()))
    worker._loop(worker._pump, worker._until_next_due)
    out.put(("fired", os.getpid(), fired, complaints.count))
    app.close()


def create_matches(env: dict[str, str], calibrate: int, plans: Any, out: Any) -> None:
    """A creator process: time a few far-off matches, then make the ones it is sent."""
    app = BookingApp(env, clock=SystemClock())
    app.find_player_by_phone(fictional_phone(0))  # connected
    far = app.clock.now() + timedelta(days=2)
    for i in range(2 * calibrate):  # the first half warms up
        if i == calibrate:
            started = time.perf_counter()
        make_match(app, "tier_open", far)
    out.put(("calibrated", (time.perf_counter() - started) / calibrate))
    started = time.perf_counter()
    made = []
    for shape, due, group in plans.get():
        match_id = make_match(app, shape, due)
        made.append((match_id, shape, due, group, datetime.now(UTC)))
    out.put(("made", made, time.perf_counter() - started))
    app.close()


def make_match(app: BookingApp, shape: str, due: datetime) -> UUID:
    """A match with a timer of this shape due at ``due`` (and others, later)."""
    _, tiers_open, kickoff = SHAPES[shape]
    match_id: UUID = app.schedule_match(
        title="Timer bench", kickoff_at=due + kickoff, location="Pitch", capacity=10
    ).value
    at = due + tiers_open
    windows = {"a_open_at": at, "b_open_at": at, "c_open_at": at}
    app.enable_booking(match_id, invite_mode="tiered", tier_windows=windows)
    return match_id


def timer_key(match_id: UUID, shape: str, due: datetime) -> str:
    return Timer(due, SHAPES[shape][0], match_id).key


# ---------------------------------------------------------------- measurement


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50_ms": percentile(values, 50),
        "p99_ms": percentile(values, 99),
        "max_ms": max(values),
        "mean_ms": statistics.fmean(values),
    }


def count_timers(env: dict[str, str], where: str = "", params: Sequence[Any] = ()) -> int:
    schema = env["POSTGRES_SCHEMA"]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        row = conn.execute(
            f'SELECT COUNT(*) FROM "{schema}".booking_timers {where}',  # noqa: S608
            params,
        ).fetchone()
    return int(row[0]) if row else 0


def lateness(
    env: dict[str, str], *, spread: int, burst: int, window: float, players: int
) -> dict[str, Any]:
    """Part 1: two workers fire ``spread`` timers due over ``window`` s, then a ``burst``."""
    setup = BookingApp(env, clock=SystemClock())
    for i in range(players):
        setup.register_player(
            name=f"Player {i}", phone=fictional_phone(i), tier=TIERS[i % len(TIERS)]
        )
    ctx = multiprocessing.get_context("spawn")
    stop, news, creator_news = ctx.Event(), ctx.Queue(), ctx.Queue()
    workers = [ctx.Process(target=pump_worker, args=(env, stop, news)) for _ in range(2)]
    calibrate = max(10, (spread + burst) // 100)
    plans = [ctx.Queue() for _ in range(2)]
    creators = [
        ctx.Process(target=create_matches, args=(env, calibrate, q, creator_news)) for q in plans
    ]
    for process in (*workers, *creators):
        process.start()
    started = time.perf_counter()
    seconds_per_match = max(creator_news.get(timeout=120)[1] for _ in creators)
    # The window opens once the rest is made, with room to spare (this machine is shared).
    lead = seconds_per_match * (spread + burst) / len(creators) * 1.3 + 4
    opens = datetime.now(UTC) + timedelta(seconds=lead)
    closes = opens + timedelta(seconds=window)
    rush = closes + timedelta(seconds=2)
    slots = list(range(spread))
    random.Random(11).shuffle(slots)
    shapes = list(SHAPES)
    plan = [
        (shapes[i % len(shapes)], opens + timedelta(seconds=window * (s + 0.5) / spread), "spread")
        for i, s in enumerate(slots)
    ]
    plan += [("tier_open", rush, "burst")] * burst
    random.Random(12).shuffle(plan)  # the store does not see them in due order
    for k, q in enumerate(plans):
        q.put(plan[k :: len(plans)])
    done = [creator_news.get(timeout=600) for _ in creators]
    made = [m for d in done for m in d[1]]
    creating = max(d[2] for d in done)
    for process in creators:
        process.join()
    setup_seconds = time.perf_counter() - started
    slack = (opens - datetime.now(UTC)).total_seconds()
    pending = count_timers(env)
    # A timer due before its match was made (set-up overran) cannot be the one planned.
    expected = {timer_key(m, shape, due): group for m, shape, due, group, at in made if due > at}
    overran = {m.hex for m, _, due, _, at in made if due <= at}
    due_by_rush = count_timers(env, "WHERE due_us <= %s", [to_us(rush)])
    ready = [news.get(timeout=60) for _ in workers]
    assert all(r[0] == "ready" for r in ready), ready

    deadline = rush + timedelta(seconds=60 + burst / 10)
    while datetime.now(UTC) < deadline:
        time.sleep(0.5)
        if datetime.now(UTC) > rush and not count_timers(env, "WHERE due_us <= %s", [to_us(rush)]):
            break
    stop.set()
    reports = [news.get(timeout=60) for _ in workers]
    for process in workers:
        process.join()
    setup.close()

    fired = [f for r in reports for f in r[2]]
    times = Counter(key for key, *_ in fired)
    late: dict[str, list[float]] = {"spread": [], "burst": []}
    by_kind: dict[str, list[float]] = {}
    last_us = 0
    for key, kind, due_us, fired_us in fired:
        ms = (fired_us - due_us) / 1000
        group = expected.get(key, "overran" if key.split(":")[0] in overran else "unexpected")
        late.setdefault(group, []).append(ms)
        if group == "spread":
            by_kind.setdefault(kind, []).append(ms)
        elif group == "burst":
            last_us = max(last_us, fired_us)
    drain = (last_us - to_us(rush)) / 1_000_000
    return {
        "spread_matches": spread,
        "burst_matches": burst,
        "players": players,
        "window_s": window,
        "setup_s": setup_seconds,
        "setup_slack_s": slack,
        "matches_per_s": len(made) / creating,
        "overran": len(overran),
        "pending_at_start": pending,
        "due": due_by_rush,
        "expected": len(expected),
        "fired": len(fired),
        "fired_once": sum(1 for key in expected if times[key] == 1),
        "fired_twice": sum(1 for n in times.values() if n > 1),
        "missing": sum(1 for key in expected if key not in times),
        "unexpected": len(late.get("unexpected", [])),
        "left_pending": count_timers(env),
        "per_worker": [len(r[2]) for r in reports],
        "complaints": sum(r[3] for r in reports),
        "lateness": summary(late["spread"]),
        "by_kind": {kind: summary(ms) for kind, ms in sorted(by_kind.items())},
        "burst": {
            **summary(late["burst"]),
            "drain_s": drain,
            "timers_per_s": len(late["burst"]) / drain if drain > 0 else 0.0,
        },
    }


def run(*, quick: bool) -> dict[str, Any]:
    spread, burst, window = (300, 100, 6.0) if quick else (2400, 800, 30.0)
    result: dict[str, Any] = {}
    with pg_schema() as schema:
        env = postgres_env(schema)
        result["lateness"] = lateness(env, spread=spread, burst=burst, window=window, players=9)
        result["notices"] = notices.run(env)
    return result


def report(result: dict[str, Any]) -> None:
    """Print part 1, then part 2 (``notices.py``), in the style of the core numbers."""
    late = result["lateness"]
    print(f"\ntimers (postgres, 2 worker processes, a club of {late['players']} players)")
    print(
        f"  pending at start        {late['pending_at_start']:8d} timers "
        f"({late['spread_matches'] + late['burst_matches']} matches, made at "
        f"{late['matches_per_s']:.0f}/s; the window opened {late['setup_slack_s']:.1f} s after)"
    )
    if late["setup_slack_s"] < 0:
        print(
            "  WARNING: set-up overran the window's start; timers fell due during it, and"
            f" {late['overran']} matches were made after their timer's planned time (left out)"
        )
    print(
        f"  fired once each         {late['fired_once']:8d} of {late['expected']} due "
        f"(missing {late['missing']}, twice {late['fired_twice']}, "
        f"unexpected {late['unexpected']}; per worker "
        f"{'/'.join(str(n) for n in late['per_worker'])}; complaints {late['complaints']})"
    )
    s = late["lateness"]
    print(
        f"  lateness, {s['count']} due over {late['window_s']:.0f} s: "
        f"p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms"
    )
    for kind, k in late["by_kind"].items():
        print(
            f"    {kind:<21} p50 {k['p50_ms']:.1f} ms, p99 {k['p99_ms']:.1f} ms,"
            f" max {k['max_ms']:.1f} ms ({k['count']})"
        )
    b = late["burst"]
    print(
        f"  burst, {b['count']} due at once: drained in {b['drain_s']:.1f} s "
        f"({b['timers_per_s']:.0f} timers/s), lateness p50 {b['p50_ms']:.0f} ms, "
        f"max {b['max_ms']:.0f} ms"
    )
    notices.report(result["notices"])
