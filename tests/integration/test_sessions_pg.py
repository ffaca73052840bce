"""Server-side sessions on the real PostgreSQL, shared by several web processes.

Two apps over one schema stand for two gunicorn workers: a session made in
one is checked, and ended, in the other — nothing about it lives in a
process's memory. A schema made before sessions existed gains their table.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.api import ApiClub, data, phone
from tests.e2e.conftest import web_config
from tests.e2e.portal import PARENT, PaidClub, sign_in
from tests.e2e.test_admin_pages import csrf_of
from tests.e2e.test_admin_pages import sign_in as admin_sign_in
from tests.support import pg_schema, pg_url
from web import create_app

pytestmark = pytest.mark.pg


@pytest.fixture
def schema() -> Iterator[str]:
    with pg_schema() as name:
        yield name


@pytest.fixture
def workers(tmp_path: Path, schema: str) -> Iterator[tuple[Any, Any]]:
    """Two web apps on one PostgreSQL schema (one test clock each, at the same start)."""
    apps = [
        create_app(web_config(tmp_path / name, DATABASE_URL=pg_url(schema)))
        for name in ("one", "two")
    ]
    yield apps[0], apps[1]
    for app in apps:
        app.extensions["booking"].close()


def cookie_of(client: Any) -> str:
    found = client.get_cookie("session")
    assert found is not None
    return str(found.value)


def holding(app: Any, cookie: str) -> Any:
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def test_a_session_made_in_one_worker_ends_in_every_worker(workers: tuple[Any, Any]) -> None:
    one, two = workers
    browser = one.test_client()
    admin_sign_in(browser)
    cookie = cookie_of(browser)
    assert holding(two, cookie).get("/admin/").status_code == 200

    signing_out = holding(two, cookie)  # the same browser, its request served by worker two
    page = signing_out.get("/admin/").get_data(as_text=True)
    answer = signing_out.post("/admin/sign-out", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 302

    assert browser.get("/admin/").status_code == 302
    assert holding(one, cookie).get("/admin/").status_code == 302


def test_revoking_a_token_in_one_worker_ends_its_sessions_in_the_other(
    workers: tuple[Any, Any],
) -> None:
    one, two = workers
    tokens = one.extensions["booking"].admin_tokens
    token = tokens.create("treasurer", one.extensions["booking"].app.clock.now())
    browser = two.test_client()
    admin_sign_in(browser, token=token)
    assert browser.get("/admin/").status_code == 200
    assert tokens.revoke("treasurer", one.extensions["booking"].app.clock.now()) == 1
    answer = browser.get("/admin/players")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/admin/sign-in")


def test_a_portal_cookie_copied_before_sign_out_fails_on_every_worker(
    workers: tuple[Any, Any],
) -> None:
    one, two = workers
    family = PaidClub(one.test_client()).set_up()
    sign_in(family.client, phone(PARENT))
    cookie = cookie_of(family.client)
    assert data(holding(two, cookie).get("/api/player/offers")) == []
    assert data(family.client.post("/api/player/logout")) == {"signed_out": True}
    for app in (one, two):
        assert holding(app, cookie).get("/api/player/offers").status_code == 401


def test_an_idle_admin_session_ends(workers: tuple[Any, Any]) -> None:
    one, _ = workers
    browser = one.test_client()
    admin_sign_in(browser)
    ApiClub(browser).advance(59 * 60)
    assert browser.get("/admin/").status_code == 200
    ApiClub(browser).advance(61 * 60)
    assert browser.get("/admin/").status_code == 302


def test_a_schema_from_before_sessions_gains_their_table(tmp_path: Path, schema: str) -> None:
    config = web_config(tmp_path, DATABASE_URL=pg_url(schema))
    app = create_app(config)
    side = app.extensions["booking"].sessions.side
    with side.transaction() as tx:  # as the previous version left it
        tx.execute(f"DROP TABLE {side.t['booking_sessions']}")
    app.extensions["booking"].close()

    app = create_app(config)
    try:
        browser = app.test_client()
        admin_sign_in(browser)
        assert browser.get("/admin/").status_code == 200
    finally:
        app.extensions["booking"].close()
