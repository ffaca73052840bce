"""A player's notification settings through the API (api.md "Player portal"): channel
order, email, mute, Web Push subscriptions and native tokens — and every refusal.
Also: with email set up, sign-in codes arrive by email instead of the dev inbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.channels.smtp_server import SmtpServer
from tests.e2e.api import ApiClub, data, phone, refused
from tests.e2e.conftest import web_config
from tests.e2e.portal import CODE, sign_in
from web import create_app

ANA, PARENT = 5, 9
SUBSCRIPTION = {
    "endpoint": "https://push.example.net/send/abc123",
    "expirationTime": None,
    "keys": {"p256dh": "BOr" + "A" * 84, "auth": "c2VjcmV0c2VjcmV0MTI"},
}


@pytest.fixture
def signed_in(client: FlaskClient) -> FlaskClient:
    club = ApiClub(client)
    club.player("Ana", ANA, guardian_phones=[phone(PARENT)])
    sign_in(client, phone(ANA))
    return client


def test_the_defaults_are_push_then_email_then_sms_with_nothing_set_up(
    signed_in: FlaskClient,
) -> None:
    prefs = data(signed_in.get("/api/player/notifications"))
    assert prefs == {
        "channels": ["push", "email", "sms"], "email": None, "muted": False,
        "available": [], "push_key": None, "devices": [],
    }  # fmt: skip


def test_a_player_orders_channels_sets_an_email_and_mutes(signed_in: FlaskClient) -> None:
    body = {"channels": ["email", "push"], "email": "ana@example.org", "muted": True}
    prefs = data(signed_in.patch("/api/player/notifications", json=body))
    assert (prefs["channels"], prefs["email"], prefs["muted"]) == (
        ["email", "push"], "ana@example.org", True,
    )  # fmt: skip
    again = data(signed_in.get("/api/player/notifications"))
    assert again["channels"] == ["email", "push"] and again["muted"] is True
    cleared = data(signed_in.patch("/api/player/notifications", json={"email": ""}))
    assert cleared["email"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": ["pigeon"]}, "channels"),
        ({"channels": ["email", "email"]}, "channels"),
        ({"email": "not an address"}, "email"),
        ({"muted": "yes"}, "muted"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    signed_in: FlaskClient, body: dict[str, Any], field: str
) -> None:
    answer = refused(
        signed_in.patch("/api/player/notifications", json=body), "validation_error", 400
    )
    assert field in answer["error"]
    assert data(signed_in.get("/api/player/notifications"))["channels"] == ["push", "email", "sms"]


def test_a_browser_subscribes_refreshes_and_unsubscribes(signed_in: FlaskClient) -> None:
    first = signed_in.post("/api/player/push-subscriptions", json=SUBSCRIPTION)
    assert first.status_code == 201
    again = signed_in.post("/api/player/push-subscriptions", json=SUBSCRIPTION)
    assert data(again, 201)["device_id"] == data(first, 201)["device_id"]
    (device,) = data(signed_in.get("/api/player/notifications"))["devices"]
    assert (device["kind"], device["platform"]) == ("webpush", "web")
    assert "endpoint" not in device  # the address itself never comes back
    gone = signed_in.delete(
        "/api/player/push-subscriptions", json={"endpoint": SUBSCRIPTION["endpoint"]}
    )
    assert gone.status_code == 204
    assert data(signed_in.get("/api/player/notifications"))["devices"] == []
    refused(
        signed_in.delete("/api/player/push-subscriptions", json={"endpoint": "https://x.test/1"}),
        "not_found",
        404,
    )


def test_a_native_app_registers_its_token(signed_in: FlaskClient) -> None:
    token = {"platform": "android", "token": "fcm-token-" + "x" * 100}
    assert signed_in.post("/api/player/push-subscriptions", json=token).status_code == 201
    (device,) = data(signed_in.get("/api/player/notifications"))["devices"]
    assert (device["kind"], device["platform"]) == ("fcm", "android")


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "ftp://push.example.net/1", "keys": SUBSCRIPTION["keys"]},
        {"endpoint": SUBSCRIPTION["endpoint"]},
        {"platform": "windows", "token": "t"},
        {"platform": "ios"},
    ],
)
def test_bad_subscriptions_are_refused(signed_in: FlaskClient, body: dict[str, Any]) -> None:
    refused(signed_in.post("/api/player/push-subscriptions", json=body), "validation_error", 400)
    assert data(signed_in.get("/api/player/notifications"))["devices"] == []


def test_settings_need_a_signed_in_player(client: FlaskClient) -> None:
    refused(client.get("/api/player/notifications"), "unauthorized", 401)
    refused(client.post("/api/player/push-subscriptions", json=SUBSCRIPTION), "unauthorized", 401)


def test_a_guardians_phone_has_no_settings_of_its_own(signed_in: FlaskClient) -> None:
    signed_in.post("/api/player/logout")
    sign_in(signed_in, phone(PARENT))
    refused(signed_in.get("/api/player/notifications"), "not_found", 404)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def test_with_email_set_up_a_sign_in_code_arrives_by_email(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    config = web_config(tmp_path, SMTP_URL=smtp.url, MAIL_FROM="bookings@club.example")
    app = create_app(config)
    try:
        client = app.test_client()
        club = ApiClub(client)
        club.player("Ana", ANA, email="ana@example.org")
        assert client.post("/api/player/login", json={"phone": phone(ANA)}).status_code == 202
        (mail,) = smtp.wait_for(1)
        assert mail["To"] == "ana@example.org"
        found = CODE.search(mail.get_body(("plain",)).get_content())
        assert found is not None
        inbox = data(client.get(f"/api/test-clock/inbox?phone={phone(ANA)}"))
        assert [m for m in inbox if m["kind"] == "login_code"] == []
        verify = {"phone": phone(ANA), "code": found.group(1)}
        assert client.post("/api/player/login/verify", json=verify).status_code == 200
        assert data(client.get("/api/player/notifications"))["available"] == ["email"]
    finally:
        app.extensions["booking"].close()
