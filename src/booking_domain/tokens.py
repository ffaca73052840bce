"""Invite tokens for the shared booking link (seed 004 §4.7, §16).

A token is 32 random bytes, URL-safe. Only its SHA-256 digest is ever stored or
put in an event; checks compare digests in constant time. A token has 256 bits
of entropy, so a plain digest (no salt, no stretching) cannot be reversed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_invite_token() -> str:
    """A fresh URL-safe token (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """The form in which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str | None, digest: str | None) -> bool:
    """Constant-time check of a presented token against a stored digest."""
    if not token or not digest:
        return False
    return hmac.compare_digest(token_digest(token), digest)
