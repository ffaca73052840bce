from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from booking_domain.application import BookingApp
from processes.clock import ManualClock
from processes.engine import Engine
from tests.support import START, STORES, Club, booking_app


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def _store_params() -> list[object]:
    return [
        pytest.param(s, marks=[pytest.mark.pg] if s == "postgres" else [], id=s) for s in STORES
    ]


@pytest.fixture(params=_store_params())
def app(request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path) -> Iterator[BookingApp]:
    """The application, once on each store: in memory, SQLite and the real PostgreSQL."""
    with booking_app(request.param, clock, tmp_path) as application:
        yield application


@pytest.fixture
def memory_app(clock: ManualClock, tmp_path: Path) -> Iterator[BookingApp]:
    with booking_app("memory", clock, tmp_path) as application:
        yield application


@pytest.fixture
def club(app: BookingApp, clock: ManualClock) -> Club:
    return Club(app, clock)


@pytest.fixture
def engine(app: BookingApp) -> Engine:
    """Timers, notices and the dev inbox of ``app``, driven by the test clock."""
    from booking.bootstrap import settle_after_each_write

    running = Engine(app)
    app.after_write.append(settle_after_each_write(running))
    return running
