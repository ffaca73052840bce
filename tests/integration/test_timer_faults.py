"""Timers and notices under faults, on the real PostgreSQL and Redis.

Four pumps in four processes race for the same 2000 due timers: each timer is
claimed by one pump only, and each moment it stands for (a tier opening, the
two last calls, the start of instant claim) is recorded exactly once. Then a
``booking worker`` is killed with SIGKILL while it is delivering notices; a
second worker picks up where it stopped: no notice is lost, none reaches the
dev inbox twice.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import redis

from booking_domain.application import BookingApp
from booking_domain.policies import instant_claim_from
from booking_domain.timers import TimerKind
from processes.clock import ManualClock, SystemClock
from processes.engine import Engine
from processes.notices import TIER_OPEN
from processes.outbox import SENT, Outbox
from processes.pump import DueTimer
from processes.sidestore import from_us, to_us
from processes.store import store_env
from tests.support import START, pg_schema, pg_url, phone

pytestmark = [pytest.mark.pg, pytest.mark.slow]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
KICKOFF_IN = timedelta(days=2)
ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def pg_app(schema: str, clock: Any) -> Iterator[BookingApp]:
    app = BookingApp(store_env(pg_url(schema), None), clock=clock)
    try:
        yield app
    finally:
        app.close()


def open_matches(app: BookingApp, count: int, kickoff: datetime) -> list[UUID]:
    """Schedule ``count`` matches and switch booking on for each (all tiers at once)."""
    match_ids = []
    for n in range(count):
        match_id = app.schedule_match(
            title=f"Match {n}", kickoff_at=kickoff, location="Hackney Marshes", capacity=10
        ).value
        app.enable_booking(match_id)
        match_ids.append(match_id)
    return match_ids


def timer_rows(app: BookingApp) -> dict[str, dict[str, Any]]:
    """The stored timers, by key."""
    side = app.recorder.side  # type: ignore[attr-defined]
    with side.transaction() as tx:
        rows = tx.execute(
            f"SELECT key, match_id, kind, due_us, attempts FROM {side.t['booking_timers']}"  # noqa: S608
        ).rows()
    return {row["key"]: row for row in rows}


def wait_for(condition: Callable[[], bool], *, timeout: float, every: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


# ------------------------------------------------------------ four pumps, one table

MATCHES = 500
PUMPS = 4
CLUB_SIZE = 20
#: Each match: tier_open (due at once), last_call at T-12h and T-3h, instant_claim.
TIMERS_PER_MATCH = 4
#: The moment events record, by their class name.
MOMENTS = ("TierOpened", "LastCallSent", "InstantClaimStarted")


def _run_pump(schema: str, moment: datetime, ready: Any, go: Any, out: Any) -> None:
    """One process: its own application and pump, firing whatever it can claim."""
    try:
        with pg_app(schema, ManualClock(moment)) as app:
            pump = Engine(app).pump
            fired: list[str] = []

            def record(timer: DueTimer, _at: datetime) -> None:
                fired.append(timer.key)

            pump.on_fired = record
            ready.put(os.getpid())
            if not go.wait(timeout=120):
                raise TimeoutError("never told to start")
            claimed = [timer.key for timer in pump.run_due(moment)]
            # run_due stops when a claim comes back empty; make sure of it.
            claimed += [timer.key for timer in pump.run_due(moment)]
        out.put(("ok", claimed, fired))
    except BaseException:
        out.put(("crash", traceback.format_exc(), []))


def test_four_pumps_fire_each_of_2000_timers_once() -> None:
    with pg_schema() as schema, pg_app(schema, ManualClock(START)) as app:
        for n in range(CLUB_SIZE):
            app.register_player(name=f"P{n}", phone=phone(n))
        kickoff = START + KICKOFF_IN
        match_ids = open_matches(app, MATCHES, kickoff)
        pump = Engine(app).pump
        assert pump.pending() == TIMERS_PER_MATCH * MATCHES
        timers = timer_rows(app)
        assert Counter(row["kind"] for row in timers.values()) == {
            TimerKind.TIER_OPEN: MATCHES,
            TimerKind.LAST_CALL: 2 * MATCHES,
            TimerKind.INSTANT_CLAIM: MATCHES,
        }

        # Half an hour before kick-off every timer of every match is due at once.
        moment = app.clock.set(instant_claim_from(kickoff) + timedelta(minutes=1))
        assert max(row["due_us"] for row in timers.values()) <= to_us(moment)

        spawn = multiprocessing.get_context("spawn")
        ready, out, go = spawn.Queue(), spawn.Queue(), spawn.Event()
        pumps = [
            spawn.Process(target=_run_pump, args=(schema, moment, ready, go, out))
            for _ in range(PUMPS)
        ]
        for process in pumps:
            process.start()
        try:
            for _ in pumps:
                ready.get(timeout=120)
            go.set()  # all four start claiming together
            results = [out.get(timeout=300) for _ in pumps]
        finally:
            for process in pumps:
                process.join(timeout=60)
                if process.is_alive():  # pragma: no cover - only when something hangs
                    process.kill()
        crashes = [result[1] for result in results if result[0] != "ok"]
        assert crashes == [], "\n".join(crashes)

        claimed_by_pump = [result[1] for result in results]
        failed = [
            sorted(set(claimed) - set(fired))
            for _, claimed, fired in results
            if set(claimed) != set(fired)
        ]
        assert failed == [], f"claimed timers whose command failed: {failed}"
        assert all(claimed_by_pump), [len(c) for c in claimed_by_pump]  # all four took part
        claims = Counter(key for claimed in claimed_by_pump for key in claimed)
        twice = sorted(key for key, n in claims.items() if n > 1)
        assert twice == [], f"{len(twice)} timers claimed more than once, e.g. {twice[:5]}"
        assert set(claims) <= set(timers)
        # A T-3h last call may be made by the T-12h timer's command (both are due)
        # and its own timer deleted before any pump claims it; every other timer
        # is only ever deleted by its own command, so it must have been claimed.
        must_fire = {
            key
            for key, row in timers.items()
            if row["kind"] in (TimerKind.TIER_OPEN, TimerKind.INSTANT_CLAIM)
            or from_us(row["due_us"]) == kickoff - timedelta(hours=12)
        }
        assert len(must_fire) == 3 * MATCHES
        assert must_fire - set(claims) == set()
        assert pump.pending() == 0
        assert timer_rows(app) == {}

        # Each moment happened exactly once: count the events in the notification log.
        moments: Counter[tuple[UUID, str, str]] = Counter()
        position = 1
        while notifications := app.recorder.select_notifications(start=position, limit=1000):
            for notification in notifications:
                name = notification.topic.rsplit(".", 1)[-1]
                if name in MOMENTS:
                    event = app.mapper.to_domain_event(notification)
                    which = event.which if name == "LastCallSent" else ""
                    moments[(notification.originator_id, name, which)] += 1
            position = notifications[-1].id + 1
        expected = Counter(
            (match_id, name, which)
            for match_id in match_ids
            for name, which in (
                ("TierOpened", ""),
                ("LastCallSent", "T-12h"),
                ("LastCallSent", "T-3h"),
                ("InstantClaimStarted", ""),
            )
        )
        wrong = sorted(
            (str(key), moments[key], expected[key])
            for key in expected | moments
            if moments[key] != expected[key]
        )
        assert wrong == [], f"{len(wrong)} moments not recorded exactly once, e.g. {wrong[:5]}"

        # And the matches say so.
        for match_id in match_ids:
            match = app.get_match(match_id)
            assert match.tiers_announced == ("A", "B", "C")
            assert set(match.last_calls) == {"T-12h", "T-3h"}
            assert match.instant_claim_started_at == moment


# ------------------------------------------------- a worker killed while delivering

WORKER_MATCHES = 30
WORKER_PLAYERS = 60
EXPECTED_NOTICES = WORKER_MATCHES * WORKER_PLAYERS


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "booking.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes], how: int, *, timeout: float = 30) -> int:
    if process.poll() is None:
        process.send_signal(how)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        raise


def drop_namespace(namespace: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def inbox_by_phone_and_match(outbox: Outbox) -> Counter[tuple[str, str, str]]:
    """(phone, match id, kind) → how many messages the dev inbox holds."""
    side = outbox.side
    with side.transaction() as tx:
        rows = tx.execute(
            f"SELECT i.phone, o.match_id, i.kind, COUNT(*) AS n FROM {outbox.inbox_table} i"  # noqa: S608
            f" LEFT JOIN {outbox.table} o ON o.id = i.outbox_id"
            " GROUP BY i.phone, o.match_id, i.kind"
        ).rows()
    return Counter({(r["phone"], r["match_id"], r["kind"]): int(r["n"]) for r in rows})


def test_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    namespace = f"booking-test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "workers.log"
    with pg_schema() as schema, pg_app(schema, SystemClock()) as app:
        engine = Engine(app)  # only to look: this process fires and delivers nothing
        outbox = engine.outbox
        phones = [phone(n) for n in range(WORKER_PLAYERS)]
        player_ids = [
            app.register_player(name=f"P{n}", phone=number).value for n, number in enumerate(phones)
        ]
        match_ids = open_matches(app, WORKER_MATCHES, app.clock.now() + KICKOFF_IN)
        assert engine.pump.pending() == TIMERS_PER_MATCH * WORKER_MATCHES
        due = engine.pump.next_due()
        assert due is not None and due <= app.clock.now()  # the tier openings

        env = {
            **{k: v for k, v in os.environ.items() if k != "BOOKING_TEST_CLOCK"},
            "DATABASE_URL": pg_url(schema),
            "REDIS_URL": REDIS_URL,
            "BOOKING_REDIS_NAMESPACE": namespace,
            # What the dead worker had taken from the queue is queued again after this.
            "BOOKING_RESEND_AFTER_SECONDS": "3",
        }

        def tail() -> str:
            return log.read_text(errors="replace")[-4000:] if log.exists() else ""

        try:
            first = start_worker(env, log)
            try:
                started = wait_for(lambda: outbox.counts().get(SENT, 0) > 0, timeout=60, every=0.01)
                assert started, f"the first worker sent nothing:\n{tail()}"
            finally:
                killed = stop(first, signal.SIGKILL)
            assert killed == -signal.SIGKILL
            at_kill = {row["id"]: row for row in outbox.rows()}
            sent_at_kill = {i: row for i, row in at_kill.items() if row["status"] == SENT}
            # The premise: killed with deliveries still to make.
            assert 0 < len(sent_at_kill) < EXPECTED_NOTICES, outbox.counts()

            second = start_worker(env, log)
            try:

                def quiet() -> bool:
                    if outbox.counts() != {SENT: EXPECTED_NOTICES}:
                        return False
                    due = engine.pump.next_due()
                    return due is None or due > app.clock.now()

                settled = wait_for(quiet, timeout=120, every=0.25)
            finally:
                stopped = stop(second, signal.SIGTERM)
            assert settled, f"not settled: {outbox.counts()}\n{tail()}"
            assert stopped == 0, tail()
        finally:
            drop_namespace(namespace)

        rows = outbox.rows()
        # Nothing the killed worker wrote was lost, and nothing was written twice.
        assert len(rows) == EXPECTED_NOTICES
        assert set(at_kill) <= {row["id"] for row in rows}
        assert Counter((row["player_id"], row["match_id"], row["kind"]) for row in rows) == {
            (player_id.hex, match_id.hex, TIER_OPEN): 1
            for player_id in player_ids
            for match_id in match_ids
        }
        # Every notice sent, each claimed for delivery once; what was sent before
        # the kill was not sent again.
        assert Counter(row["status"] for row in rows) == {SENT: EXPECTED_NOTICES}
        assert Counter(row["attempts"] for row in rows) == {1: EXPECTED_NOTICES}
        by_id = {row["id"]: row for row in rows}
        assert all(by_id[i]["done_us"] == row["done_us"] for i, row in sent_at_kill.items())

        # The dev inbox: one message per outbox row, one tier opening per match per phone.
        assert outbox.inbox_size() == len(rows)
        assert inbox_by_phone_and_match(outbox) == {
            (number, match_id.hex, TIER_OPEN): 1 for number in phones for match_id in match_ids
        }
        for number in phones:
            assert [m.kind for m in outbox.inbox(number)] == [TIER_OPEN] * WORKER_MATCHES

        # The tier openings fired; the later timers (last calls, instant claim) wait.
        left = Counter(row["kind"] for row in timer_rows(app).values())
        assert left == {
            TimerKind.LAST_CALL: 2 * WORKER_MATCHES,
            TimerKind.INSTANT_CLAIM: WORKER_MATCHES,
        }
        for match_id in match_ids:
            assert app.get_match(match_id).tiers_announced == ("A", "B", "C")
