"""When PostgreSQL or Redis goes away for a moment, bookings say "try again", never 500.

- **The database** (events, read models, the side tables): a connection refused, dropped
  or not had from the pool in time is an outage, not a bug. The client is answered
  ``503 unavailable`` with ``Retry-After`` (api.md's envelope); the log says so once,
  then once a minute while it lasts, with a count — not a traceback per request.
- **Redis** carries only the rate-limit counters in the web processes. While it is
  down, Flask-Limiter counts in this process's memory (``in_memory_fallback_enabled``),
  so bookings go on, still limited; the log says when that starts and when Redis is
  back, once each per outage.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any, Final

import psycopg
import redis.exceptions
import sqlalchemy.exc
from eventsourcing import persistence
from flask import Flask, Response
from flask_limiter import Limiter
from redis.backoff import NoBackoff
from redis.retry import Retry

_log = logging.getLogger("booking.web.outages")

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER: Final = 5
MESSAGE: Final = "Bookings are unavailable for a moment — please try again shortly."
#: How often, at most, a lasting outage is logged again.
LOG_EVERY_SECONDS: Final = 60.0

#: Errors that mean "the store cannot be reached now" wherever they are raised: the
#: event store's own (eventsourcing wraps psycopg's and sqlite3's), the read models'
#: (SQLAlchemy's, its pool's timeout included), psycopg's (its pool's ``PoolTimeout`` is
#: an ``OperationalError``), and Redis's should a limiter call escape the fallback.
UNREACHABLE: Final[tuple[type[BaseException], ...]] = (
    persistence.OperationalError,
    persistence.InterfaceError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)

#: Redis client options for the limiter's storage: fail in well under a second when
#: Redis is gone (the client's default retries with backoff for up to ~7 s per call),
#: one immediate retry to replace a connection Redis dropped on a restart.
REDIS_OPTIONS: Final[dict[str, Any]] = {
    "socket_connect_timeout": 0.5,
    "socket_timeout": 0.5,
    "retry": Retry(NoBackoff(), 1),
}


def unreachable(error: BaseException) -> BaseException | None:
    """The outage behind ``error`` (itself, or what it was raised from), if it is one."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, UNREACHABLE):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class OutageLog:
    """Says an outage started, then at most once a minute how many requests it refused."""

    def __init__(self, every: float = LOG_EVERY_SECONDS, clock: Any = time.monotonic) -> None:
        self._every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None
        self._quiet = 0

    def refused(self, cause: BaseException) -> None:
        now = self._clock()
        with self._lock:
            if self._last is not None and now - self._last < self._every:
                self._quiet += 1
                return
            again, self._quiet, self._last = self._quiet, 0, now
        first_line = (str(cause).strip().splitlines() or [""])[0][:200]
        if again:
            _log.warning(
                "store still unreachable: %d more requests answered 503 (%s: %s)",
                again,
                type(cause).__name__,
                first_line,
            )
        else:
            _log.warning(
                "store unreachable, answering 503 until it is back (%s: %s)",
                type(cause).__name__,
                first_line,
            )


def limiter_settings(storage_uri: str) -> dict[str, Any]:
    """The Flask-Limiter settings that keep limits counting while Redis is down."""
    settings: dict[str, Any] = {"RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True}
    if storage_uri.startswith(("redis://", "rediss://", "redis+unix://")):
        settings["RATELIMIT_STORAGE_OPTIONS"] = dict(REDIS_OPTIONS)
    return settings


def watch_limiter_storage(app: Flask, limiter: Limiter) -> None:
    """Log when the limiter falls back to memory and when its Redis is back: once each.

    Flask-Limiter flips its own flag on the first failed call and back on a successful
    health check, and logs to a logger nobody hears under gunicorn; this says it in
    ours. Its flag is private (``_storage_dead``, Flask-Limiter 3.x and 4.x), read only.
    """
    state = {"down": False}
    lock = threading.Lock()

    def after(response: Response) -> Response:
        down = bool(getattr(limiter, "_storage_dead", False))
        with lock:
            changed, state["down"] = down != state["down"], down
        if changed and down:
            _log.warning(
                "rate limits: their Redis is unreachable; counting in this process's "
                "memory until it is back (bookings go on)"
            )
        elif changed:
            _log.warning("rate limits: Redis is back; counting there again")
        return response

    app.after_request(after)
