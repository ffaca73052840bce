"""An event a read model cannot hold stops that read model only, once, and says which.

The events here are written past the checks at the door, as a store written by an
older version may hold them: a capacity no SQL integer column holds (both stores)
and a NUL byte in a name (PostgreSQL text refuses it). Everything a person does
afterwards still answers, the other read models keep up, the operator is told
once (log, ``/api/health``, ``booking projections status``, ``booking audit``),
and passing over the event lets the read model catch up with a rebuild equal to it.
"""

from __future__ import annotations

import io
import logging
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from booking import audit_cli
from tests.e2e.api import ApiClub, data
from tests.e2e.conftest import ADMIN

TOO_BIG = 2**63  # past SQLite's INTEGER and PostgreSQL's BIGINT alike


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.pg)])
def store_web(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("web" if request.param == "sqlite" else "pg_web")


def _poison_capacity(web: Any, match_id: str) -> int:
    """A CapacityChanged no read model's integer column can hold; its position."""
    app = web.extensions["booking"].app
    match = app.repository.get(UUID(match_id))
    match._capacity_changed(
        old_capacity=match.capacity, capacity=TOO_BIG, actor="admin", timestamp=app.clock.now()
    )
    app.save(match)
    return int(app.recorder.max_notification_id())


def _two_matches(web: Any) -> tuple[ApiClub, str, str, str]:
    """A match to poison and another with its link on, and Ana to book it."""
    api = ApiClub(web.test_client())
    poisoned = api.match(capacity=4)
    other = api.match(capacity=2)
    token = api.enable(other)
    api.player("Ana", 1)
    return api, poisoned, other, token


def _health(client: FlaskClient) -> dict[str, Any]:
    return dict(data(client.get("/api/admin/health", headers=ADMIN)))


def _stalled(client: FlaskClient) -> dict[str, dict[str, Any]]:
    return {f["name"]: f["stalled"] for f in _health(client)["followers"] if f["stalled"]}


def test_one_bad_event_stops_only_the_read_models_it_breaks(
    store_web: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api, poisoned, other, token = _two_matches(store_web)
    client = api.client
    caplog.set_level(logging.ERROR)

    bad = _poison_capacity(store_web, poisoned)

    # Every later command answers, none with a 500: the write is done, and says so.
    late = {"name": "Late", "phone": "+442079460801"}
    answer = client.post("/api/admin/players", json=late, headers=ADMIN)
    assert answer.status_code == 202, answer.get_json()
    body = answer.get_json()
    assert body["success"] is True and "stopped at an event" in body["warning"]
    assert answer.headers["X-Event-Position"] == str(body["data"]["position"])
    # A retry does not write it twice: the player is there.
    again = client.post("/api/admin/players", json=late, headers=ADMIN)
    assert again.get_json()["code"] == "phone_taken"
    answer = client.patch(
        f"/api/admin/matches/{other}/capacity", json={"capacity": 3}, headers=ADMIN
    )
    assert answer.status_code == 200, answer.get_json()
    assert "stopped at an event" in answer.get_json()["warning"]
    assert api.respond(other, token, 1).status_code == 200

    stalled = _stalled(client)
    assert {"dashboard", "analytics"} <= set(stalled)
    assert stalled["dashboard"]["position"] == bad
    assert stalled["dashboard"]["event_type"].endswith("CapacityChanged")
    assert stalled["dashboard"]["stream_id"] == poisoned
    # The others go on: the activity feed has the later IN.
    feed = data(client.get(f"/api/admin/matches/{other}/activity", headers=ADMIN))
    assert any(line["kind"] == "in" or "IN" in line["text"] for line in feed), feed
    public = data(client.get("/api/health"))
    assert public["status"] == "degraded" and "dashboard" in public["stalled"]

    # Said once per read model, not once per try.
    said = [r for r in caplog.records if "stalled at event" in r.getMessage()]
    assert sorted(r.getMessage().split()[2] for r in said) == sorted(stalled)


def test_the_operator_sees_the_event_and_can_pass_over_it(store_web: Any) -> None:
    api, poisoned, other, token = _two_matches(store_web)
    client = api.client
    bad = _poison_capacity(store_web, poisoned)
    assert api.respond(other, token, 1).status_code == 200
    settings = store_web.extensions["booking"].settings.booking

    out = io.StringIO()
    assert audit_cli.followers(settings, "status", None, out) == 1
    assert f"dashboard stalled at event #{bad}" in out.getvalue()
    out = io.StringIO()
    assert audit_cli.run_audit(settings, out, io.StringIO()) == 1
    assert f"event #{bad}" in out.getvalue() and "CapacityChanged" in out.getvalue()

    for name in ("dashboard", "analytics"):
        assert audit_cli.followers(settings, "skip", name, io.StringIO()) == 0
    # The dashboard catches up past it (at its next turn: here, a move of the test
    # clock): the IN made while it was stopped shows.
    api.advance(1)
    board = api.board(other)
    assert board["booked"] == 1
    assert _stalled(client) == {}
    out = io.StringIO()
    assert audit_cli.run_audit(settings, out, io.StringIO()) == 0, out.getvalue()
    out = io.StringIO()
    assert audit_cli.followers(settings, "status", None, out) == 0
    assert "skipped at event" in out.getvalue()


def test_a_rebuild_names_the_event_and_keeps_the_old_read_models(web: Any) -> None:
    client = web.test_client()
    api = ApiClub(client)
    poisoned = api.match(capacity=4)
    bad = _poison_capacity(web, poisoned)
    settings = web.extensions["booking"].settings.booking
    before = api.board(poisoned)

    err = io.StringIO()
    assert audit_cli.rebuild(settings, err) == 1
    assert f"event #{bad}" in err.getvalue() and "read models are as they were" in err.getvalue()
    assert api.board(poisoned) == before


def test_a_retry_without_a_fix_stops_at_the_same_event(web: Any) -> None:
    client = web.test_client()
    api = ApiClub(client)
    poisoned = api.match(capacity=4)
    _poison_capacity(web, poisoned)
    api.advance(1)
    assert "dashboard" in _stalled(client)
    settings = web.extensions["booking"].settings.booking
    # Nothing changed: retrying meets the same event and stops there again, saying so.
    assert audit_cli.followers(settings, "retry", "dashboard", io.StringIO()) == 0
    assert "dashboard" not in _stalled(client)
    api.advance(1)
    assert "dashboard" in _stalled(client)
    out = io.StringIO()
    assert audit_cli.followers(settings, "skip", "nobody", out) == 2
    assert "no follower called" in out.getvalue()


@pytest.mark.pg
def test_a_nul_byte_in_a_stored_name_stops_the_views_on_postgresql(pg_web: Any) -> None:
    client = pg_web.test_client()
    api = ApiClub(client)
    player_id = api.player("Pat", 7)
    app = pg_web.extensions["booking"].app
    player = app.repository.get(UUID(player_id))
    player._renamed(old_name="Pat", name="Pa\x00t", actor="admin", timestamp=app.clock.now())
    app.save(player)

    later = client.post(
        "/api/admin/players", json={"name": "Quinn", "phone": "+442079460099"}, headers=ADMIN
    )
    assert later.status_code == 202, later.get_json()
    stalled = _stalled(client)
    assert stalled, "a NUL in a text column is refused by PostgreSQL"
    assert all(s["event_type"].endswith("PlayerRenamed") for s in stalled.values())
    # The error is told without the row's values.
    assert all("Pa" not in s["error"] for s in stalled.values())
