"""Delivering notices: one port, several channels (architecture.md, issue "Notifications").

A delivery takes a pending notice from the outbox, looks up the player (their
phone and whether they are muted, as they are *now*), hands the message to
each channel and records the outcome, all in one transaction. The dev inbox
writes within that transaction, so a message reaches it exactly once however
often the delivery is retried; external channels (later) get the outbox id
as their idempotency key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from booking_domain.application import BookingApp
from booking_domain.clock import Clock
from booking_domain.errors import NotFound
from booking_domain.player import Player
from processes.notices import FOR_GUARDIANS
from processes.outbox import FAILED, PENDING, SENT, SUPPRESSED, Outbox
from processes.sidestore import Tx, to_us

log = logging.getLogger("booking.delivery")

#: Seven or more digits (spaces, brackets, dashes between), not inside a word or an id.
_PHONE_LIKE = re.compile(r"(?<![\w-])\+?\d[\d ()-]{6,}\d(?![\w-])")


#: A calendar date (``2026-11-25``, a court day's address): shaped like a number, never one.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def redact(text: str) -> str:
    """Hide anything that looks like a phone number (logs never carry one)."""
    return _PHONE_LIKE.sub(
        lambda m: m.group(0) if _ISO_DATE.fullmatch(m.group(0)) else "[phone]", text
    )


@dataclass(frozen=True)
class Message:
    """A notice on its way to one person."""

    outbox_id: str
    player_id: UUID
    phone: str
    kind: str
    text: str
    at: datetime


class Channel(Protocol):
    """A way to reach a player (the dev inbox, a log; push, email and SMS later)."""

    name: str

    def send(self, tx: Tx, message: Message) -> None: ...


class DevInboxChannel:
    """Keeps each delivered message per phone, for demos and tests (``/api/test-clock/inbox``)."""

    name = "dev_inbox"

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def send(self, tx: Tx, message: Message) -> None:
        self.outbox.put_in_inbox(
            tx, message.outbox_id, message.phone, message.kind, message.text, message.at
        )


class LogChannel:
    """Writes each message to the log, with phone numbers redacted."""

    name = "log"

    def send(self, tx: Tx, message: Message) -> None:
        log.info(
            "notice %s to player %s: %s", message.kind, message.player_id, redact(message.text)
        )


class Deliverer:
    """Delivers outbox notices through the channels; idempotent on the outbox id."""

    def __init__(
        self, app: BookingApp, outbox: Outbox, channels: Sequence[Channel], clock: Clock
    ) -> None:
        self.app = app
        self.outbox = outbox
        self.channels = list(channels)
        self.clock = clock

    def deliver(self, outbox_id: str) -> str | None:
        """Deliver one notice if it is still pending; its outcome, or None if it was not."""
        # Read first (the player as they are now), then claim and send in one write.
        row = self.outbox.peek(outbox_id)
        if row is None or row["status"] != PENDING:
            return None
        try:
            player: Player | None = self.app.get_player(UUID(row["player_id"]))
        except NotFound:
            player = None
        now = self.clock.now()
        with self.outbox.side.transaction() as tx:
            if self.outbox.claim(tx, outbox_id) is None:
                return None  # delivered meanwhile by someone else
            if player is None:
                self.outbox.finish(tx, outbox_id, FAILED, None, "no such player", to_us(now))
                return FAILED
            if player.muted:
                self.outbox.finish(tx, outbox_id, SUPPRESSED, None, "muted", to_us(now))
                return SUPPRESSED
            for message in self._messages(outbox_id, player, row["kind"], row["text"], now):
                for channel in self.channels:
                    channel.send(tx, message)
            names = ",".join(c.name for c in self.channels)
            self.outbox.finish(tx, outbox_id, SENT, names, "", to_us(now))
            return SENT

    @staticmethod
    def _messages(
        outbox_id: str, player: Player, kind: str, text: str, now: datetime
    ) -> list[Message]:
        """The player's message, and for paid-place notices one per guardian (seed 000:
        "the waitlisted player (or their parent)"); each copy has its own id."""
        messages = [Message(outbox_id, player.id, player.phone, kind, text, now)]
        if kind in FOR_GUARDIANS:
            messages += [
                Message(f"{outbox_id}:guardian:{n}", player.id, phone, kind, text, now)
                for n, phone in enumerate(player.guardian_phones, start=1)
            ]
        return messages

    def deliver_pending(self, limit: int = 200) -> int:
        """Deliver what is waiting, in the order it was written (the embedded runner)."""
        done = 0
        for outbox_id in self.outbox.pending_ids(limit):
            if self.deliver(outbox_id) is not None:
                done += 1
        return done

    def dispatch(
        self,
        send: Callable[[str], object],
        *,
        now_us: int,
        limit: int = 200,
        resend_after_s: int = 60,
    ) -> int:
        """Hand pending notices to the queue (production); a lost message is handed again."""
        ids = self.outbox.take_for_dispatch(
            limit=limit, now_us=now_us, stale_after_us=resend_after_s * 1_000_000
        )
        for outbox_id in ids:
            send(outbox_id)
        return len(ids)
