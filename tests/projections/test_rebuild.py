"""Hypothesis: after any command sequence, a rebuild from scratch equals the live read models.

The live views are brought up to date after every step (many small batches);
the rebuild reads the whole log into an empty database at once.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis.stateful import invariant
from sqlalchemy import Engine, select

from booking_domain.application import BookingApp
from processes.clock import ManualClock
from projections.activity import ActivityFeed
from projections.database import views_engine
from projections.offer_log import OfferLog
from projections.runner import ProjectionRunner
from projections.tables import metadata
from tests.property.test_timed import TimedMatchMachine, TimedSQLiteMachine
from tests.support import stateful_settings


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: sorted(tuple(r) for r in conn.execute(select(table)))
            for table in metadata.sorted_tables
            if table.name != "view_tracking"
        }


class ViewsMachine(TimedMatchMachine):
    def make_app(self, clock: ManualClock) -> BookingApp:
        app = super().make_app(clock)
        self.views = ProjectionRunner(
            app, views_engine("memory", None), [OfferLog(), ActivityFeed()], batch=7
        )
        return app

    @invariant()
    def rebuild_equals_live(self) -> None:
        self.views.catch_up()
        fresh = ProjectionRunner(
            self.app, views_engine("memory", None), [OfferLog(), ActivityFeed()]
        )
        fresh.catch_up()
        assert dump(fresh.engine) == dump(self.views.engine)


ViewsMachine.TestCase.settings = stateful_settings(60, 25)
TestRebuildEqualsLiveInMemory = ViewsMachine.TestCase


class SQLiteViewsMachine(ViewsMachine, TimedSQLiteMachine):
    pass


SQLiteViewsMachine.TestCase.settings = stateful_settings(15, 20)
TestRebuildEqualsLiveOnSQLite = pytest.mark.slow(SQLiteViewsMachine.TestCase)


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
        live = ProjectionRunner(
            app, views_engine(pg_url(schema), None), [OfferLog(), ActivityFeed()], batch=5
        )
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
        rebuilt = ProjectionRunner(
            app, views_engine(pg_url(scratch), None), [OfferLog(), ActivityFeed()]
        )
        rebuilt.catch_up()
        assert dump(rebuilt.engine) == dump(live.engine)
        assert len(dump(live.engine)["view_offer_log"]) == 5  # three, then the last two
        live.engine.dispose()
        rebuilt.engine.dispose()
        app.close()
