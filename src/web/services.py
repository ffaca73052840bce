"""What the views call: the application, its read models, the admin tokens, payments
and the portal's sign-in codes.

One ``Club`` per app, built by the composition root and kept in
``app.extensions["booking"]``; views reach it with ``club()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import uuid4

from flask import current_app
from sqlalchemy import Connection

from booking.bootstrap import System, build_system
from booking_domain.application import BookingApp
from payments import SandboxProvider
from processes import messages
from processes.admin_tokens import AdminTokens
from processes.channels import Outgoing, PermanentFailure, Sender, TemporaryFailure
from processes.clock import ManualClock
from processes.login_codes import LoginCodes
from processes.outbox import Outbox
from processes.payment_service import PaymentService
from projections.runner import ProjectionRunner
from web.config import WebSettings

T = TypeVar("T")
_log = logging.getLogger("booking.web")


@dataclass
class Club:
    """The running system as the web layer sees it."""

    settings: WebSettings
    system: System
    admin_tokens: AdminTokens
    payments: PaymentService
    login_codes: LoginCodes

    @classmethod
    def start(cls, settings: WebSettings) -> Club:
        system = build_system(settings.booking)
        side = system.app.recorder.side  # type: ignore[attr-defined]
        tokens = AdminTokens(
            side, configured=[settings.admin_token] if settings.admin_token else []
        )
        payments = system.payments
        if not isinstance(payments.provider, SandboxProvider) and not settings.booking.base_url:
            # Stripe sends payers back to absolute addresses; never built from a
            # request's Host header, which the client chooses.
            system.close()
            raise ValueError(
                "BOOKING_BASE_URL is needed with Stripe: checkouts return payers there"
            )
        codes = LoginCodes(
            side,
            system.app.clock,
            _login_codes_out(system.engine.outbox, system.app, system.engine.deliverer.senders),
            secret=settings.derived_key("booking:login-codes"),
        )
        return cls(settings, system, tokens, payments, codes)

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


def _login_codes_out(
    outbox: Outbox, app: BookingApp, senders: Mapping[str, Sender]
) -> Callable[[str, str], None]:
    """Sign-in codes go by text message to the phone signing in, or by email to its
    player, when the club has those channels; else to the dev inbox. Never a log."""

    def send(phone: str, text: str) -> None:
        key = f"login:{uuid4().hex}"
        message = Outgoing(key, "login_code", messages.subject("login_code"), text)
        routes: list[tuple[Sender, str]] = []
        if "sms" in senders:
            routes.append((senders["sms"], phone))
        player = app.find_player_by_phone(phone)
        if "email" in senders and player is not None and player.email:
            routes.append((senders["email"], player.email))
        for sender, address in routes:
            try:
                sender.send(address, message)
                return
            except (TemporaryFailure, PermanentFailure) as error:
                _log.warning("sign-in code by %s failed: %s", sender.name, error.detail)
        with outbox.side.transaction() as tx:
            outbox.put_in_inbox(tx, key, phone, "login_code", text, app.clock.now())

    return send


def club() -> Club:
    found: Club = current_app.extensions["booking"]
    return found
