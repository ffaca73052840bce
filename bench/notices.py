"""``make bench``, part three: how fast the notices process manager catches up.

``Engine(app).notices.catch_up()`` from position 0 in a fresh app, over the
events of the timer bench on PostgreSQL and over a copy of the same events,
in the same order, in a new SQLite store.
"""

from __future__ import annotations

import tempfile
import time
from typing import Any

from eventsourcing.persistence import StoredEvent

from booking_domain.application import BookingApp
from processes.clock import SystemClock
from processes.engine import Engine
from processes.store import store_env


def catch_up(env: dict[str, str]) -> dict[str, float]:
    """Part 2: the notices process manager over every event in the store, from 0."""
    app = BookingApp(env, clock=SystemClock())
    engine = Engine(app)
    app.recorder.max_notification_id()  # connected
    started = time.perf_counter()
    events = engine.notices.catch_up()
    elapsed = time.perf_counter() - started
    notices = sum(engine.outbox.counts().values())
    app.close()
    return {
        "events": events,
        "notices": notices,
        "seconds": elapsed,
        "events_per_s": events / elapsed,
        "notices_per_s": notices / elapsed,
    }


def copy_events(source: dict[str, str], target: dict[str, str]) -> int:
    """Every event of one store into another, in the same order."""
    here, there = BookingApp(source, clock=SystemClock()), BookingApp(target, clock=SystemClock())
    copied, start = 0, 1
    while found := here.recorder.select_notifications(start=start, limit=1000):
        there.recorder.insert_events(
            [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in found]
        )
        copied += len(found)
        start = found[-1].id + 1
    here.close()
    there.close()
    return copied


def run(env: dict[str, str]) -> dict[str, Any]:
    """Catch up over the PostgreSQL store given, then over its copy in SQLite."""
    result: dict[str, Any] = {"postgres": catch_up(env)}
    with tempfile.TemporaryDirectory() as folder:
        copy = store_env(None, folder)
        copy_events(env, copy)
        result["sqlite"] = catch_up(copy)
    return result


def report(result: dict[str, Any]) -> None:
    print("\nnotices process manager (catch-up from position 0)")
    for kind, n in result.items():
        print(
            f"  {kind:<10} {n['events']:6d} events in {n['seconds']:5.1f} s: "
            f"{n['events_per_s']:6.0f} events/s, {n['notices_per_s']:6.0f} notices/s "
            f"({n['notices']} notices)"
        )
