"""Admin credentials: bearer tokens stored as SHA-256 digests (api.md "Admin").

A token is 32 random bytes, shown once when it is made (``booking admin-token
create``) and never stored in clear. The first token of a deployment comes from
the ``BOOKING_ADMIN_TOKEN`` setting and is held in memory as a digest only.
Checks compare digests in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from booking_domain.tokens import new_invite_token, token_digest
from processes.sidestore import SideStore, from_us, to_us


@dataclass(frozen=True)
class AdminToken:
    """A token as listed: its label and when it was made, never the token."""

    label: str
    created_at: datetime
    revoked: bool


class AdminTokens:
    """Make, check and revoke admin tokens."""

    def __init__(self, side: SideStore, *, configured: Iterable[str] = ()) -> None:
        self.side = side
        self.table = side.t["booking_admin_tokens"]
        self._configured = [token_digest(t) for t in configured if t]

    def create(self, label: str, now: datetime) -> str:
        """A new token; the caller shows it once, only its digest is kept."""
        token = new_invite_token()
        with self.side.transaction() as tx:
            tx.execute(
                f"INSERT INTO {self.table} (digest, label, created_us) VALUES (%s, %s, %s)",  # noqa: S608
                [token_digest(token), label, to_us(now)],
            )
        return token

    def check(self, token: str | None) -> str | None:
        """The label of a live token, or None."""
        if not token:
            return None
        digest = token_digest(token)
        if any(hmac.compare_digest(digest, known) for known in self._configured):
            return "settings"
        with self.side.reading() as tx:
            row = tx.execute(
                f"SELECT digest, label FROM {self.table} WHERE digest = %s AND revoked_us = 0",  # noqa: S608
                [digest],
            ).one()
        # The lookup is by digest; compare again in constant time all the same.
        if row is None or not hmac.compare_digest(row["digest"], digest):
            return None
        return str(row["label"])

    def revoke(self, label: str, now: datetime) -> int:
        with self.side.transaction() as tx:
            live = tx.execute(
                f"SELECT COUNT(*) AS n FROM {self.table} WHERE label = %s AND revoked_us = 0",  # noqa: S608
                [label],
            ).one()
            tx.execute(
                f"UPDATE {self.table} SET revoked_us = %s WHERE label = %s AND revoked_us = 0",  # noqa: S608
                [to_us(now), label],
            )
        return int(live["n"]) if live else 0

    def listed(self) -> list[AdminToken]:
        with self.side.reading() as tx:
            rows = tx.execute(
                f"SELECT label, created_us, revoked_us FROM {self.table} ORDER BY created_us"  # noqa: S608
            ).rows()
        return [
            AdminToken(r["label"], from_us(r["created_us"]), bool(r["revoked_us"])) for r in rows
        ]
