"""``make bench``, part ten: notices delivered through the dramatiq path to real channels.

Two ``booking worker`` processes on PostgreSQL and Redis deliver every notice of a
burst of tier openings — half the players by email to an SMTP server on
127.0.0.1 (``aiosmtpd``), half by Web Push to a local push service that checks
the VAPID signature and decrypts each payload — with the channels' rate limits
raised out of the way (the providers' own limits are a setting, not our speed).

Measured, for the burst: notices delivered per second from the first event to
the last delivery, and each notice's delay from its event to its delivery (p50,
p99 — mostly its wait in line behind the burst). Then, with the workers idle,
single notices one at a time (a match cancelled with one player in it, every
0.3 s): the delay of one notice through the whole path (p50, p99).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
from py_vapid import Vapid  # type: ignore[import-untyped]

from booking.fictional import fictional_phone
from booking_domain.application import BookingApp
from processes.clock import SystemClock
from processes.contacts import Contacts
from processes.engine import Engine
from processes.outbox import SENT
from processes.sidestore import to_us
from scratch import PG_URL, pg_schema, postgres_env

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the local SMTP server and push service live with the tests

from tests.channels.push_service import PushService  # noqa: E402
from tests.channels.smtp_server import SmtpServer  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
WORKERS = 2
SINGLES = 30


def run(*, quick: bool) -> dict[str, Any]:
    players, matches = (100, 4) if quick else (400, 10)
    vapid = Vapid()
    vapid.generate_keys()
    namespace = f"bench-{uuid.uuid4().hex[:10]}"
    with SmtpServer() as smtp, PushService() as push, pg_schema() as schema:
        app = BookingApp(postgres_env(schema), clock=SystemClock())
        outbox = Engine(app).outbox
        book = Contacts(outbox.side)
        subscriptions = []
        for n in range(players):
            by_email = n % 2 == 0
            pid = app.register_player(
                name=f"P{n}", phone=fictional_phone(n), email=f"p{n}@example.org"
            ).value
            if by_email:
                book.set_order(pid, ["email"], app.clock.now())
            else:
                sub_id, subscription = push.subscribe()
                subscriptions.append(sub_id)
                book.subscribe_web(pid, json.loads(subscription), app.clock.now())
        env = {
            **{k: v for k, v in os.environ.items() if k != "BOOKING_TEST_CLOCK"},
            "DATABASE_URL": f"{PG_URL}?schema={schema}",
            "REDIS_URL": REDIS_URL,
            "BOOKING_REDIS_NAMESPACE": namespace,
            "SMTP_URL": smtp.url,
            "MAIL_FROM": "bookings@club.example",
            "VAPID_PRIVATE_KEY": vapid.private_pem().decode(),
            "VAPID_SUBJECT": "mailto:bookings@club.example",
            "NOTIFY_RATE_LIMITS": "email=100000,webpush=100000",
        }
        with tempfile.TemporaryFile() as log:
            workers = [
                subprocess.Popen(
                    [sys.executable, "-m", "booking.cli", "worker", "--threads", "8"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
                for _ in range(WORKERS)
            ]
            try:
                time.sleep(4)  # both workers up
                expected = players * matches
                print(
                    f"delivery: {expected} notices through {WORKERS} workers ...", file=sys.stderr
                )
                first_event = app.clock.now()
                for m in range(matches):
                    match_id = app.schedule_match(
                        title=f"Match {m}",
                        kickoff_at=app.clock.now() + timedelta(days=2),
                        location="Hackney Marshes",
                        capacity=10,
                    ).value
                    app.enable_booking(match_id)
                deadline = time.monotonic() + 600
                while outbox.counts().get(SENT, 0) < expected and time.monotonic() < deadline:
                    time.sleep(0.2)
                burst = {r["id"] for r in outbox.rows()}
                singles = _one_at_a_time(app, book, SINGLES)
                deadline = time.monotonic() + 120
                while (
                    outbox.counts().get(SENT, 0) < expected + singles
                    and time.monotonic() < deadline
                ):
                    time.sleep(0.1)
            finally:
                for worker in workers:
                    worker.send_signal(signal.SIGTERM)
                for worker in workers:
                    worker.wait(timeout=60)
                _drop(namespace)
        everything = [r for r in outbox.rows() if r["status"] == SENT]
        rows = [r for r in everything if r["id"] in burst]
        alone = sorted(_delay_ms(r) for r in everything if r["id"] not in burst)
        delays = sorted(_delay_ms(r) for r in rows)
        last = max(int(r["done_us"]) for r in rows)
        elapsed = (last - to_us(first_event)) / 1_000_000
        emails = len([m for m in smtp.received if m["To"] != "solo@example.org"])
        pushes = sum(len(push.received(s)) for s in subscriptions)
        app.close()
    return {
        "notices": len(rows),
        "expected": expected,
        "emails": emails,
        "pushes": pushes,
        "seconds": elapsed,
        "notices_per_s": len(rows) / elapsed,
        "delay_ms_p50": statistics.median(delays),
        "delay_ms_p99": _p99(delays),
        "single_notices": len(alone),
        "single_delay_ms_p50": statistics.median(alone) if alone else None,
        "single_delay_ms_p99": _p99(alone) if alone else None,
        "failures": [] if len(rows) == expected == emails + pushes else ["not all delivered once"],
    }


def _one_at_a_time(app: BookingApp, book: Contacts, count: int) -> int:
    """``count`` single emails, 0.3 s apart: a match with one player in it, cancelled."""
    player = app.register_player(
        name="Solo", phone=fictional_phone(9999), email="solo@example.org"
    ).value
    book.set_order(player, ["email"], app.clock.now())
    for n in range(count):
        match_id = app.schedule_match(
            title=f"Single {n}",
            kickoff_at=app.clock.now() + timedelta(days=2),
            location="Hackney Marshes",
            capacity=10,
        ).value
        app.add_player_to_match(match_id, player)
        app.cancel_match(match_id, reason="bench")
        time.sleep(0.3)
    return count


def _delay_ms(row: dict[str, Any]) -> float:
    return (int(row["done_us"]) - int(row["created_us"])) / 1000


def _p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def _drop(namespace: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def report(found: dict[str, Any]) -> None:
    print(f"\nnotices through dramatiq ({WORKERS} workers, PostgreSQL + Redis)")
    print(
        f"  delivered               {found['notices_per_s']:8.0f} notices/s "
        f"({found['notices']} of {found['expected']}: {found['emails']} emails to SMTP, "
        f"{found['pushes']} Web Pushes)"
    )
    print(
        f"  event → delivered       p50 {found['delay_ms_p50']:.0f} ms, "
        f"p99 {found['delay_ms_p99']:.0f} ms (in the burst)"
    )
    print(
        f"  one notice alone        p50 {found['single_delay_ms_p50']:.0f} ms, "
        f"p99 {found['single_delay_ms_p99']:.0f} ms ({found['single_notices']} notices)"
    )
