"""Player identity: E.164 phone numbers and unique display names (seed 004 §3.1, §7).

One phone = one player. Names are at most 14 characters and unique regardless of
case and spacing, so "Sam  B" and "sam b" are the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from booking_domain.errors import InvalidPhone, NameTooLong, ValidationError

DEFAULT_REGION = "GB"
MAX_NAME_LENGTH = 14
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, order=True)
class PhoneNumber:
    """A phone number in E.164 form, e.g. ``+442079460123``."""

    e164: str

    @classmethod
    def parse(cls, raw: str, region: str = DEFAULT_REGION) -> PhoneNumber:
        """Normalise user input ("020 7946 0123", "+44 20 7946 0123") to E.164."""
        text = (raw or "").strip()
        if not text or len(text) > 32:
            raise InvalidPhone()
        try:
            parsed = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            raise InvalidPhone() from None
        if not phonenumbers.is_valid_number(parsed):
            raise InvalidPhone()
        return cls(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))

    def masked(self) -> str:
        """A form safe for logs and admin lists: ``+44•••••••789``."""
        return self.e164[:3] + "•" * max(0, len(self.e164) - 6) + self.e164[-3:]

    def __str__(self) -> str:
        return self.e164


@dataclass(frozen=True)
class PlayerName:
    """A display name: trimmed, inner spaces collapsed, 1–14 characters."""

    text: str

    @classmethod
    def parse(cls, raw: str) -> PlayerName:
        text = _SPACES.sub(" ", (raw or "").strip())
        if not text:
            raise ValidationError("name", "enter a name")
        if len(text) > MAX_NAME_LENGTH:
            raise NameTooLong()
        if not text.isprintable():
            raise ValidationError("name", "use letters, numbers and spaces")
        return cls(text)

    @property
    def key(self) -> str:
        """What uniqueness is judged on."""
        return self.text.casefold()

    def __str__(self) -> str:
        return self.text
