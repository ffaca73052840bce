"""Sessions that end when they should (pen test, item 2): server-side, checked on
every request, bound to the admin token or the portal sign-in they came from.

A revoked token's browser is refused on its next page and its next form; a
cookie copied before sign-out signs nobody in after it; the idle timeout and
the lifetime end a session (on the test clock); the portal's cookie carries no
phone in any encoding. The same on PostgreSQL: ``tests/integration/test_sessions_pg.py``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient

from booking.cli import main as cli
from booking_domain.identity import PhoneNumber
from projections.match_views import match_list
from tests.e2e.api import ApiClub, data, phone, refused
from tests.e2e.conftest import web_config
from tests.e2e.portal import PARENT, PaidClub, code_sent_to, sign_in
from tests.e2e.test_admin_pages import Admin, csrf_of
from tests.e2e.test_admin_pages import sign_in as admin_sign_in
from web import create_app

MINUTE, HOUR, DAY = 60, 3600, 24 * 3600


def cookie_of(client: FlaskClient) -> str:
    found = client.get_cookie("session")
    assert found is not None, "no session cookie"
    return found.value


def with_cookie(app: Any, value: str) -> FlaskClient:
    """Another browser holding a copy of someone's cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def admin_page_works(client: FlaskClient) -> bool:
    answer = client.get("/admin/")
    assert answer.status_code in (200, 302)
    if answer.status_code == 302:
        assert answer.headers["Location"].startswith("/admin/sign-in")
    return answer.status_code == 200


def new_match_form_is_refused(client: FlaskClient) -> bool:
    """Post "New match" as the page would: sent to sign in (the caller checks nothing
    was made), or not."""
    page = client.get("/admin/sign-in").get_data(as_text=True)  # a CSRF token either way
    # A kick-off the form would accept from a live session (the test clock starts now).
    kickoff = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    form = {"title": "Revoked?", "kickoff_at": kickoff, "location": "Park"}
    form |= {"capacity": "9", "csrf_token": csrf_of(page)}
    answer = client.post("/admin/matches", data=form)
    assert answer.status_code == 302
    return str(answer.headers["Location"]).startswith("/admin/sign-in")


def titles(web: Any) -> list[str]:
    club = web.extensions["booking"]
    return [row["title"] for row in club.read(match_list, after=club.views.current_to())]


@pytest.fixture
def data_dir(web: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI works on the web app's own store."""
    folder = web.extensions["booking"].settings.booking.data_dir
    monkeypatch.setenv("BOOKING_DATA_DIR", str(folder))
    return Path(folder)


# ------------------------------------------------------------------- admin


def test_revoking_a_token_ends_its_browser_sessions_on_the_next_page_and_form(
    web: Any, client: FlaskClient, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["admin-token", "create", "treasurer"]) == 0
    token = capsys.readouterr().out.strip()
    admin_sign_in(client, token=token)
    assert admin_page_works(client)
    other = web.test_client()  # the same token, signed in on a second computer
    admin_sign_in(other, token=token)

    assert cli(["admin-token", "revoke", "treasurer"]) == 0

    assert not admin_page_works(client)
    assert new_match_form_is_refused(other)  # off to sign in, and nothing made
    assert "Revoked?" not in titles(web)
    assert not admin_page_works(other)


def test_a_token_that_stops_being_live_is_refused_even_if_its_sessions_were_not_ended(
    web: Any, client: FlaskClient
) -> None:
    """The second lock: each request asks whether the token still works."""
    tokens = web.extensions["booking"].admin_tokens
    token = tokens.create("coach", web.extensions["booking"].app.clock.now())
    admin_sign_in(client, token=token)
    assert admin_page_works(client)
    with tokens.side.transaction() as tx:  # revoked behind the sessions' back
        tx.execute(f"UPDATE {tokens.table} SET revoked_us = 1 WHERE label = 'coach'")  # noqa: S608
    assert new_match_form_is_refused(client)
    assert "Revoked?" not in titles(web)


def test_a_cookie_copied_before_sign_out_no_longer_works_after_it(
    web: Any, client: FlaskClient
) -> None:
    admin_sign_in(client)
    admin = Admin(client, web.extensions["booking"])
    admin.get("/admin/")
    copied = cookie_of(client)
    assert admin_page_works(with_cookie(web, copied))

    admin.post("/admin/sign-out")

    thief = with_cookie(web, copied)
    assert not admin_page_works(thief)
    assert new_match_form_is_refused(thief)
    assert "Revoked?" not in titles(web)


def test_an_admin_session_ends_after_an_hour_idle(web: Any, client: FlaskClient) -> None:
    clock = ApiClub(client)
    admin_sign_in(client)
    for _ in range(3):  # busy: each request keeps it going
        clock.advance(50 * MINUTE)
        assert admin_page_works(client)
    clock.advance(HOUR + 1)
    assert not admin_page_works(client)
    admin_sign_in(client)  # signing in again starts afresh
    assert admin_page_works(client)


def test_an_admin_session_ends_after_its_lifetime_however_busy(tmp_path: Path) -> None:
    app = create_app(web_config(tmp_path, BOOKING_SESSION_LIFETIME_HOURS="2"))
    try:
        client = app.test_client()
        clock = ApiClub(client)
        admin_sign_in(client)
        for _ in range(3):
            clock.advance(30 * MINUTE)
            assert admin_page_works(client)
        clock.advance(31 * MINUTE)  # 2 h 1 min since sign-in, 31 min since the last page
        assert not admin_page_works(client)
    finally:
        app.extensions["booking"].close()


def test_the_default_admin_lifetime_is_twelve_hours(web: Any, client: FlaskClient) -> None:
    clock = ApiClub(client)
    admin_sign_in(client)
    for _ in range(23):  # a page every half hour: 11 h 30 min
        clock.advance(30 * MINUTE)
        assert admin_page_works(client)
    clock.advance(31 * MINUTE)
    assert not admin_page_works(client)


def test_the_admin_cookie_holds_neither_the_token_nor_its_label(
    web: Any, client: FlaskClient
) -> None:
    tokens = web.extensions["booking"].admin_tokens
    token = tokens.create("treasurer", web.extensions["booking"].app.clock.now())
    admin_sign_in(client, token=token)
    stored = json.dumps(decoded(web, cookie_of(client)))
    assert "treasurer" not in stored and token not in stored
    assert set(decoded(web, cookie_of(client))) <= {"admin_sid", "_permanent", "_flashes"}


# ------------------------------------------------------------------ portal


@pytest.fixture
def family(client: FlaskClient) -> PaidClub:
    return PaidClub(client).set_up()


def portal_works(client: FlaskClient) -> bool:
    answer = client.get("/api/player/offers")
    if answer.status_code == 401:
        refused(answer, "unauthorized", 401)
        return False
    data(answer)
    return True


def test_a_portal_cookie_copied_before_sign_out_no_longer_works(web: Any, family: PaidClub) -> None:
    sign_in(family.client, phone(PARENT))
    copied = cookie_of(family.client)
    assert portal_works(with_cookie(web, copied))

    assert data(family.client.post("/api/player/logout")) == {"signed_out": True}

    assert not portal_works(with_cookie(web, copied))
    page = with_cookie(web, copied).get("/portal")
    assert page.status_code == 302 and page.headers["Location"].endswith("/portal/login")


def test_signing_out_of_the_portal_page_ends_the_session_too(web: Any, family: PaidClub) -> None:
    browser = family.client
    sign_in(browser, phone(PARENT))
    copied = cookie_of(browser)
    page = browser.get("/portal").get_data(as_text=True)
    browser.post("/portal/logout", data={"csrf_token": csrf_of(page)})
    assert not portal_works(with_cookie(web, copied))


def test_a_portal_session_ends_after_a_week_idle_and_after_thirty_days(
    family: PaidClub,
) -> None:
    sign_in(family.client, phone(PARENT))
    family.advance(6 * DAY)
    assert portal_works(family.client)
    family.advance(7 * DAY + 1)
    assert not portal_works(family.client)

    sign_in(family.client, phone(PARENT))
    for _ in range(4):  # back every six days: 24 days
        family.advance(6 * DAY)
        assert portal_works(family.client)
    family.advance(6 * DAY + 1)  # 30 days and a second since signing in
    assert not portal_works(family.client)


def test_the_portal_idle_timeout_is_a_setting(tmp_path: Path) -> None:
    app = create_app(web_config(tmp_path, BOOKING_PORTAL_SESSION_IDLE_MINUTES="15"))
    try:
        club = PaidClub(app.test_client()).set_up()
        sign_in(club.client, phone(PARENT))
        club.advance(14 * MINUTE)
        assert portal_works(club.client)
        club.advance(15 * MINUTE + 1)
        assert not portal_works(club.client)
    finally:
        app.extensions["booking"].close()


def decoded(app: Any, cookie: str) -> dict[str, Any]:
    """What Flask's session cookie holds (it is signed, not encrypted: anyone can read it)."""
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    return dict(serializer.loads(cookie))


def encodings(number: str) -> Iterator[str]:
    """The phone as the cookie might carry it: as typed, digits only, national, encoded."""
    digits = number.lstrip("+")
    national = "0" + digits[2:]
    for form in {number, digits, national, digits[2:]}:
        yield form
        raw = form.encode()
        yield from (
            base64.b64encode(raw).decode().rstrip("="),
            base64.urlsafe_b64encode(raw).decode().rstrip("="),
            raw.hex(),
        )


def assert_no_phone(app: Any, cookie: str, number: str) -> None:
    payload = json.dumps(decoded(app, cookie))
    for form in encodings(number):
        assert form not in cookie, form
        assert form not in payload, form


def test_the_portal_cookie_never_carries_the_phone(web: Any, family: PaidClub) -> None:
    number = phone(PARENT)
    browser = web.test_client()
    page = browser.get("/portal/login").get_data(as_text=True)
    browser.post("/portal/login", data={"phone": number, "csrf_token": csrf_of(page)})
    assert_no_phone(web, cookie_of(browser), number)  # between the two steps
    page = browser.get("/portal/login").get_data(as_text=True)
    assert PhoneNumber(number).masked() in page  # the page still says where the code went
    code = code_sent_to(browser, number)
    browser.post("/portal/login/verify", data={"code": code, "csrf_token": csrf_of(page)})
    assert browser.get("/portal").status_code == 200
    assert_no_phone(web, cookie_of(browser), number)

    sign_in(family.client, number)  # and through the API
    assert_no_phone(web, cookie_of(family.client), number)
    assert set(decoded(web, cookie_of(family.client))) <= {"portal_sid", "_permanent"}


def test_the_sign_in_step_ends_with_the_code(web: Any, family: PaidClub) -> None:
    """The phone a code went to is kept for the code's ten minutes, no longer."""
    browser = web.test_client()
    page = browser.get("/portal/login").get_data(as_text=True)
    browser.post("/portal/login", data={"phone": phone(PARENT), "csrf_token": csrf_of(page)})
    assert 'name="code"' in browser.get("/portal/login").get_data(as_text=True)
    family.advance(10 * MINUTE + 1)
    assert 'name="code"' not in browser.get("/portal/login").get_data(as_text=True)
