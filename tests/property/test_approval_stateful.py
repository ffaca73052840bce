"""Court slots that need approval under random command sequences (``approval_machine.py``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from booking_domain.application import BookingApp
from processes.clock import ManualClock
from processes.store import store_env
from tests.property.approval_machine import ApprovalMachine
from tests.property.paid_machine import SnapshottingApp
from tests.support import pg_schema, pg_url, stateful_settings

ApprovalMachine.TestCase.settings = stateful_settings(200, 40)
TestApprovalSlotsInMemory = ApprovalMachine.TestCase


class SQLiteApprovalMachine(ApprovalMachine):
    def make_app(self, clock: ManualClock) -> BookingApp:
        self._folder = tempfile.TemporaryDirectory()
        return SnapshottingApp(store_env(None, Path(self._folder.name)), clock=clock)

    def close_app(self) -> None:
        self.app.close()
        self._folder.cleanup()


class PostgresApprovalMachine(ApprovalMachine):
    def make_app(self, clock: ManualClock) -> BookingApp:
        self._schema = pg_schema()
        name = self._schema.__enter__()
        return SnapshottingApp(store_env(pg_url(name), None), clock=clock)

    def close_app(self) -> None:
        self.app.close()
        self._schema.__exit__(None, None, None)


_on_real_stores = stateful_settings(30, 30)
SQLiteApprovalMachine.TestCase.settings = _on_real_stores
PostgresApprovalMachine.TestCase.settings = _on_real_stores

TestApprovalSlotsOnSQLite = pytest.mark.slow(SQLiteApprovalMachine.TestCase)
TestApprovalSlotsOnPostgres = pytest.mark.pg(pytest.mark.slow(PostgresApprovalMachine.TestCase))
