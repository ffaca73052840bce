"""Settings from the environment choose the store: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from booking.bootstrap import Settings, build_app
from processes.clock import ManualClock
from tests.support import START, pg_schema, pg_url


def test_the_embedded_default_is_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"BOOKING_DATA_DIR": str(tmp_path / "club")})
    app = build_app(settings, ManualClock(START))
    app.register_player(name="Ana", phone="02079460123")
    app.close()
    assert (tmp_path / "club" / "events.sqlite3").exists()
    again = build_app(settings, ManualClock(START))
    assert again.find_player_by_phone("02079460123") is not None
    again.close()


@pytest.mark.pg
def test_database_url_selects_postgresql(tmp_path: Path) -> None:
    with pg_schema() as schema:
        settings = Settings.from_env(
            {"DATABASE_URL": pg_url(schema), "BOOKING_DATA_DIR": str(tmp_path)}
        )
        assert settings.store == "postgresql"
        app = build_app(settings, ManualClock(START))
        app.register_player(name="Ana", phone="02079460123")
        assert app.factory.__class__.__module__ == "eventsourcing.postgres"
        app.close()
    assert not (tmp_path / "events.sqlite3").exists()


def test_a_bad_database_url_is_refused() -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        build_app(Settings(database_url="mysql://nope"), ManualClock(START))
