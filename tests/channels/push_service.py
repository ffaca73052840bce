"""A local fake Web Push service, strict where a real one is.

A real HTTP server on 127.0.0.1 (werkzeug, in a thread), so ``pywebpush`` and
``requests`` do their own encryption, headers and connection handling against
it. It makes subscriptions as a browser would (a P-256 key pair and a 16-byte
auth secret per subscription, optionally restricted to one application server
key), and for each ``POST /push/<id>`` it checks what push services check: the
VAPID ``Authorization`` (ES256 signature against ``k``, ``aud`` = this origin,
``exp`` in the future and at most 24 h ahead, ``sub`` a ``mailto:``/``https:``
contact, ``k`` = the subscription's key), ``TTL``, ``Topic`` and ``Urgency``;
then it decrypts the aes128gcm body with the subscription's private key and
records the notice. Per subscription it can also answer 410 ("gone"), 500
("fail"), 429 ("busy") or take its time ("slow").

No pytest here: the benchmark drives it as well.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import http_ece  # type: ignore[import-untyped]
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

Reply = Literal["ok", "gone", "fail", "busy", "slow"]

#: What a "busy" subscription's 429 asks the sender to wait.
BUSY_RETRY_AFTER = 7

_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
_URGENCIES = ("very-low", "low", "normal", "high")
_PATH = re.compile(r"/push/([A-Za-z0-9_-]+)")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Refused(Exception):
    """A request the push service answers with an error status."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.headers = headers or {}


@dataclass
class Subscription:
    """One browser's subscription, with the secrets only the browser holds."""

    id: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    application_server_key: str | None
    reply: Reply = "ok"
    delay: float = 0.0

    def public_point(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )


@dataclass
class PushService:
    """The fake; ``slow_seconds`` is how long a "slow" subscription waits before answering.

    ``application_server_key`` is the default restriction for new subscriptions (None:
    any VAPID key is accepted, but a valid VAPID token is still required).
    """

    slow_seconds: float = 2.0
    application_server_key: str | None = None
    origin: str = ""  # set while serving, e.g. "http://127.0.0.1:40123"
    _subs: dict[str, Subscription] = field(default_factory=dict)
    _received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _answers: list[tuple[str, int, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _server: Any = None
    _thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> PushService:
        """Listen on an ephemeral port of 127.0.0.1; ``origin`` says which."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self._server = server
        self.origin = f"http://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fake-push-service", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening (later sends are refused); "slow" answers in flight end now."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> PushService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the browser's side -----------------------------------------------------------

    def subscribe(
        self, reply: Reply = "ok", *, application_server_key: str | None = None
    ) -> tuple[str, str]:
        """A new subscription: its id and the ``PushSubscription.toJSON()`` text."""
        if not self.origin:
            raise RuntimeError("start the push service before subscribing")
        sub_id = uuid.uuid4().hex
        sub = Subscription(
            id=sub_id,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=os.urandom(16),
            application_server_key=application_server_key or self.application_server_key,
            reply=reply,
            delay=self.slow_seconds,
        )
        with self._lock:
            self._subs[sub_id] = sub
            self._received[sub_id] = []
        return sub_id, json.dumps(
            {
                "endpoint": self.endpoint(sub_id),
                "expirationTime": None,
                "keys": {"p256dh": b64url(sub.public_point()), "auth": b64url(sub.auth)},
            }
        )

    def endpoint(self, sub_id: str) -> str:
        return f"{self.origin}/push/{sub_id}"

    def set_reply(self, sub_id: str, reply: Reply, *, delay: float | None = None) -> None:
        """How the service answers this subscription from now on."""
        with self._lock:
            sub = self._subs[sub_id]
            sub.reply = reply
            if delay is not None:
                sub.delay = delay

    def unsubscribe(self, sub_id: str) -> None:
        """Forget the subscription, as after the user revokes permission (then: 404)."""
        with self._lock:
            self._subs.pop(sub_id, None)

    def received(self, sub_id: str) -> list[dict[str, Any]]:
        """Notices delivered to the subscription: ``payload`` (decoded JSON), ``ttl``,
        ``topic``, ``urgency`` and the VAPID ``claims``."""
        with self._lock:
            return list(self._received.get(sub_id, []))

    def answers(self, sub_id: str | None = None) -> list[tuple[int, str]]:
        """Every answer given (status, reason), to one subscription or to all."""
        with self._lock:
            return [(s, r) for i, s, r in self._answers if sub_id is None or i == sub_id]

    # -- the HTTP side ----------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        match = _PATH.fullmatch(request.path)
        sub_id = match[1] if match else ""
        try:
            if request.method != "POST" or match is None:
                raise Refused(404, "no such resource")
            with self._lock:
                sub = self._subs.get(sub_id)
            if sub is None:
                raise Refused(404, "no such subscription")
            if sub.reply == "slow":
                self._stopping.wait(sub.delay)
            status, headers = self._deliver(sub, request)
        except Refused as refused:
            status, headers = refused.status, refused.headers
            reason = refused.reason
        else:
            reason = "created"
        with self._lock:
            self._answers.append((sub_id, status, reason))
        body = "" if status < 300 else reason
        return Response(body, status, headers=headers, content_type="text/plain")(
            environ, start_response
        )

    def _deliver(self, sub: Subscription, request: Request) -> tuple[int, dict[str, str]]:
        if sub.reply == "gone":
            raise Refused(410, "subscription expired")
        if sub.reply == "fail":
            raise Refused(500, "internal error")
        if sub.reply == "busy":
            raise Refused(429, "too many requests", {"Retry-After": str(BUSY_RETRY_AFTER)})
        claims = self._check_vapid(sub, request.headers.get("Authorization", ""))
        ttl = request.headers.get("TTL", "")
        if not ttl.isdigit():
            raise Refused(400, "TTL header missing or not a number")
        topic = request.headers.get("Topic")
        if topic is not None and not _TOPIC.fullmatch(topic):
            raise Refused(400, "Topic must be 1-32 URL-safe base64 characters")
        urgency = request.headers.get("Urgency")
        if urgency is not None and urgency not in _URGENCIES:
            raise Refused(400, "unknown Urgency")
        if request.headers.get("Content-Encoding") != "aes128gcm":
            raise Refused(415, "Content-Encoding must be aes128gcm")
        body = request.get_data()
        if len(body) > 4096:
            raise Refused(413, "payload too large")
        try:
            plain = http_ece.decrypt(
                body, private_key=sub.private_key, auth_secret=sub.auth, version="aes128gcm"
            )
            payload = json.loads(plain)
        except (http_ece.ECEException, ValueError) as exc:
            raise Refused(400, f"cannot decrypt: {type(exc).__name__}") from None
        with self._lock:
            self._received[sub.id].append(
                {
                    "subscription": sub.id,
                    "payload": payload,
                    "ttl": int(ttl),
                    "topic": topic,
                    "urgency": urgency,
                    "claims": claims,
                }
            )
        return 201, {"Location": f"{self.origin}/message/{uuid.uuid4().hex}"}

    def _check_vapid(self, sub: Subscription, authorization: str) -> dict[str, Any]:
        """RFC 8292: 401 without VAPID, 403 when it is present but wrong."""
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise Refused(401, "VAPID authorization required")
        parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        token, key = parts.get("t", ""), parts.get("k", "")
        if not token or not key:
            raise Refused(401, "VAPID t= and k= required")
        if sub.application_server_key is not None and key != sub.application_server_key:
            raise Refused(403, "VAPID key differs from the subscription's")
        claims = _verify_es256(token, key)
        if claims.get("aud") != self.origin:
            raise Refused(403, "VAPID aud is not this push service")
        exp = claims.get("exp")
        now = time.time()
        if not isinstance(exp, int) or not now < exp <= now + 24 * 3600:
            raise Refused(403, "VAPID exp must be in the next 24 hours")
        sub_claim = claims.get("sub")
        if not isinstance(sub_claim, str) or not sub_claim.startswith(("mailto:", "https:")):
            raise Refused(403, "VAPID sub must be mailto: or https:")
        return claims


def _verify_es256(token: str, key: str) -> dict[str, Any]:
    """The claims of an ES256 JWT signed by the P-256 key ``key`` (else 403)."""
    try:
        header_b64, claims_b64, sig_b64 = token.split(".")
        header = json.loads(unb64url(header_b64))
        if header.get("alg") != "ES256":
            raise ValueError("alg")
        sig = unb64url(sig_b64)
        if len(sig) != 64:
            raise ValueError("signature length")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        public.verify(
            utils.encode_dss_signature(
                int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
            ),
            f"{header_b64}.{claims_b64}".encode(),
            ec.ECDSA(hashes.SHA256()),
        )
        claims = json.loads(unb64url(claims_b64))
        if not isinstance(claims, dict):
            raise ValueError("claims")
    except (ValueError, TypeError, binascii.Error, InvalidSignature) as exc:
        raise Refused(403, f"VAPID token invalid ({type(exc).__name__})") from None
    return claims


class _QuietHandler(WSGIRequestHandler):
    """No access log: the paths are push endpoints, and tests need no noise."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass
