"""Email over SMTP: a text part and an HTML part from the same words (stdlib ``smtplib``).

``SMTP_URL`` says where: ``smtp://host:port`` (plain, e.g. a local relay or a
test server), ``smtp://user:password@host:587?starttls=1``, or
``smtps://user:password@host:465`` (TLS from the start). The message's
``Message-ID`` is made from the outbox id, so a message sent again after a
crash is the same message to every mail system that de-duplicates.
"""

from __future__ import annotations

import contextlib
import html
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import parse_qs, unquote, urlsplit

from booking_domain.errors import BookingError
from booking_domain.identity import EmailAddress
from processes.channels import Outgoing, PermanentFailure, TemporaryFailure

_TRUE = {"1", "true", "yes", "on"}


class EmailSender:
    """Sends one notice to one email address through the club's SMTP server."""

    name = "email"

    def __init__(
        self,
        smtp_url: str,
        mail_from: str,
        *,
        unsubscribe_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        parts = urlsplit(smtp_url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://host:port or smtps://host:port")
        self.host = parts.hostname
        self.tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        options = parse_qs(parts.query)
        self.starttls = options.get("starttls", ["0"])[0].lower() in _TRUE
        self.mail_from = mail_from
        self.unsubscribe_url = unsubscribe_url
        self.timeout = timeout
        # Made once: loading the system's certificates takes tens of milliseconds.
        self._tls = ssl.create_default_context() if self.tls or self.starttls else None
        #: Each delivery thread keeps its connection open between messages.
        self._local = threading.local()

    def compose(self, address: str, message: Outgoing) -> EmailMessage:
        """The email for one notice: plain text first, then the same words in HTML."""
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.mail_from
        mail["To"] = address
        domain = self.mail_from.rpartition("@")[2].strip("> ") or "localhost"
        # The same notice always has the same Message-ID: a copy sent again after a
        # crash is recognisably the same message (RFC 5322 §3.6.4).
        mail["Message-ID"] = f"<{message.outbox_id}@{domain}>"
        mail["X-Notice-Id"] = message.outbox_id
        mail["Auto-Submitted"] = "auto-generated"
        if self.unsubscribe_url:
            mail["List-Unsubscribe"] = f"<{self.unsubscribe_url}>"
        footer = "You get this because you play at the club. Change how you are told: "
        text = message.text
        if message.url:
            text += f"\n\n{message.url}"
        if self.unsubscribe_url:
            text += f"\n\n--\n{footer}{self.unsubscribe_url}"
        mail.set_content(text)
        mail.add_alternative(_html(message, footer, self.unsubscribe_url), subtype="html")
        return mail

    def send(self, address: str, message: Outgoing) -> None:
        try:
            # One address, never a list or a header (a store from before the
            # check at the door may hold one): refused for good, not retried.
            address = EmailAddress.parse(address).address
        except BookingError:
            raise PermanentFailure("not one valid email address", gone=True) from None
        mail = self.compose(address, message)
        try:
            self._connection().send_message(mail)
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            self._drop()  # whatever state the connection is in, the next message starts afresh
            raise _as_failure(error) from None

    def _connection(self) -> smtplib.SMTP:
        """This thread's open connection, checked with NOOP; a new one if it was closed."""
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        if smtp is not None:
            try:
                if smtp.noop()[0] == 250:
                    return smtp
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()
        smtp = self._connect()
        self._local.smtp = smtp
        return smtp

    def _drop(self) -> None:
        smtp = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._tls)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                smtp.starttls(context=self._tls)
        if self.user and self.password:
            smtp.login(self.user, self.password)
        return smtp


def _as_failure(error: Exception) -> TemporaryFailure | PermanentFailure:
    """An SMTP error as the port's: 4xx is "try later", 5xx "never", no answer "later"."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        if all(400 <= code < 500 for code in codes):
            return TemporaryFailure(f"mail server deferred the recipient ({codes[0]})")
        return PermanentFailure(f"mail server refused the recipient ({codes[0]})")
    if isinstance(error, smtplib.SMTPResponseException):
        if 400 <= error.smtp_code < 500:
            return TemporaryFailure(f"mail server answered {error.smtp_code}")
        return PermanentFailure(f"mail server answered {error.smtp_code}")
    return TemporaryFailure(f"mail server unreachable ({type(error).__name__})")


def _html(message: Outgoing, footer: str, unsubscribe_url: str | None) -> str:
    body = html.escape(message.text).replace("\n", "<br>")
    action = (
        f'<p><a href="{html.escape(message.url, quote=True)}">Open the club\'s booking page</a></p>'
        if message.url
        else ""
    )
    foot = (
        f'<p style="color:#666;font-size:12px">{html.escape(footer)}'
        f'<a href="{html.escape(unsubscribe_url, quote=True)}">notification settings</a></p>'
        if unsubscribe_url
        else ""
    )
    return (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<p>{body}</p>{action}{foot}</body></html>"
    )


def sender_name(mail_from: str) -> str:
    """``MAIL_FROM`` as given, or a bare address with the club's name."""
    return mail_from if "<" in mail_from else formataddr(("Club bookings", mail_from))
