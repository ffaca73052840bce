"""A local fake of the few Stripe endpoints `StripeProvider` calls.

A real HTTP server on 127.0.0.1 (werkzeug, in a thread), so the official `stripe` library
does its own form encoding, headers, retries and error parsing against it. It records
every request and answers JSON shaped like Stripe's, including the parts the adapter's
behaviour depends on: idempotent replays per `Idempotency-Key` (and the refusal of a key
reused with other parameters), the 30 min – 24 h bounds on `expires_at`, and the 400 for
expiring a session that is no longer open.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

API_KEY = "sk_test_fake_0123456789abcdef"
WEBHOOK_SECRET = "whsec_fake_0123456789abcdef"

# Stripe's own wording for the refusals the adapter must cope with.
REUSED_KEY = (
    "Keys for idempotent requests can only be used with the same parameters they were "
    "first used with."
)
NOT_OPEN = (
    'Only Checkout Sessions with a status in ["open"] can be expired. '
    "This Checkout Session has a status of `{status}`."
)
EXPIRES_AT_BOUNDS = (
    "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
    "Checkout Session creation."
)


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


@dataclass
class FakeStripe:
    """The fake server; `clock` is what it checks `expires_at` bounds against."""

    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    api_key: str = API_KEY
    url: str = ""  # set while serving
    requests: list[Recorded] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    _replays: dict[str, tuple[dict[str, str], int, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Run the server for the duration of a `with` block; gives its base URL."""
        server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_port}"
        try:
            yield self.url
        finally:
            server.shutdown()
            thread.join(timeout=5)

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def complete(self, session_id: str) -> dict[str, Any]:
        """What Stripe does when the payer pays: the session completes with a PaymentIntent."""
        session = self.sessions[session_id]
        session.update(
            status="complete", payment_status="paid", payment_intent=f"pi_{uuid.uuid4().hex[:24]}"
        )
        return session

    # -- the HTTP side ------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        form = dict(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
        recorded = Recorded(request.method, request.path, form, dict(request.headers))
        with self._lock:
            self.requests.append(recorded)
            status, body = self._answer(recorded)
        return Response(json.dumps(body), status, content_type="application/json")(
            environ, start_response
        )

    def _answer(self, req: Recorded) -> tuple[int, dict[str, Any]]:
        if req.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(
                401, "invalid_request_error", "Invalid API Key provided: sk_test_****cdef"
            )
        key = req.idempotency_key
        if req.method == "POST" and key and key in self._replays:
            form, status, body = self._replays[key]
            if form != req.form:
                return _error(400, "idempotency_error", REUSED_KEY)
            return status, body
        status, body = self._route(req)
        if req.method == "POST" and key:
            self._replays[key] = (req.form, status, body)
        return status, body

    def _route(self, req: Recorded) -> tuple[int, dict[str, Any]]:
        if (req.method, req.path) == ("POST", "/v1/checkout/sessions"):
            return self._create_session(req.form)
        if (req.method, req.path) == ("POST", "/v1/refunds"):
            return self._create_refund(req.form)
        match = re.fullmatch(r"/v1/checkout/sessions/([^/]+)(/expire)?", req.path)
        if match is None or match[1] not in self.sessions:
            return _error(
                404, "invalid_request_error", "No such checkout.session", "resource_missing"
            )
        session = self.sessions[match[1]]
        if req.method == "GET" and not match[2]:
            return 200, session
        if req.method == "POST" and match[2]:
            if session["status"] != "open":
                return _error(
                    400, "invalid_request_error", NOT_OPEN.format(status=session["status"])
                )
            session["status"] = "expired"
            return 200, session
        return _error(404, "invalid_request_error", "Unrecognized request URL")

    def _create_session(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        now = int(self.clock().timestamp())
        expires_at = int(form.get("expires_at", now + 24 * 3600))
        if not now + 30 * 60 <= expires_at <= now + 24 * 3600:
            return _error(400, "invalid_request_error", EXPIRES_AT_BOUNDS, param="expires_at")
        session_id = f"cs_test_{uuid.uuid4().hex}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": form["mode"],
            "status": "open",
            "payment_status": "unpaid",
            "payment_intent": None,
            "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
            "currency": form["line_items[0][price_data][currency]"],
            "client_reference_id": form.get("client_reference_id"),
            "metadata": {
                k.removeprefix("metadata[").removesuffix("]"): v
                for k, v in form.items()
                if k.startswith("metadata[")
            },
            "expires_at": expires_at,
            "created": now,
            "success_url": form["success_url"],
            "cancel_url": form["cancel_url"],
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "livemode": False,
        }
        self.sessions[session_id] = session
        return 200, session

    def _create_refund(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        intent = form.get("payment_intent")
        session = next(
            (s for s in self.sessions.values() if intent and s["payment_intent"] == intent), None
        )
        if session is None:
            return _error(400, "invalid_request_error", f"No such payment_intent: '{intent}'")
        refund = {
            "id": f"re_{uuid.uuid4().hex[:24]}",
            "object": "refund",
            "payment_intent": intent,
            "amount": int(form.get("amount", session["amount_total"])),
            "currency": session["currency"],
            "status": "succeeded",
            "metadata": {
                k.removeprefix("metadata[").removesuffix("]"): v
                for k, v in form.items()
                if k.startswith("metadata[")
            },
        }
        self.refunds[refund["id"]] = refund
        return 200, refund


def _error(
    status: int, kind: str, message: str, code: str | None = None, param: str | None = None
) -> tuple[int, dict[str, Any]]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return status, {"error": error}


# -- webhooks, as Stripe sends them ------------------------------------------------------


def checkout_event(
    kind: str, session: dict[str, Any], *, created: int | None = None
) -> dict[str, Any]:
    """A v1 "snapshot" event around a Checkout Session, shaped like Stripe's."""
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": created if created is not None else int(datetime.now(UTC).timestamp()),
        "data": {"object": session},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


def paid_session(payment_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    """A completed, paid Checkout Session of ours, as a webhook carries it."""
    session = {
        "id": f"cs_test_{uuid.uuid4().hex}",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": "pi_123",
        "amount_total": 1250,
        "currency": "gbp",
        "client_reference_id": str(payment_id),
        "metadata": {"payment_id": str(payment_id), "offer_id": str(uuid.uuid4())},
    }
    return session | changes


def signed(
    event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers Stripe would POST for `event`, signed at `at` (default: now)."""
    body = json.dumps(event).encode()
    timestamp = at if at is not None else int(time.time())
    return body, {"Stripe-Signature": stripe_signature(body, secret, timestamp)}


def stripe_signature(body: bytes, secret: str, timestamp: int) -> str:
    """`Stripe-Signature` as Stripe documents it (and `stripe/_webhook.py` checks it):
    `t=<unix>,v1=<hex HMAC-SHA256 keyed by the secret, of "<t>.<body>">`."""
    signed = f"{timestamp}.{body.decode()}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
