"""Local stand-ins for FCM (with its OAuth token endpoint) and a Twilio-style SMS API.

Each fake is one small WSGI app on 127.0.0.1 (an ephemeral port, a daemon
thread), so the real senders run unchanged against it: google-auth signs a
JWT with the service account the fake wrote and posts it to the fake's
``/token``, requests posts to the fake's API. Behaviour is chosen per address
(``register``); what got through is in ``.received``. Nothing here needs
pytest, so a benchmark can use the fakes too::

    with FakeFcm() as fcm:
        sender = FcmSender(fcm.service_account_file, base_url=fcm.url)
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


class _QuietHandler(WSGIRequestHandler):
    """No access log; HTTP/1.0 so no kept-alive connection outlives ``stop()``."""

    protocol_version = "HTTP/1.0"

    def log(self, type: str, message: str, *args: Any) -> None:
        pass


class _LocalServer:
    """Serves ``handle`` on 127.0.0.1 in a thread between ``start()`` and ``stop()``."""

    def __init__(self) -> None:
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (the base URL to give a sender)."""
        if self._server is None:
            raise RuntimeError("start() the fake first")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("already started")
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self._started()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; a sender's next request finds the port closed."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
        self._stopped()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _started(self) -> None:
        """Hook: the port is known."""

    def _stopped(self) -> None:
        """Hook: the port is closed."""

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        raise NotImplementedError


def _json(body: object, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _google_error(
    status: int, name: str, message: str, fcm_code: str | None = None, field: str | None = None
) -> dict[str, Any]:
    """A Google API error body as FCM v1 returns it."""
    details: list[dict[str, Any]] = []
    if fcm_code:
        details.append({"@type": FCM_ERROR, "errorCode": fcm_code})
    if field:
        violation = {"field": field, "description": message}
        details.append({"@type": BAD_REQUEST, "fieldViolations": [violation]})
    error: dict[str, Any] = {"code": status, "message": message, "status": name}
    if details:
        error["details"] = details
    return {"error": error}


_INVALID_TOKEN = "The registration token is not a valid FCM registration token"
_BAD = "INVALID_ARGUMENT"
#: behaviour -> (HTTP status, status name, FcmError errorCode, message, BadRequest field)
_FCM_REFUSALS: dict[str, tuple[int, str, str, str, str | None]] = {
    "unregistered": (404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.", None),
    "invalid": (400, _BAD, _BAD, _INVALID_TOKEN, None),
    "mismatch": (403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch", None),
    "too_big": (400, _BAD, _BAD, "Message is too big", "message"),
    "quota": (429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded.", None),
    "unavailable": (503, "UNAVAILABLE", "UNAVAILABLE", "The service is unavailable.", None),
    "internal": (500, "INTERNAL", "INTERNAL", "Internal error encountered.", None),
}


class FakeFcm(_LocalServer):
    """FCM HTTP v1 ``messages:send`` plus the OAuth token endpoint that feeds it.

    Behaviours per registration token (``register``; unknown tokens are
    ``default``): "ok", "unregistered" (404 UNREGISTERED), "invalid" (400, not
    a valid registration token), "mismatch" (403 SENDER_ID_MISMATCH),
    "too_big" (400 about the payload), "quota" (429 QUOTA_EXCEEDED) and
    "unavailable" (503 UNAVAILABLE), both with ``Retry-After``, "internal" (500).
    """

    def __init__(
        self,
        project_id: str = "fake-project",
        *,
        expires_in: int = 3600,
        retry_after: int = 30,
        default: str = "ok",
    ) -> None:
        super().__init__()
        self.project_id = project_id
        self.expires_in = expires_in
        self.retry_after = retry_after
        self.default = default
        self.client_email = f"booking-push@{project_id}.iam.gserviceaccount.com"
        self.private_key_id = secrets.token_hex(20)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_key_pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.behaviours: dict[str, str] = {}
        self.received: list[dict[str, Any]] = []  #: accepted ``message`` objects, in order
        self.token_requests = 0  #: granted and refused, so tests can count refreshes
        self.send_requests = 0
        self.issued_tokens: list[str] = []  #: every access token handed out
        self.reject_access_tokens = False  #: answer 401 to every send
        self._valid_tokens: set[str] = set()
        self._dir: Path | None = None

    def register(self, token: str, behaviour: str = "ok") -> str:
        self.behaviours[token] = behaviour
        return token

    def revoke_access_tokens(self) -> None:
        """Forget issued access tokens: the next send gets a 401 (as after a revocation)."""
        with self._lock:
            self._valid_tokens.clear()

    @property
    def service_account_file(self) -> str:
        """Path of the service-account JSON (its ``token_uri`` is this fake's ``/token``)."""
        if self._dir is None:
            raise RuntimeError("start() the fake first")
        return str(self._dir / "service-account.json")

    def _started(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="fake-fcm-"))
        info = {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.private_key_id,
            "private_key": self.private_key_pem,
            "client_email": self.client_email,
            "client_id": str(secrets.randbelow(10**20)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": f"{self.url}/token",
        }
        path = Path(self.service_account_file)
        path.write_text(json.dumps(info, indent=2))
        path.chmod(0o600)

    def _stopped(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    def handle(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/token":
            return self._token(request)
        match = re.fullmatch(r"/v1/projects/([^/]+)/messages:send", request.path)
        if request.method == "POST" and match:
            return self._send(request, match.group(1))
        return _json(_google_error(404, "NOT_FOUND", "Not found"), 404)

    def _token(self, request: Request) -> Response:
        with self._lock:
            self.token_requests += 1
        refused = self._check_assertion(request)
        if refused:
            return _json({"error": "invalid_grant", "error_description": refused}, 400)
        access_token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self._valid_tokens.add(access_token)
            self.issued_tokens.append(access_token)
        body = {"access_token": access_token, "expires_in": self.expires_in, "token_type": "Bearer"}
        return _json(body, 200)

    def _check_assertion(self, request: Request) -> str | None:
        """Why the JWT-bearer grant is refused, or None when it is signed by our key."""
        if request.form.get("grant_type") != JWT_BEARER:
            return "Unsupported grant type."
        try:
            head, claims, signature = request.form.get("assertion", "").split(".")
            header = json.loads(_b64url(head))
            payload = json.loads(_b64url(claims))
            self._key.public_key().verify(
                _b64url(signature),
                f"{head}.{claims}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (ValueError, InvalidSignature):
            return "Invalid JWT Signature."
        now = time.time()
        if header.get("alg") != "RS256" or header.get("kid") != self.private_key_id:
            return "Invalid JWT header."
        if payload.get("iss") != self.client_email:
            return "Invalid issuer."
        if FCM_SCOPE not in str(payload.get("scope", "")).split():
            return "Invalid scope."
        if not payload.get("iat", now + 1e9) - 300 <= now < payload.get("exp", 0):
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
        return None

    def _send(self, request: Request, project: str) -> Response:
        with self._lock:
            self.send_requests += 1
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
            authorised = bearer in self._valid_tokens and not self.reject_access_tokens
        if not authorised:
            message = "Request had invalid authentication credentials."
            return _json(_google_error(401, "UNAUTHENTICATED", message), 401)
        if project != self.project_id:
            message = "Permission 'cloudmessaging.messages.create' denied on resource."
            return _json(_google_error(403, "PERMISSION_DENIED", message), 403)
        body = request.get_json(silent=True)
        message_obj = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message_obj, dict) or not isinstance(message_obj.get("token"), str):
            error = _google_error(400, "INVALID_ARGUMENT", "Invalid message.", field="message")
            return _json(error, 400)
        data = message_obj.get("data", {})
        if not all(isinstance(v, str) for v in data.values()):
            error = _google_error(
                400, "INVALID_ARGUMENT", "Invalid value at 'message.data'", field="message.data"
            )
            return _json(error, 400)
        return self._reply(message_obj)

    def _reply(self, message: dict[str, Any]) -> Response:
        behaviour = self.behaviours.get(message["token"], self.default)
        wait = {"Retry-After": str(self.retry_after)}
        if behaviour == "ok":
            with self._lock:
                self.received.append(message)
                number = len(self.received)
            name = f"projects/{self.project_id}/messages/0:{number}%{secrets.token_hex(8)}"
            return _json({"name": name}, 200)
        if behaviour not in _FCM_REFUSALS:
            raise ValueError(f"unknown FakeFcm behaviour {behaviour!r}")
        status, name, code, text, field = _FCM_REFUSALS[behaviour]
        error = _google_error(status, name, text, code, field)
        return _json(error, status, wait if status in (429, 503) else None)


@dataclass(frozen=True)
class Sms:
    """One message the fake SMS provider accepted."""

    sid: str
    to: str
    from_: str
    body: str
    idempotency_token: str | None


class FakeSms(_LocalServer):
    """A Twilio-style ``POST /2010-04-01/Accounts/<sid>/Messages.json`` with basic auth.

    Behaviours per number (``register``; unknown numbers are ``default``):
    "ok" (201), "invalid" (400, code 21211), "landline" (400, 21614),
    "unsubscribed" (400, 21610), "busy" (429 with ``Retry-After``), "down" (503).
    """

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        *,
        retry_after: int = 30,
        default: str = "ok",
    ) -> None:
        super().__init__()
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.retry_after = retry_after
        self.default = default
        self.behaviours: dict[str, str] = {}
        self.received: list[Sms] = []  #: accepted messages, in order
        self.requests = 0  #: every request, accepted or not

    def register(self, number: str, behaviour: str = "ok") -> str:
        self.behaviours[number] = behaviour
        return number

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests += 1
        match = re.fullmatch(r"/2010-04-01/Accounts/([^/]+)/Messages\.json", request.path)
        if request.method != "POST" or not match:
            return _json(_twilio_error(20404, "The requested resource was not found", 404), 404)
        auth = request.authorization
        expected = (self.account_sid, self.auth_token, self.account_sid)
        if auth is None or (auth.username, auth.password, match.group(1)) != expected:
            headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'}
            return _json(_twilio_error(20003, "Authenticate", 401), 401, headers)
        for field, code in (("To", 21604), ("From", 21603), ("Body", 21602)):
            if not request.form.get(field):
                return _json(_twilio_error(code, f"A '{field}' parameter is required.", 400), 400)
        to, from_, body = request.form["To"], request.form["From"], request.form["Body"]
        behaviour = self.behaviours.get(to, self.default)
        if behaviour == "ok":
            key = request.headers.get("I-Twilio-Idempotency-Token")
            sms = Sms("SM" + secrets.token_hex(16), to, from_, body, key)
            with self._lock:
                self.received.append(sms)
            resource = {"sid": sms.sid, "to": to, "from": from_, "body": body, "status": "queued"}
            return _json(resource, 201)
        refusals = {
            "invalid": (21211, f"The 'To' number {to} is not a valid phone number.", 400),
            "landline": (21614, f"'To' number {to} is not a mobile number", 400),
            "unsubscribed": (21610, "Attempt to send to unsubscribed recipient", 400),
            "busy": (20429, "Too Many Requests", 429),
            "down": (20500, "Internal Server Error", 503),
        }
        if behaviour not in refusals:
            raise ValueError(f"unknown FakeSms behaviour {behaviour!r}")
        code, text, status = refusals[behaviour]
        wait = {"Retry-After": str(self.retry_after)} if status in (429, 503) else None
        return _json(_twilio_error(code, text, status), status, wait)


def _twilio_error(code: int, message: str, status: int) -> dict[str, Any]:
    """A Twilio REST error body (its ``message`` may quote the number, as Twilio's does)."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
