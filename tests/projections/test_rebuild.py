"""Hypothesis: after any command sequence, a rebuild from scratch equals the live read models.

The live views are brought up to date after every step (many small batches);
the rebuild reads the whole log into an empty database at once.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant
from sqlalchemy import Engine, select

from booking_domain.application import BookingApp
from processes.clock import ManualClock
from projections.database import views_engine
from projections.runner import ProjectionRunner, every_projector
from projections.tables import metadata
from tests.property.test_timed import (
    TimedMatchMachine,
    TimedPostgresMachine,
    TimedSQLiteMachine,
)
from tests.support import pg_schema, pg_url, stateful_settings


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: sorted(tuple(r) for r in conn.execute(select(table)))
            for table in metadata.sorted_tables
            if table.name != "view_tracking"
        }


class ViewsMachine(TimedMatchMachine):
    """Live views caught up in batches of 7 after every step; a rebuild reads it all at once."""

    def make_app(self, clock: ManualClock) -> BookingApp:
        app = super().make_app(clock)
        self.views = ProjectionRunner(app, self.live_engine(), every_projector(), batch=7)
        return app

    def live_engine(self) -> Engine:
        return views_engine("memory", None)

    def scratch_engine(self) -> Engine:
        return views_engine("memory", None)

    @invariant()
    def rebuild_equals_live(self) -> None:
        self.views.catch_up()
        fresh = ProjectionRunner(self.app, self.scratch_engine(), every_projector())
        fresh.catch_up()
        assert dump(fresh.engine) == dump(self.views.engine)


ViewsMachine.TestCase.settings = stateful_settings(25, 25)
TestRebuildEqualsLiveInMemory = ViewsMachine.TestCase


class SQLiteViewsMachine(ViewsMachine, TimedSQLiteMachine):
    pass


SQLiteViewsMachine.TestCase.settings = stateful_settings(15, 20)
TestRebuildEqualsLiveOnSQLite = pytest.mark.slow(SQLiteViewsMachine.TestCase)


class PostgresViewsMachine(ViewsMachine, TimedPostgresMachine):
    """Events and live views in one PostgreSQL schema, the rebuild in another."""

    def live_engine(self) -> Engine:
        return self._engine(pg_url(self._schema_name))

    def scratch_engine(self) -> Engine:
        if not hasattr(self, "_scratch"):
            self._scratch_schema = pg_schema()
            self._scratch = self._engine(pg_url(self._scratch_schema.__enter__()))
        metadata.drop_all(self._scratch)
        return self._scratch

    def _engine(self, url: str) -> Engine:
        engine = views_engine(url, None)
        self.__dict__.setdefault("_engines", []).append(engine)
        return engine

    def close_app(self) -> None:
        for engine in self.__dict__.get("_engines", []):
            engine.dispose()
        if hasattr(self, "_scratch_schema"):
            self._scratch_schema.__exit__(None, None, None)
        super().close_app()


PostgresViewsMachine.TestCase.settings = stateful_settings(10, 20)
TestRebuildEqualsLiveOnPostgres = pytest.mark.pg(pytest.mark.slow(PostgresViewsMachine.TestCase))


@pytest.mark.pg
def test_rebuild_equals_live_on_postgres(clock: ManualClock) -> None:
    """Events and views both in PostgreSQL; the rebuild goes into a scratch schema."""
    from datetime import timedelta

    from processes.engine import Engine as Timers
    from processes.store import store_env
    from tests.support import Club, pg_schema, pg_url

    with pg_schema() as schema, pg_schema() as scratch:
        app = BookingApp(store_env(pg_url(schema), None), clock=clock)
        timers = Timers(app)
        live = ProjectionRunner(app, views_engine(pg_url(schema), None), every_projector(), batch=5)
        club = Club(app, clock)
        ins, waiting = club.players("A", "B"), club.players(*[f"W{i}" for i in range(5)])
        match = club.match(capacity=2, kickoff_in=timedelta(days=3))
        for p in ins:
            match.say(p, "IN")
        for p in waiting:
            match.say(p, "WAITLIST")
            live.catch_up()
        match.drop_and_release(ins[0])
        live.catch_up()
        timers.advance(by=timedelta(hours=5))  # expiry, cascade
        live.catch_up()
        match.claim(waiting[3])
        live.catch_up()
        rebuilt = ProjectionRunner(app, views_engine(pg_url(scratch), None), every_projector())
        rebuilt.catch_up()
        assert dump(rebuilt.engine) == dump(live.engine)
        assert len(dump(live.engine)["view_offer_log"]) == 5  # three, then the last two
        live.engine.dispose()
        rebuilt.engine.dispose()
        app.close()


@pytest.fixture(scope="module")
def flow_b_store() -> BookingApp:
    """Seed 004's flow B with a capacity cut and an expiry, in memory (shared, read-only)."""
    from datetime import timedelta

    from processes.engine import Engine as Timers
    from processes.store import store_env
    from tests.support import START, Club

    clock = ManualClock(START)
    app = BookingApp(store_env("memory", None), clock=clock)
    club = Club(app, clock)
    ins, waiting = club.players("A", "B", "C"), club.players(*[f"W{i}" for i in range(4)])
    match = club.match(capacity=3, kickoff_in=timedelta(hours=20))
    for p in ins:
        match.say(p, "IN")
    for p in waiting:
        match.say(p, "WAITLIST")
    match.say(ins[0], "OUT")
    Timers(app).advance(by=timedelta(hours=2))  # grace ends, offers expire, the cascade
    app.change_capacity(match.match_id, 1)
    offered = [p for p in waiting if p.player_id in match.offered()]
    if offered:
        match.claim(offered[-1])
    app.change_capacity(match.match_id, 4)
    assert (app.recorder.max_notification_id() or 0) > 50
    return app


@given(kill_after=st.integers(1, 200), batch=st.sampled_from([1, 4, 50]))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_every_projector_killed_mid_batch_resumes_without_gaps_or_doubles(
    flow_b_store: BookingApp, kill_after: int, batch: int
) -> None:
    app = flow_b_store
    views = ProjectionRunner(app, views_engine("memory", None), every_projector(), batch=batch)
    applied = 0
    for projector in views.projectors:
        original = projector.apply

        def dies(conn: Any, event: Any, position: int, original: Any = original) -> None:
            nonlocal applied
            original(conn, event, position)
            applied += 1
            if applied == kill_after:
                raise KeyboardInterrupt  # the process is killed here, mid-batch

        projector.apply = dies  # type: ignore[method-assign]
    with contextlib.suppress(KeyboardInterrupt):
        views.catch_up()
    for projector in views.projectors:
        del projector.apply  # back to the class's own
    views.catch_up()  # the restart
    fresh = ProjectionRunner(app, views_engine("memory", None), every_projector())
    fresh.catch_up()
    assert dump(views.engine) == dump(fresh.engine)
    assert views.positions() == fresh.positions()
