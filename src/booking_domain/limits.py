"""What the engine accepts (docs/rules.md): one check for each kind of value that
enters it, and the bounds those checks use.

A value a command is given becomes an event, and an event the read models cannot
store stops them for good: text with a NUL byte (PostgreSQL refuses it), an amount
an INTEGER column cannot hold, a year whose date arithmetic overflows. So every
command checks what it is given here before it records anything, whoever calls it
(the API, a page's form, the CLI, the showcase, a process manager); the web's
schemas run the same checks, so the API refuses the same values with
``validation_error`` naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from booking_domain.errors import ValidationError

# ------------------------------------------------------------------- text

#: The longest each kind of text may be, in characters (after trimming).
TITLE = 120
LOCATION = 200
COURT = 200
SPORT = 60
REASON = 500
TIME_ZONE = 64
EMAIL = 254

#: Never in any text: C0 controls (NUL, CR, LF, TAB …), DEL and C1 controls, lone
#: surrogates (not encodable as UTF-8), the Unicode line and paragraph separators,
#: and the bidirectional overrides and isolates that make text display other
#: than it reads. A multi-line field (a reason) allows the newline, nothing else.
_OTHERS = r"\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069"
_NOT_A_LINE = re.compile(r"[\x00-\x1f" + _OTHERS + "]")
_NOT_LINES = re.compile(r"[\x00-\x09\x0b-\x1f" + _OTHERS + "]")


def unaccepted_character(value: str, *, lines: bool = False) -> str | None:
    """The first character ``value`` may not hold, or None if it is ordinary text."""
    found = (_NOT_LINES if lines else _NOT_A_LINE).search(value)
    return found.group() if found else None


def text(
    field: str,
    value: object,
    longest: int,
    *,
    required: bool = False,
    lines: bool = False,
) -> str:
    """``value`` trimmed, if it is ordinary text of at most ``longest`` characters.

    ``lines``: a multi-line field; a CR LF (what browsers send from a text area)
    becomes a newline. ``required``: it may not be empty.
    """
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    if lines:
        value = value.replace("\r\n", "\n")
    bad = unaccepted_character(value, lines=lines)
    if bad is not None:
        raise ValidationError(field, f"must not contain control characters (U+{ord(bad):04X})")
    value = value.strip()
    if required and not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > longest:
        raise ValidationError(field, f"use {longest} characters or fewer")
    return value


def time_zone(field: str, value: object) -> str:
    """An IANA time-zone name this machine knows, e.g. ``Europe/London``."""
    name = text(field, value, TIME_ZONE, required=True)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(field, f"unknown time zone {name!r}") from None
    return name


# ---------------------------------------------------------- whole numbers


@dataclass(frozen=True)
class Range:
    """Whole numbers from ``lowest`` to ``highest``, both included.

    Every range is far inside what a 32-bit INTEGER column holds (< 2³¹).
    """

    lowest: int
    highest: int

    def check(self, field: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(field, "must be a whole number")
        if not self.lowest <= value <= self.highest:
            raise ValidationError(field, f"must be between {self.lowest} and {self.highest}")
        return value


CAPACITY = Range(1, 500)
#: £100,000.00 in pence: more than any session costs.
PRICE_MINOR = Range(0, 10_000_000)
PAYMENT_WINDOW_MINUTES = Range(1, 24 * 60)
OFFER_FANOUT = Range(1, 20)
TIER_OFFSET_HOURS = Range(0, 24 * 14)
HOUR_OF_DAY = Range(0, 23)
SLOT_MINUTES = Range(15, 8 * 60)

# ------------------------------------------------------------------ times

#: No time the engine is given is earlier than this.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
#: Nor later than this (before the clock is known: the web's parsing, the test clock).
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
#: Kick-offs, slots and tier windows are at most this far ahead of the clock's now.
HORIZON = timedelta(days=2 * 365 + 1)
#: The longest a court slot lasts.
LONGEST_SLOT = timedelta(hours=24)
#: The furthest the test clock moves in one go.
LONGEST_CLOCK_MOVE = timedelta(days=366)


def instant(field: str, value: object) -> datetime:
    """A time with its UTC offset, between 2000-01-01 and 2200-01-01."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationError(field, "give a time with its UTC offset")
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc <= LATEST:
        raise ValidationError(field, "must be between 2000-01-01 and 2200-01-01")
    return value


def moment(field: str, value: object, now: datetime) -> datetime:
    """A time with its UTC offset, from 2000-01-01 to two years after ``now``."""
    checked = instant(field, value)
    if checked > now + HORIZON:
        raise ValidationError(field, "must be within two years from now")
    return checked


def calendar_day(field: str, value: date) -> date:
    """A day from 2000-01-01 up to (not including) 2200-01-01."""
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValidationError(field, "must be between 2000-01-01 and 2200-01-01")
    return value
