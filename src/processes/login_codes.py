"""One-time sign-in codes for the player portal (seed 000: "log in to the web portal").

A code is six random digits, good for ten minutes and five tries, one live
code per phone: a new request replaces the old one, and a used code dies.
Only digests are stored (``booking_login_codes``), never the code nor the phone.

Why a keyed HMAC-SHA256 rather than scrypt or PBKDF2: a six-digit code has a
million values, so any digest anyone can recompute — slow or not, salted or
not — is reversed offline in minutes from a leaked table (a million scrypt
calls is an afternoon for one core). What protects it is a key the database
does not hold: the server's secret. HMAC is also cheap, so the login endpoint
cannot be turned into a CPU burner. The code is bound to its phone in the
digest, and the phone itself is stored keyed too (no number in the table).

Whether a phone may sign in (a player or a guardian) is the caller's decision:
``request`` sends to whoever it is given, and the caller answers strangers
exactly as it answers players, so the endpoint tells nobody who is registered.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta

from booking_domain.clock import Clock
from processes.sidestore import SideStore, to_us

#: How long a code may be used (seed 000 gives none; ten minutes is the usual).
VALID_FOR = timedelta(minutes=10)
#: Wrong tries allowed on one code; the next try fails even with the right code.
TRIES = 5
DIGITS = 6
MESSAGE = "Your sign-in code is {code}. It expires in 10 minutes."

#: ``send(phone_e164, text)``: how a code reaches the person (the notification channel).
Send = Callable[[str, str], None]


class LoginCodes:
    """Make, send and check one-time sign-in codes."""

    def __init__(self, side: SideStore, clock: Clock, send: Send, *, secret: bytes) -> None:
        if not secret:
            raise ValueError("login codes need a non-empty secret key")
        self.side = side
        self.clock = clock
        self.send = send
        self.table = side.t["booking_login_codes"]
        # A key of its own, so a digest here is never comparable with one elsewhere.
        self._key = hmac.new(secret, b"booking:login-codes", hashlib.sha256).digest()

    def request(self, phone: str) -> None:
        """A fresh code for ``phone`` (E.164), replacing any live one, then sent."""
        code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
        now = self.clock.now()
        with self.side.transaction() as tx:
            tx.execute(
                f"INSERT INTO {self.table} (phone_digest, code_digest, expires_us, tries, sent_us)"  # noqa: S608
                " VALUES (%s, %s, %s, 0, %s) ON CONFLICT (phone_digest) DO UPDATE SET"
                " code_digest = excluded.code_digest, expires_us = excluded.expires_us,"
                " tries = 0, sent_us = excluded.sent_us",
                [self._phone(phone), self._code(phone, code), to_us(now + VALID_FOR), to_us(now)],
            )
        self.send(phone, MESSAGE.format(code=code))

    def verify(self, phone: str, code: str) -> bool:
        """True once for the live code of ``phone``; every try counts, the sixth fails."""
        code = (code or "").strip()
        if len(code) != DIGITS or not code.isascii() or not code.isdigit():
            return False
        key, given = self._phone(phone), self._code(phone, code)
        now_us = to_us(self.clock.now())
        with self.side.transaction() as tx:
            # Counting first, in the same statement that reads it: two tries at
            # once are two tries, and only one of two right answers signs in.
            row = tx.execute(
                f"UPDATE {self.table} SET tries = tries + 1 WHERE phone_digest = %s"  # noqa: S608
                " RETURNING code_digest, expires_us, tries",
                [key],
            ).one()
            if row is None:
                return False
            right = hmac.compare_digest(str(row["code_digest"]), given)
            spent = int(row["tries"]) > TRIES or int(row["expires_us"]) <= now_us
            if right or spent:
                # Used, expired or out of tries: the code dies either way.
                tx.execute(f"DELETE FROM {self.table} WHERE phone_digest = %s", [key])  # noqa: S608
            return right and not spent

    def _phone(self, phone: str) -> str:
        return hmac.new(self._key, b"phone:" + phone.encode(), hashlib.sha256).hexdigest()

    def _code(self, phone: str, code: str) -> str:
        message = b"code:" + phone.encode() + b":" + code.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
