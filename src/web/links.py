"""Absolute links to the app's own pages: from ``BOOKING_BASE_URL``, never from ``Host``.

A request's ``Host`` header is whatever the client sent (``curl -H 'Host: evil.example'``),
so a link built from it — in an ``.ics`` file, a ``payment_url`` — can point a player at
somebody else's site. Links start from the configured address instead
(``Settings.public_url``: ``BOOKING_BASE_URL``; ``booking serve``'s own address on the
embedded store); on a shared store without one they stay relative.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import url_for

from web.services import club


def public_url() -> str:
    """The configured address players reach the app at, or "" (links stay relative)."""
    return club().settings.public_url


def absolute(url: str) -> str:
    """``url`` made absolute on the configured address; an absolute one (a provider's
    checkout) is kept as it is."""
    if urlsplit(url).scheme:
        return url
    base = public_url()
    return f"{base}{url}" if base and url.startswith("/") else url


def external(endpoint: str, **values: Any) -> str | None:
    """``url_for(endpoint)`` on the configured address; ``None`` when none is configured
    and the place needs an absolute address (a calendar's URL)."""
    if not public_url():
        return None
    return absolute(url_for(endpoint, **values))
