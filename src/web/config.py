"""The web app's settings: the environment, overridden by ``create_app(config)``.

``booking.bootstrap.Settings`` says where events live and how timers run; the
rest is the web's own: admin token, session secret, rate limits, cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from booking.bootstrap import Settings
from processes.sessions import SessionPolicy

_TRUE = {"1", "true", "yes", "on"}
#: An organiser's working day, and signed out after an hour away (they can change
#: anything, and admin pages are opened on shared club computers).
ADMIN_SESSION = SessionPolicy(lifetime=timedelta(hours=12), idle=timedelta(minutes=60))
#: A month, and a week away: a parent comes back when an offer arrives, by phone.
PORTAL_SESSION = SessionPolicy(lifetime=timedelta(hours=720), idle=timedelta(days=7))
#: The largest request body read (``BOOKING_MAX_BODY_BYTES``): every API body and form
#: is a few hundred bytes; a provider's webhook a few kilobytes.
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class WebSettings:
    """Everything ``create_app`` needs to know, read once."""

    booking: Settings
    admin_token: str | None
    secret_key: str
    ratelimit_enabled: bool
    ratelimit_storage: str
    secure_cookies: bool
    #: ``BOOKING_DEV_INBOX=1``: serve ``/dev/inbox`` (every captured notice and sign-in
    #: code) without the test clock — local demos only (``make run``), never production.
    dev_inbox: bool = False
    #: Admin page sessions: ``BOOKING_SESSION_LIFETIME_HOURS`` (12) from sign-in,
    #: ``BOOKING_SESSION_IDLE_MINUTES`` (60) between requests.
    admin_session: SessionPolicy = ADMIN_SESSION
    #: Portal sessions: ``BOOKING_PORTAL_SESSION_LIFETIME_HOURS`` (720: 30 days),
    #: ``BOOKING_PORTAL_SESSION_IDLE_MINUTES`` (10080: a week).
    portal_session: SessionPolicy = PORTAL_SESSION
    #: ``BOOKING_TRUSTED_PROXIES``: how many proxies in front of the app set
    #: ``X-Forwarded-For`` / ``-Proto``; 0 (the default) trusts neither header.
    trusted_proxies: int = 0
    #: ``BOOKING_MAX_BODY_BYTES``: a larger body is refused (413) before it is read.
    max_body_bytes: int = MAX_BODY_BYTES

    @classmethod
    def read(cls, config: Mapping[str, Any] | None = None) -> WebSettings:
        given = dict(config or {})
        env: dict[str, str] = {**os.environ}
        env.update({k: str(v) for k, v in given.items() if isinstance(v, str | int | Path)})
        booking = Settings.from_env(env)
        limits = given.get("RATELIMIT_ENABLED", env.get("RATELIMIT_ENABLED", "1"))
        return cls(
            booking=booking,
            admin_token=env.get("BOOKING_ADMIN_TOKEN") or None,
            secret_key=env.get("SECRET_KEY") or _local_secret(booking.data_dir),
            ratelimit_enabled=limits is True or str(limits).lower() in _TRUE,
            ratelimit_storage=booking.redis_url or "memory://",
            secure_cookies=(env.get("BOOKING_SECURE_COOKIES") or "").lower() in _TRUE,
            dev_inbox=(env.get("BOOKING_DEV_INBOX") or "").lower() in _TRUE,
            admin_session=_session_policy(env, "BOOKING_SESSION", ADMIN_SESSION),
            portal_session=_session_policy(env, "BOOKING_PORTAL_SESSION", PORTAL_SESSION),
            trusted_proxies=_count(env, "BOOKING_TRUSTED_PROXIES", 0),
            max_body_bytes=_count(env, "BOOKING_MAX_BODY_BYTES", MAX_BODY_BYTES),
        )

    @property
    def public_url(self) -> str:
        """Where absolute links to the app point (``Settings.public_url``): never ``Host``."""
        return self.booking.public_url

    def derived_key(self, purpose: str) -> bytes:
        """A key of its own for ``purpose``, from ``SECRET_KEY``: every process agrees."""
        return hmac.new(self.secret_key.encode(), purpose.encode(), hashlib.sha256).digest()


def _session_policy(env: Mapping[str, str], prefix: str, default: SessionPolicy) -> SessionPolicy:
    """``<prefix>_LIFETIME_HOURS`` and ``<prefix>_IDLE_MINUTES``, else the defaults."""
    hours, minutes = env.get(f"{prefix}_LIFETIME_HOURS"), env.get(f"{prefix}_IDLE_MINUTES")
    return SessionPolicy(
        lifetime=timedelta(hours=float(hours)) if hours else default.lifetime,
        idle=timedelta(minutes=float(minutes)) if minutes else default.idle,
    )


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number setting, 0 or more; a typo stops the start, never guessed at."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ValueError(f"{name}={raw!r}: expected a whole number, 0 or more")
    return int(raw)


def _local_secret(data_dir: Path) -> str:
    """Without ``SECRET_KEY``, a random key kept in the data folder.

    Sessions then survive a restart of the embedded app, and several local
    processes over the same folder agree. Production sets ``SECRET_KEY``.
    """
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
