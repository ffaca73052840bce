"""The cookie's side of the server-side sessions (``processes.sessions``).

Flask's signed cookie carries one opaque id per kind of session (admin,
portal, the sign-in step between them) and nothing else about who is signed
in: no token label, no phone. Each request looks its id up once (kept in
``g`` for the rest of the request); an id whose session has ended is dropped
from the cookie. The admin and the portal sessions are independent: signing
out of one leaves the other.
"""

from __future__ import annotations

from flask import g, session

from processes.sessions import ADMIN, KINDS, PORTAL, SIGN_IN, SignedIn
from web.services import club

__all__ = [
    "ADMIN", "PORTAL", "SIGN_IN", "begin_admin", "begin_portal", "begin_sign_in",
    "current", "end", "end_all",
]  # fmt: skip
#: Where the cookie keeps each kind's id.
COOKIE_KEYS = {ADMIN: "admin_sid", PORTAL: "portal_sid", SIGN_IN: "sign_in_sid"}
_SEEN = "_booking_sessions"


def begin_admin(token_digest: str, label: str) -> None:
    """A new admin session in the cookie (any older one in it ended first)."""
    end(ADMIN)
    _keep(ADMIN, club().sessions.start_admin(token_digest, label))


def begin_portal(phone: str) -> None:
    """A new portal session for ``phone``: a fresh id, never the one from before."""
    end(PORTAL)
    _keep(PORTAL, club().sessions.start_portal(phone))


def begin_sign_in(phone: str) -> None:
    """Remember, server-side, which phone a code was just sent to."""
    end(SIGN_IN)
    _keep(SIGN_IN, club().sessions.start_sign_in(phone))


def current(kind: str) -> SignedIn | None:
    """The session of this kind the cookie names, if it still stands."""
    seen: dict[str, SignedIn | None] = g.setdefault(_SEEN, {})
    if kind not in seen:
        key = COOKIE_KEYS[kind]
        session_id = session.get(key)
        found = club().sessions.find(session_id, kind) if session_id else None
        if session_id and found is None:
            session.pop(key, None)  # ended: the browser forgets it too
        seen[kind] = found
    return seen[kind]


def end(kind: str) -> None:
    """End the session of this kind server-side: a copy of the cookie stops working."""
    session_id = session.pop(COOKIE_KEYS[kind], None)
    if session_id:
        club().sessions.end(str(session_id))
    g.setdefault(_SEEN, {}).pop(kind, None)


def end_all() -> None:
    for kind in KINDS:
        end(kind)


def _keep(kind: str, session_id: str) -> None:
    session[COOKIE_KEYS[kind]] = session_id
    session.permanent = True
    g.setdefault(_SEEN, {}).pop(kind, None)
