"""Time is a parameter: domain code asks a Clock, never the system (architecture.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that can say what time it is now, as an aware UTC datetime."""

    def now(self) -> datetime: ...
