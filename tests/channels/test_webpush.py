"""WebPushSender against a local push service that checks VAPID and decrypts like a real one."""

from __future__ import annotations

import json
import os
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from py_vapid import Vapid  # type: ignore[import-untyped]
from py_vapid.utils import b64urlencode  # type: ignore[import-untyped]
from pywebpush import WebPusher  # type: ignore[import-untyped]

from processes.channels import Outgoing, PermanentFailure, TemporaryFailure
from processes.channels.webpush import (
    MAX_PAYLOAD_BYTES,
    WebPushSender,
    payload_for,
    retry_after_seconds,
    topic_for,
    vapid_public_key,
)
from tests.channels.push_service import BUSY_RETRY_AFTER, PushService, unb64url

SUBJECT = "mailto:bookings@club.example"
OUTBOX_ID = "0b6f3c52-8d1e-4a55-9a0e-3f1d2c4b5a69"


@dataclass(frozen=True)
class VapidKeys:
    pem: str  #: PKCS#8 PEM, as `Vapid.private_pem()` writes it
    der: str  #: base64url DER, as `vapid --gen` and most deploy docs give it
    public: str  #: the application server key a page subscribes with


def _make_keys() -> VapidKeys:
    vapid = Vapid()
    vapid.generate_keys()
    der = vapid.private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return VapidKeys(vapid.private_pem().decode(), b64urlencode(der), b64urlencode(raw))


POINT = _make_keys().public  #: some valid P-256 public point


@pytest.fixture
def keys() -> VapidKeys:
    return _make_keys()


@pytest.fixture
def service(keys: VapidKeys) -> Iterator[PushService]:
    """Subscriptions restricted to ``keys``, as `subscribe({applicationServerKey})` makes."""
    with PushService(slow_seconds=2.0, application_server_key=keys.public) as running:
        yield running


@pytest.fixture
def sender(keys: VapidKeys) -> Iterator[WebPushSender]:
    with WebPushSender(keys.der, SUBJECT, ttl_seconds=900, timeout=5.0) as webpush:
        yield webpush


def notice(kind: str = "waitlist_offer", outbox_id: str = OUTBOX_ID) -> Outgoing:
    return Outgoing(
        outbox_id=outbox_id,
        kind=kind,
        subject="A place is free: Tuesday 19:00",
        text="Pay within 2 hours to take it — after that it goes to the next player.",
        url="https://club.example/portal",
    )


def assert_no_secrets(exc: BaseException, subscription: str) -> None:
    """Neither the endpoint (nor its path), the keys nor the auth secret, anywhere in it."""
    sub = json.loads(subscription)
    endpoint, keys = sub["endpoint"], sub["keys"]
    secrets = [endpoint, endpoint.rsplit("/", 1)[1], keys["p256dh"], keys["auth"]]
    shown = " ".join(
        [str(exc), repr(exc), getattr(exc, "detail", ""), *traceback.format_exception(exc)]
    )
    for secret in secrets:
        assert secret not in shown


# -- delivery ----------------------------------------------------------------------------


def test_the_payload_arrives_decrypted(service: PushService, sender: WebPushSender) -> None:
    sub_id, subscription = service.subscribe()

    sender.send(subscription, notice())

    [got] = service.received(sub_id)
    assert got["payload"] == {
        "title": "A place is free: Tuesday 19:00",
        "body": "Pay within 2 hours to take it — after that it goes to the next player.",
        "url": "https://club.example/portal",
        "tag": OUTBOX_ID,
    }
    assert got["ttl"] == 900

    sender.send(subscription, Outgoing("n-1", "reminder", "Tomorrow 19:00", "See you then."))
    assert service.received(sub_id)[1]["payload"]["url"] is None


def test_the_vapid_token_is_signed_for_this_push_service(
    service: PushService, sender: WebPushSender
) -> None:
    sub_id, subscription = service.subscribe()

    sender.send(subscription, notice())

    claims = service.received(sub_id)[0]["claims"]
    assert claims["aud"] == service.origin
    assert claims["sub"] == SUBJECT
    assert datetime.now(UTC).timestamp() < claims["exp"]


def test_a_sender_with_another_key_is_refused_for_good(service: PushService) -> None:
    sub_id, subscription = service.subscribe()
    stranger = WebPushSender(_make_keys().pem, SUBJECT)

    with pytest.raises(PermanentFailure) as refused:
        stranger.send(subscription, notice())

    assert refused.value.gone is False
    assert str(refused.value) == "push service answered 403"
    assert service.answers(sub_id) == [(403, "VAPID key differs from the subscription's")]
    assert service.received(sub_id) == []
    assert_no_secrets(refused.value, subscription)


def test_an_unrestricted_subscription_still_needs_a_valid_token(keys: VapidKeys) -> None:
    with PushService() as service:
        sub_id, subscription = service.subscribe()
        WebPushSender(keys.pem, "https://club.example").send(subscription, notice())
        assert service.received(sub_id)[0]["claims"]["sub"] == "https://club.example"


@pytest.mark.parametrize("form", ["pem", "der", "pem_file", "der_file"])
def test_every_key_form_pywebpush_takes_sends_and_names_the_same_public_key(
    form: str, keys: VapidKeys, service: PushService, tmp_path: Path
) -> None:
    key = {"pem": keys.pem, "der": keys.der, "pem_file": keys.pem, "der_file": keys.der}[form]
    if form.endswith("_file"):
        path = tmp_path / "vapid.key"
        path.write_text(key)
        key = str(path)
    sub_id, subscription = service.subscribe()

    with WebPushSender(key, SUBJECT) as sender:
        sender.send(subscription, notice())

    assert vapid_public_key(key) == keys.public == sender.application_server_key
    assert WebPushSender.vapid_public_key(key) == keys.public
    assert len(service.received(sub_id)) == 1
    point = unb64url(keys.public)  # the uncompressed P-256 point, as subscribe() wants
    assert (len(keys.public), len(point), point[0]) == (87, 65, 4)


def test_an_unusable_key_or_subject_fails_at_start_up(keys: VapidKeys) -> None:
    for bad_key in ["", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n"]:
        with pytest.raises(ValueError, match="VAPID private key is not usable") as failed:
            WebPushSender(bad_key, SUBJECT)
        assert not bad_key or bad_key not in str(failed.value)  # never echoed
    with pytest.raises(ValueError, match="vapid_subject"):
        WebPushSender(keys.pem, "bookings@club.example")  # not a mailto: URL


# -- headers -----------------------------------------------------------------------------


def test_topic_is_a_stable_collapse_key_per_notice(
    service: PushService, sender: WebPushSender
) -> None:
    sub_id, subscription = service.subscribe()

    sender.send(subscription, notice(outbox_id=OUTBOX_ID))
    sender.send(subscription, notice(outbox_id=OUTBOX_ID))
    sender.send(subscription, notice(outbox_id="login:" + "f" * 40))

    topics = [got["topic"] for got in service.received(sub_id)]
    assert topics[0] == topics[1] == OUTBOX_ID.replace("-", "")
    assert topics[2] != topics[0]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", topics[2])


def test_every_outbox_id_gives_a_valid_topic_of_its_own() -> None:
    ids = ["", "x", "login:1", "login:2", "ä" * 50, "a-b", "ab", "9" * 33, OUTBOX_ID]
    topics = {topic_for(i) for i in ids}
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,32}", topic) for topic in topics)
    assert len(topics) == len(ids)
    assert topic_for(OUTBOX_ID.upper()) == topic_for(OUTBOX_ID)  # one UUID, one topic


@pytest.mark.parametrize(
    ("kind", "urgency"),
    [(k, "high") for k in ("waitlist_offer", "payment_offer", "cancellation", "dropout")]
    + [("login_code", "high"), ("reminder", "normal"), ("booking_confirmed", "normal")],
)
def test_urgency_follows_the_kind(
    kind: str, urgency: str, service: PushService, sender: WebPushSender
) -> None:
    sub_id, subscription = service.subscribe()

    sender.send(subscription, notice(kind=kind))

    assert service.received(sub_id)[0]["urgency"] == urgency


def test_a_long_notice_is_cut_to_fit_a_push_message(
    service: PushService, sender: WebPushSender
) -> None:
    sub_id, subscription = service.subscribe()
    long = Outgoing("n-2", "news", "Club news", "Ünïcödé " * 1000, "https://club.example/")

    assert len(payload_for(long)) <= MAX_PAYLOAD_BYTES
    sender.send(subscription, long)

    body = service.received(sub_id)[0]["payload"]["body"]
    assert body.endswith("…")
    assert body.startswith("Ünïcödé Ünïcödé")


# -- failures ----------------------------------------------------------------------------


@pytest.mark.parametrize(("expired", "status"), [(True, 410), (False, 404)])
def test_a_gone_or_unknown_subscription_is_to_be_forgotten(
    expired: bool, status: int, service: PushService, sender: WebPushSender
) -> None:
    sub_id, subscription = service.subscribe(reply="gone" if expired else "ok")
    if not expired:
        service.unsubscribe(sub_id)

    with pytest.raises(PermanentFailure) as refused:
        sender.send(subscription, notice())

    assert refused.value.gone is True
    assert str(refused.value) == f"push service answered {status}"
    assert_no_secrets(refused.value, subscription)


def test_a_server_error_or_throttling_is_temporary(
    service: PushService, sender: WebPushSender
) -> None:
    sub_id, subscription = service.subscribe(reply="fail")
    with pytest.raises(TemporaryFailure) as failed:
        sender.send(subscription, notice())
    assert str(failed.value) == "push service answered 500"
    assert_no_secrets(failed.value, subscription)

    service.set_reply(sub_id, "busy")
    with pytest.raises(TemporaryFailure) as throttled:
        sender.send(subscription, notice())
    assert throttled.value.retry_after == BUSY_RETRY_AFTER  # the wait it asked for

    service.set_reply(sub_id, "ok")  # the same message works later
    sender.send(subscription, notice())
    assert len(service.received(sub_id)) == 1


def test_retry_after_may_be_seconds_or_a_date() -> None:
    later = datetime.now(UTC) + timedelta(seconds=120)
    assert retry_after_seconds("30") == 30
    assert 100 < (retry_after_seconds(format_datetime(later, usegmt=True)) or 0) <= 120
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("nan") is None


def test_a_refused_connection_is_temporary(keys: VapidKeys, sender: WebPushSender) -> None:
    service = PushService(application_server_key=keys.public).start()
    _, subscription = service.subscribe()
    service.stop()

    with pytest.raises(TemporaryFailure) as failed:
        sender.send(subscription, notice())

    assert failed.value.detail.startswith("push service unreachable")
    assert_no_secrets(failed.value, subscription)


def test_a_push_service_slower_than_the_timeout_is_temporary(
    keys: VapidKeys, service: PushService
) -> None:
    sub_id, subscription = service.subscribe()
    service.set_reply(sub_id, "slow", delay=0.5)

    with pytest.raises(TemporaryFailure) as failed:
        WebPushSender(keys.der, SUBJECT, timeout=0.2).send(subscription, notice())
    assert "Timeout" in failed.value.detail
    assert_no_secrets(failed.value, subscription)

    WebPushSender(keys.der, SUBJECT, timeout=5.0).send(subscription, notice())
    assert len(service.received(sub_id)) == 2  # the first, too: it was only late


@pytest.mark.parametrize(
    "address",
    [
        "",
        "not json",
        "[]",
        '{"endpoint": "https://push.example/x"}',
        '{"endpoint": "ftp://push.example/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}',
        '{"endpoint": "https://push.example/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}',
        json.dumps(  # a real point, but an auth secret of 8 bytes instead of 16
            {"endpoint": "https://push.example/x", "keys": {"p256dh": POINT, "auth": "A" * 11}}
        ),
    ],
)
def test_a_malformed_subscription_is_to_be_forgotten(address: str, sender: WebPushSender) -> None:
    with pytest.raises(PermanentFailure) as refused:
        sender.send(address, notice())

    assert refused.value.gone is True
    assert "push.example" not in "".join(traceback.format_exception(refused.value))


# -- the fake itself: strict where a real push service is --------------------------------


def _no_authorization(headers: dict[str, str], sub: dict[str, Any]) -> None:
    headers.clear()


def _garbled_token(headers: dict[str, str], sub: dict[str, Any]) -> None:
    headers["Authorization"] = headers["Authorization"].replace("t=", "t=x", 1)


def _forged_signature(headers: dict[str, str], sub: dict[str, Any]) -> None:
    """The claims re-signed by a stranger, sent with our key ``k``."""
    parsed = re.fullmatch(r"vapid t=([^,]+),k=(.+)", headers["Authorization"])
    assert parsed is not None
    token, key = parsed.groups()
    stranger = Vapid.from_der(_make_keys().der.encode())
    forged = stranger.sign(json.loads(unb64url(token.split(".")[1])))["Authorization"]
    headers["Authorization"] = f"vapid t={forged.split('t=')[1].split(',')[0]},k={key}"


def _another_auth_secret(headers: dict[str, str], sub: dict[str, Any]) -> None:
    sub["keys"]["auth"] = b64urlencode(os.urandom(16))


@pytest.mark.parametrize(
    ("claims", "mangle", "status", "reason"),
    [
        ({}, _no_authorization, 401, "VAPID authorization required"),
        ({"aud": "https://elsewhere.example"}, None, 403, "VAPID aud is not this push service"),
        ({"exp": 48 * 3600}, None, 403, "VAPID exp must be in the next 24 hours"),
        ({"exp": -60}, None, 403, "VAPID exp must be in the next 24 hours"),
        ({}, _garbled_token, 403, "VAPID token invalid"),
        ({}, _forged_signature, 403, "VAPID token invalid (InvalidSignature)"),
        ({}, _another_auth_secret, 400, "cannot decrypt: ECEException"),
    ],
)
def test_the_fake_refuses_what_a_push_service_refuses(
    claims: dict[str, int | str],
    mangle: Callable[[dict[str, str], dict[str, Any]], None] | None,
    status: int,
    reason: str,
    keys: VapidKeys,
    service: PushService,
) -> None:
    sub_id, subscription = service.subscribe()
    vapid = Vapid.from_der(keys.der.encode())
    signed = {"sub": SUBJECT, "aud": service.origin, **claims}
    signed["exp"] = int(datetime.now(UTC).timestamp()) + int(signed.get("exp", 3600))
    headers, sub = vapid.sign(signed), json.loads(subscription)
    if mangle is not None:
        mangle(headers, sub)

    response = WebPusher(sub).send(b'{"title":"x"}', headers, ttl=60)

    assert response.status_code == status
    [(answered, why)] = service.answers(sub_id)
    assert answered == status
    assert why.startswith(reason)
    assert service.received(sub_id) == []
