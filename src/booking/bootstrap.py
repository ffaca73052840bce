"""The composition root: settings from the environment → the application and its runners.

``DATABASE_URL`` selects PostgreSQL; otherwise events live in a SQLite file
under ``BOOKING_DATA_DIR`` (default ``./var``). ``BOOKING_TEST_CLOCK=1`` gives
a clock that only moves when told (tests, demos). With ``REDIS_URL`` set,
timers and notices run in ``booking worker`` processes; without it, in the
application's own process (the embedded default). ``BOOKING_PAYMENTS`` and
``STRIPE_*`` choose who takes the money (``build_payments``).
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
from projections.stalls import what_went_wrong

_TRUE = {"1", "true", "yes", "on"}
_log = logging.getLogger(__name__)


#: The embedded app's own address when ``BOOKING_BASE_URL`` is unset (``booking serve``'s
#: default ``--host`` and ``--port``, which sets ``BOOKING_BASE_URL`` to what it binds).
DEV_BASE_URL = "http://127.0.0.1:5000"

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
    #: The payment provider's settings (``STRIPE_*``); none → see ``build_payments``.
    payment_env: tuple[tuple[str, str], ...] = ()
    #: ``BOOKING_PAYMENTS``: ``stripe``, ``sandbox``, ``none`` or "" (the settings decide).
    payments: str = ""
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
            payments=env.get("BOOKING_PAYMENTS") or "",
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
    def embedded_store(self) -> bool:
        """Events in a local SQLite file (or in memory): one machine, nobody else's money."""
        return self.database_url in (None, "memory")

    @property
    def public_url(self) -> str:
        """Where links to the app's pages point: ``BOOKING_BASE_URL``; on the embedded
        store, the address ``booking serve`` listens on by default; on a shared store
        without it, "" (relative links). Never a request's ``Host``, which the client
        chooses."""
        if self.base_url:
            return self.base_url
        return DEV_BASE_URL if self.embedded_store else ""

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
    """The payment provider the settings choose, and its service (api.md "Payments").

    Stripe with both ``STRIPE_*`` keys; the sandbox on the embedded store, with the
    test clock, or when ``BOOKING_PAYMENTS=sandbox`` says so; otherwise none, and
    priced offers are refused. Start-up says which is live.
    """
    # The sandbox's signing key is derived, never the session key itself.
    secret = hashlib.sha256(b"sandbox-webhooks:" + settings.secret().encode()).digest()
    provider = build_provider(
        dict(settings.payment_env),
        base_url=settings.base_url,
        secret=secret,
        clock=app.clock.now,
        choice=settings.payments,
        sandbox_by_default=(
            settings.embedded_store or settings.test_clock or isinstance(app.clock, ManualClock)
        ),
    )
    _say_which_provider(settings, provider.name)
    return PaymentService(app, provider, settings.base_url)


def _say_which_provider(settings: Settings, name: str) -> None:
    if name == "stripe":
        _log.info("payments: Stripe Checkout")
    elif name == "sandbox" and settings.embedded_store:
        _log.info("payments: the sandbox (embedded store; no money moves)")
    elif name == "sandbox":
        _log.warning(
            "payments: the sandbox on a shared store (%s): no money moves, and a signed-in "
            "payer can mark their own place paid",
            "BOOKING_PAYMENTS=sandbox" if settings.payments else "test clock",
        )
    else:
        _log.warning(
            "payments: no provider: priced offers are refused until STRIPE_SECRET_KEY and "
            "STRIPE_WEBHOOK_SECRET are set (or BOOKING_PAYMENTS=sandbox for a trial)"
        )


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
        except Exception as error:
            _log.warning(
                "read models could not catch up to position %s: %s",
                position,
                what_went_wrong(error),
            )

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
        except Exception as error:
            # The command's events are written: it succeeded. What follows them
            # is picked up again by the next write or move of the clock. (The
            # error's kind and first line only: SQL parameters may hold a phone.)
            _log.warning("settling after position %s failed: %s", _position, what_went_wrong(error))
        finally:
            busy.on = False

    return settle
