"""``booking serve`` prints a fresh admin token each start, and the last start's
token stops working — for the API and for a browser signed in with it (pen test).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from booking import serve_cli
from tests.e2e.test_admin_pages import sign_in
from web import create_app

TOKEN = re.compile(r"Admin sign-in: \S+/admin/sign-in {2}\(token: (\S+)\)")


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``serve``'s settings: a data folder, and a key fixed so cookies outlive a restart."""
    monkeypatch.setenv("BOOKING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SECRET_KEY", "serve-test-secret")
    monkeypatch.setenv("BOOKING_BASE_URL", "http://127.0.0.1:5999")
    monkeypatch.setenv("RATELIMIT_ENABLED", "0")
    monkeypatch.setattr(serve_cli, "dev_vapid_key", lambda _folder: None)
    return tmp_path / "data"


def start_serve(monkeypatch: pytest.MonkeyPatch, while_up: Any = None) -> str:
    """One ``booking serve`` start (the server itself replaced): the token it printed.
    ``while_up(app, token)`` plays the part of someone using it meanwhile."""
    out = io.StringIO()

    def run_simple(host: str, port: int, app: Any, **_options: Any) -> None:
        if while_up is not None:
            while_up(app, printed(out))

    monkeypatch.setattr("werkzeug.serving.run_simple", run_simple)
    assert serve_cli.serve("127.0.0.1", 5999, showcase=False, out=out) == 0
    return printed(out)


def printed(out: io.StringIO) -> str:
    found = TOKEN.search(out.getvalue())
    assert found, out.getvalue()
    return found.group(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_new_serve_token_retires_the_last_one_and_its_sessions(
    embedded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cookies: list[str] = []

    def admin_signs_in(app: Any, token: str) -> None:
        client = app.test_client()
        assert sign_in(client, token=token).status_code == 302
        assert client.get("/admin/").status_code == 200
        cookie = client.get_cookie("session")
        assert cookie is not None
        cookies.append(cookie.value)

    first = start_serve(monkeypatch, while_up=admin_signs_in)
    second = start_serve(monkeypatch)  # a restart
    assert first != second

    app = create_app()
    try:
        client = app.test_client()
        assert client.get("/api/admin/matches", headers=bearer(first)).status_code == 401
        assert client.get("/api/admin/matches", headers=bearer(second)).status_code == 200
        client.set_cookie("session", cookies[0])  # the browser from before the restart
        answer = client.get("/admin/")
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/admin/sign-in")
        assert sign_in(client, token=second).status_code == 302
        assert client.get("/admin/").status_code == 200
        listed = [t for t in app.extensions["booking"].admin_tokens.listed() if t.label == "serve"]
        assert [t.revoked for t in listed] == [True, False]
    finally:
        app.extensions["booking"].close()
