"""The web app in process (Flask's test client) and on a live server for the browser.

Every test gets its own club: a fresh data folder (SQLite) or PostgreSQL schema,
the test clock on, and an admin token. ``RATELIMIT_ENABLED`` is off unless a
test turns it on (the limits have their own tests).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from tests.support import pg_schema, pg_url
from web import create_app

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def web_config(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "BOOKING_DATA_DIR": str(tmp_path / "data"),
        "BOOKING_ADMIN_TOKEN": ADMIN_TOKEN,
        "BOOKING_TEST_CLOCK": "1",
        "SECRET_KEY": "test-secret-key",
        "RATELIMIT_ENABLED": False,
        "TESTING": True,
        **extra,
    }


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Any]:
    """The app on SQLite in a scratch folder."""
    app = create_app(web_config(tmp_path))
    yield app
    app.extensions["booking"].close()


@pytest.fixture
def client(web: Any) -> FlaskClient:
    return web.test_client()


@pytest.fixture
def pg_web(tmp_path: Path) -> Iterator[Any]:
    """The app on the real PostgreSQL, in a schema of its own."""
    with pg_schema() as schema:
        app = create_app(web_config(tmp_path, DATABASE_URL=pg_url(schema)))
        yield app
        app.extensions["booking"].close()


@dataclass
class LiveServer:
    """The app served over HTTP on a free port, in a thread of the test process."""

    app: Any
    url: str

    @property
    def club(self) -> Any:
        return self.app.extensions["booking"]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    app = create_app(web_config(tmp_path, WTF_CSRF_ENABLED=True))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["booking"].close()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a browser test keeps its screenshots (artefacts of the run)."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder
