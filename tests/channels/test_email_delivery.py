"""Notices by email through the running system, to a real SMTP server on 127.0.0.1.

Seed 000's offer arrives with the seed's words and no payment link; a player
who prefers push but has no device is emailed instead; the server down for a
minute means retries in the ledger, then the email once it is back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from booking.bootstrap import Settings, System, build_system
from processes import messages
from processes.channels import Outgoing, PermanentFailure, TemporaryFailure
from processes.channels.email import EmailSender
from processes.clock import ManualClock
from processes.contacts import Contacts
from tests.channels.paid import free_a_place, paid_match
from tests.channels.smtp_server import SmtpServer
from tests.support import START

M = timedelta(minutes=1)
CLUB = "https://club.example"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def system(tmp_path: Path, smtp: SmtpServer) -> Iterator[System]:
    settings = Settings(
        data_dir=tmp_path,
        test_clock=True,
        base_url=CLUB,
        channel_env=(("SMTP_URL", smtp.url), ("MAIL_FROM", "bookings@club.example")),
    )
    running = build_system(settings, ManualClock(START))
    yield running
    running.close()


def test_seed_000_offer_arrives_by_email_with_the_seed_words_and_no_payment_link(
    system: System, smtp: SmtpServer
) -> None:
    match_id, token, ids = paid_match(system)
    free_a_place(system, match_id, token)

    (mail,) = [
        m for m in smtp.to("p2@example.org") if m["Subject"] == messages.subject("payment_offer")
    ]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Great news! A spot opened in Thursday 5s" in text
    assert "Log in to your account to confirm and pay by" in text
    assert "Log in to your account to confirm and pay by" in html
    for body in (text, html):
        assert "/pay" not in body and "checkout" not in body.lower()
    assert mail["List-Unsubscribe"] == f"<{CLUB}/portal/notifications>"
    entry = next(
        e for e in system.engine.outbox.ledger(player_id=ids[2]) if e.kind == "payment_offer"
    )
    assert (entry.outcome, entry.channel) == ("sent", "email")
    assert entry.notice_id in mail["Message-ID"]


def test_a_player_who_prefers_push_without_a_device_is_emailed(
    system: System, smtp: SmtpServer
) -> None:
    match_id, token, ids = paid_match(system)
    Contacts(system.engine.outbox.side).set_order(ids[2], ["push", "sms", "email"], START)
    free_a_place(system, match_id, token)
    subjects = [m["Subject"] for m in smtp.to("p2@example.org")]
    assert subjects == [messages.subject("tier_open"), messages.subject("payment_offer")]


def test_a_muted_player_gets_no_email(system: System, smtp: SmtpServer) -> None:
    match_id, token, ids = paid_match(system)
    before = len(smtp.to("p2@example.org"))
    system.app.update_player(ids[2], muted=True)
    free_a_place(system, match_id, token)
    assert len(smtp.to("p2@example.org")) == before
    (entry,) = [
        e for e in system.engine.outbox.ledger(player_id=ids[2]) if e.kind == "payment_offer"
    ]
    assert (entry.outcome, entry.detail) == ("suppressed", "muted")


def test_the_mail_server_down_for_a_minute_means_retries_then_the_email(
    system: System, smtp: SmtpServer
) -> None:
    match_id, token, ids = paid_match(system)
    smtp.stop()
    free_a_place(system, match_id, token)
    system.engine.advance(by=M)
    outbox = system.engine.outbox
    (entry,) = [e for e in outbox.ledger(player_id=ids[2]) if e.kind == "payment_offer"]
    assert entry.outcome == "pending"
    assert entry.detail is not None and entry.detail.startswith("retrying: email: mail server")
    tries = outbox.attempts(entry.notice_id)
    assert len(tries) >= 3
    assert {(t["channel"], t["outcome"]) for t in tries} == {("email", "temporary")}

    smtp.start()
    system.engine.advance(by=10 * M)
    (entry,) = [e for e in outbox.ledger(player_id=ids[2]) if e.kind == "payment_offer"]
    assert entry.outcome == "sent"
    tries = outbox.attempts(entry.notice_id)
    assert tries[-1]["outcome"] == "sent" and len(tries) == entry.attempts
    offers = [m for m in smtp.to("p2@example.org") if m["X-Notice-Id"] == entry.notice_id]
    assert len(offers) == 1


def test_the_sender_says_temporary_when_the_server_is_unreachable(smtp: SmtpServer) -> None:
    sender = EmailSender(smtp.url, "bookings@club.example")
    smtp.stop()
    with pytest.raises(TemporaryFailure) as failed:
        sender.send("p@example.org", Outgoing("abc", "tier_open", "Booking is open", "Hi"))
    assert "p@example.org" not in str(failed.value)


@pytest.mark.parametrize(
    "stored",
    ["x@y.test\r\nBcc:evil@example.test", "a@x.test,evil@example.test", "pat@example.test\x00"],
)
def test_an_address_that_is_not_one_address_is_refused_for_good(
    smtp: SmtpServer, stored: str
) -> None:
    """A store from before emails were checked at the door may hold one: never a second
    recipient, never a retry loop."""
    sender = EmailSender(smtp.url, "bookings@club.example")
    with pytest.raises(PermanentFailure) as failed:
        sender.send(stored, Outgoing("abc", "login_code", "Your code", "123456"))
    assert failed.value.gone
    assert "evil" not in failed.value.detail and "@" not in failed.value.detail
    assert smtp.received == []
