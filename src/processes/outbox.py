"""The notification outbox and the dev inbox: rows beside the events.

A notice is written once (its id is derived from the event, the player and
the kind), then delivered once: a delivery claims the row while it is
``pending`` and marks it ``sent``, ``suppressed`` or ``failed`` in the same
transaction. The dev inbox keeps delivered messages per phone for demos and
tests; its unique outbox id is the last guard against a message twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from processes.notices import Notice
from processes.sidestore import SideStore, Tx, from_us, to_us

PENDING, SENT, SUPPRESSED, FAILED = "pending", "sent", "suppressed", "failed"


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
    outcome: str  # pending, sent, suppressed or failed
    sent_at: datetime | None
    ended_at: datetime | None
    channel: str | None
    detail: str | None
    attempts: int


class Outbox:
    """Notices waiting to go out, and what became of each."""

    def __init__(self, side: SideStore) -> None:
        self.side = side
        self.table = side.t["booking_outbox"]
        self.inbox_table = side.t["booking_inbox"]

    def add(self, tx: Tx, notices: Iterable[Notice]) -> None:
        for n in notices:
            tx.execute(
                f"INSERT INTO {self.table} (id, position, match_id, player_id, kind, batch_key,"  # noqa: S608
                " text, created_us) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO NOTHING",
                [
                    n.id.hex,
                    n.position,
                    n.match_id.hex if n.match_id else None,
                    n.player_id.hex,
                    n.kind,
                    n.batch_key,
                    n.text,
                    to_us(n.created_at),
                ],
            )

    def peek(self, outbox_id: str) -> dict[str, Any] | None:
        with self.side.reading() as tx:
            return tx.execute(
                f"SELECT * FROM {self.table} WHERE id = %s",  # noqa: S608
                [outbox_id],
            ).one()

    def claim(self, tx: Tx, outbox_id: str) -> dict[str, Any] | None:
        """Take a pending notice for delivery in this transaction (None: not pending)."""
        return tx.execute(
            f"UPDATE {self.table} SET attempts = attempts + 1"  # noqa: S608
            " WHERE id = %s AND status = 'pending' RETURNING *",
            [outbox_id],
        ).one()

    def finish(
        self, tx: Tx, outbox_id: str, status: str, channel: str | None, detail: str, at_us: int
    ) -> None:
        tx.execute(
            f"UPDATE {self.table} SET status = %s, channel = %s, detail = %s, done_us = %s"  # noqa: S608
            " WHERE id = %s",
            [status, channel, detail, at_us, outbox_id],
        )

    def take_for_dispatch(self, *, limit: int, now_us: int, stale_after_us: int) -> list[str]:
        """Pending notices not handed to the queue, or handed long ago (a lost message)."""
        skip = " FOR UPDATE SKIP LOCKED" if self.side.dialect == "postgres" else ""
        with self.side.transaction() as tx:
            rows = tx.execute(
                f"SELECT id FROM {self.table} WHERE status = 'pending' AND enqueued_us < %s"  # noqa: S608
                f" ORDER BY created_us LIMIT %s{skip}",
                [now_us - stale_after_us, limit],
            ).rows()
            ids = [r["id"] for r in rows]
            if ids:
                marks = ",".join(["%s"] * len(ids))
                tx.execute(
                    f"UPDATE {self.table} SET enqueued_us = %s WHERE id IN ({marks})",  # noqa: S608
                    [now_us, *ids],
                )
        return ids

    def pending_ids(self, limit: int = 100) -> list[str]:
        with self.side.reading() as tx:
            rows = tx.execute(
                f"SELECT id FROM {self.table} WHERE status = 'pending'"  # noqa: S608
                " ORDER BY created_us, id LIMIT %s",
                [limit],
            ).rows()
        return [r["id"] for r in rows]

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
                " ORDER BY position, player_id, kind",
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
