"""A Redis outage does not stop bookings (security report item 3).

The web processes use Redis for the rate-limit counters only. While it is down they
count in their own memory — bookings go on, and the limits still hold — and the log
says so once, not once per request; when Redis is back they count there again.

The Redis here is the test's own (``redis-server`` on a free port, nothing saved), so
killing it disturbs nobody else's.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.e2e.api import ApiClub
from tests.e2e.conftest import web_config
from web import create_app
from web.security import limiter

FALLBACK = "counting in this process's memory"
BACK = "Redis is back"


@dataclass
class OwnRedis:
    """A ``redis-server`` of the test's own."""

    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def keys(self) -> list[bytes]:
        client = redis.Redis.from_url(self.url)
        try:
            return list(client.scan_iter("*"))
        finally:
            client.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(_free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def limited(tmp_path: Path, own_redis: OwnRedis) -> Iterator[Any]:
    """The app with its rate limits counted in ``own_redis``."""
    app = create_app(
        web_config(
            tmp_path,
            RATELIMIT_ENABLED=True,
            REDIS_URL=own_redis.url,
            RATELIMIT_STORAGE_URI=own_redis.url,
        )
    )
    yield app
    app.extensions["booking"].close()
    # The limiter is one object for every app of a process: leave it as found.
    limiter._storage_dead = False


def _flips(caplog: pytest.LogCaptureFixture, words: str) -> int:
    return sum(words in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def test_writes_go_on_and_are_still_limited_while_redis_is_down(
    limited: Any, own_redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="booking")
    club = ApiClub(limited.test_client())
    club.player("Ana", 1)
    match_id = club.match(capacity=20)
    token = club.enable(match_id)
    assert club.respond(match_id, token, 1, "IN").status_code == 200
    assert own_redis.keys(), "the limit is counted in Redis while it is up"

    own_redis.kill()
    started = time.monotonic()
    codes = [
        club.respond(match_id, token, 1, "OUT" if i % 2 == 0 else "IN").status_code
        for i in range(11)
    ]
    # Ten a minute per player per match, counted afresh in memory: the eleventh waits.
    assert codes == [200] * 10 + [429]
    assert time.monotonic() - started < 10, "each write must not wait on a dead Redis"
    assert _flips(caplog, FALLBACK) == 1  # once for the outage, not per request
    assert club.board(match_id)["booked"] == 1  # the tenth write (IN) went through


def test_when_redis_is_back_the_limits_count_there_again(
    limited: Any, own_redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="booking")
    client = limited.test_client()
    club = ApiClub(client)
    match_id = club.match(capacity=20)
    token = club.enable(match_id)
    path = f"/api/booking/match/{match_id}?token={token}"
    assert client.get(path).status_code == 200
    own_redis.kill()
    assert client.get(path).status_code == 200
    own_redis.start()
    deadline = time.monotonic() + 30  # Flask-Limiter looks again after 1, 2, 4, 8… s
    while not _flips(caplog, BACK) and time.monotonic() < deadline:
        assert client.get(path).status_code == 200
        time.sleep(0.2)
    assert (_flips(caplog, FALLBACK), _flips(caplog, BACK)) == (1, 1)
    assert client.get(path).status_code == 200
    assert own_redis.keys(), "counted in Redis again"
