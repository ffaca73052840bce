"""Delivering notices: one port, several channels (architecture.md, issue "Notifications").

A delivery takes a due notice from the outbox, looks up the player (their
phone, email and whether they are muted, as they are *now*) and claims the
row with a lease. The in-process channels (the dev inbox, the log) write in
that claim's transaction, so a message reaches them exactly once however
often the delivery is retried. Then, outside any transaction, the outside
channels are tried in the player's order of preference (``contacts.py``),
falling back to the next when one cannot reach them; the outcome, every try
(the ledger's retries) and any push address a provider says is gone are
written in a second transaction. A temporary failure puts the notice back,
due again after an exponential backoff; a permanent one is recorded and not
tried again. A worker killed between the two leaves a lease that runs out,
and the notice is tried again with the same outbox id (the senders' key).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from dramatiq.common import compute_backoff

from booking_domain.application import BookingApp
from booking_domain.clock import Clock
from booking_domain.errors import NotFound
from booking_domain.player import Player
from processes import messages
from processes.channels import Outgoing, PermanentFailure, Sender, TemporaryFailure
from processes.contacts import FCM, WEBPUSH, Contacts
from processes.notices import FOR_GUARDIANS
from processes.outbox import FAILED, SENT, SUPPRESSED, Outbox
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
    """An in-process way to record a message (the dev inbox, the log), inside the claim."""

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


#: A notice that failed for now and will be tried again (``Deliverer.deliver``'s answer).
RETRY = "retry"
#: Tries before a notice that keeps failing for now is given up as failed.
MAX_ATTEMPTS = 10


def backoff(attempts: int) -> timedelta:
    """How long to wait after the n-th failed try: 2 s, 4 s, 8 s … at most 5 minutes
    (dramatiq's own exponential backoff, with its jitter)."""
    _, ms = compute_backoff(attempts, factor=1_000, max_backoff=300_000)
    return timedelta(milliseconds=ms)


@dataclass(frozen=True)
class Route:
    """One way to try: a sender and one of the player's addresses on it."""

    channel: str  #: the preference it serves: push, email or sms
    sender: Sender
    address: str
    push_id: str | None = None  #: the registry's id, to prune a push address that is gone
    guardian: int = 0  #: a copy to the player's n-th guardian (never decides the outcome)

    @property
    def ledger_name(self) -> str:
        """How the ledger names this try's channel: "email", "webpush", "sms:guardian 1"."""
        return f"sms:guardian {self.guardian}" if self.guardian else self.sender.name


@dataclass(frozen=True)
class Attempt:
    route: Route
    outcome: str  #: sent, temporary, permanent
    detail: str
    gone: bool = False  #: the provider says the push address will never work again


class Deliverer:
    """Delivers outbox notices through the channels; idempotent on the outbox id."""

    def __init__(
        self,
        app: BookingApp,
        outbox: Outbox,
        channels: Sequence[Channel],
        clock: Clock,
        *,
        senders: Mapping[str, Sender] | None = None,
        contacts: Contacts | None = None,
        base_url: str = "",
        lease: timedelta = timedelta(seconds=60),
        retry_after: Callable[[int], timedelta] = backoff,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.app = app
        self.outbox = outbox
        self.channels = list(channels)
        self.clock = clock
        #: The outside senders configured ("email", "webpush", "fcm", "sms").
        self.senders = dict(senders or {})
        self.contacts = contacts or Contacts(outbox.side)
        self.base_url = base_url
        self.lease = lease
        self.retry_after = retry_after
        self.max_attempts = max_attempts

    def deliver(self, outbox_id: str) -> str | None:
        """Deliver one notice if it is due and not taken; its outcome (``RETRY``: it
        failed for now and is due again later), or None if there was nothing to do."""
        # Read first (the player as they are now), then claim and send.
        row = self.outbox.peek(outbox_id)
        now = self.clock.now()
        if row is None or not self.outbox.claimable(row, to_us(now)):
            return None
        try:
            player: Player | None = self.app.get_player(UUID(row["player_id"]))
        except NotFound:
            player = None
        text = self._text(row)
        routes = self.routes(player, row["kind"]) if player and not player.muted else []
        with self.outbox.side.transaction() as tx:
            claimed = self.outbox.claim(tx, outbox_id, to_us(now), to_us(now + self.lease))
            if claimed is None:
                return None  # delivered meanwhile by someone else
            if player is None:
                self.outbox.finish(tx, outbox_id, FAILED, None, "no such player", to_us(now))
                return FAILED
            if player.muted:
                self.outbox.finish(tx, outbox_id, SUPPRESSED, None, "muted", to_us(now))
                return SUPPRESSED
            for message in self._messages(outbox_id, player, row["kind"], text, now):
                for channel in self.channels:
                    channel.send(tx, message)
            if not routes and not self._guardians_to_text(player, row["kind"]):
                names = ",".join(c.name for c in self.channels) or None
                detail = "" if names else "no channel configured"
                self.outbox.finish(tx, outbox_id, SENT, names, detail, to_us(now))
                return SENT
        outgoing = Outgoing(
            outbox_id, row["kind"], messages.subject(row["kind"]), text, self._url(row["kind"])
        )
        attempts = self._try(routes, outgoing)
        attempts += self._text_guardians(player, outgoing)
        return self._settle(outbox_id, int(claimed["attempts"]), attempts)

    def routes(self, player: Player, kind: str) -> list[Route]:
        """The ways to reach this player, in their order of preference."""
        found: list[Route] = []
        order, devices = self.contacts.reach(player.id)
        for channel in order:
            if channel == "push":
                for push in devices:
                    sender = self.senders.get(WEBPUSH if push.kind == WEBPUSH else FCM)
                    if sender is not None:
                        found.append(Route("push", sender, push.address, push.id))
            elif channel == "email" and player.email and "email" in self.senders:
                found.append(Route("email", self.senders["email"], player.email))
            elif channel == "sms" and "sms" in self.senders:
                found.append(Route("sms", self.senders["sms"], player.phone))
        return found

    def _try(self, routes: Sequence[Route], message: Outgoing) -> list[Attempt]:
        """Each channel in turn until one reaches the player (every device of it)."""
        attempts: list[Attempt] = []
        for channel in dict.fromkeys(r.channel for r in routes):
            for route in (r for r in routes if r.channel == channel):
                try:
                    route.sender.send(route.address, message)
                    attempts.append(Attempt(route, "sent", ""))
                except TemporaryFailure as error:
                    attempts.append(Attempt(route, "temporary", error.detail))
                except PermanentFailure as error:
                    gone = error.gone and route.push_id is not None
                    detail = error.detail + (" (address removed)" if gone else "")
                    attempts.append(Attempt(route, "permanent", detail, gone))
            if any(a.outcome == "sent" for a in attempts):
                break
        return attempts

    def _guardians_to_text(self, player: Player, kind: str) -> list[str]:
        """Guardians' phones to text this notice to (seed 000: "or their parent")."""
        if kind not in FOR_GUARDIANS or "sms" not in self.senders:
            return []
        return list(player.guardian_phones)

    def _text_guardians(self, player: Player, message: Outgoing) -> list[Attempt]:
        """A text to each guardian, once: a retry of the player's notice does not text
        a guardian who already has it. Their outcome never holds up the player's."""
        phones = self._guardians_to_text(player, message.kind)
        if not phones:
            return []
        done = {
            t["channel"] for t in self.outbox.attempts(message.outbox_id) if t["outcome"] == "sent"
        }
        attempts = []
        for n, phone in enumerate(phones, start=1):
            route = Route("sms", self.senders["sms"], phone, guardian=n)
            if route.ledger_name in done:
                continue
            copy = replace(message, outbox_id=f"{message.outbox_id}:guardian:{n}")
            try:
                route.sender.send(phone, copy)
                attempts.append(Attempt(route, "sent", ""))
            except (TemporaryFailure, PermanentFailure) as error:
                attempts.append(Attempt(route, "failed", error.detail))
        return attempts

    def _settle(self, outbox_id: str, tries: int, all_attempts: Sequence[Attempt]) -> str:
        now = self.clock.now()
        attempts = [a for a in all_attempts if not a.route.guardian]
        sent = sorted({a.route.sender.name for a in attempts if a.outcome == "sent"})
        failed = "; ".join(
            f"{a.route.sender.name}: {redact(a.detail)}" for a in attempts if a.detail
        )
        gone = [a.route.push_id for a in attempts if a.gone and a.route.push_id]
        with self.outbox.side.transaction() as tx:
            for a in all_attempts:
                self.outbox.attempt(
                    tx, outbox_id, to_us(now), a.route.ledger_name, a.outcome, redact(a.detail)
                )
            self.contacts.prune(tx, gone)
            if sent:
                self.outbox.finish(tx, outbox_id, SENT, ",".join(sent), failed, to_us(now))
                return SENT
            if any(a.outcome == "temporary" for a in attempts) and tries < self.max_attempts:
                due = now + self.retry_after(tries)
                self.outbox.retry_later(tx, outbox_id, to_us(due), f"retrying: {failed}")
                return RETRY
            detail = (
                failed if tries < self.max_attempts else f"gave up after {tries} tries: {failed}"
            )
            self.outbox.finish(tx, outbox_id, FAILED, None, detail, to_us(now))
            return FAILED

    def _text(self, row: dict[str, str]) -> str:
        """The notice's words; a digest's are its members', one line each."""
        if row["kind"] != "digest":
            return row["text"]
        members = [m["text"] for m in self.outbox.members(row["id"])]
        if len(members) == 1:
            return members[0]
        return messages.DIGEST.format(n=len(members)) + "".join(f"\n• {m}" for m in members)

    def _url(self, kind: str) -> str | None:
        return f"{self.base_url}/portal" if self.base_url else None

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
        """Deliver what is due, in the order it was written (the embedded runner)."""
        done = 0
        for outbox_id in self.outbox.pending_ids(limit, due_by_us=to_us(self.clock.now())):
            if self.deliver(outbox_id) not in (None, RETRY):
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
        """Hand due notices to the queue (production); a lost message is handed again."""
        ids = self.outbox.take_for_dispatch(
            limit=limit,
            now_us=now_us,
            due_by_us=to_us(self.clock.now()),
            stale_after_us=resend_after_s * 1_000_000,
        )
        for outbox_id in ids:
            send(outbox_id)
        return len(ids)
