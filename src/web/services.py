"""What the views call: the application, its read models, the admin tokens, payments,
the portal's sign-in codes and the sign-in sessions.

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

from flask import current_app, has_request_context, request
from sqlalchemy import Connection

from booking.bootstrap import System, build_system
from booking_domain.application import BookingApp
from payments import StripeProvider
from processes import messages
from processes.admin_tokens import AdminTokens
from processes.channels import Outgoing, PermanentFailure, Sender, TemporaryFailure
from processes.clock import ManualClock
from processes.delivery import redact
from processes.login_codes import VALID_FOR, Courier, LoginCodes
from processes.outbox import Outbox
from processes.payment_service import PaymentService
from processes.sessions import ADMIN, PORTAL, SIGN_IN, SessionPolicy, Sessions
from projections.runner import ProjectionRunner
from projections.stalls import what_went_wrong
from web.config import WebSettings

T = TypeVar("T")
#: Where a read that could not wait for its position leaves its warning (``envelope.ok``).
WARNING_KEY = "booking.warning"
_log = logging.getLogger("booking.web")


class NotYetVisible(Exception):
    """A command's write is done but the read models do not show it yet (202)."""

    def __init__(self, position: int, warning: str) -> None:
        super().__init__(warning)
        self.position = position
        self.warning = warning


@dataclass
class Club:
    """The running system as the web layer sees it."""

    settings: WebSettings
    system: System
    admin_tokens: AdminTokens
    payments: PaymentService
    login_codes: LoginCodes
    sessions: Sessions
    #: Sends sign-in codes from its own thread (``login_codes.Courier``).
    courier: Courier

    @classmethod
    def start(cls, settings: WebSettings) -> Club:
        system = build_system(settings.booking)
        side = system.app.recorder.side  # type: ignore[attr-defined]
        tokens = AdminTokens(
            side, configured=[settings.admin_token] if settings.admin_token else []
        )
        payments = system.payments
        if isinstance(payments.provider, StripeProvider) and not settings.booking.base_url:
            # Stripe sends payers back to absolute addresses; never built from a
            # request's Host header, which the client chooses.
            system.close()
            raise ValueError(
                "BOOKING_BASE_URL is needed with Stripe: checkouts return payers there"
            )
        senders = system.engine.deliverer.senders
        courier = Courier(_code_out(system.engine.outbox, system.app, senders))
        codes = LoginCodes(
            side,
            system.app.clock,
            _login_codes_out(system.engine.outbox, system.app, senders, courier),
            secret=settings.derived_key("booking:login-codes"),
        )
        # The step between asking for a code and typing it lasts as long as the code.
        sign_in = SessionPolicy(lifetime=VALID_FOR, idle=VALID_FOR)
        sessions = Sessions(
            side,
            system.app.clock,
            {ADMIN: settings.admin_session, PORTAL: settings.portal_session, SIGN_IN: sign_in},
            token_live=tokens.live,
        )
        return cls(settings, system, tokens, payments, codes, sessions, courier)

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
        never shows a view older than that write (bounded: 5 s). If the read
        models could not get there — one is stopped at an event it cannot apply
        (``/api/health`` names it) — the answer goes out all the same, with a
        ``warning`` that it may show older data: the write itself is done.
        """
        if after:
            # Never wait for a position the store has not reached (a client's typo,
            # a position from another deployment): the head is as far as it goes.
            after = min(after, int(self.app.recorder.max_notification_id() or 0))
        if after and not self._caught_up(after) and has_request_context():
            stopped = sorted({s.name for s in self.views.stalls()})
            request.environ[WARNING_KEY] = (
                f"Saved (position {after}), but the {', '.join(stopped)} read model"
                f"{'s are' if len(stopped) > 1 else ' is'} stopped at an event"
                " (see /api/health): what you see here may be older."
                if stopped
                else f"Saved (position {after}); the read models are catching up,"
                " so what you see here may be older."
            )
        with self.views.engine.connect() as conn:
            yield conn

    def _caught_up(self, position: int) -> bool:
        try:
            return self.views.wait_for(position, timeout=5.0)
        except Exception as error:
            # Helping the read models along failed (a blip): the read below
            # still answers, from what they hold.
            _log.warning("read models could not catch up: %s", what_went_wrong(error))
            return False

    def read(self, query: Callable[..., T], *args: Any, after: int | None = None) -> T:
        with self.reading(after) as conn:
            found = query(conn, *args)
        if found is None and after and has_request_context() and request.method != "GET":
            warning = request.environ.get(WARNING_KEY)
            if warning:
                # This command's write is done but not in the read models yet:
                # not "not found" (a client would write it again).
                raise NotYetVisible(after, warning)
        return found

    def close(self) -> None:
        self.courier.close()
        self.system.close()


def _login_codes_out(
    outbox: Outbox, app: BookingApp, senders: Mapping[str, Sender], courier: Courier
) -> Callable[[str, str], None]:
    """Where ``LoginCodes`` hands a code: to the courier's thread when the club can
    text or email it, so the request never waits for a provider; else (demos,
    tests) to the dev inbox, a row written at once. Never a log."""
    if "sms" in senders or "email" in senders:
        return courier.post

    def to_dev_inbox(phone: str, text: str) -> None:
        with outbox.side.transaction() as tx:
            key = f"login:{uuid4().hex}"
            outbox.put_in_inbox(tx, key, phone, "login_code", text, app.clock.now())

    return to_dev_inbox


def _code_out(
    outbox: Outbox, app: BookingApp, senders: Mapping[str, Sender]
) -> Callable[[str, str], None]:
    """The courier's send: by text message to the phone signing in, or by email to
    its player; the dev inbox if neither reaches them."""

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
                _log.warning("sign-in code by %s failed: %s", sender.name, redact(error.detail))
        with outbox.side.transaction() as tx:
            outbox.put_in_inbox(tx, key, phone, "login_code", text, app.clock.now())

    return send


def club() -> Club:
    found: Club = current_app.extensions["booking"]
    return found
