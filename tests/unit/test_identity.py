"""Phone numbers to E.164 (default region GB), names of at most 14 characters."""

from __future__ import annotations

import pytest

from booking_domain.errors import InvalidPhone, NameTooLong, ValidationError
from booking_domain.identity import PhoneNumber, PlayerName
from booking_domain.tokens import new_invite_token, token_digest, token_matches


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("07123456789", "+447123456789"),  # the seed's examples
        ("+44 7123 456789", "+447123456789"),
        ("07123 456 789", "+447123456789"),
        ("0044 7123 456789", "+447123456789"),
        ("+1 202 555 0123", "+12025550123"),
        ("(0)7123-456-789", "+447123456789"),
    ],
)
def test_phone_input_is_normalised_to_e164(raw: str, e164: str) -> None:
    assert PhoneNumber.parse(raw).e164 == e164


@pytest.mark.parametrize(
    "raw", ["", "   ", "hello", "123", "07123", "+44 7123 456789 123456789012345"]
)
def test_nonsense_is_not_a_phone_number(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        PhoneNumber.parse(raw)


def test_masked_phone_hides_the_middle() -> None:
    masked = PhoneNumber.parse("07123456789").masked()
    assert masked.startswith("+44") and masked.endswith("789")
    assert "123456" not in masked


def test_names_are_trimmed_and_spaces_collapsed() -> None:
    assert PlayerName.parse("  Sam   B ").text == "Sam B"
    assert PlayerName.parse("Sam B").key == PlayerName.parse("sam  b").key


def test_a_name_is_at_most_14_characters() -> None:
    assert PlayerName.parse("A" * 14).text == "A" * 14
    with pytest.raises(NameTooLong, match="Use 14 characters or fewer"):
        PlayerName.parse("A" * 15)


def test_an_empty_name_is_refused() -> None:
    with pytest.raises(ValidationError, match="name"):
        PlayerName.parse("   ")


def test_invite_tokens_are_long_random_and_stored_only_as_digests() -> None:
    token = new_invite_token()
    assert len(token) >= 43 and token != new_invite_token()
    digest = token_digest(token)
    assert token not in digest
    assert token_matches(token, digest)
    assert not token_matches(token + "x", digest)
    assert not token_matches(None, digest)
    assert not token_matches(token, None)
