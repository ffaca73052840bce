"""A follower that cannot apply an event stops there, once; the rest of the world goes on.

Projectors and process managers here fail on chosen events (as one would on a
value its table cannot hold). The runner applies everything before the bad
event, stops at exactly that event, says so once however many processes try,
raises outages instead of stopping, and after a skip passes over the same event
live and in a rebuild, so the rebuild still equals the live read model.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Column, Connection, MetaData, Table, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.exc import OperationalError

from booking_domain.application import BookingApp
from processes.follower import Follower, retry_side, side_stalls, skip_side
from processes.sidestore import Tx
from projections import stalls
from projections.database import views_engine
from projections.runner import CannotApply, ProjectionRunner
from tests.support import START, Club

seen_metadata = MetaData()
seen = Table(
    "test_seen",
    seen_metadata,
    Column("projector", BigInteger, primary_key=True),
    Column("position", BigInteger, primary_key=True),
)


class Picky:
    """Writes a row per event, and fails on the positions in ``bad``."""

    tables = (seen,)

    def __init__(self, name: str, bad: set[int], number: int = 1) -> None:
        self.name = name
        self.bad = bad
        self.number = number

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        if position in self.bad:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        conn.execute(insert(seen).values(projector=self.number, position=position))


def _rows(runner: ProjectionRunner, number: int) -> list[int]:
    with runner.engine.connect() as conn:
        found = conn.execute(select(seen.c.position).where(seen.c.projector == number))
        return sorted(int(p) for (p,) in found)


@pytest.fixture
def busy_app(memory_app: BookingApp, clock: Any) -> BookingApp:
    """A store with some thirty events."""
    club = Club(memory_app, clock)
    people = club.players(*[f"P{i}" for i in range(6)])
    match = club.match(capacity=3)
    for person in people:
        match.say(person, "IN" if person in people[:3] else "WAITLIST")
    return memory_app


def _runner(app: BookingApp, *projectors: Picky, batch: int = 500) -> ProjectionRunner:
    engine = views_engine("memory", None)
    seen_metadata.create_all(engine)
    return ProjectionRunner(app, engine, list(projectors), batch=batch)


def test_a_bad_event_stops_one_projector_exactly_there(
    busy_app: BookingApp, caplog: pytest.LogCaptureFixture
) -> None:
    head = int(busy_app.recorder.max_notification_id())
    bad = head // 2
    runner = _runner(busy_app, Picky("picky", {bad}, 1), Picky("easy", set(), 2), batch=8)
    caplog.set_level(logging.ERROR)
    for _ in range(3):
        runner.catch_up()
    assert _rows(runner, 1) == list(range(1, bad))
    assert _rows(runner, 2) == list(range(1, head + 1))
    assert runner.positions() == {"picky": bad - 1, "easy": head}
    (stall,) = runner.stalls()
    assert (stall.name, stall.position) == ("picky", bad)
    assert stall.error.startswith("OverflowError")
    # A second process on the same read models does not say it again.
    other = ProjectionRunner(busy_app, runner.engine, runner.projectors)
    other.catch_up()
    said = [r for r in caplog.records if "stalled at event" in r.getMessage()]
    assert len(said) == 1
    # A reader waiting for the head is not kept waiting by the stopped one.
    assert runner.wait_for(head, timeout=30) is False


def test_after_a_fix_a_retry_applies_the_event_and_goes_on(busy_app: BookingApp) -> None:
    head = int(busy_app.recorder.max_notification_id())
    picky = Picky("picky", {3}, 1)
    runner = _runner(busy_app, picky)
    runner.catch_up()
    assert runner.positions()["picky"] == 2
    picky.bad = set()  # the fix is deployed
    runner.catch_up()
    assert runner.positions()["picky"] == 2, "stopped until the operator says retry"
    with runner.engine.begin() as conn:
        assert stalls.retry(conn, "picky") == 1
    runner.catch_up()
    assert _rows(runner, 1) == list(range(1, head + 1))
    assert runner.stalls(skipped=True) == []


def test_an_outage_is_raised_not_taken_for_a_bad_event(busy_app: BookingApp) -> None:
    class Unreachable(Picky):
        def apply(self, conn: Connection, event: Any, position: int) -> None:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    runner = _runner(busy_app, Unreachable("away", set()))
    with pytest.raises(OperationalError):
        runner.catch_up()
    assert runner.stalls() == []


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_passed_over_events_are_passed_over_by_a_rebuild_too(
    busy_app: BookingApp, data: st.DataObject
) -> None:
    head = int(busy_app.recorder.max_notification_id())
    bad = data.draw(st.sets(st.integers(1, head), max_size=5), label="bad")
    batch = data.draw(st.integers(1, 12), label="batch")
    runner = _runner(busy_app, Picky("picky", bad, 1), batch=batch)
    for _ in range(len(bad) + 1):
        runner.catch_up()
        with runner.engine.begin() as conn:
            stalls.skip(conn, "picky")
    runner.catch_up()
    assert runner.positions()["picky"] == head
    assert _rows(runner, 1) == sorted(set(range(1, head + 1)) - bad)
    assert {s.position for s in runner.stalls(skipped=True)} == bad

    scratch = _runner(busy_app, Picky("picky", bad, 1))
    marks = {"picky": {s.position for s in runner.stalls(skipped=True)}}
    assert scratch.rebuild(passed_over=marks) == head
    assert _rows(scratch, 1) == _rows(runner, 1)
    # Without them the rebuild names the first bad event and changes nothing.
    if bad:
        fresh = _runner(busy_app, Picky("picky", bad, 1))
        with pytest.raises(CannotApply) as stopped:
            fresh.rebuild()
        assert stopped.value.stall.position == min(bad)
        assert _rows(fresh, 1) == []


class Fussy:
    """A process manager that cannot work out the effects of chosen events."""

    name = "fussy"

    def __init__(self, bad: set[int]) -> None:
        self.bad = bad
        self.handled: list[int] = []

    def effects(self, event: Any, position: int) -> list[Any]:
        if position in self.bad:
            raise ValueError("year 10000 is out of range")
        return [position]

    def record(self, tx: Tx, effects: list[Any]) -> None:
        self.handled += effects


@pytest.fixture
def side(busy_app: BookingApp) -> Any:
    return busy_app.recorder.side  # type: ignore[attr-defined]


def test_a_process_manager_stops_at_a_bad_event_until_skipped(
    busy_app: BookingApp, side: Any, caplog: pytest.LogCaptureFixture
) -> None:
    head = int(busy_app.recorder.max_notification_id())
    manager = Fussy({5})
    follower = Follower(busy_app, side, manager, batch=4)
    caplog.set_level(logging.ERROR)
    follower.catch_up()
    follower.catch_up()
    assert manager.handled == [1, 2, 3, 4]
    assert follower.position() == 4
    (stall,) = side_stalls(side, "fussy")
    assert stall.position == 5 and stall.error == "ValueError: year 10000 is out of range"
    assert len([r for r in caplog.records if "stalled at event" in r.getMessage()]) == 1
    assert retry_side(side, "fussy") == 1
    follower.catch_up()
    assert follower.position() == 4, "the same event stops it again"
    assert skip_side(side, "fussy") is not None
    follower.catch_up()
    assert follower.position() == head
    assert manager.handled == [p for p in range(1, head + 1) if p != 5]


def test_messages_never_carry_the_values(busy_app: BookingApp) -> None:
    error = ValueError("refused 'pat@example.test' for +44 20 7946 0123")
    told = stalls.what_went_wrong(error)
    assert "pat@example.test" not in told and "7946" not in told
    assert told.startswith("ValueError")
    assert START  # the clock the store was written with
