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
from pathlib import Path
from typing import Any

from booking.bootstrap import Settings

_TRUE = {"1", "true", "yes", "on"}


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
        )

    def derived_key(self, purpose: str) -> bytes:
        """A key of its own for ``purpose``, from ``SECRET_KEY``: every process agrees."""
        return hmac.new(self.secret_key.encode(), purpose.encode(), hashlib.sha256).digest()


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
