"""Security of the web layer (seed 004 §4.7, §16): tokens, limits, headers, logs."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis

from booking.cli import main as cli
from booking.logs import scrub
from tests.e2e.api import ApiClub, data, phone, refused
from tests.e2e.conftest import ADMIN, web_config
from web import create_app


@pytest.fixture
def limited(tmp_path: Path) -> Any:
    """The app with rate limits on, counted in memory."""
    app = create_app(web_config(tmp_path, RATELIMIT_ENABLED=True))
    yield app
    app.extensions["booking"].close()


def _booking(app: Any, players: int = 1) -> tuple[ApiClub, str, str]:
    club = ApiClub(app.test_client())
    for n in range(1, players + 1):
        club.player(f"P{n}", n)
    match_id = club.match(capacity=50)
    return club, match_id, club.enable(match_id)


def test_ten_writes_a_minute_per_player_per_match(limited: Any) -> None:
    club, match_id, token = _booking(limited)
    for i in range(10):
        club.respond(match_id, token, 1, "IN" if i % 2 == 0 else "OUT")
    eleventh = club.respond(match_id, token, 1)
    refused(eleventh, "rate_limited", 429)
    assert 0 < int(eleventh.headers["Retry-After"]) <= 60


def test_ten_writes_a_minute_per_device_and_per_ip(limited: Any) -> None:
    club, match_id, token = _booking(limited, players=11)
    answers = [
        club.client.post(
            "/api/booking/respond",
            json={"match_id": match_id, "token": token, "phone": phone(n), "action": "IN"},
            headers={"X-Device-Id": "one-phone-many-numbers"},
        )
        for n in range(1, 12)
    ]
    assert [a.status_code for a in answers[:10]] == [200] * 10
    refused(answers[10], "rate_limited", 429)
    # The refused write changed nothing.
    assert club.board(match_id)["booked"] == 10


def test_the_burst_guard_is_the_clubs_choice(tmp_path: Path) -> None:
    """50 writes in 10 s per match when the club turns it on (scaled down here)."""
    config = web_config(tmp_path, RATELIMIT_ENABLED=True, BOOKING_RATE_LIMIT="1000 per minute",
                        BOOKING_BURST_LIMIT="6 per 10 seconds")  # fmt: skip
    app = create_app(config)
    try:
        club, match_id, token = _booking(app, players=8)
        assert [club.respond(match_id, token, n).status_code for n in range(1, 8)] == [200] * 7
        on = {"rsvp_burst_guard_enabled": True}
        data(club.client.patch("/api/admin/settings", json=on, headers=ADMIN))
        codes = [club.respond(match_id, token, n, "OUT").status_code for n in range(1, 8)]
        assert codes.count(429) >= 1 and codes[0] == 200
        other = club.match(capacity=5)  # another match is not held back
        assert club.respond(other, club.enable(other), 8).status_code == 200
    finally:
        app.extensions["booking"].close()


def test_limits_are_shared_through_redis(tmp_path: Path) -> None:
    """Several web processes count together when ``REDIS_URL`` is set."""
    namespace = f"t{uuid.uuid4().hex[:8]}"
    config = web_config(
        tmp_path,
        RATELIMIT_ENABLED=True,
        REDIS_URL="redis://127.0.0.1:6379/0",
        BOOKING_REDIS_NAMESPACE=namespace,
        RATELIMIT_KEY_PREFIX=namespace,
    )
    first, second = create_app(config), create_app(config)
    try:
        assert first.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
        club, match_id, token = _booking(first)
        other = ApiClub(second.test_client())
        for i in range(5):
            club.respond(match_id, token, 1, "IN" if i % 2 == 0 else "OUT")
            other.respond(match_id, token, 1, "OUT" if i % 2 == 0 else "IN")
        refused(club.respond(match_id, token, 1), "rate_limited", 429)
        refused(other.respond(match_id, token, 1), "rate_limited", 429)
    finally:
        for app in (first, second):
            app.extensions["booking"].close()
        server = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for key in server.scan_iter(f"*{namespace}*"):
            server.delete(key)


def test_security_headers_everywhere(client: Any) -> None:
    for path in ("/api/admin/matches", "/admin/sign-in", "/api/openapi.json"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_admin_tokens_are_kept_as_digests(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setenv("BOOKING_DATA_DIR", str(tmp_path / "data"))
    assert cli(["admin-token", "create", "treasurer"]) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) >= 43
    events = (tmp_path / "data").glob("*")
    assert all(token.encode() not in f.read_bytes() for f in events if f.is_file())
    app = create_app({"BOOKING_DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "k"})
    try:
        client = app.test_client()
        assert (
            client.get(
                "/api/admin/matches", headers={"Authorization": f"Bearer {token}"}
            ).status_code
            == 200
        )
        assert cli(["admin-token", "list"]) == 0
        listing = capsys.readouterr().out
        assert "treasurer" in listing and token not in listing
        assert cli(["admin-token", "revoke", "treasurer"]) == 0
        refused(
            client.get("/api/admin/matches", headers={"Authorization": f"Bearer {token}"}),
            "unauthorized",
            401,
        )
    finally:
        app.extensions["booking"].close()


def test_logs_never_carry_phones_or_tokens(client: Any, caplog: Any) -> None:
    line = '"GET /api/booking/match/1/live?token=SeCrEt-ToKeN_123&phone=%2B447700900123 HTTP/1.1"'
    cleaned = scrub(line)
    assert "SeCrEt" not in cleaned and "7700900123" not in cleaned
    assert scrub("sent to +44 7700 900123") == "sent to [phone]"
    club = ApiClub(client)
    club.player("Ana", 1)
    match_id = club.match()
    token = club.enable(match_id)
    with caplog.at_level(logging.DEBUG):
        club.respond(match_id, token, 1)
        club.client.get(f"/api/booking/match/{match_id}/live?token={token}&phone={phone(1)}")
        club.advance(60)
    text = caplog.text
    assert token not in text and phone(1) not in text and phone(1)[3:] not in text
