"""``make bench``: the booking core's throughput and how it scales with history.

Measured in one run, on SQLite (embedded default) and PostgreSQL:

1. commands/s for a mixed RSVP workload (IN, OUT, WAITLIST, MAYBE, claims,
   clock moves with their timer commands) over 20 matches and 80 players;
2. commands/s for a bare ``eventsourcing`` aggregate doing one trivial event per
   command on the same store with the same cache settings (the library's floor),
   and the ratio of the two;
3. the time of one command when the match's stream has ~10 events vs ~5,000,
   with a warm cache and from a cold start (snapshot + replay);
4. how late timers fire on PostgreSQL with over 10,000 pending and two worker
   processes, and how fast those drain a backlog;
5. how fast the notices process manager catches up from position 0, on both
   stores (4 and 5 are in ``timers.py``; they need PostgreSQL);
6. how fast the read models catch up (events/s, all together and each alone)
   and how long a full rebuild of a 1,000,000-event store takes, with the rows
   it produces (``read_models.py``; PostgreSQL; ``--quick``: 20,000 events);
7. the web app under gunicorn over HTTP: RSVP requests/s and latency with 200
   clients, and 1,000 players pressing IN on a 20-place match at once, never
   oversold (``http_load.py``; PostgreSQL; exits 1 if it finds a failure);
8. paid places: 50 payers at once, Pay Now to a confirmed place through the
   sandbox's signed webhook: confirmations/s and the webhook handler's p50/p99
   (``paid_places.py``; PostgreSQL; exits 1 if a payment does not confirm);
9. court slots: a busy Saturday — 200 slots, 2,000 requests, 30 % rejected —
   requests/s, decisions/s, and the time to rebuild the approvals read model
   (``approvals.py``; PostgreSQL; exits 1 if a slot is oversold or a cart left);
10. notices through the dramatiq path with two workers, to a local SMTP server
   and a local Web Push service: notices/s and the delay from event to delivery
   (``delivery.py``; PostgreSQL and Redis; exits 1 if a notice is not delivered once).

Usage: python bench/run.py [--quick] [--stores sqlite,postgres]
       [--parts core,timers,projections,http,paid,approvals,delivery]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

import approvals
import delivery
import http_load
import paid_places
import read_models
import timers
from booking.fictional import fictional_phone
from booking_domain.application import BookingApp
from booking_domain.errors import BookingError
from processes.clock import ManualClock
from scratch import store

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)


class Tally(Aggregate):
    """The floor: one aggregate, one trivial event per command."""

    @event("Created")
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1


class FloorApp(Application[uuid.UUID]):
    name = "Floor"
    env = BookingApp.env  # the same cache settings as the booking application


def phone(n: int) -> str:
    return fictional_phone(n)


# ------------------------------------------------------------------ workloads


def mixed_rsvp(env: dict[str, str], commands: int, seed: int = 7) -> dict[str, float]:
    """A club's RSVP traffic; returns commands/s (refusals included) and writes/s."""
    rng = random.Random(seed)
    clock = ManualClock(START)
    app = BookingApp(env, clock=clock)
    players = 80
    for i in range(players):
        app.register_player(name=f"Player {i}", phone=phone(i))
    matches = []
    for m in range(20):
        mid = app.schedule_match(
            title=f"Match {m}",
            kickoff_at=START + timedelta(days=2, hours=m),
            location="Pitch",
            capacity=10,
        ).value
        matches.append((mid, app.enable_booking(mid).value))
    actions = ["IN"] * 45 + ["OUT"] * 20 + ["WAITLIST"] * 15 + ["MAYBE"] * 5 + ["CLAIM"] * 12
    actions += ["TICK"] * 3
    refused = written = 0
    started = time.perf_counter()
    for _ in range(commands):
        mid, token = rng.choice(matches)
        who = phone(rng.randrange(players))
        action = rng.choice(actions)
        try:
            if action == "CLAIM":
                done = app.claim_offer(match_id=mid, token=token, phone=who)
            elif action == "TICK":
                clock.advance(rng.choice([1, 2, 5, 30]) * M)
                done = app.process_deadlines(mid)
            else:
                done = app.respond(match_id=mid, token=token, phone=who, action=action)
            written += done.position is not None
        except BookingError:
            refused += 1
    elapsed = time.perf_counter() - started
    app.close()
    return {
        "commands_per_s": commands / elapsed,
        "writes_per_s": written / elapsed,
        "refused_share": refused / commands,
    }


def floor(env: dict[str, str], commands: int) -> dict[str, float]:
    app = FloorApp(env)
    ids = []
    for _ in range(20):
        tally = Tally()
        app.save(tally)
        ids.append(tally.id)
    rng = random.Random(7)
    started = time.perf_counter()
    for _ in range(commands):
        tally = app.repository.get(rng.choice(ids))
        tally.increment()
        app.save(tally)
    elapsed = time.perf_counter() - started
    app.close()
    return {"commands_per_s": commands / elapsed}


def history_scaling(env: dict[str, str], samples: int) -> dict[str, float]:
    """One command's time at ~10 events of a match's stream vs ~5,000."""
    clock = ManualClock(START)
    app = BookingApp(env, clock=clock)
    for i in range(3):
        app.register_player(name=f"P{i}", phone=phone(i))
    mid = app.schedule_match(
        title="Long", kickoff_at=START + timedelta(days=30), location="Pitch", capacity=5
    ).value
    token = app.enable_booking(mid).value
    app.respond(match_id=mid, token=token, phone=phone(0), action="IN")

    def toggle(on: BookingApp) -> Callable[[int], None]:
        def run(i: int) -> None:  # OUT starts grace, IN retracts it: one event each
            on.respond(
                match_id=mid, token=token, phone=phone(0), action="OUT" if i % 2 == 0 else "IN"
            )

        return run

    def timed(run: Callable[[int], None], n: int) -> float:
        times = []
        for i in range(n):
            started = time.perf_counter()
            run(i)
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    def cold_command() -> float:
        """A process that has never loaded this match: snapshot + the events after it."""
        fresh = BookingApp(env, clock=clock)
        fresh.find_player_by_phone(phone(0))  # connections open; the match is not loaded yet
        started = time.perf_counter()
        toggle(fresh)(app.get_match(mid).version)
        elapsed = (time.perf_counter() - started) * 1000
        fresh.close()
        return elapsed

    while app.get_match(mid).version < 10:
        toggle(app)(app.get_match(mid).version)
    result = {"early_version": app.get_match(mid).version}
    result["warm_ms_at_10"] = timed(toggle(app), samples)
    result["cold_ms_at_10"] = statistics.median(cold_command() for _ in range(9))
    while app.get_match(mid).version < 5000:
        toggle(app)(app.get_match(mid).version)
    result["late_version"] = app.get_match(mid).version
    result["warm_ms_at_5000"] = timed(toggle(app), samples)
    result["cold_ms_at_5000"] = statistics.median(cold_command() for _ in range(9))
    app.close()
    return result


# --------------------------------------------------------------------- report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer commands (a smoke run)")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument(
        "--parts",
        default="core,timers,projections,http,paid,approvals,delivery",
        help="core, timers, projections, http, paid, approvals, delivery (all but core need "
        "PostgreSQL)",
    )
    args = parser.parse_args()
    stores, parts = args.stores.split(","), args.parts.split(",")
    commands = 400 if args.quick else 3000
    samples = 20 if args.quick else 100
    report: dict[str, Any] = {"when": datetime.now(UTC).isoformat(), "commands": commands}
    for kind in stores if "core" in parts else []:
        print(f"{kind}: running ...", file=sys.stderr)
        with store(kind) as env:
            mixed = mixed_rsvp(env, commands)
        with store(kind) as env:
            bare = floor(env, commands)
        with store(kind) as env:
            scaling = history_scaling(env, samples)
        report[kind] = {"mixed": mixed, "floor": bare, "history": scaling}
        ratio = bare["commands_per_s"] / mixed["commands_per_s"]
        print(f"\n{kind}")
        print(
            f"  mixed RSVP workload     {mixed['commands_per_s']:8.0f} commands/s "
            f"({mixed['writes_per_s']:.0f} writes/s, {mixed['refused_share']:.0%} refused)"
        )
        print(f"  bare aggregate (floor)  {bare['commands_per_s']:8.0f} commands/s")
        print(f"  floor / mixed           {ratio:8.2f}x")
        print(
            f"  one command, warm cache: {scaling['warm_ms_at_10']:.2f} ms at event "
            f"{scaling['early_version']}, {scaling['warm_ms_at_5000']:.2f} ms at event "
            f"{scaling['late_version']}"
        )
        print(
            f"  one command, cold start: {scaling['cold_ms_at_10']:.2f} ms at event "
            f"{scaling['early_version']}, {scaling['cold_ms_at_5000']:.2f} ms at event "
            f"{scaling['late_version']}"
        )
    # The parts that run on PostgreSQL (delivery with Redis too), each its own module.
    for name, module, where in (
        ("timers", timers, "they run on PostgreSQL"),
        ("projections", read_models, "they run on PostgreSQL"),
        ("http", http_load, "it runs on PostgreSQL"),
        ("paid", paid_places, "it runs on PostgreSQL"),
        ("approvals", approvals, "it runs on PostgreSQL"),
        ("delivery", delivery, "it runs on PostgreSQL and Redis"),
    ):
        if name not in parts:
            continue
        if "postgres" not in stores:
            print(f"\n{name}: skipped ({where})")
            continue
        print(f"{name}: running ...", file=sys.stderr)
        report[name] = module.run(quick=args.quick)
        module.report(report[name])
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "core.json").write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {out / 'core.json'}")
    failed = any(
        report.get(part, {}).get("failures") for part in ("http", "paid", "approvals", "delivery")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
