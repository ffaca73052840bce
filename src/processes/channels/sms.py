"""SMS through a Twilio-style REST API (``POST …/Accounts/{sid}/Messages.json``).

One ``send`` is one Messages call with the outbox id in
``I-Twilio-Idempotency-Token``, so a retried request is recognisably the same
notice. A number the provider refuses (invalid, not mobile, unsubscribed) is a
``PermanentFailure`` with ``gone=False``: the player's phone number is their
login too, so it is never forgotten because SMS failed. Phone numbers, the
account sid and the auth token stay out of exceptions and logs (the sid is in
the URL, so a network error's own text is never passed on).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

from processes.channels import Outgoing, PermanentFailure, TemporaryFailure

log = logging.getLogger("booking.channels.sms")

#: Twilio error codes that mean "this number cannot take our SMS": invalid 'To',
#: not a mobile number, and the recipient has replied STOP.
REFUSED_NUMBER_CODES = frozenset({21211, 21614, 21610})


class SmsSender:
    """Sends a notice to one phone number (the ``Sender`` port, ``name = "sms"``)."""

    name = "sms"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        base_url: str = "https://api.twilio.com",
        timeout: float = 10.0,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._session = requests.Session()
        self._session.auth = (account_sid, auth_token)
        self._from = from_number
        self.timeout = timeout

    def send(self, address: str, message: Outgoing) -> None:
        """POST one message; return, or raise TemporaryFailure / PermanentFailure."""
        try:
            response = self._session.post(
                self._url,
                data={"To": address, "From": self._from, "Body": message.text},
                headers={"I-Twilio-Idempotency-Token": message.outbox_id},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TemporaryFailure(f"SMS provider unreachable ({type(exc).__name__})") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        code = _twilio_code(response)
        where = f"outbox {message.outbox_id}"
        if status == 429 or status >= 500:
            log.warning("SMS provider busy (HTTP %d, %s)", status, where)
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            raise TemporaryFailure(
                f"SMS provider unavailable (HTTP {status})", retry_after=retry_after
            )
        if status == 400 and code in REFUSED_NUMBER_CODES:
            log.info("SMS provider refused the number (code %d, %s)", code, where)
            raise PermanentFailure(f"SMS provider refused the number (code {code})")
        suffix = f", code {code}" if code is not None else ""
        log.warning("SMS provider refused the message (HTTP %d%s, %s)", status, suffix, where)
        raise PermanentFailure(f"SMS provider refused the message (HTTP {status}{suffix})")

    def close(self) -> None:
        """Release pooled connections (the sender is usable until then)."""
        self._session.close()


def _twilio_code(response: requests.Response) -> int | None:
    """The numeric ``code`` of a Twilio error body; its ``message`` may quote the number."""
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


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
