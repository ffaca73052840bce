"""Push and SMS through the running system: the deliverer picks each player's
channels in their order, every device of a player is pushed, a device the
provider says is gone is pruned (and the next channel tried), and guardians of
seed 000's notices get a text message. Against local services: a push service
that decrypts and checks VAPID, and fakes of the FCM and SMS APIs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from py_vapid import Vapid  # type: ignore[import-untyped]

from booking.bootstrap import Settings, System, build_system
from processes import messages
from processes.clock import ManualClock
from processes.contacts import Contacts
from tests.channels.fakes import FakeFcm, FakeSms
from tests.channels.paid import free_a_place, paid_match
from tests.channels.push_service import PushService
from tests.channels.smtp_server import SmtpServer
from tests.support import START, phone

M = timedelta(minutes=1)
PARENT = phone(900)


@dataclass
class Services:
    push: PushService
    fcm: FakeFcm
    sms: FakeSms
    smtp: SmtpServer
    vapid_pem: str


@pytest.fixture
def services() -> Iterator[Services]:
    vapid = Vapid()
    vapid.generate_keys()
    pem = vapid.private_pem().decode()
    with PushService() as push, FakeFcm() as fcm, FakeSms() as sms, SmtpServer() as smtp:
        yield Services(push, fcm, sms, smtp, pem)


@pytest.fixture
def system(tmp_path: Path, services: Services) -> Iterator[System]:
    env = {
        "VAPID_PRIVATE_KEY": services.vapid_pem,
        "VAPID_SUBJECT": "mailto:bookings@club.example",
        "FCM_SERVICE_ACCOUNT_FILE": services.fcm.service_account_file,
        "FCM_BASE_URL": services.fcm.url,
        "SMS_ACCOUNT_SID": services.sms.account_sid,
        "SMS_AUTH_TOKEN": services.sms.auth_token,
        "SMS_FROM": "+15005550006",
        "SMS_BASE_URL": services.sms.url,
        "SMTP_URL": services.smtp.url,
        "MAIL_FROM": "bookings@club.example",
    }
    settings = Settings(data_dir=tmp_path, test_clock=True, channel_env=tuple(env.items()))
    running = build_system(settings, ManualClock(START))
    yield running
    running.close()


def _offer(system: System, player_id: UUID):
    return next(
        e for e in system.engine.outbox.ledger(player_id=player_id) if e.kind == "payment_offer"
    )


def test_every_device_of_a_player_is_pushed_and_nobody_is_emailed(
    system: System, services: Services
) -> None:
    match_id, token, ids = paid_match(system, guardian=PARENT)
    book = Contacts(system.engine.outbox.side)
    browser, subscription = services.push.subscribe()
    book.subscribe_web(ids[2], json.loads(subscription), START)
    phone_token = services.fcm.register("device-token-1")
    book.register_token(ids[2], "android", phone_token, START)
    free_a_place(system, match_id, token)

    offer = _offer(system, ids[2])
    assert (offer.outcome, offer.channel) == ("sent", "fcm,webpush")
    (pushed,) = [r for r in services.push.received(browser) if r["topic"] == offer.notice_id]
    assert pushed["payload"]["title"] == messages.subject("payment_offer")
    assert "Log in to your account to confirm and pay" in pushed["payload"]["body"]
    assert pushed["urgency"] == "high"
    (native,) = [m for m in services.fcm.received if m["data"]["outbox_id"] == offer.notice_id]
    assert native["token"] == phone_token
    assert [
        m for m in services.smtp.to("p2@example.org") if m["X-Notice-Id"] == offer.notice_id
    ] == []


def test_a_gone_device_is_pruned_and_the_next_channel_is_used(
    system: System, services: Services
) -> None:
    match_id, token, ids = paid_match(system, guardian=PARENT)
    book = Contacts(system.engine.outbox.side)
    dead = services.fcm.register("old-phone", "unregistered")
    book.register_token(ids[2], "ios", dead, START)
    _browser, subscription = services.push.subscribe("gone")
    book.subscribe_web(ids[2], json.loads(subscription), START)
    free_a_place(system, match_id, token)

    offer = _offer(system, ids[2])
    assert (offer.outcome, offer.channel) == ("sent", "email")
    assert book.addresses(ids[2]) == []  # both pruned
    tries = system.engine.outbox.attempts(offer.notice_id)
    assert {(t["channel"], t["outcome"]) for t in tries} == {
        ("fcm", "permanent"),
        ("webpush", "permanent"),
        ("email", "sent"),
        ("sms:guardian 1", "sent"),  # Sam's parent is texted too (seed 000)
    }
    assert all("removed" in t["detail"] for t in tries if t["outcome"] == "permanent")


def test_a_guardian_is_texted_seed_000s_offer_without_a_link(
    system: System, services: Services
) -> None:
    match_id, token, ids = paid_match(system, guardian=PARENT)
    Contacts(system.engine.outbox.side).set_order(ids[2], ["sms"], START)
    free_a_place(system, match_id, token)
    texts = [t for t in services.sms.received if "confirm and pay" in t.body]
    assert sorted(t.to for t in texts) == sorted([phone(2), PARENT])
    assert all("http" not in t.body for t in texts)
    offer = _offer(system, ids[2])
    assert (offer.outcome, offer.channel) == ("sent", "sms")


def test_a_push_service_that_is_down_means_a_retry_not_a_lost_offer(
    system: System, services: Services
) -> None:
    match_id, token, ids = paid_match(system, guardian=PARENT)
    Contacts(system.engine.outbox.side).set_order(ids[2], ["push"], START)
    browser, subscription = services.push.subscribe("fail")
    Contacts(system.engine.outbox.side).subscribe_web(ids[2], json.loads(subscription), START)
    free_a_place(system, match_id, token)
    offer = _offer(system, ids[2])
    assert offer.outcome == "pending" and (offer.detail or "").startswith("retrying: webpush")

    services.push.set_reply(browser, "ok")
    system.engine.advance(by=10 * M)
    offer = _offer(system, ids[2])
    assert (offer.outcome, offer.channel) == ("sent", "webpush")
    assert len([r for r in services.push.received(browser) if r["topic"] == offer.notice_id]) == 1
