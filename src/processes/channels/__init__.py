"""The delivery port: one way to hand a message to an outside service.

A *sender* reaches one address (an email address, a phone number, a Web Push
subscription, a native push token) and either returns, or raises
:class:`TemporaryFailure` (try again later: network down, 5xx, 429) or
:class:`PermanentFailure` (this address will never work; ``gone`` means the
address should be forgotten, e.g. an unregistered push token). Senders carry
the outbox id as their idempotency key wherever the service has one
(``Message-ID`` for email, ``Topic`` for Web Push, the FCM message's
``collapse_key``), so a resend after a crash is recognisably the same notice.

Choosing the channel for a player, the retries and the ledger are the
deliverer's (``processes.delivery``); a sender knows nothing of players.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """One notice, in the words every channel uses."""

    outbox_id: str  #: the idempotency key
    kind: str
    subject: str  #: one line: an email's subject, a push notification's title
    text: str  #: the notice itself (seed wording)
    url: str | None = None  #: where the player acts on it (the portal), if anywhere


class TemporaryFailure(Exception):
    """The service could not take the message now; the same message may work later."""

    def __init__(self, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """The service refused the message for good; ``gone``: forget this address."""

    def __init__(self, detail: str, *, gone: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.gone = gone


class Sender(Protocol):
    """Sends to one address of one kind (``name``: "email", "webpush", "fcm", "sms")."""

    name: str

    def send(self, address: str, message: Outgoing) -> None: ...
