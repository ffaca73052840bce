"""A PostgreSQL blip answers ``503 unavailable`` with ``Retry-After``, never 500.

The app reaches PostgreSQL through a proxy the test cuts (``cut_proxy``): every
connection dropped, new ones refused, as in a restart or a failover. Reads of the
read models (SQLAlchemy), the event store's writes (eventsourcing, psycopg's pool)
and a page all say "try again"; once the network is back, so are the answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.e2e.api import ApiClub, data, refused
from tests.e2e.conftest import ADMIN, web_config
from tests.integration.cut_proxy import CutProxy
from tests.support import PG_URL, pg_schema
from web import create_app

pytestmark = [pytest.mark.pg, pytest.mark.slow]


def _through(proxy: CutProxy, schema: str) -> str:
    """``PG_URL`` by way of the proxy, in ``schema``; a pool wait of a second, not 30."""
    parts = urlsplit(PG_URL)
    user = f"{parts.username}@" if parts.username else ""
    netloc = f"{user}127.0.0.1:{proxy.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, f"schema={schema}&connect_timeout=1", ""))


@pytest.fixture
def proxy() -> Iterator[CutProxy]:
    parts = urlsplit(PG_URL)
    with CutProxy((parts.hostname or "127.0.0.1", parts.port or 5432)) as running:
        yield running


@pytest.fixture
def blipped(tmp_path: Path, proxy: CutProxy) -> Iterator[Any]:
    with pg_schema() as schema:
        app = create_app(web_config(tmp_path, DATABASE_URL=_through(proxy, schema)))
        try:
            yield app
        finally:
            proxy.mend()  # so that closing finds its connections
            app.extensions["booking"].close()


def _unavailable(answer: Any) -> None:
    refused(answer, "unavailable", 503)
    assert int(answer.headers["Retry-After"]) > 0


def test_a_database_blip_is_503_not_500(
    blipped: Any, proxy: CutProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    client = blipped.test_client()
    club = ApiClub(client)
    club.player("Ana", 1)
    match_id = club.match()
    token = club.enable(match_id)
    data(club.respond(match_id, token, 1))

    proxy.cut()
    _unavailable(client.get("/api/admin/matches", headers=ADMIN))  # the read models
    # The event store: eventsourcing tries 10 times, each waiting for the pool's
    # connect_timeout (1 s here), then the domain says StoreBusy.
    _unavailable(club.respond(match_id, token, 1, "OUT"))
    page = client.get(f"/m/{match_id}?token={token}")
    assert page.status_code == 503 and "Retry-After" in page.headers
    assert "Traceback" not in caplog.text
    assert sum("store unreachable" in r.getMessage() for r in caplog.records) == 1

    proxy.mend()
    # Both pools (the read models' and the event store's) find their way back, each
    # in its own time: within 30 s every answer is the real one again, never a 500.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = client.get("/api/admin/matches", headers=ADMIN)
        if answer.status_code == 200:
            break
        assert answer.status_code == 503
        time.sleep(0.5)
    while time.monotonic() < deadline:
        answer = club.respond(match_id, token, 1, "OUT")
        if answer.status_code != 503:
            break
        time.sleep(0.5)
    assert data(answer)["status"] == "OUT"
