"""Phone numbers to E.164 (default region GB), names of at most 14 characters."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.fictional import fictional_phone
from booking_domain.errors import InvalidPhone, NameTooLong, ValidationError
from booking_domain.identity import MAX_NAME_LENGTH, PhoneNumber, PlayerName
from booking_domain.tokens import new_invite_token, token_digest, token_matches


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("02079460123", "+442079460123"),  # the seed's formats, on an Ofcom drama number
        ("+44 20 7946 0123", "+442079460123"),
        ("020 7946 0123", "+442079460123"),
        ("0044 20 7946 0123", "+442079460123"),
        ("+1 202 555 0123", "+12025550123"),
        ("(020) 7946-0123", "+442079460123"),
    ],
)
def test_phone_input_is_normalised_to_e164(raw: str, e164: str) -> None:
    assert PhoneNumber.parse(raw).e164 == e164


@pytest.mark.parametrize(
    "raw", ["", "   ", "hello", "123", "02079", "+44 20 7946 0123 123456789012345"]
)
def test_nonsense_is_not_a_phone_number(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        PhoneNumber.parse(raw)


def test_masked_phone_hides_the_middle() -> None:
    masked = PhoneNumber.parse("02079460123").masked()
    assert masked.startswith("+44") and masked.endswith("123")
    assert "794601" not in masked


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


@given(n=st.integers(0, 11_999), style=st.sampled_from(["e164", "national", "international"]))
def test_every_spelling_of_a_number_is_the_same_player(n: int, style: str) -> None:
    e164 = fictional_phone(n)
    parsed = phonenumbers.parse(e164)
    formats = {
        "e164": phonenumbers.PhoneNumberFormat.E164,
        "national": phonenumbers.PhoneNumberFormat.NATIONAL,
        "international": phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    }
    spelled = phonenumbers.format_number(parsed, formats[style])
    assert PhoneNumber.parse(spelled).e164 == e164
    assert PhoneNumber.parse(PhoneNumber.parse(spelled).e164) == PhoneNumber.parse(e164)


@given(raw=st.text(max_size=20))
def test_a_name_is_either_refused_or_normal(raw: str) -> None:
    try:
        name = PlayerName.parse(raw)
    except (NameTooLong, ValidationError):
        return
    assert 0 < len(name.text) <= MAX_NAME_LENGTH
    assert name.text == name.text.strip()
    assert "  " not in name.text
    assert PlayerName.parse(name.text) == name
