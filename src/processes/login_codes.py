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

Whether a phone may sign in (a player or a guardian) is the caller's decision,
and the answer must not tell: a stranger's request writes the same row as a
player's (``deliver=False``: a digest no six digits match, so nothing can
sign in with it) and only the player's code is handed to ``send``. ``send``
must not do the sending itself: a text message or an email takes 10 ms or
more, which showed in the response time who is registered (pen test, item 8).
The web hands codes to a ``Courier``, whose own thread sends them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import queue
import secrets
import threading
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
#: Codes waiting for the courier; past this many, a request's code is dropped (and logged).
QUEUED_AT_MOST = 1000

_log = logging.getLogger("booking.login_codes")


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

    def request(self, phone: str, *, deliver: bool = True) -> None:
        """A fresh code for ``phone`` (E.164), replacing any live one, then handed to
        ``send``. ``deliver=False`` (a stranger) does the same work but keeps a code
        nobody has and sends nothing."""
        code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
        now = self.clock.now()
        # Never six digits, so ``verify`` cannot match a stranger's row.
        kept = self._code(phone, code if deliver else "unsent" + code)
        with self.side.transaction() as tx:
            # Dead codes go here, so the table holds only the last ten minutes' requests.
            tx.execute(f"DELETE FROM {self.table} WHERE expires_us <= %s", [to_us(now)])  # noqa: S608
            tx.execute(
                f"INSERT INTO {self.table} (phone_digest, code_digest, expires_us, tries, sent_us)"  # noqa: S608
                " VALUES (%s, %s, %s, 0, %s) ON CONFLICT (phone_digest) DO UPDATE SET"
                " code_digest = excluded.code_digest, expires_us = excluded.expires_us,"
                " tries = 0, sent_us = excluded.sent_us",
                [self._phone(phone), kept, to_us(now + VALID_FOR), to_us(now)],
            )
        if deliver:
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


class Courier:
    """Sends sign-in codes from a thread of its own, one at a time, in order.

    The request that asked for a code only writes its row and puts it here, so
    it answers as fast for a player as for a stranger. The thread starts with
    the first code (after any fork: gunicorn builds the app in each worker). A
    code lost with its process (a crash before it went) is asked for again.
    """

    def __init__(self, deliver: Send) -> None:
        self._deliver = deliver
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue(QUEUED_AT_MOST)
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._waiting = 0
        self._closed = False

    def post(self, phone: str, text: str) -> None:
        """Queue one code for sending; never blocks, never sends."""
        with self._lock:
            if self._closed:
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="login-codes", daemon=True)
                self._thread.start()
            try:
                self._queue.put_nowait((phone, text))
            except queue.Full:
                _log.warning("sign-in code dropped: %d waiting to be sent", QUEUED_AT_MOST)
                return
            self._waiting += 1

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self._deliver(*item)
            except Exception as error:  # the thread must outlive one bad send
                # The exception's text may quote the number: only its type is logged.
                _log.error("a sign-in code could not be sent (%s)", type(error).__name__)
            finally:
                with self._lock:
                    self._waiting -= 1
                    self._lock.notify_all()

    def wait_until_sent(self, timeout: float = 5.0) -> bool:
        """Every code queued so far has been handled (tests, and a clean shutdown)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._waiting == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (for up to ``timeout``), then stop the thread."""
        self.wait_until_sent(timeout)
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None and thread.is_alive():
            try:
                self._queue.put(None, timeout=timeout)
            except queue.Full:
                return  # still sending: a daemon thread, it dies with the process
            thread.join(timeout)
