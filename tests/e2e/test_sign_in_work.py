"""Asking for a sign-in code does the same work for a player's phone as for a
stranger's (pen test, item 8: the code was texted inside the request, so a
registered number answered 10 ms slower).

Asserted structurally, never by timing: the request runs the same statements
on the side tables for both, and the text message leaves from the courier's
thread after the answer, never from the request's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from processes.channels.sms import SmsSender
from processes.sidestore import Tx
from tests.channels.fakes import FakeSms
from tests.e2e.api import ApiClub, data, phone
from tests.e2e.conftest import web_config
from tests.e2e.portal import CODE
from tests.e2e.test_admin_pages import csrf_of
from web import create_app

ANA, PARENT, STRANGER = 5, 9, 77


@pytest.fixture
def sms() -> Iterator[FakeSms]:
    with FakeSms() as fake:
        yield fake


@pytest.fixture
def texting(tmp_path: Path, sms: FakeSms) -> Iterator[Any]:
    """The club with text messages set up (the fake Twilio), so codes go by SMS."""
    config = web_config(
        tmp_path,
        SMS_ACCOUNT_SID=sms.account_sid,
        SMS_AUTH_TOKEN=sms.auth_token,
        SMS_FROM="+447700900999",
        SMS_BASE_URL=sms.url,
        WTF_CSRF_ENABLED=True,
    )
    app = create_app(config)
    ApiClub(app.test_client()).player("Ana", ANA, guardian_phones=[phone(PARENT)])
    yield app
    app.extensions["booking"].close()


class Watch:
    """What the test's own thread (the request's, in Flask's test client) ran, and
    from which threads text messages went."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.request_thread = threading.get_ident()
        self.statements: list[str] = []
        self.sent_from: list[int] = []
        execute, send = Tx.execute, SmsSender.send

        def recording_execute(tx: Tx, sql: str, params: Any = ()) -> Tx:
            if threading.get_ident() == self.request_thread:
                self.statements.append(" ".join(sql.split()))
            return execute(tx, sql, params)

        def recording_send(sender: SmsSender, address: str, message: Any) -> None:
            self.sent_from.append(threading.get_ident())
            send(sender, address, message)

        monkeypatch.setattr(Tx, "execute", recording_execute)
        monkeypatch.setattr(SmsSender, "send", recording_send)

    def during(self, request: Callable[[], Any]) -> list[str]:
        """The side-table statements one request ran, and that it sent nothing itself."""
        self.statements.clear()
        request()
        assert self.request_thread not in self.sent_from, "the request sent the code itself"
        return list(self.statements)


def api_login(client: FlaskClient, n: int) -> Callable[[], Any]:
    def run() -> None:
        assert client.post("/api/player/login", json={"phone": phone(n)}).status_code == 202

    return run


def page_login(client: FlaskClient, n: int) -> Callable[[], Any]:
    page = client.get("/portal/login").get_data(as_text=True)
    token = csrf_of(page)

    def run() -> None:
        answer = client.post("/portal/login", data={"phone": phone(n), "csrf_token": token})
        assert answer.status_code == 302

    return run


@pytest.mark.parametrize("door", [api_login, page_login], ids=["api", "page"])
def test_a_player_and_a_stranger_cost_the_request_the_same_work(
    texting: Any, sms: FakeSms, monkeypatch: pytest.MonkeyPatch, door: Any
) -> None:
    watch = Watch(monkeypatch)
    work = {
        who: watch.during(door(texting.test_client(), n))
        for who, n in (("player", ANA), ("guardian", PARENT), ("stranger", STRANGER))
    }
    assert work["player"], "asking for a code writes its row"
    assert work["player"] == work["guardian"] == work["stranger"]

    assert texting.extensions["booking"].courier.wait_until_sent()
    assert sorted(m.to for m in sms.received) == sorted([phone(ANA), phone(PARENT)])
    assert watch.sent_from and watch.request_thread not in watch.sent_from


def test_the_code_the_courier_texted_signs_in(texting: Any, sms: FakeSms) -> None:
    client = texting.test_client()
    assert client.post("/api/player/login", json={"phone": phone(ANA)}).status_code == 202
    assert texting.extensions["booking"].courier.wait_until_sent()
    (text,) = [m.body for m in sms.received if m.to == phone(ANA)]
    code = CODE.fullmatch(text)
    assert code is not None
    answer = client.post("/api/player/login/verify", json={"phone": phone(ANA), "code": code[1]})
    assert [p["name"] for p in data(answer)["players"]] == ["Ana"]


def test_a_stranger_cannot_sign_in_with_any_code(
    texting: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stranger's request writes a row as a player's does (the same work), but one
    holding a code nobody has: not even the one that was drawn for it."""
    monkeypatch.setattr("processes.login_codes.secrets.randbelow", lambda _n: 123456)
    client = texting.test_client()
    assert client.post("/api/player/login", json={"phone": phone(STRANGER)}).status_code == 202
    side = texting.extensions["booking"].login_codes.side
    with side.reading() as tx:
        rows = tx.execute(f"SELECT * FROM {side.t['booking_login_codes']}").rows()  # noqa: S608
    assert len(rows) == 1
    body = {"phone": phone(STRANGER), "code": "123456"}
    assert client.post("/api/player/login/verify", json=body).status_code == 401


def test_a_failing_provider_never_logs_the_number_or_the_code(
    texting: Any, sms: FakeSms, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("processes.login_codes.secrets.randbelow", lambda _n: 424242)
    sms.register(phone(ANA), "invalid")  # Twilio's message quotes the number
    client = texting.test_client()
    with caplog.at_level("DEBUG"):
        assert client.post("/api/player/login", json={"phone": phone(ANA)}).status_code == 202
        assert texting.extensions["booking"].courier.wait_until_sent()
    digits = phone(ANA).lstrip("+")
    assert digits not in caplog.text and digits[2:] not in caplog.text
    assert "sign-in code by sms failed" in caplog.text
    assert "424242" not in caplog.text
    # Nothing got through by SMS, so the code waits in the dev inbox instead.
    inbox = data(client.get(f"/api/test-clock/inbox?phone={phone(ANA)}"))
    assert [m["kind"] for m in inbox] == ["login_code"]
