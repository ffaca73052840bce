"""Player identity: E.164 phone numbers, unique display names, email addresses
(seed 004 §3.1, §7; seed 000).

One phone = one player. Names are at most 14 characters and unique regardless of
case and spacing, so "Sam  B" and "sam b" are the same name. An email address is
one address, checked by ``email-validator`` and kept in its normalised form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from booking_domain import limits
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
        if not isinstance(raw, str) or limits.unaccepted_character(raw) is not None:
            raise InvalidPhone()
        text = raw.strip()
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
        typed = raw if isinstance(raw, str) else ""
        if limits.unaccepted_character(typed) is not None:
            raise ValidationError("name", "use letters, numbers and spaces")
        text = _SPACES.sub(" ", typed.strip())
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


@dataclass(frozen=True)
class EmailAddress:
    """One email address, e.g. ``pat@example.org``: never a list, never a header.

    Checked by ``email-validator`` (syntax only: no DNS look-up) and kept in its
    normalised ASCII form (domain lower-cased, an international domain as
    punycode), which any mail server takes. Special-use domains other than
    ``.test`` (``localhost``, ``.local``, ``.invalid``…) are refused; so are
    display names, quoted local parts and IP-address domains.
    """

    address: str

    @classmethod
    def parse(cls, raw: str, field: str = "email") -> EmailAddress:
        text = limits.text(field, raw, limits.EMAIL, required=True)
        try:
            found = validate_email(
                text,
                check_deliverability=False,
                test_environment=True,
                allow_smtputf8=False,
                allow_quoted_local=False,
                allow_domain_literal=False,
                allow_display_name=False,
            )
        except EmailNotValidError as error:
            raise ValidationError(field, f"enter one valid email address ({error})") from None
        return cls(found.ascii_email or found.normalized)

    def __str__(self) -> str:
        return self.address
