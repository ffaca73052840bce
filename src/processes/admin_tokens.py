"""Admin credentials: bearer tokens stored as SHA-256 digests (api.md "Admin").

A token is 32 random bytes, shown once when it is made (``booking admin-token
create``) and never stored in clear. The first token of a deployment comes from
the ``BOOKING_ADMIN_TOKEN`` setting and is held in memory as a digest only.
Checks compare digests in constant time.

Revoking a token also ends every admin page session signed in with it
(``sessions.end_made_with``, in the same transaction), and those sessions
check on every request that their token is still live (``live``): either
alone would do, both leave no window. ``rotate`` is ``booking serve``'s: each
start mints a token under one label and revokes the one the last start made.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from booking_domain import limits
from booking_domain.tokens import new_invite_token, token_digest
from processes.sessions import end_made_with
from processes.sidestore import SideStore, Tx, from_us, to_us

#: The label of the settings' token (``BOOKING_ADMIN_TOKEN``).
SETTINGS = "settings"


@dataclass(frozen=True)
class AdminToken:
    """A token as listed: its label and when it was made, never the token."""

    label: str
    created_at: datetime
    revoked: bool


@dataclass(frozen=True)
class Credential:
    """A live token as a session keeps it: its label and digest, never the token."""

    label: str
    digest: str


class AdminTokens:
    """Make, check and revoke admin tokens."""

    def __init__(self, side: SideStore, *, configured: Iterable[str] = ()) -> None:
        self.side = side
        self.table = side.t["booking_admin_tokens"]
        self._configured = [token_digest(t) for t in configured if t]

    def create(self, label: str, now: datetime) -> str:
        """A new token; the caller shows it once, only its digest is kept.

        The label is who the activity feed says acted (``admin:<label>``): ordinary
        text of at most 40 characters, like every value that reaches a read model.
        """
        label = limits.text("label", label, 40, required=True)
        token = new_invite_token()
        with self.side.transaction() as tx:
            tx.execute(
                f"INSERT INTO {self.table} (digest, label, created_us) VALUES (%s, %s, %s)",  # noqa: S608
                [token_digest(token), label, to_us(now)],
            )
        return token

    def rotate(self, label: str, now: datetime) -> str:
        """A new token under ``label``; the live ones under it are revoked (their
        sessions ended) in the same transaction, so only the newest one works."""
        token = new_invite_token()
        with self.side.transaction() as tx:
            self._revoke(tx, label, now)
            tx.execute(
                f"INSERT INTO {self.table} (digest, label, created_us) VALUES (%s, %s, %s)",  # noqa: S608
                [token_digest(token), label, to_us(now)],
            )
        return token

    def check(self, token: str | None) -> str | None:
        """The label of a live token, or None."""
        found = self.identify(token)
        return found.label if found else None

    def identify(self, token: str | None) -> Credential | None:
        """The label and digest of a live token, or None."""
        if not token:
            return None
        digest = token_digest(token)
        return Credential(label, digest) if (label := self._live_label(digest)) else None

    def live(self, digest: str) -> bool:
        """Whether the token of this digest still works (an admin session asks each time)."""
        return self._live_label(digest) is not None

    def _live_label(self, digest: str) -> str | None:
        if any(hmac.compare_digest(digest, known) for known in self._configured):
            return SETTINGS
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
        """Stop the live tokens of ``label`` working and end their sessions; how many."""
        with self.side.transaction() as tx:
            return self._revoke(tx, label, now)

    def _revoke(self, tx: Tx, label: str, now: datetime) -> int:
        rows = tx.execute(
            f"SELECT digest FROM {self.table} WHERE label = %s AND revoked_us = 0",  # noqa: S608
            [label],
        ).rows()
        tx.execute(
            f"UPDATE {self.table} SET revoked_us = %s WHERE label = %s AND revoked_us = 0",  # noqa: S608
            [to_us(now), label],
        )
        end_made_with(tx, self.side, [r["digest"] for r in rows], now)
        return len(rows)

    def listed(self) -> list[AdminToken]:
        with self.side.reading() as tx:
            rows = tx.execute(
                f"SELECT label, created_us, revoked_us FROM {self.table} ORDER BY created_us"  # noqa: S608
            ).rows()
        return [
            AdminToken(r["label"], from_us(r["created_us"]), bool(r["revoked_us"])) for r in rows
        ]
