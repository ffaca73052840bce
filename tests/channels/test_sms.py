"""SmsSender against the local Twilio-style fake: form fields, auth, error mapping, no leaks."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from processes.channels import Outgoing, PermanentFailure, TemporaryFailure
from processes.channels.sms import SmsSender
from tests.channels.fakes import FakeSms, Sms

PLAYER = "+447700900123"
CLUB = "+447700900999"


def notice(outbox_id: str = "outbox-1", text: str = "Tuesday 19:00: you are IN.") -> Outgoing:
    return Outgoing(outbox_id=outbox_id, kind="waitlist_offer", subject="Ignored", text=text)


@pytest.fixture
def sms() -> Iterator[FakeSms]:
    with FakeSms(retry_after=12) as fake:
        yield fake


@pytest.fixture
def sender(sms: FakeSms) -> Iterator[SmsSender]:
    sms_sender = SmsSender(sms.account_sid, sms.auth_token, CLUB, base_url=sms.url, timeout=5)
    yield sms_sender
    sms_sender.close()


def assert_no_secret(text: str, sms: FakeSms, *numbers: str) -> None:
    for secret in [*numbers, PLAYER, CLUB, sms.account_sid, sms.auth_token]:
        assert secret not in text
        assert secret.lstrip("+") not in text


def failure_text(exc: TemporaryFailure | PermanentFailure) -> str:
    return f"{exc} {exc!r} {exc.detail} {exc.args}"


def channel_log(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("booking.channels")
    )


def test_the_message_is_posted_as_form_fields_with_basic_auth_and_idempotency_key(
    sms: FakeSms, sender: SmsSender
) -> None:
    sender.send(PLAYER, notice())

    (sent,) = sms.received
    assert sent == Sms(
        sid=sent.sid,
        to=PLAYER,
        from_=CLUB,
        body="Tuesday 19:00: you are IN.",
        idempotency_token="outbox-1",
    )
    assert sent.sid.startswith("SM")


def test_the_text_is_sent_as_is_without_a_subject(sms: FakeSms, sender: SmsSender) -> None:
    text = "Spot free – Tuesday 19:00 🎾\nTake it: https://club.example/o/7 " + "x" * 200

    sender.send(PLAYER, notice(text=text))

    assert sms.received[0].body == text


def test_a_resend_carries_the_same_idempotency_key(sms: FakeSms, sender: SmsSender) -> None:
    sender.send(PLAYER, notice(outbox_id="outbox-42"))
    sender.send(PLAYER, notice(outbox_id="outbox-42"))

    assert [s.idempotency_token for s in sms.received] == ["outbox-42", "outbox-42"]


def test_wrong_credentials_are_refused_without_echoing_them(
    sms: FakeSms, caplog: pytest.LogCaptureFixture
) -> None:
    sender = SmsSender(sms.account_sid, "not-the-token", CLUB, base_url=sms.url)

    with caplog.at_level(logging.DEBUG), pytest.raises(PermanentFailure) as refused:
        sender.send(PLAYER, notice())

    assert "HTTP 401" in str(refused.value)
    assert sms.received == []
    assert "not-the-token" not in failure_text(refused.value)
    assert_no_secret(failure_text(refused.value), sms)
    assert_no_secret(channel_log(caplog), sms)


@pytest.mark.parametrize(
    ("behaviour", "code"), [("invalid", 21211), ("landline", 21614), ("unsubscribed", 21610)]
)
def test_a_refused_number_is_permanent_but_not_gone(
    sms: FakeSms,
    sender: SmsSender,
    caplog: pytest.LogCaptureFixture,
    behaviour: str,
    code: int,
) -> None:
    number = sms.register(f"+4477009001{code % 100:02d}", behaviour)

    with caplog.at_level(logging.DEBUG), pytest.raises(PermanentFailure) as refused:
        sender.send(number, notice())

    assert str(refused.value) == f"SMS provider refused the number (code {code})"
    assert refused.value.gone is False
    assert_no_secret(failure_text(refused.value), sms, number)
    assert_no_secret(channel_log(caplog), sms, number)


@pytest.mark.parametrize("behaviour", ["busy", "down"])
def test_rate_limits_and_outages_are_temporary_with_retry_after(
    sms: FakeSms, sender: SmsSender, caplog: pytest.LogCaptureFixture, behaviour: str
) -> None:
    number = sms.register("+447700900555", behaviour)

    with caplog.at_level(logging.DEBUG), pytest.raises(TemporaryFailure) as failed:
        sender.send(number, notice())

    assert failed.value.retry_after == 12.0
    assert_no_secret(failure_text(failed.value), sms, number)
    assert_no_secret(channel_log(caplog), sms, number)


def test_a_stopped_server_is_a_temporary_failure(sms: FakeSms, sender: SmsSender) -> None:
    sender.send(PLAYER, notice(outbox_id="outbox-1"))
    sms.stop()

    with pytest.raises(TemporaryFailure) as failed:
        sender.send(PLAYER, notice(outbox_id="outbox-2"))

    assert "unreachable" in str(failed.value)
    assert_no_secret(failure_text(failed.value), sms)
