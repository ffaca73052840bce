"""Several processes on one store, and a store that cannot take a write in time."""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from booking_domain.application import BookingApp
from booking_domain.errors import BookingError, StoreBusy
from processes.clock import ManualClock
from processes.store import store_env
from tests.support import START, pg_schema, pg_url, phone

pytestmark = pytest.mark.slow
PLAYERS = 30


def _env(store: str, where: str) -> dict[str, str]:
    return store_env(None, where) if store == "sqlite" else store_env(pg_url(where), None)


def _hammer(store: str, where: str, match_id: str, token: str, seed: int, out: object) -> None:
    """One process: six threads sending a club's worth of random commands."""
    import uuid

    app = BookingApp(_env(store, where), clock=ManualClock(START + timedelta(hours=1)))
    mid = uuid.UUID(match_id)
    tally: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(n: int) -> None:
        rng = random.Random(seed * 100 + n)
        for _ in range(100):
            number = phone(rng.randrange(PLAYERS))
            action = rng.choice(["IN", "IN", "OUT", "WAITLIST", "claim", "tick"])
            try:
                if action == "claim":
                    app.claim_offer(match_id=mid, token=token, phone=number)
                elif action == "tick":
                    app.process_deadlines(mid)
                else:
                    app.respond(match_id=mid, token=token, phone=number, action=action)
                outcome = "ok"
            except BookingError as refusal:
                outcome = refusal.code
            except Exception as crash:  # anything else is a bug to report, not to hide
                outcome = f"CRASH {type(crash).__name__}: {crash}"
            with lock:
                tally[outcome] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    app.close()
    out.put(dict(tally))  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.pg)])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "data")
    else:
        with pg_schema() as schema:
            yield "postgres", schema


def test_three_processes_share_one_store(shared_store: tuple[str, str]) -> None:
    store, where = shared_store
    admin = BookingApp(_env(store, where), clock=ManualClock(START))
    for n in range(PLAYERS):
        admin.register_player(name=f"P{n}", phone=phone(n))
    match_id = admin.schedule_match(
        title="Busy night", kickoff_at=START + timedelta(days=2), location="Pitch", capacity=8
    ).value
    token = admin.enable_booking(match_id).value
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    workers = [
        spawn.Process(target=_hammer, args=(store, where, str(match_id), token, seed, results))
        for seed in range(3)
    ]
    for w in workers:
        w.start()
    tally: Counter[str] = Counter()
    for _ in workers:
        tally.update(results.get(timeout=300))
    for w in workers:
        w.join(timeout=60)
    crashes = [outcome for outcome in tally if outcome.startswith("CRASH")]
    assert crashes == [], crashes
    assert tally["ok"] > 0
    match, waitlist = admin.get_match(match_id), admin.get_waitlist(match_id)
    assert match.places_taken <= match.capacity
    queued = [e.player_id for e in waitlist.queue]
    assert len(queued) == len(set(queued))
    admin.close()


def test_a_locked_store_answers_try_again_and_changes_nothing(tmp_path: Path) -> None:
    env = store_env(None, tmp_path) | {"SQLITE_LOCK_TIMEOUT": "1"}
    app = BookingApp(env, clock=ManualClock(START))
    app.register_player(name="Ana", phone=phone(1))
    before = app.recorder.max_notification_id()
    outsider = sqlite3.connect(str(tmp_path / "events.sqlite3"), isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")  # someone else holds the write lock
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="try again"):
            app.register_player(name="Ben", phone=phone(2))
        assert time.monotonic() - started < 60
    finally:
        outsider.execute("ROLLBACK")
        outsider.close()
    assert app.recorder.max_notification_id() == before
    app.register_player(name="Ben", phone=phone(2))  # and works once the lock is gone
    app.close()


@pytest.mark.pg
def test_the_database_function_path_is_refused() -> None:
    with pg_schema() as schema:
        env = store_env(pg_url(schema), None) | {"POSTGRES_ENABLE_DB_FUNCTIONS": "y"}
        with pytest.raises(ValueError, match="POSTGRES_ENABLE_DB_FUNCTIONS"):
            BookingApp(env, clock=ManualClock(START))
