"""The composition root: settings from the environment → the application and its runners.

``DATABASE_URL`` selects PostgreSQL; otherwise events live in a SQLite file
under ``BOOKING_DATA_DIR`` (default ``./var``). ``BOOKING_TEST_CLOCK=1`` gives
a clock that only moves when told (tests, demos). With ``REDIS_URL`` set,
timers and notices run in ``booking worker`` processes; without it, in the
application's own process (the embedded default).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from booking_domain.application import BookingApp
from booking_domain.clock import Clock
from payments import build_provider
from processes.channels import Sender
from processes.channels.setup import senders_from_env
from processes.clock import ManualClock, SystemClock
from processes.engine import EmbeddedRunner, Engine
from processes.payment_service import PaymentService
from processes.store import store_env
from projections.database import views_engine
from projections.runner import ProjectionRunner, every_projector

_TRUE = {"1", "true", "yes", "on"}
_log = logging.getLogger(__name__)


#: Environment variables of the outside notification channels (``channels/setup.py``).
CHANNEL_SETTINGS = ("SMTP_URL", "MAIL_FROM", "VAPID_", "FCM_", "SMS_", "NOTIFY_")


@dataclass(frozen=True)
class Settings:
    """What the environment says about where and how to run."""

    database_url: str | None = None
    data_dir: Path = Path("var")
    redis_url: str | None = None
    #: Keeps this deployment's queues apart from others on the same Redis.
    redis_namespace: str = "booking"
    test_clock: bool = False
    #: Seconds before a queued notice that was not delivered is queued again.
    resend_after_seconds: int = 60
    #: Seconds a delivery holds a notice; a worker that dies mid-send frees it after this.
    delivery_lease_seconds: int = 60
    #: The address players reach the app at (links in checkouts); "" = relative.
    base_url: str = ""
    #: The payment provider's settings (``STRIPE_*``); none → the sandbox.
    payment_env: tuple[tuple[str, str], ...] = ()
    #: Signs the sandbox's webhooks; from ``SECRET_KEY``, else a key in the data folder.
    secret_key: str | None = None
    #: The outside channels' settings (``SMTP_URL``, ``VAPID_*``, ``FCM_*``, ``SMS_*``…).
    channel_env: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("BOOKING_DATA_DIR") or "var"),
            redis_url=env.get("REDIS_URL") or None,
            redis_namespace=env.get("BOOKING_REDIS_NAMESPACE") or "booking",
            test_clock=(env.get("BOOKING_TEST_CLOCK") or "").lower() in _TRUE,
            resend_after_seconds=int(env.get("BOOKING_RESEND_AFTER_SECONDS") or 60),
            delivery_lease_seconds=int(env.get("BOOKING_DELIVERY_LEASE_SECONDS") or 60),
            base_url=(env.get("BOOKING_BASE_URL") or "").rstrip("/"),
            payment_env=tuple(
                (key, value) for key, value in env.items() if key.startswith("STRIPE_") and value
            ),
            secret_key=env.get("SECRET_KEY") or None,
            channel_env=tuple(
                (key, value)
                for key, value in env.items()
                if key.startswith(CHANNEL_SETTINGS) and value
            ),
        )

    def senders(self) -> dict[str, Sender]:
        """The outside channels these settings turn on (none: the dev inbox and the log)."""
        return senders_from_env(dict(self.channel_env), base_url=self.base_url)

    def secret(self) -> str:
        """``SECRET_KEY``, else a random key kept in the data folder, so that the
        embedded app's processes agree and sessions survive a restart."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        path.write_text(key)
        path.chmod(0o600)
        return key

    @property
    def store(self) -> str:
        return "postgresql" if self.database_url else f"sqlite:{self.data_dir}"

    @property
    def runs_embedded(self) -> bool:
        """Timers and notices in this process (no Redis), or in ``booking worker``."""
        return self.redis_url is None


def build_clock(settings: Settings, start: datetime | None = None) -> Clock:
    if settings.test_clock:
        return ManualClock(start or SystemClock().now())
    return SystemClock()


def build_app(settings: Settings | None = None, clock: Clock | None = None) -> BookingApp:
    """The booking application on the store the settings choose."""
    settings = settings or Settings.from_env()
    return BookingApp(
        store_env(settings.database_url, settings.data_dir),
        clock=clock or build_clock(settings),
    )


def build_payments(settings: Settings, app: BookingApp) -> PaymentService:
    """The payment provider the settings choose (Stripe, else the sandbox) and its service."""
    # The sandbox's signing key is derived, never the session key itself.
    secret = hashlib.sha256(b"sandbox-webhooks:" + settings.secret().encode()).digest()
    provider = build_provider(
        dict(settings.payment_env), base_url=settings.base_url, secret=secret, clock=app.clock.now
    )
    return PaymentService(app, provider, settings.base_url)


def build_views(settings: Settings, app: BookingApp) -> ProjectionRunner:
    """The read models of this application, in the database the settings choose."""
    engine = views_engine(settings.database_url, settings.data_dir)
    return ProjectionRunner(app, engine, every_projector())


@dataclass
class System:
    """The application with what runs beside it in this process."""

    app: BookingApp
    engine: Engine
    runner: EmbeddedRunner | None = None

    @property
    def payments(self) -> PaymentService:
        payments = self.engine.payments
        assert payments is not None
        return payments

    def close(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        if isinstance(self.engine.views, ProjectionRunner):
            self.engine.views.engine.dispose()
        self.app.close()


def build_system(settings: Settings | None = None, clock: Clock | None = None) -> System:
    """The application and, in the embedded default, its timers and notices in process.

    With a test clock nothing runs by itself: each write settles the process
    managers at once, and moving the clock (``Engine.advance``) fires timers.
    """
    settings = settings or Settings.from_env()
    app = build_app(settings, clock)
    engine = Engine(
        app,
        views=build_views(settings, app),
        payments=build_payments(settings, app),
        senders=settings.senders(),
        base_url=settings.base_url,
        delivery_lease=timedelta(seconds=settings.delivery_lease_seconds),
    )
    system = System(app, engine)
    if isinstance(app.clock, ManualClock):
        app.after_write.append(settle_after_each_write(engine))
    elif settings.runs_embedded:
        runner = system.runner = EmbeddedRunner(engine).start()
        views = engine.views
        assert isinstance(views, ProjectionRunner)
        app.after_write.append(views_current_after_each_write(views))
        app.after_write.append(lambda _position: runner.poke())
    return system


def views_current_after_each_write(views: ProjectionRunner) -> Callable[[int], None]:
    """Read your own writes: a command returns once the read models include its events.

    The events are committed by then; if the read models cannot keep up (a busy
    or failing views database) the command still succeeds, and the runner
    thread catches them up later.
    """

    def wait(position: int) -> None:
        try:
            if not views.wait_for(position, timeout=5.0):
                _log.warning("read models behind position %s after 5 s", position)
        except Exception:
            _log.exception("read models could not catch up to position %s", position)

    return wait


def settle_after_each_write(engine: Engine) -> Callable[[int], None]:
    busy = threading.local()

    def settle(_position: int) -> None:
        # The process managers' own commands write too; settle once, outermost.
        if getattr(busy, "on", False):
            return
        busy.on = True
        try:
            engine.tick()
        finally:
            busy.on = False

    return settle
