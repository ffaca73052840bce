"""Bodies, proxies and links (the security report's items 4, 6 and 8).

- A body is refused before anything reads it: too large (413), not JSON (415), or
  nested deeper than the parser should recurse (400) — before sign-in, on every route.
- ``BOOKING_TRUSTED_PROXIES`` decides whether ``X-Forwarded-For`` names the client
  (for rate limits); without it the header is ignored.
- Links in the ``.ics`` file and ``payment_url`` come from ``BOOKING_BASE_URL`` (or the
  embedded store's own address), never from the request's ``Host``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from booking.bootstrap import DEV_BASE_URL
from tests.e2e.api import ApiClub, data, phone, refused
from tests.e2e.conftest import ADMIN, web_config
from tests.e2e.portal import PARENT, PaidClub, code_sent_to
from web import create_app

EVIL = {"Host": "evil.example"}


@pytest.fixture
def app_with(tmp_path: Path) -> Any:
    """``app_with(**settings)``: an app of its own, closed after the test."""
    made: list[Any] = []

    def make(**extra: Any) -> Any:
        app = create_app(web_config(tmp_path / f"app{len(made)}", **extra))
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["booking"].close()


def _respond_body(n: int = 1) -> dict[str, Any]:
    return {"match_id": "x", "token": "y", "phone": phone(n), "action": "IN"}


# ------------------------------------------------------------------- bodies


def test_a_body_over_the_limit_is_refused_unread(client: FlaskClient) -> None:
    """100 KB, unauthenticated: 413 in the envelope, not read, not parsed."""
    big = json.dumps({**_respond_body(), "name": "x" * 100_000})
    answer = client.post("/api/booking/respond", data=big, content_type="application/json")
    body = refused(answer, "payload_too_large", 413)
    assert "64 KiB" in body["error"]
    # The admin API refuses it before the token is looked at, too.
    answer = client.post("/api/admin/players", data=big, content_type="application/json")
    refused(answer, "payload_too_large", 413)
    # A page's form is held to the same limit, answered as a page.
    page = client.post("/portal/login", data={"phone": "1" * 100_000})
    assert page.status_code == 413 and page.mimetype == "text/html"


def test_the_limit_is_a_setting(app_with: Any) -> None:
    client = app_with(BOOKING_MAX_BODY_BYTES=200_000).test_client()
    big = json.dumps({**_respond_body(), "name": "x" * 100_000})
    answer = client.post("/api/booking/respond", data=big, content_type="application/json")
    assert answer.status_code == 400  # read and refused for what it says, not its size


def test_deeply_nested_json_is_a_validation_error_not_a_crash(client: FlaskClient) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    for path in ("/api/booking/respond", "/api/player/login", "/api/admin/matches"):
        answer = client.post(path, data=deep, content_type="application/json")
        body = refused(answer, "validation_error", 400)
        assert "nested too deeply" in body["error"]
    # Brackets inside strings are text, not nesting.
    text = {**_respond_body(), "name": "[" * 200}
    answer = client.post("/api/booking/respond", json=text)
    assert "nested" not in answer.get_json()["error"]


def test_json_routes_want_json(client: FlaskClient) -> None:
    """Item 8: a JSON body sent as text/plain (what a cross-site form can send) is 415."""
    body = json.dumps({"phone": phone(1)})
    for path in ("/api/player/login", "/api/booking/respond"):
        answer = client.post(path, data=body, content_type="text/plain")
        refused(answer, "unsupported_media_type", 415)
        assert "application/json" in answer.get_json()["error"]
    form = client.post("/api/admin/players", data={"name": "Ana"}, headers=ADMIN)
    refused(form, "unsupported_media_type", 415)


def test_no_body_at_all_is_still_welcome(client: FlaskClient) -> None:
    """api.md: a command with only optional fields takes no body (``curl -X POST``)."""
    club = ApiClub(client)
    match_id = club.match()
    answer = client.post(f"/api/admin/matches/{match_id}/cancel", headers=ADMIN)
    assert data(answer)["state"] == "Cancelled"


# ---------------------------------------------------------------- proxies


def _writes_from(client: FlaskClient, club: ApiClub, ip: str, numbers: range) -> list[int]:
    """One write per player, each from its own device, all from ``ip`` (as the proxy says)."""
    match_id = club.match(capacity=50)
    token = club.enable(match_id)
    codes = []
    for n in numbers:
        body = {"match_id": match_id, "token": token, "phone": phone(n), "action": "IN"}
        headers = {"X-Forwarded-For": ip, "X-Device-Id": f"device-{n}"}
        codes.append(client.post("/api/booking/respond", json=body, headers=headers).status_code)
    return codes


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(app_with: Any) -> None:
    client = app_with(RATELIMIT_ENABLED=True, BOOKING_TRUSTED_PROXIES="1").test_client()
    club = ApiClub(client)
    for n in range(1, 13):
        club.player(f"P{n}", n)
    first = _writes_from(client, club, "203.0.113.1", range(1, 12))
    assert first == [200] * 10 + [429]  # ten a minute per client
    assert _writes_from(client, club, "203.0.113.2", range(12, 13)) == [200]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app_with: Any) -> None:
    client = app_with(RATELIMIT_ENABLED=True).test_client()
    club = ApiClub(client)
    for n in range(1, 13):
        club.player(f"P{n}", n)
    # Naming a new address each time does not buy more writes.
    codes = [_writes_from(client, club, f"203.0.113.{n}", range(n, n + 1))[0] for n in range(1, 12)]
    assert codes == [200] * 10 + [429]


# ------------------------------------------------------------------ links


def _ics(client: FlaskClient) -> str:
    club = ApiClub(client)
    match_id = club.match()
    token = club.enable(match_id)
    answer = client.get(f"/api/calendar/match/{match_id}.ics?token={token}", headers=EVIL)
    assert answer.status_code == 200
    return answer.get_data(as_text=True).replace("\r\n ", "")  # unfold long lines


def test_the_calendar_links_to_the_base_url_never_the_host_header(app_with: Any) -> None:
    text = _ics(app_with(BOOKING_BASE_URL="https://club.example").test_client())
    assert "evil.example" not in text
    assert "URL:https://club.example/m/" in text


def test_the_embedded_calendar_links_to_its_own_address(client: FlaskClient) -> None:
    text = _ics(client)
    assert "evil.example" not in text
    assert f"URL:{DEV_BASE_URL}/m/" in text


@pytest.mark.parametrize("base", ["https://club.example", ""], ids=["base-url", "embedded"])
def test_payment_url_ignores_the_host_header(app_with: Any, base: str) -> None:
    client = app_with(BOOKING_BASE_URL=base).test_client()
    club = PaidClub(client).set_up()
    club.free_a_place()
    # The whole visit under the forged Host, so its session cookie goes with it.
    number = phone(PARENT)
    assert client.post("/api/player/login", json={"phone": number}, headers=EVIL).status_code == 202
    verify = {"phone": number, "code": code_sent_to(client, number)}
    data(client.post("/api/player/login/verify", json=verify, headers=EVIL))
    (offer,) = data(client.get("/api/player/offers", headers=EVIL))
    path = f"/api/player/offers/{offer['offer_id']}/accept"
    url = data(client.post(path, headers=EVIL))["payment_url"]
    assert url.startswith(f"{base or DEV_BASE_URL}/pay/sandbox/")
