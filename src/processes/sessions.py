"""Server-side sign-in sessions for the admin pages and the player portal.

A signed cookie that *is* the credential cannot be taken back: revoking the
admin token it came from, or signing out, left a copied cookie working for a
month (pen test, item 2). So the cookie holds only an opaque random id, and
the row it names here (``booking_sessions``) says what the session is and
whether it still stands. Every request looks the row up:

- ``admin``: made by signing in with an admin token; it stands while that
  token is live (``token_live``, checked each time) — and revoking the token
  ends its sessions outright (``end_made_with``, in the revoke's transaction).
- ``portal``: made by a verified sign-in code; the row keeps the phone (E.164),
  which never goes in the cookie.
- ``sign_in``: the step between asking for a code and typing it: which phone
  the code went to, for the code's ten minutes.

Each kind has a lifetime (from sign-in) and an idle timeout (from the last
request); sign-out ends a session for good. Only the id's SHA-256 digest is
stored, as for admin tokens: 32 random bytes cannot be guessed from it, so a
leaked table signs nobody in. "Last seen" is written at most once a minute
(``TOUCH_EVERY``), not on every request, so an idle timeout is exact to a minute.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from booking_domain.clock import Clock
from booking_domain.tokens import token_digest
from processes.sidestore import SideStore, Tx, from_us, to_us

ADMIN, PORTAL, SIGN_IN = "admin", "portal", "sign_in"
KINDS = (ADMIN, PORTAL, SIGN_IN)
#: How stale "last seen" may get before a request writes it again.
TOUCH_EVERY = timedelta(minutes=1)
#: Rows past every lifetime by this much are deleted when a session starts.
KEPT_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class SessionPolicy:
    """How long one kind of session may last: from sign-in, and between requests."""

    lifetime: timedelta
    idle: timedelta

    def __post_init__(self) -> None:
        if self.lifetime <= timedelta(0) or self.idle <= timedelta(0):
            raise ValueError("session lifetimes and idle timeouts must be positive")


@dataclass(frozen=True)
class SignedIn:
    """A session that stands: who it is for. Never the id itself."""

    kind: str
    created_at: datetime
    last_seen_at: datetime
    label: str | None = None  #: admin: the label of the token signed in with
    token_digest: str | None = None  #: admin: the digest of that token
    phone: str | None = None  #: portal and sign_in: the phone (E.164)


class Sessions:
    """Start, look up and end server-side sessions."""

    def __init__(
        self,
        side: SideStore,
        clock: Clock,
        policies: Mapping[str, SessionPolicy],
        *,
        token_live: Callable[[str], bool] = lambda _digest: False,
    ) -> None:
        missing = set(KINDS) - set(policies)
        if missing:
            raise ValueError(f"no session policy for {sorted(missing)}")
        self.side = side
        self.clock = clock
        self.policies = dict(policies)
        self.token_live = token_live
        self.table = side.t["booking_sessions"]

    # ---------------------------------------------------------------- start

    def start_admin(self, token_digest: str, label: str) -> str:
        """A session for a good admin token; the opaque id for the cookie."""
        return self._start(ADMIN, made_with=token_digest, label=label)

    def start_portal(self, phone: str) -> str:
        return self._start(PORTAL, phone=phone)

    def start_sign_in(self, phone: str) -> str:
        return self._start(SIGN_IN, phone=phone)

    def _start(
        self,
        kind: str,
        *,
        made_with: str | None = None,
        label: str | None = None,
        phone: str | None = None,
    ) -> str:
        session_id = secrets.token_urlsafe(32)
        now_us = to_us(self.clock.now())
        oldest = max(p.lifetime for p in self.policies.values()) + KEPT_AFTER
        with self.side.transaction() as tx:
            # Long dead rows go, so the table stays the size of the live sessions.
            tx.execute(
                f"DELETE FROM {self.table} WHERE created_us < %s",  # noqa: S608
                [now_us - oldest // timedelta(microseconds=1)],
            )
            tx.execute(
                f"INSERT INTO {self.table} (digest, kind, token_digest, label, phone,"  # noqa: S608
                " created_us, last_seen_us) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [_digest(session_id), kind, made_with, label, phone, now_us, now_us],
            )
        return session_id

    # --------------------------------------------------------------- look up

    def find(self, session_id: str | None, kind: str) -> SignedIn | None:
        """The session of this id and kind if it still stands, else None.

        A session past its lifetime or idle timeout, or whose admin token is no
        longer live, is ended here, so it stays ended whatever happens later.
        """
        if not session_id:
            return None
        digest = _digest(session_id)
        now = self.clock.now()
        with self.side.reading() as tx:
            row = tx.execute(
                f"SELECT * FROM {self.table} WHERE digest = %s AND ended_us = 0",  # noqa: S608
                [digest],
            ).one()
        if row is None or row["kind"] != kind:
            return None
        found = SignedIn(
            kind=kind,
            created_at=from_us(int(row["created_us"])),
            last_seen_at=from_us(int(row["last_seen_us"])),
            label=row["label"],
            token_digest=row["token_digest"],
            phone=row["phone"],
        )
        if not self._stands(found, now):
            self._end_digest(digest, now)
            return None
        if now - found.last_seen_at >= TOUCH_EVERY:
            with self.side.transaction() as tx:
                tx.execute(
                    f"UPDATE {self.table} SET last_seen_us = %s"  # noqa: S608
                    " WHERE digest = %s AND ended_us = 0",
                    [to_us(now), digest],
                )
        return found

    def _stands(self, found: SignedIn, now: datetime) -> bool:
        policy = self.policies[found.kind]
        if now >= found.created_at + policy.lifetime or now >= found.last_seen_at + policy.idle:
            return False
        if found.kind == ADMIN:
            return bool(found.token_digest) and self.token_live(str(found.token_digest))
        return True

    # ------------------------------------------------------------------- end

    def end(self, session_id: str | None) -> None:
        """Sign-out: the session ends for good, and a copy of its cookie with it."""
        if session_id:
            self._end_digest(_digest(session_id), self.clock.now())

    def _end_digest(self, digest: str, now: datetime) -> None:
        with self.side.transaction() as tx:
            tx.execute(
                f"UPDATE {self.table} SET ended_us = %s WHERE digest = %s AND ended_us = 0",  # noqa: S608
                [to_us(now), digest],
            )

    def live_count(self, kind: str) -> int:
        """How many sessions of a kind have not been ended (some may have lapsed)."""
        with self.side.reading() as tx:
            row = tx.execute(
                f"SELECT COUNT(*) AS n FROM {self.table} WHERE kind = %s AND ended_us = 0",  # noqa: S608
                [kind],
            ).one()
        return int(row["n"]) if row else 0


def end_made_with(tx: Tx, side: SideStore, token_digests: Iterable[str], at: datetime) -> int:
    """End every admin session signed in with these tokens (their revocation's transaction)."""
    digests = list(token_digests)
    if not digests:
        return 0
    table = side.t["booking_sessions"]
    marks = ",".join(["%s"] * len(digests))
    row = tx.execute(
        f"SELECT COUNT(*) AS n FROM {table} WHERE ended_us = 0"  # noqa: S608
        f" AND kind = %s AND token_digest IN ({marks})",
        [ADMIN, *digests],
    ).one()
    tx.execute(
        f"UPDATE {table} SET ended_us = %s WHERE ended_us = 0"  # noqa: S608
        f" AND kind = %s AND token_digest IN ({marks})",
        [to_us(at), ADMIN, *digests],
    )
    return int(row["n"]) if row else 0


def _digest(session_id: str) -> str:
    return token_digest(session_id)
