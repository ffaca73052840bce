"""Native push through the FCM HTTP v1 API (Android and, via FCM, iOS).

One ``send`` is one ``messages:send`` call. The OAuth access token comes from
the service account with ``google-auth`` and is cached until it is about to
expire; a 401 refreshes it once. The outbox id is both the Android
``collapse_key`` and the ``apns-collapse-id``, so a resend after a crash
replaces the notice on the device instead of adding a second one.

Failures map onto the delivery port (FCM v1 ``ErrorCode``): a token FCM no
longer knows (``UNREGISTERED``, ``SENDER_ID_MISMATCH``, an invalid token) is
``PermanentFailure(gone=True)``; quota, outages and the network are
``TemporaryFailure``. Neither the registration token, the access token nor
the service-account key ever appears in an exception or a log line.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import requests
from google.oauth2 import service_account

from processes.channels import Outgoing, PermanentFailure, TemporaryFailure

log = logging.getLogger("booking.channels.fcm")

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"

#: Kinds a player must see at once (an offer runs out, a match changed): high priority.
URGENT_KINDS = frozenset(
    {"waitlist_offer", "payment_offer", "cancellation", "dropout", "login_code"}
)

_FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
_BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
_APNS_COLLAPSE_MAX = 64  #: bytes; APNs refuses a longer apns-collapse-id


class _TimedRequest(google.auth.transport.requests.Request):
    """google-auth's transport with our timeout (its default is two minutes)."""

    def __init__(self, session: requests.Session, timeout: float) -> None:
        super().__init__(session)
        self._timeout = timeout

    def __call__(
        self,
        url: Any,
        method: Any = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> Any:
        return super().__call__(  # type: ignore[no-untyped-call]
            url, method, body, headers, timeout or self._timeout, **kwargs
        )


class FcmSender:
    """Sends a notice to one FCM registration token (the ``Sender`` port, ``name = "fcm"``)."""

    name = "fcm"

    def __init__(
        self,
        service_account_file: str,
        *,
        project_id: str | None = None,
        base_url: str = "https://fcm.googleapis.com",
        timeout: float = 10.0,
    ) -> None:
        self._credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            service_account_file, scopes=[SCOPE]
        )
        project = project_id or self._credentials.project_id
        if not project:
            raise ValueError("FCM needs a project id: none given and none in the service account")
        self.project_id: str = project
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        self._auth_request = _TimedRequest(self._session, timeout)
        self._lock = threading.Lock()

    # -- the port ----------------------------------------------------------------------

    def send(self, address: str, message: Outgoing) -> None:
        """POST one message; return, or raise TemporaryFailure / PermanentFailure."""
        body = {"message": self.payload(address, message)}
        token = self._access_token()
        response = self._post(body, token)
        if response.status_code == 401 and _fcm_error_code(response) != "THIRD_PARTY_AUTH_ERROR":
            # Our access token was refused (revoked, clock skew): fetch a new one, once.
            token = self._access_token(stale=token)
            response = self._post(body, token)
        if 200 <= response.status_code < 300:
            return
        raise self._failure(response, message)

    def payload(self, address: str, message: Outgoing) -> dict[str, Any]:
        """The v1 ``Message`` for ``address`` (public so tests and docs can show it)."""
        return {
            "token": address,
            "notification": {"title": message.subject, "body": message.text},
            "data": {
                "url": message.url or "",
                "kind": message.kind,
                "outbox_id": message.outbox_id,
            },
            "android": {
                "collapse_key": message.outbox_id,
                "priority": "high" if message.kind in URGENT_KINDS else "normal",
            },
            "apns": {"headers": {"apns-collapse-id": apns_collapse_id(message.outbox_id)}},
        }

    def close(self) -> None:
        """Release pooled connections (the sender is usable until then)."""
        self._session.close()

    # -- HTTP and the access token --------------------------------------------------------

    def _post(self, body: dict[str, Any], token: str) -> requests.Response:
        url = f"{self.base_url}/v1/projects/{self.project_id}/messages:send"
        try:
            return self._session.post(
                url,
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            # The exception text is left out: it may quote the request.
            raise TemporaryFailure(f"FCM unreachable ({type(exc).__name__})") from None

    def _access_token(self, stale: str | None = None) -> str:
        """The cached access token, refreshed when expired or when ``stale`` was refused.

        The lock makes concurrent senders share one refresh; a thread that saw a
        401 for a token another thread has already replaced just takes the new one.
        """
        with self._lock:
            creds = self._credentials
            if creds.valid and creds.token != stale:
                return str(creds.token)
            try:
                creds.refresh(self._auth_request)
            except google.auth.exceptions.RefreshError as exc:
                code = _oauth_error_code(exc)
                log.error("FCM access token refused by the token endpoint (%s)", code)
                raise TemporaryFailure(f"FCM authentication failed ({code})") from None
            except (google.auth.exceptions.TransportError, requests.RequestException) as exc:
                raise TemporaryFailure(
                    f"FCM token endpoint unreachable ({type(exc).__name__})"
                ) from None
            log.info("FCM access token refreshed")
            return str(creds.token)

    # -- error mapping ---------------------------------------------------------------

    def _failure(
        self, response: requests.Response, message: Outgoing
    ) -> TemporaryFailure | PermanentFailure:
        status = response.status_code
        code = _fcm_error_code(response) or _status_name(response) or f"HTTP {status}"
        where = f"outbox {message.outbox_id}"
        if code == "UNREGISTERED":
            log.info("FCM token unregistered (%s)", where)
            return PermanentFailure("FCM: the device token is no longer registered", gone=True)
        if code == "SENDER_ID_MISMATCH":
            log.info("FCM token belongs to another sender (%s)", where)
            return PermanentFailure("FCM: the device token belongs to another sender", gone=True)
        if status == 400 and code == "INVALID_ARGUMENT":
            if _token_is_invalid(response):
                return PermanentFailure("FCM: the device token is not valid", gone=True)
            return PermanentFailure("FCM refused the message (INVALID_ARGUMENT)")
        if status == 401:
            log.error("FCM refused our credentials (%s, %s)", code, where)
            return TemporaryFailure(f"FCM refused the credentials ({code})")
        if status == 429 or status >= 500:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            log.warning("FCM busy: %s (HTTP %d, %s)", code, status, where)
            return TemporaryFailure(f"FCM unavailable ({code})", retry_after=retry_after)
        log.warning("FCM refused the message: %s (HTTP %d, %s)", code, status, where)
        return PermanentFailure(f"FCM refused the message ({code}, HTTP {status})")


def apns_collapse_id(outbox_id: str) -> str:
    """The outbox id, or its SHA-256 when longer than APNs allows (stable either way)."""
    if len(outbox_id.encode()) <= _APNS_COLLAPSE_MAX:
        return outbox_id
    return hashlib.sha256(outbox_id.encode()).hexdigest()  # 64 hex characters


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), or None when absent or odd."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error(response: requests.Response) -> dict[str, Any]:
    """The ``error`` object of a Google API error body, or {} if there is none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _details(response: requests.Response) -> list[dict[str, Any]]:
    details = _error(response).get("details")
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _fcm_error_code(response: requests.Response) -> str | None:
    """The FcmError ``errorCode`` (UNREGISTERED, QUOTA_EXCEEDED, …), if the body has one."""
    for detail in _details(response):
        if detail.get("@type") == _FCM_ERROR and isinstance(detail.get("errorCode"), str):
            return str(detail["errorCode"])
    return None


def _status_name(response: requests.Response) -> str | None:
    status = _error(response).get("status")
    return status if isinstance(status, str) and status.isidentifier() else None


def _token_is_invalid(response: requests.Response) -> bool:
    """Whether an INVALID_ARGUMENT is about the registration token, not our payload."""
    for detail in _details(response):
        if detail.get("@type") == _BAD_REQUEST:
            violations = detail.get("fieldViolations") or []
            if any(isinstance(v, dict) and v.get("field") == "message.token" for v in violations):
                return True
    text = str(_error(response).get("message", "")).lower()
    return "registration token" in text


def _oauth_error_code(exc: google.auth.exceptions.RefreshError) -> str:
    """``invalid_grant`` and the like from a RefreshError, never its free text."""
    data = exc.args[1] if len(exc.args) > 1 else None
    code = data.get("error") if isinstance(data, dict) else None
    return code if isinstance(code, str) and code.replace("_", "").isalnum() else "refresh failed"
