"""The composition root: settings from the environment → the application.

``DATABASE_URL`` selects PostgreSQL; otherwise events live in a SQLite file
under ``BOOKING_DATA_DIR`` (default ``./var``). Later layers (timers, read
models, web) are built here from the same settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from booking_domain.application import BookingApp
from booking_domain.clock import Clock
from processes.clock import SystemClock
from processes.store import store_env


@dataclass(frozen=True)
class Settings:
    """What the environment says about where and how to run."""

    database_url: str | None = None
    data_dir: Path = Path("var")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("BOOKING_DATA_DIR") or "var"),
        )

    @property
    def store(self) -> str:
        return "postgresql" if self.database_url else f"sqlite:{self.data_dir}"


def build_app(settings: Settings | None = None, clock: Clock | None = None) -> BookingApp:
    """The booking application on the store the settings choose."""
    settings = settings or Settings.from_env()
    return BookingApp(
        store_env(settings.database_url, settings.data_dir), clock=clock or SystemClock()
    )
