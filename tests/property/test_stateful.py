"""Random command sequences with clock moves; every invariant of domain.md after each step."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from booking_domain.application import BookingApp
from processes.clock import ManualClock
from processes.store import store_env
from tests.property.machine import MatchMachine, SnapshottingApp
from tests.support import pg_schema, pg_url, stateful_settings

MatchMachine.TestCase.settings = stateful_settings(250, 40)
TestMatchInMemory = MatchMachine.TestCase


class SQLiteMatchMachine(MatchMachine):
    def make_app(self, clock: ManualClock) -> BookingApp:
        self._folder = tempfile.TemporaryDirectory()
        return SnapshottingApp(store_env(None, Path(self._folder.name)), clock=clock)

    def close_app(self) -> None:
        self.app.close()
        self._folder.cleanup()


class PostgresMatchMachine(MatchMachine):
    def make_app(self, clock: ManualClock) -> BookingApp:
        self._schema = pg_schema()
        name = self._schema_name = self._schema.__enter__()
        return SnapshottingApp(store_env(pg_url(name), None), clock=clock)

    def close_app(self) -> None:
        self.app.close()
        self._schema.__exit__(None, None, None)


_on_real_stores = stateful_settings(40, 30)
SQLiteMatchMachine.TestCase.settings = _on_real_stores
PostgresMatchMachine.TestCase.settings = _on_real_stores

TestMatchOnSQLite = pytest.mark.slow(SQLiteMatchMachine.TestCase)
TestMatchOnPostgres = pytest.mark.pg(pytest.mark.slow(PostgresMatchMachine.TestCase))
