"""``make bench``, court slots (seed 002): a busy Saturday of requests and decisions.

On PostgreSQL, in a scratch schema removed afterwards: 200 slots (20 courts × 10
hours), 400 members, 2,000 requests — ten per slot: the first holds it, nine
queue behind with their own carts. Four threads send the requests (as members
on their phones would), then four admins decide every slot's pending request,
rejecting 30 % (each rejection converts the head of that slot's queue, which is
decided in turn) until the slot is approved or its queue is empty.

Measured: requests/s, decisions/s (each a write over a slot and its queue),
and the time to rebuild the approvals read model (``projections.court_views``
with the waitlist directory it reads) from the whole log, and of every read
model for comparison. Checked: every slot ends with at most one booking and
every cart ended exactly once (converted, cancelled) or still waits; the
rebuilt approvals queue is empty and the carts table agrees with the store.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import func, select

from booking.fictional import fictional_phone
from booking_domain.application import BookingApp
from booking_domain.values import Status
from processes.clock import SystemClock
from projections.court_queries import approvals_queue, conversion_rate
from projections.court_views import Courts, waiting_carts
from projections.database import views_engine
from projections.offer_log import OfferLog
from projections.runner import ProjectionRunner, every_projector
from scratch import PG_URL, pg_schema, postgres_env

T = TypeVar("T")
THREADS = 4
REJECTED = 0.3


def in_threads(items: list[T], work: Callable[[T], int]) -> tuple[float, int]:
    """Share ``items`` among the threads, released together; the seconds and writes."""
    barrier = threading.Barrier(THREADS + 1)
    counts = [0] * THREADS
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            for item in items[index::THREADS]:
                counts[index] += work(item)
        except BaseException as error:  # reported after the run
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started, sum(counts)


def set_up(app: BookingApp, courts: int, hours: int, members: int) -> tuple[list[UUID], list[str]]:
    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    slots = [
        app.schedule_slot(
            court=f"Court {c + 1}",
            sport="padel",
            starts_at=start + timedelta(hours=h),
            ends_at=start + timedelta(hours=h + 1),
            price_minor=1200,
        ).value
        for h in range(hours)
        for c in range(courts)
    ]
    phones = [fictional_phone(1000 + i) for i in range(members)]
    for i, number in enumerate(phones):
        app.register_player(name=f"Member {i}", phone=number)
    return slots, phones


def run(*, quick: bool) -> dict[str, Any]:
    courts, hours, members, per_slot = (4, 5, 100, 10) if quick else (20, 10, 400, 10)
    rng = random.Random(2)
    with pg_schema() as schema:
        app = BookingApp(postgres_env(schema), clock=SystemClock())
        try:
            print("approvals: setting up slots and members ...", file=sys.stderr)
            slots, phones = set_up(app, courts, hours, members)
            asks = [
                (slot, phones[(s * per_slot * 7 + k) % members])
                for k in range(per_slot)
                for s, slot in enumerate(slots)
            ]  # each slot's first request goes in before anyone queues on it

            def ask(item: tuple[UUID, str]) -> int:
                app.request_slots(phone=item[1], slots=[{"match_id": item[0]}])
                return 1

            print(f"approvals: {len(asks)} requests ...", file=sys.stderr)
            request_seconds, requests = in_threads(asks, ask)
            choices = {slot: random.Random(f"{rng.random()}:{slot}") for slot in slots}

            def decide(slot: UUID) -> int:
                decided = 0
                while pending := app.get_match(slot).pending_bookings():
                    player, _ = pending[0]
                    if choices[slot].random() < REJECTED:
                        app.reject_request(slot, player, reason="bench")
                    else:
                        app.approve_request(slot, player)
                    decided += 1
                return decided

            print("approvals: deciding ...", file=sys.stderr)
            decide_seconds, decisions = in_threads(list(slots), decide)
            failures = check(app, slots)
            events = app.recorder.max_notification_id() or 0
            print(f"approvals: rebuilding over {events} events ...", file=sys.stderr)
            rebuilt = rebuild(app, [OfferLog(), Courts()])
            everything = rebuild(app, every_projector())
        finally:
            app.close()
    return {
        "slots": len(slots),
        "requests": requests,
        "requests_per_s": requests / request_seconds,
        "decisions": decisions,
        "decisions_per_s": decisions / decide_seconds,
        "events": events,
        "rebuild_approvals": rebuilt,
        "rebuild_all": everything,
        "failures": failures,
    }


def check(app: BookingApp, slots: list[UUID]) -> list[str]:
    failures = []
    for slot in slots:
        match, waitlist = app.get_match(slot), app.get_waitlist(slot)
        if match.booked > match.capacity or match.roster.count(Status.HELD):
            failures.append(f"slot {slot}: {match.booked} booked, {match.held} held")
        if waitlist.size:
            failures.append(f"slot {slot}: {waitlist.size} carts still waiting after approval")
    return failures


def rebuild(app: BookingApp, projectors: list[Any]) -> dict[str, Any]:
    """A full rebuild of these read models into an empty views schema, timed."""
    with pg_schema() as views_schema:
        engine = views_engine(f"{PG_URL}?schema={views_schema}", None)
        try:
            runner = ProjectionRunner(app, engine, projectors)
            started = time.perf_counter()
            reached = runner.rebuild()
            seconds = time.perf_counter() - started
            with engine.connect() as conn:
                queue = approvals_queue(conn)
                carts = conn.execute(select(func.count()).select_from(waiting_carts)).scalar_one()
                rate = conversion_rate(conn)
        finally:
            engine.dispose()
    return {
        "events": reached,
        "seconds": seconds,
        "events_per_s": reached / seconds,
        "pending_after": len(queue),
        "carts": carts,
        "conversion": rate,
    }


def report(found: dict[str, Any]) -> None:
    print("\ncourt slots (PostgreSQL, 4 threads)")
    print(
        f"  requests                {found['requests_per_s']:8.0f} requests/s "
        f"({found['requests']} over {found['slots']} slots)"
    )
    print(
        f"  decisions (30% reject)  {found['decisions_per_s']:8.0f} decisions/s "
        f"({found['decisions']} decisions)"
    )
    for name in ("rebuild_approvals", "rebuild_all"):
        r = found[name]
        print(
            f"  {name.replace('_', ' '):22}  {r['seconds']:8.2f} s "
            f"({r['events']} events, {r['events_per_s']:.0f} events/s)"
        )
    conversion = found["rebuild_approvals"]["conversion"]
    print(
        f"  waitlist conversion     {conversion['rate']!s:>8} "
        f"({conversion['converted']} converted, {conversion['cancelled']} cancelled)"
    )
    if found["failures"]:
        print(f"  FAILURES: {found['failures'][:5]}")
