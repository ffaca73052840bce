"""The HTTP benchmark (``bench/http_load.py``) at a small size, so its code cannot rot.

gunicorn with 2 workers on a scratch schema; 60 players press IN on a 5-place
match at the same instant, then a second of RSVP traffic. The bench's own
checks must find nothing: every request answered, no 5xx, never oversold,
the dashboard and the raw events agreeing, no token or phone in gunicorn's
log, no traceback in it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support import PG_URL

BENCH = Path(__file__).resolve().parents[2] / "bench"

pytestmark = [pytest.mark.pg, pytest.mark.slow]


@pytest.fixture
def http_load(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The bench module (its folder on the path: it imports ``scratch`` by name),
    on the tests' PostgreSQL."""
    monkeypatch.syspath_prepend(str(BENCH))
    import http_load
    import scratch

    monkeypatch.setattr(scratch, "PG_URL", PG_URL)
    monkeypatch.setattr(http_load, "PG_URL", PG_URL)
    yield http_load
    sys.modules.pop("http_load", None)
    sys.modules.pop("scratch", None)


def test_burst_is_never_oversold_and_every_request_is_answered(http_load: ModuleType) -> None:
    result = http_load.measure(workers=2, players=60, capacity=5, clients=10, seconds=1, matches=3)

    assert result["failures"] == []
    burst = result["burst"]
    assert burst["requests"] == 60
    assert burst["no_answer"] == burst["server_errors"] == 0
    assert burst["answered_in"] == burst["booked"] == burst["roster_in"] == 5
    assert burst["player_in_events"] == burst["distinct_in_events"] == 5
    assert burst["match_full"] + burst["queued"] == 55
    assert result["rsvp"]["requests"] > 0
    assert result["rsvp"]["no_answer"] == result["rsvp"]["server_errors"] == 0
    assert result["log_leaks"] == result["log_tracebacks"] == 0
