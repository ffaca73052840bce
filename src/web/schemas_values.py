"""The values request bodies are made of: the domain's rules on what the engine
accepts (``booking_domain.limits``, ``booking_domain.identity``), as Pydantic types.

The rules live in the domain, which checks every command however it is called;
these types run the same checks while the body is parsed, so the API answers
``validation_error`` with the field's path (``tier_windows.a_open_at``) before
any command runs, and ``/api/openapi.json`` shows the bounds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

from booking_domain import limits
from booking_domain.errors import ValidationError
from booking_domain.identity import EmailAddress


def checked(check: Callable[[Any], Any]) -> AfterValidator:
    """A pydantic validator running a domain check; its refusal becomes the field's error."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except ValidationError as refusal:
            raise PydanticCustomError("value_refused", refusal.problem) from None

    return AfterValidator(run)


def text_rule(longest: int, *, required: bool = False, lines: bool = False) -> AfterValidator:
    """Ordinary text (no control characters; ``lines``: newlines too), trimmed, at most
    ``longest`` characters; ``required``: not blank."""
    return checked(partial(limits.text, "text", longest=longest, required=required, lines=lines))


def within(allowed: limits.Range) -> Any:
    """The bounds of a whole number, as the domain gives them (and OpenAPI shows them)."""
    return Field(ge=allowed.lowest, le=allowed.highest)


Title = Annotated[
    StrictStr, Field(min_length=1, max_length=limits.TITLE), text_rule(limits.TITLE, required=True)
]
Location = Annotated[StrictStr, Field(max_length=limits.LOCATION), text_rule(limits.LOCATION)]
Court = Annotated[
    StrictStr, Field(min_length=1, max_length=limits.COURT), text_rule(limits.COURT, required=True)
]
Sport = Annotated[StrictStr, Field(max_length=limits.SPORT), text_rule(limits.SPORT)]
Reason = Annotated[StrictStr, Field(max_length=limits.REASON), text_rule(limits.REASON, lines=True)]
#: An ISO 4217 currency code such as ``GBP``.
Currency = Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]
TimeZone = Annotated[
    StrictStr,
    Field(max_length=limits.TIME_ZONE),
    checked(partial(limits.time_zone, "timezone")),
]
_AS_TYPED = 1000
#: A phone or a name as typed: one line of text; the domain judges the rest and
#: answers with its own codes (``invalid_phone``, ``name_too_long`` past 14 characters).
PhoneText = Annotated[StrictStr, text_rule(_AS_TYPED)]
NameText = Annotated[StrictStr, text_rule(_AS_TYPED)]
#: A token or a code: compared as given, never shown.
Token = Annotated[StrictStr, Field(max_length=400), text_rule(400)]

Capacity = Annotated[StrictInt, within(limits.CAPACITY)]
PriceMinor = Annotated[StrictInt, within(limits.PRICE_MINOR)]
PaymentWindowMinutes = Annotated[StrictInt, within(limits.PAYMENT_WINDOW_MINUTES)]
OfferFanout = Annotated[StrictInt, within(limits.OFFER_FANOUT)]
TierOffsetHours = Annotated[StrictInt, within(limits.TIER_OFFSET_HOURS)]
HourOfDay = Annotated[StrictInt, within(limits.HOUR_OF_DAY)]
SlotMinutes = Annotated[StrictInt, within(limits.SLOT_MINUTES)]


def _digits(value: object) -> object:
    """A query string's number is its digits: ``7.0``, ``1e3`` and `` 5`` are not positions."""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,19}", value):
        raise PydanticCustomError("whole_number", "must be a whole number")
    return value


#: An event position (``?after=``), in a query string or a body.
Position = Annotated[int, BeforeValidator(_digits), Field(ge=0, le=2**62)]


def _email(value: str) -> str:
    return EmailAddress.parse(value, "email").address


def _email_or_blank(value: str) -> str:
    blank = not value.strip() and limits.unaccepted_character(value) is None
    return "" if blank else _email(value)


#: One email address, normalised; never a list or a header.
Email = Annotated[StrictStr, Field(max_length=limits.EMAIL), checked(_email)]
#: The same, or "" to remove the address.
EmailOrBlank = Annotated[StrictStr, Field(max_length=limits.EMAIL), checked(_email_or_blank)]


def _text_only(value: object) -> object:
    """Times in are ISO 8601 text with an offset, never a bare number."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 time with an offset, e.g. 2026-12-01T19:00:00+00:00")
    return value


#: A time in: ISO 8601 text with an offset (api.md), from 2000 to 2200 (the domain
#: then asks for no more than two years ahead of its clock).
IsoTime = Annotated[
    AwareDatetime,
    BeforeValidator(_text_only),
    checked(partial(limits.instant, "time")),
]


def _calendar_day(value: str) -> str:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError("date", "use YYYY-MM-DD") from None
    limits.calendar_day("date", day)
    return value


#: A calendar day, ``YYYY-MM-DD``.
IsoDate = Annotated[
    StrictStr, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), checked(_calendar_day)
]
#: A wall-clock time of day, ``HH:MM``.
HourMinute = Annotated[StrictStr, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
