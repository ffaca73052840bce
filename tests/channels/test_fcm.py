"""FcmSender against the local FCM fake: payload, access-token caching, error mapping.

The fake verifies the JWT grant with the service account's public key, so a
passing send proves the whole OAuth round trip, not just the POST.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from processes.channels import Outgoing, PermanentFailure, TemporaryFailure
from processes.channels.fcm import FcmSender, apns_collapse_id, retry_after_seconds
from tests.channels.fakes import FakeFcm

DEVICE = "dZ3x-fake-registration-token:APA91bH0000000000000000000000000000000000"


def notice(
    kind: str = "waitlist_offer", outbox_id: str = "outbox-1", url: str | None = None
) -> Outgoing:
    return Outgoing(
        outbox_id=outbox_id,
        kind=kind,
        subject="A spot opened up",
        text="Tuesday 19:00 has a free spot: take it within 30 minutes.",
        url=url,
    )


@pytest.fixture
def fcm() -> Iterator[FakeFcm]:
    with FakeFcm(retry_after=17) as fake:
        yield fake


@pytest.fixture
def sender(fcm: FakeFcm) -> Iterator[FcmSender]:
    fcm_sender = FcmSender(fcm.service_account_file, base_url=fcm.url, timeout=5)
    yield fcm_sender
    fcm_sender.close()


def assert_no_secret(text: str, fcm: FakeFcm, *addresses: str) -> None:
    """No registration token, access token or piece of the key in ``text``."""
    key_lines = [line for line in fcm.private_key_pem.splitlines() if "-----" not in line]
    for secret in [*addresses, *fcm.issued_tokens, fcm.private_key_id, *key_lines]:
        assert secret not in text


def failure_text(exc: TemporaryFailure | PermanentFailure) -> str:
    return f"{exc} {exc!r} {exc.detail} {exc.args}"


def channel_log(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("booking.channels")
    )


def test_a_message_arrives_with_title_body_data_and_collapse_keys(
    fcm: FakeFcm, sender: FcmSender
) -> None:
    sender.send(DEVICE, notice(url="https://club.example/portal/offers/7"))

    assert fcm.received == [
        {
            "token": DEVICE,
            "notification": {
                "title": "A spot opened up",
                "body": "Tuesday 19:00 has a free spot: take it within 30 minutes.",
            },
            "data": {
                "url": "https://club.example/portal/offers/7",
                "kind": "waitlist_offer",
                "outbox_id": "outbox-1",
            },
            "android": {"collapse_key": "outbox-1", "priority": "high"},
            "apns": {"headers": {"apns-collapse-id": "outbox-1"}},
        }
    ]


def test_routine_notices_are_normal_priority_and_data_is_all_strings(
    fcm: FakeFcm, sender: FcmSender
) -> None:
    sender.send(DEVICE, notice(kind="match_reminder", url=None))

    (message,) = fcm.received
    assert message["android"]["priority"] == "normal"
    assert message["data"]["url"] == ""


@pytest.mark.parametrize(
    "kind", ["waitlist_offer", "payment_offer", "cancellation", "dropout", "login_code"]
)
def test_urgent_kinds_are_high_priority(fcm: FakeFcm, sender: FcmSender, kind: str) -> None:
    sender.send(DEVICE, notice(kind=kind))

    assert fcm.received[0]["android"]["priority"] == "high"


def test_a_long_outbox_id_gets_a_stable_apns_collapse_id_of_64_bytes() -> None:
    long_id = "outbox-" + "x" * 100

    assert apns_collapse_id(long_id) == apns_collapse_id(long_id)
    assert len(apns_collapse_id(long_id).encode()) == 64
    assert apns_collapse_id("outbox-1") == "outbox-1"


def test_the_project_defaults_to_the_service_account_and_can_be_overridden(fcm: FakeFcm) -> None:
    assert FcmSender(fcm.service_account_file, base_url=fcm.url).project_id == "fake-project"
    other = FcmSender(fcm.service_account_file, project_id="other", base_url=fcm.url)

    with pytest.raises(PermanentFailure) as refused:
        other.send(DEVICE, notice())  # the fake knows only its own project

    assert not refused.value.gone
    assert "PERMISSION_DENIED" in str(refused.value)


def test_the_access_token_is_fetched_once_and_reused(fcm: FakeFcm, sender: FcmSender) -> None:
    for n in range(3):
        sender.send(DEVICE, notice(outbox_id=f"outbox-{n}"))

    assert fcm.token_requests == 1
    assert len(fcm.received) == 3


def test_concurrent_sends_share_one_token_refresh(fcm: FakeFcm, sender: FcmSender) -> None:
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            sender.send(DEVICE, notice(outbox_id=f"outbox-{n}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert fcm.token_requests == 1
    assert len(fcm.received) == 8


def test_a_token_about_to_expire_is_fetched_again() -> None:
    # google-auth counts a token as expired a few minutes early: 60 s is never fresh.
    with FakeFcm(expires_in=60) as fcm:
        sender = FcmSender(fcm.service_account_file, base_url=fcm.url)
        sender.send(DEVICE, notice(outbox_id="outbox-1"))
        sender.send(DEVICE, notice(outbox_id="outbox-2"))

        assert fcm.token_requests == 2


def test_a_refused_access_token_is_refreshed_once_and_the_send_retried(
    fcm: FakeFcm, sender: FcmSender
) -> None:
    sender.send(DEVICE, notice(outbox_id="outbox-1"))
    fcm.revoke_access_tokens()

    sender.send(DEVICE, notice(outbox_id="outbox-2"))

    assert fcm.token_requests == 2
    assert fcm.send_requests == 3  # ok, 401, ok
    assert [m["data"]["outbox_id"] for m in fcm.received] == ["outbox-1", "outbox-2"]


def test_credentials_refused_even_after_a_refresh_is_temporary(
    fcm: FakeFcm, sender: FcmSender, caplog: pytest.LogCaptureFixture
) -> None:
    fcm.reject_access_tokens = True

    with caplog.at_level(logging.DEBUG), pytest.raises(TemporaryFailure) as failed:
        sender.send(DEVICE, notice())

    assert fcm.token_requests == 2  # exactly one refresh
    assert fcm.send_requests == 2
    assert_no_secret(failure_text(failed.value), fcm, DEVICE)
    assert_no_secret(channel_log(caplog), fcm, DEVICE)


def test_a_grant_not_signed_by_the_service_account_key_is_refused(
    fcm: FakeFcm, tmp_path: Path
) -> None:
    info = json.loads(Path(fcm.service_account_file).read_text())
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info["private_key"] = stranger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(info))
    sender = FcmSender(str(forged), base_url=fcm.url)

    with pytest.raises(TemporaryFailure) as failed:
        sender.send(DEVICE, notice())

    assert "invalid_grant" in str(failed.value)
    assert fcm.issued_tokens == []
    assert fcm.received == []
    assert_no_secret(failure_text(failed.value), fcm, DEVICE, info["private_key"].splitlines()[1])


@pytest.mark.parametrize(
    ("behaviour", "gone"),
    [("unregistered", True), ("invalid", True), ("mismatch", True), ("too_big", False)],
)
def test_refusals_are_permanent_and_a_dead_token_is_gone(
    fcm: FakeFcm,
    sender: FcmSender,
    caplog: pytest.LogCaptureFixture,
    behaviour: str,
    gone: bool,
) -> None:
    token = fcm.register(f"{DEVICE}-{behaviour}", behaviour)

    with caplog.at_level(logging.DEBUG), pytest.raises(PermanentFailure) as refused:
        sender.send(token, notice())

    assert refused.value.gone is gone
    assert fcm.received == []
    assert_no_secret(failure_text(refused.value), fcm, token)
    assert_no_secret(channel_log(caplog), fcm, token)


@pytest.mark.parametrize(
    ("behaviour", "retry_after"), [("unavailable", 17.0), ("quota", 17.0), ("internal", None)]
)
def test_outages_and_quota_are_temporary_with_retry_after(
    fcm: FakeFcm,
    sender: FcmSender,
    caplog: pytest.LogCaptureFixture,
    behaviour: str,
    retry_after: float | None,
) -> None:
    token = fcm.register(f"{DEVICE}-{behaviour}", behaviour)

    with caplog.at_level(logging.DEBUG), pytest.raises(TemporaryFailure) as failed:
        sender.send(token, notice())

    assert failed.value.retry_after == retry_after
    assert_no_secret(failure_text(failed.value), fcm, token)
    assert_no_secret(channel_log(caplog), fcm, token)


def test_a_stopped_server_is_a_temporary_failure(fcm: FakeFcm, sender: FcmSender) -> None:
    sender.send(DEVICE, notice(outbox_id="outbox-1"))
    fcm.stop()

    with pytest.raises(TemporaryFailure) as failed:
        sender.send(DEVICE, notice(outbox_id="outbox-2"))

    assert "unreachable" in str(failed.value)
    assert_no_secret(failure_text(failed.value), fcm, DEVICE)


def test_an_unreachable_token_endpoint_is_a_temporary_failure(fcm: FakeFcm) -> None:
    sender = FcmSender(fcm.service_account_file, base_url=fcm.url, timeout=5)
    fcm.stop()

    with pytest.raises(TemporaryFailure) as failed:
        sender.send(DEVICE, notice())

    assert "token endpoint unreachable" in str(failed.value)
    assert_no_secret(failure_text(failed.value), fcm, DEVICE)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    later = datetime.now(UTC) + timedelta(seconds=120)

    assert retry_after_seconds("30") == 30.0
    assert 100 < (retry_after_seconds(format_datetime(later, usegmt=True)) or 0) <= 120
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
