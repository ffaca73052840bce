"""Web Push (RFC 8030/8291/8292): a notice to one browser's push subscription.

The address is the JSON a browser's ``PushSubscription.toJSON()`` gives
(``{"endpoint": ..., "keys": {"p256dh": ..., "auth": ...}}``). ``pywebpush``
encrypts the payload (aes128gcm) and posts it; this module signs the VAPID
claims itself, so it can fail fast on a bad key or subject and map every
answer of the push service onto the delivery port's two failures.

An endpoint URL is a bearer capability (anyone holding it can push to that
browser), so neither it nor the subscription's keys ever appear in an
exception, its chained cause, or a log line: failures say what the push
service answered ("push service answered 410"), nothing more.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid, Vapid01  # type: ignore[import-untyped]
from py_vapid.utils import b64urldecode, b64urlencode  # type: ignore[import-untyped]
from pywebpush import WebPusher  # type: ignore[import-untyped]

from processes.channels import Outgoing, PermanentFailure, TemporaryFailure

#: Notices the player must act on soon: push services deliver these even to a
#: device saving battery (``Urgency: high``); the rest may wait (``normal``).
HIGH_URGENCY_KINDS = frozenset(
    {"waitlist_offer", "payment_offer", "cancellation", "dropout", "login_code"}
)

#: How long the VAPID token we sign stays valid; push services refuse more than 24 h.
VAPID_TOKEN_SECONDS = 12 * 60 * 60

#: Push services take at most 4096 bytes of encrypted body; aes128gcm in one record
#: adds 86 (salt, record size, sender key) + 1 (delimiter) + 16 (tag) = 103.
MAX_PAYLOAD_BYTES = 4096 - 103

#: A Topic is at most 32 characters of the URL-safe base64 alphabet (RFC 8030 §5.4).
TOPIC_LENGTH = 32

#: The ``aud`` claims py_vapid signs: scheme, host, optional port (no IPv6 literals).
_ORIGIN = re.compile(r"https?://[^/:]+(:\d+)?")

VapidKey: TypeAlias = str | os.PathLike[str] | Vapid01


def load_vapid_key(private_key: VapidKey) -> Vapid01:
    """The VAPID key from any form ``pywebpush.webpush(vapid_private_key=...)`` takes.

    A ``Vapid`` instance; a path to a PEM (or base64url DER) file; a base64url
    DER or raw 32-byte key; and, beyond pywebpush, a PEM string (what
    ``Vapid.private_pem()`` gives and secret stores usually hold). Raises
    ``ValueError`` without echoing the key.
    """
    if isinstance(private_key, Vapid01):
        return private_key
    text = os.fspath(private_key)
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode(), password=None)
            vapid = Vapid(key)
        elif "\n" not in text.strip() and os.path.isfile(text):
            vapid = Vapid.from_file(private_key_file=text)
        else:
            vapid = Vapid.from_string(private_key=text)
    except Exception as exc:  # binascii, cryptography, VapidException: name only, no key
        raise ValueError(f"VAPID private key is not usable ({type(exc).__name__})") from None
    if not isinstance(vapid.private_key, ec.EllipticCurvePrivateKey) or not isinstance(
        vapid.private_key.curve, ec.SECP256R1
    ):
        raise ValueError("VAPID private key must be an EC P-256 key")
    return vapid


def vapid_public_key(private_key: VapidKey) -> str:
    """The application server key a page passes to ``pushManager.subscribe``.

    Base64url (unpadded) of the uncompressed P-256 public point, 65 bytes.
    """
    public = load_vapid_key(private_key).public_key
    raw = public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return str(b64urlencode(raw))


def topic_for(outbox_id: str) -> str:
    """The push-service collapse key for one notice: stable, unique, ≤ 32 URL-safe chars.

    A push service replaces a queued message with a newer one of the same topic,
    so two notices must never share one: a UUID gives its 32 hex digits, any other
    id a truncated SHA-256 (192 bits) in base64url.
    """
    try:
        return uuid.UUID(outbox_id).hex
    except ValueError:
        digest = hashlib.sha256(outbox_id.encode()).digest()
        return str(b64urlencode(digest))[:TOPIC_LENGTH]


def urgency_for(kind: str) -> str:
    """``high`` for notices with a deadline, ``normal`` for the rest."""
    return "high" if kind in HIGH_URGENCY_KINDS else "normal"


def payload_for(message: Outgoing) -> bytes:
    """The JSON the service worker shows; a body too long for a push message is cut."""

    def encode(title: str, body: str) -> bytes:
        return json.dumps(
            {"title": title, "body": body, "url": message.url, "tag": message.outbox_id},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    title, body = message.subject, message.text
    if len(data := encode(title, body)) <= MAX_PAYLOAD_BYTES:
        return data
    body = _longest_prefix(body, lambda cut: encode(title, cut))
    if len(data := encode(title, body)) <= MAX_PAYLOAD_BYTES:
        return data
    title = _longest_prefix(title, lambda cut: encode(cut, body))
    if len(data := encode(title, body)) <= MAX_PAYLOAD_BYTES:
        return data
    raise PermanentFailure("notice is too large for a push message")


def _longest_prefix(text: str, encode: Callable[[str], bytes]) -> str:
    """The longest ``text[:n] + "…"`` whose payload fits (binary search; "" if none)."""

    def shortened(n: int) -> str:
        kept = text[:n].rstrip()
        return kept + "…" if kept else ""

    low, high = 0, len(text)  # shortened(0) == "": the search assumes it fits
    while low < high:
        mid = (low + high + 1) // 2
        if len(encode(shortened(mid))) <= MAX_PAYLOAD_BYTES:
            low = mid
        else:
            high = mid - 1
    return shortened(low)


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return max(0.0, seconds) if math.isfinite(seconds) else None


def parse_subscription(address: str) -> dict[str, Any]:
    """The endpoint and keys of a ``PushSubscription`` JSON, checked before any send.

    A subscription that cannot be parsed never will be: ``PermanentFailure(gone=True)``.
    """
    try:
        sub = json.loads(address)
        endpoint, keys = sub["endpoint"], sub["keys"]
        p256dh, auth = keys["p256dh"], keys["auth"]
        if not all(isinstance(v, str) for v in (endpoint, p256dh, auth)):
            raise TypeError("not text")
        if not _ORIGIN.fullmatch(_origin(endpoint)):  # what a VAPID ``aud`` may be
            raise ValueError("not an http(s) URL")
        point = b64urldecode(p256dh.encode())
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65 or len(b64urldecode(auth.encode())) != 16:
            raise ValueError("wrong key sizes")
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise PermanentFailure("not a usable push subscription", gone=True) from None
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


def _origin(endpoint: str) -> str:
    """The VAPID ``aud``: scheme, host and any explicit port of the endpoint."""
    parts = urlsplit(endpoint)
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme.lower()}://{parts.hostname or ''}{port}"


class WebPushSender:
    """Sends notices to browsers through their push services, signed with our VAPID key."""

    name = "webpush"

    def __init__(
        self,
        vapid_private_key: VapidKey,
        vapid_subject: str,
        *,
        ttl_seconds: int = 3600,
        timeout: float = 10.0,
    ) -> None:
        if ttl_seconds < 0:
            raise ValueError("ttl_seconds must not be negative")
        self._vapid = load_vapid_key(vapid_private_key)
        self.subject = vapid_subject
        self.ttl_seconds = ttl_seconds
        self.timeout = timeout
        try:  # fail at start-up, not on the first notice, if the subject is malformed
            self._vapid.sign({"sub": vapid_subject, "aud": "https://push.example"})
        except Exception:
            raise ValueError("vapid_subject must be a mailto: address or an https: URL") from None
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    vapid_public_key = staticmethod(vapid_public_key)

    @property
    def application_server_key(self) -> str:
        """This sender's public key, for ``pushManager.subscribe({applicationServerKey})``."""
        return vapid_public_key(self._vapid)

    def send(self, address: str, message: Outgoing) -> None:
        """Encrypt and post one notice; raise the port's failures on anything but 2xx."""
        subscription = parse_subscription(address)
        claims = {
            "sub": self.subject,
            "aud": _origin(subscription["endpoint"]),
            "exp": int(time.time()) + VAPID_TOKEN_SECONDS,
        }
        headers = {
            **self._vapid.sign(claims),
            "Topic": topic_for(message.outbox_id),
            "Urgency": urgency_for(message.kind),
        }
        pusher = WebPusher(subscription, requests_session=self._session())
        try:
            response = pusher.send(
                payload_for(message),
                headers,
                ttl=self.ttl_seconds,
                content_encoding="aes128gcm",
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            # Its text names the endpoint: only the kind of failure goes on.
            raise TemporaryFailure(f"push service unreachable ({type(exc).__name__})") from None
        _raise_for(response)

    def close(self) -> None:
        """Close the pooled connections (one pool per sending thread)."""
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._local = threading.local()

    def __enter__(self) -> WebPushSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _session(self) -> requests.Session:
        """A keep-alive session per thread (``requests.Session`` is not thread-safe)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session


def _raise_for(response: requests.Response) -> None:
    """Map the push service's answer onto the delivery port (RFC 8030 §5, §8)."""
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = f"push service answered {status}"
    if status in (404, 410):  # the subscription expired or the user unsubscribed
        raise PermanentFailure(detail, gone=True)
    if status == 429 or status >= 500:  # throttled, or the service is having a bad day
        raise TemporaryFailure(
            detail, retry_after=retry_after_seconds(response.headers.get("Retry-After"))
        )
    # 400 (malformed), 401/403 (VAPID refused), 413 (too large), and stray 1xx/3xx.
    raise PermanentFailure(detail)
