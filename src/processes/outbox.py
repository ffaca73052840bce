"""The notification outbox and the dev inbox: rows beside the events.

A notice is written once (its id is derived from the event, the player and
the kind), then delivered once: a delivery claims the row while it is
``pending`` and marks it ``sent``, ``suppressed`` or ``failed`` in the same
transaction. The dev inbox keeps delivered messages per phone for demos and
tests; its unique outbox id is the last guard against a message twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from processes import notice_policy as policy
from processes.notices import Notice
from processes.sidestore import SideStore, Tx, from_us, to_us

PENDING, SENT, SUPPRESSED, FAILED = "pending", "sent", "suppressed", "failed"
#: Told in a digest rather than on its own (the digest's row says how it went).
COALESCED = "coalesced"
#: Taken by a delivery, until its lease runs out.
SENDING = "sending"


@dataclass(frozen=True)
class InboxMessage:
    """One message the dev inbox captured."""

    kind: str
    text: str
    at: datetime


@dataclass(frozen=True)
class LedgerEntry:
    """One line of the notification ledger: a notice and what became of it."""

    notice_id: str
    position: int
    match_id: UUID | None
    player_id: UUID
    kind: str
    batch_key: str
    queued_at: datetime
    outcome: str  # pending, sending, sent, coalesced, suppressed or failed
    sent_at: datetime | None
    ended_at: datetime | None
    channel: str | None
    detail: str | None
    attempts: int
    due_at: datetime | None = None  #: when it may go (held back: a digest, quiet hours, a retry)
    digest_id: str | None = None  #: the digest it was coalesced into


class Outbox:
    """Notices waiting to go out, and what became of each."""

    def __init__(self, side: SideStore) -> None:
        self.side = side
        self.table = side.t["booking_outbox"]
        self.inbox_table = side.t["booking_inbox"]
        self.attempts_table = side.t["booking_delivery_attempts"]

    def add(self, tx: Tx, notices: Iterable[Notice]) -> None:
        """Write each notice with the policy's decision (``notice_policy.py``): to go at
        once or later, coalesced into a digest, or suppressed with the reason."""
        for n in notices:
            told = self.told(tx, n.player_id, n.match_id) if n.match_id else []
            decision = policy.decide(
                kind=n.kind,
                batch_key=n.batch_key,
                player_id=n.player_id,
                match_id=n.match_id,
                now=n.created_at,
                kickoff=n.kickoff,
                told=told,
                quiet=n.quiet,
                tz=ZoneInfo(n.timezone),
            )
            status = {
                policy.SEND: PENDING,
                policy.SUPPRESS: SUPPRESSED,
                policy.COALESCE: COALESCED,
            }[decision.action]
            if decision.action == policy.COALESCE:
                self._open_digest(tx, n, decision)
            self._insert(tx, n, n.id.hex, n.kind, n.text, status, decision)

    def _open_digest(self, tx: Tx, n: Notice, decision: policy.Decision) -> None:
        """The digest row a coalesced notice goes out in (made by its first member)."""
        assert decision.digest_id is not None
        opened = replace(decision, action=policy.SEND, reason="digest", digest_id=None)
        self._insert(tx, n, decision.digest_id, policy.DIGEST, "", PENDING, opened)

    def _insert(
        self, tx: Tx, n: Notice, row_id: str, kind: str, text: str, status: str,
        decision: policy.Decision,
    ) -> None:  # fmt: skip
        done = to_us(n.created_at) if status in (SUPPRESSED, COALESCED) else 0
        tx.execute(
            f"INSERT INTO {self.table} (id, position, match_id, player_id, kind, batch_key,"  # noqa: S608
            " text, created_us, status, due_us, digest_id, detail, done_us)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            [
                row_id,
                n.position,
                n.match_id.hex if n.match_id else None,
                n.player_id.hex,
                kind,
                n.batch_key if kind != policy.DIGEST else "digest",
                text,
                to_us(n.created_at),
                status,
                to_us(decision.due_at),
                decision.digest_id,
                decision.detail or None,
                done,
            ],
        )

    def told(self, tx: Tx, player_id: UUID, match_id: UUID) -> list[policy.Told]:
        """What the ledger holds for this player and match (the policy's memory)."""
        rows = tx.execute(
            f"SELECT id, kind, batch_key, status, created_us, due_us, digest_id"  # noqa: S608
            f" FROM {self.table} WHERE player_id = %s AND match_id = %s",
            [player_id.hex, match_id.hex],
        ).rows()
        return [
            policy.Told(
                notice_id=r["id"],
                kind=r["kind"],
                batch_key=r["batch_key"],
                outcome=r["status"],
                queued_at=from_us(int(r["created_us"])),
                due_at=from_us(int(r["due_us"] or r["created_us"])),
                digest_id=r["digest_id"],
            )
            for r in rows
        ]

    def members(self, digest_id: str) -> list[dict[str, Any]]:
        """The notices coalesced into a digest, oldest first."""
        with self.side.reading() as tx:
            return tx.execute(
                f"SELECT * FROM {self.table} WHERE digest_id = %s ORDER BY created_us, id",  # noqa: S608
                [digest_id],
            ).rows()

    def peek(self, outbox_id: str) -> dict[str, Any] | None:
        with self.side.reading() as tx:
            return tx.execute(
                f"SELECT * FROM {self.table} WHERE id = %s",  # noqa: S608
                [outbox_id],
            ).one()

    @staticmethod
    def claimable(row: dict[str, Any], now_us: int) -> bool:
        """Due and not taken, or taken by a delivery whose lease has run out (a crash)."""
        if row["status"] == PENDING:
            return int(row["due_us"]) <= now_us
        return row["status"] == SENDING and int(row["lease_until_us"]) < now_us

    def claim(
        self, tx: Tx, outbox_id: str, now_us: int = 0, lease_until_us: int = 0
    ) -> dict[str, Any] | None:
        """Take a due notice for delivery until ``lease_until_us`` (None: not ours to take)."""
        return tx.execute(
            f"UPDATE {self.table} SET attempts = attempts + 1, status = %s,"  # noqa: S608
            " lease_until_us = %s WHERE id = %s AND ((status = 'pending' AND due_us <= %s)"
            " OR (status = 'sending' AND lease_until_us < %s)) RETURNING *",
            [SENDING, lease_until_us, outbox_id, now_us, now_us],
        ).one()

    def finish(
        self, tx: Tx, outbox_id: str, status: str, channel: str | None, detail: str, at_us: int
    ) -> None:
        tx.execute(
            f"UPDATE {self.table} SET status = %s, channel = %s, detail = %s, done_us = %s,"  # noqa: S608
            " lease_until_us = 0 WHERE id = %s",
            [status, channel, detail, at_us, outbox_id],
        )

    def retry_later(self, tx: Tx, outbox_id: str, due_us: int, detail: str) -> None:
        """Put a notice back, due again at ``due_us`` (the backoff). The queue brings it
        back then (dramatiq's retry); the dispatcher hands it out again only if that
        message is lost, as for any message it handed out at ``due_us``."""
        tx.execute(
            f"UPDATE {self.table} SET status = 'pending', due_us = %s, enqueued_us = %s,"  # noqa: S608
            " lease_until_us = 0, detail = %s WHERE id = %s",
            [due_us, due_us, detail, outbox_id],
        )

    def attempt(
        self, tx: Tx, outbox_id: str, at_us: int, channel: str, outcome: str, detail: str
    ) -> None:
        """One try at one channel, for the ledger."""
        tx.execute(
            f"INSERT INTO {self.attempts_table} (outbox_id, at_us, channel, outcome, detail)"  # noqa: S608
            " VALUES (%s, %s, %s, %s, %s)",
            [outbox_id, at_us, channel, outcome, detail],
        )

    def attempts_of(self, outbox_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Every try at these notices, by notice, in order (the ledger's retries)."""
        found: dict[str, list[dict[str, Any]]] = {i: [] for i in outbox_ids}
        for start in range(0, len(outbox_ids), 500):
            chunk = outbox_ids[start : start + 500]
            marks = ",".join(["%s"] * len(chunk))
            with self.side.reading() as tx:
                rows = tx.execute(
                    f"SELECT outbox_id, at_us, channel, outcome, detail FROM {self.attempts_table}"  # noqa: S608
                    f" WHERE outbox_id IN ({marks}) ORDER BY id",
                    chunk,
                ).rows()
            for r in rows:
                found[r["outbox_id"]].append(
                    {
                        "at": from_us(int(r["at_us"])),
                        "channel": r["channel"],
                        "outcome": r["outcome"],
                        "detail": r["detail"],
                    }
                )
        return found

    def attempts(self, outbox_id: str) -> list[dict[str, Any]]:
        """Every try at one notice, in order."""
        return self.attempts_of([outbox_id])[outbox_id]

    def take_for_dispatch(
        self, *, limit: int, now_us: int, stale_after_us: int, due_by_us: int | None = None
    ) -> list[str]:
        """Due notices not handed to the queue, or handed long ago (a lost message), and
        notices whose delivery's lease ran out (a worker died mid-send)."""
        due = now_us if due_by_us is None else due_by_us
        skip = " FOR UPDATE SKIP LOCKED" if self.side.dialect == "postgres" else ""
        with self.side.transaction() as tx:
            rows = tx.execute(
                f"SELECT id FROM {self.table} WHERE ((status = 'pending' AND due_us <= %s)"  # noqa: S608
                " OR (status = 'sending' AND lease_until_us < %s)) AND enqueued_us < %s"
                f" ORDER BY created_us LIMIT %s{skip}",
                [due, due, now_us - stale_after_us, limit],
            ).rows()
            ids = [r["id"] for r in rows]
            if ids:
                marks = ",".join(["%s"] * len(ids))
                tx.execute(
                    f"UPDATE {self.table} SET enqueued_us = %s WHERE id IN ({marks})",  # noqa: S608
                    [now_us, *ids],
                )
        return ids

    def pending_ids(self, limit: int = 100, *, due_by_us: int | None = None) -> list[str]:
        """Notices due by then (all pending ones without a time), oldest first."""
        due = " AND due_us <= %s" if due_by_us is not None else ""
        with self.side.reading() as tx:
            rows = tx.execute(
                f"SELECT id FROM {self.table} WHERE status = 'pending'{due}"  # noqa: S608
                " ORDER BY created_us, id LIMIT %s",
                [*([due_by_us] if due_by_us is not None else []), limit],
            ).rows()
        return [r["id"] for r in rows]

    def next_due(self) -> datetime | None:
        """When the next notice held back (a digest, quiet hours, a retry) falls due."""
        with self.side.reading() as tx:
            row = tx.execute(
                f"SELECT MIN(due_us) AS due FROM {self.table} WHERE status = 'pending'"  # noqa: S608
            ).one()
        return from_us(int(row["due"])) if row and row["due"] is not None else None

    def rows(
        self, *, match_id: UUID | None = None, player_id: UUID | None = None
    ) -> list[dict[str, Any]]:
        """Every notice (of a match, of a player) with its outcome, oldest first."""
        clauses = [("match_id = %s", match_id), ("player_id = %s", player_id)]
        chosen = [(sql, value.hex) for sql, value in clauses if value is not None]
        where = " AND ".join(sql for sql, _ in chosen)
        with self.side.reading() as tx:
            return tx.execute(
                f"SELECT * FROM {self.table} {'WHERE ' + where if where else ''}"  # noqa: S608
                " ORDER BY position, player_id, CASE WHEN kind = 'digest' THEN 1 ELSE 0 END, kind",
                [value for _, value in chosen],
            ).rows()

    def ledger(
        self, *, match_id: UUID | None = None, player_id: UUID | None = None
    ) -> list[LedgerEntry]:
        """The notification ledger (domain.md "Notifications"): who was told what, and how
        it went. The outbox is its record: a notice's row is written with the position
        of the process manager that decided it, and its outcome with its delivery."""
        return [
            LedgerEntry(
                notice_id=row["id"],
                position=int(row["position"]),
                match_id=UUID(row["match_id"]) if row["match_id"] else None,
                player_id=UUID(row["player_id"]),
                kind=row["kind"],
                batch_key=row["batch_key"],
                queued_at=from_us(int(row["created_us"])),
                outcome=row["status"],
                sent_at=from_us(int(row["done_us"])) if row["status"] == SENT else None,
                ended_at=from_us(int(row["done_us"])) if row["status"] != PENDING else None,
                channel=row["channel"],
                detail=row["detail"],
                attempts=int(row["attempts"]),
                due_at=from_us(int(row["due_us"])) if row["due_us"] else None,
                digest_id=row["digest_id"],
            )
            for row in self.rows(match_id=match_id, player_id=player_id)
        ]

    def counts(self) -> dict[str, int]:
        with self.side.reading() as tx:
            rows = tx.execute(
                f"SELECT status, COUNT(*) AS n FROM {self.table} GROUP BY status"  # noqa: S608
            ).rows()
        return {r["status"]: int(r["n"]) for r in rows}

    # -------------------------------------------------------------- dev inbox

    def put_in_inbox(
        self, tx: Tx, outbox_id: str, phone: str, kind: str, text: str, at: datetime
    ) -> None:
        tx.execute(
            f"INSERT INTO {self.inbox_table} (outbox_id, phone, kind, text, at_us)"  # noqa: S608
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (outbox_id) DO NOTHING",
            [outbox_id, phone, kind, text, to_us(at)],
        )

    def inbox(self, phone: str) -> list[InboxMessage]:
        with self.side.reading() as tx:
            rows = tx.execute(
                f"SELECT kind, text, at_us FROM {self.inbox_table} WHERE phone = %s ORDER BY id",  # noqa: S608
                [phone],
            ).rows()
        return [InboxMessage(r["kind"], r["text"], from_us(r["at_us"])) for r in rows]

    def inbox_size(self) -> int:
        with self.side.reading() as tx:
            row = tx.execute(f"SELECT COUNT(*) AS n FROM {self.inbox_table}").one()  # noqa: S608
        return int(row["n"]) if row else 0
