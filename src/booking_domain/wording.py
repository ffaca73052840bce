"""How times read in the seed's messages: local to the match, short and unambiguous."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_time(at: datetime, timezone: str) -> str:
    """E.g. ``Tue 24 Nov 19:00`` in the match's time zone."""
    local = at.astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def clock_time(at: datetime, timezone: str) -> str:
    """E.g. ``19:05`` in the match's time zone."""
    return f"{at.astimezone(ZoneInfo(timezone)):%H:%M}"
