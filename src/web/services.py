"""What the views call: the application, its read models and the admin tokens.

One ``Club`` per app, built by the composition root and kept in
``app.extensions["booking"]``; views reach it with ``club()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import Connection

from booking.bootstrap import System, build_system
from booking_domain.application import BookingApp
from processes.admin_tokens import AdminTokens
from processes.clock import ManualClock
from processes.outbox import Outbox
from projections.runner import ProjectionRunner
from web.config import WebSettings

T = TypeVar("T")


@dataclass
class Club:
    """The running system as the web layer sees it."""

    settings: WebSettings
    system: System
    admin_tokens: AdminTokens

    @classmethod
    def start(cls, settings: WebSettings) -> Club:
        system = build_system(settings.booking)
        tokens = AdminTokens(
            system.app.recorder.side,  # type: ignore[attr-defined]
            configured=[settings.admin_token] if settings.admin_token else [],
        )
        return cls(settings, system, tokens)

    @property
    def app(self) -> BookingApp:
        return self.system.app

    @property
    def views(self) -> ProjectionRunner:
        views = self.system.engine.views
        assert isinstance(views, ProjectionRunner)
        return views

    @property
    def outbox(self) -> Outbox:
        return self.system.engine.outbox

    @property
    def test_clock(self) -> ManualClock | None:
        clock = self.app.clock
        return clock if isinstance(clock, ManualClock) else None

    @contextmanager
    def reading(self, after: int | None = None) -> Iterator[Connection]:
        """A connection to the read models, once they include position ``after``.

        A command's response gives the position it wrote; reading after it
        never shows a view older than that write (bounded: 5 s).
        """
        if after:
            self.views.wait_for(after, timeout=5.0)
        with self.views.engine.connect() as conn:
            yield conn

    def read(self, query: Callable[..., T], *args: Any, after: int | None = None) -> T:
        with self.reading(after) as conn:
            return query(conn, *args)

    def close(self) -> None:
        self.system.close()


def club() -> Club:
    found: Club = current_app.extensions["booking"]
    return found
