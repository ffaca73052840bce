"""Email delivery under faults, with ``booking worker`` on the real PostgreSQL and Redis.

- A worker is killed with SIGKILL while it is handing an email to the SMTP
  server; a second worker sends it once its lease has run out: the player gets
  it exactly once, and the row counts both tries.
- The SMTP server is down: the worker's retries (dramatiq, with the backoff the
  outbox row asks for) are in the ledger, and the email arrives once it is back.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from booking_domain.application import BookingApp
from processes.clock import SystemClock
from processes.engine import Engine
from processes.outbox import SENDING, SENT, Outbox
from tests.channels.smtp_server import SmtpServer
from tests.integration.test_timer_faults import (
    REDIS_URL,
    drop_namespace,
    pg_app,
    start_worker,
    stop,
    wait_for,
)
from tests.support import pg_schema, pg_url, phone

pytestmark = [pytest.mark.pg, pytest.mark.slow]


@contextmanager
def club_with_one_notice(
    tmp_path: Path, smtp: SmtpServer
) -> Iterator[tuple[BookingApp, Outbox, dict[str, str], UUID]]:
    """A PostgreSQL store where one player, with an email, is to be told booking opened."""
    namespace = f"booking-test-{uuid.uuid4().hex[:12]}"
    with pg_schema() as schema, pg_app(schema, SystemClock()) as app:
        outbox = Engine(app).outbox  # to look only: the workers deliver
        player = app.register_player(name="Ana", phone=phone(1), email="ana@example.org").value
        match_id = app.schedule_match(
            title="Tuesday 5s",
            kickoff_at=app.clock.now() + timedelta(days=2),
            location="Hackney Marshes",
            capacity=10,
        ).value
        app.enable_booking(match_id)
        env = {
            **{k: v for k, v in os.environ.items() if k != "BOOKING_TEST_CLOCK"},
            "DATABASE_URL": pg_url(schema),
            "REDIS_URL": REDIS_URL,
            "BOOKING_REDIS_NAMESPACE": namespace,
            "BOOKING_RESEND_AFTER_SECONDS": "2",
            "BOOKING_DELIVERY_LEASE_SECONDS": "3",
            "SMTP_URL": smtp.url,
            "MAIL_FROM": "bookings@club.example",
        }
        try:
            yield app, outbox, env, player
        finally:
            drop_namespace(namespace)


def _row(outbox: Outbox, player: UUID) -> dict[str, object]:
    (row,) = [r for r in outbox.rows(player_id=player) if r["kind"] == "tier_open"]
    return row


def _tries(outbox: Outbox, player: UUID) -> list[dict[str, object]]:
    """The tries at the player's notice so far (none before the worker has written it)."""
    rows = [r for r in outbox.rows(player_id=player) if r["kind"] == "tier_open"]
    return outbox.attempts(str(rows[0]["id"])) if rows else []


def test_a_worker_killed_mid_send_means_the_email_arrives_exactly_once(tmp_path: Path) -> None:
    log = tmp_path / "workers.log"
    with SmtpServer() as smtp, club_with_one_notice(tmp_path, smtp) as (_app, outbox, env, ana):
        smtp.hold.set()  # the first worker gets as far as naming the recipient, then waits
        first = start_worker(env, log)
        try:
            assert smtp.arriving.wait(60), log.read_text(errors="replace")[-3000:]
        finally:
            assert stop(first, signal.SIGKILL) == -signal.SIGKILL
        assert _row(outbox, ana)["status"] == SENDING
        smtp.hold.clear()
        assert smtp.received == []  # the killed worker never handed it over

        second = start_worker(env, log)
        try:
            sent = wait_for(lambda: _row(outbox, ana)["status"] == SENT, timeout=60, every=0.1)
        finally:
            stopped = stop(second, signal.SIGTERM)
        assert sent, log.read_text(errors="replace")[-3000:]
        assert stopped == 0
        row = _row(outbox, ana)
        mails = [m for m in smtp.received if m["X-Notice-Id"] == row["id"]]
        assert len(mails) == 1
        assert row["attempts"] == 2  # the killed try, and the one that sent it
        assert [t["outcome"] for t in outbox.attempts(str(row["id"]))] == ["sent"]


def test_the_mail_server_down_means_retries_in_the_ledger_then_the_email(tmp_path: Path) -> None:
    log = tmp_path / "workers.log"
    smtp = SmtpServer()
    with club_with_one_notice(tmp_path, smtp) as (_app, outbox, env, ana):
        worker = start_worker(env, log)
        try:
            tried = wait_for(lambda: len(_tries(outbox, ana)) >= 2, timeout=60, every=0.1)
            assert tried, log.read_text(errors="replace")[-3000:]
            assert _row(outbox, ana)["status"] == "pending"
            with smtp:
                sent = wait_for(lambda: _row(outbox, ana)["status"] == SENT, timeout=90, every=0.1)
                assert sent, log.read_text(errors="replace")[-3000:]
                row = _row(outbox, ana)
                assert len([m for m in smtp.received if m["X-Notice-Id"] == row["id"]]) == 1
        finally:
            assert stop(worker, signal.SIGTERM) == 0
        tries = outbox.attempts(str(row["id"]))
        assert [t["outcome"] for t in tries][-1] == "sent"
        assert {t["outcome"] for t in tries[:-1]} == {"temporary"}
        assert all("mail server unreachable" in t["detail"] for t in tries[:-1])
        assert row["attempts"] == len(tries)
