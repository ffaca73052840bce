"""Every refusal the domain can give carries one of the API's machine codes."""

from __future__ import annotations

from booking_domain import errors
from booking_domain.errors import BookingError

#: api.md's codes that the domain (not the web layer) decides.
DOMAIN_CODES = {
    "validation_error",
    "invalid_phone",
    "name_too_long",
    "invalid_token",
    "not_registered",
    "ringer_blocked",
    "name_required",
    "not_found",
    "too_early",
    "match_full",
    "booking_closed",
    "offer_expired",
    "spot_filled",
    "no_offer",
    "name_taken",
    "phone_taken",
    "invalid_transition",
}


def _refusals() -> list[type[BookingError]]:
    found = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, BookingError) and value is not BookingError
    ]
    return found


def test_each_api_code_has_a_refusal_and_each_refusal_a_documented_code() -> None:
    codes = {cls.code for cls in _refusals()}
    assert codes >= DOMAIN_CODES
    assert codes - DOMAIN_CODES == {"conflict", "unavailable"}  # the two additions


def test_refusals_speak_the_seeds_words() -> None:
    assert errors.InvalidToken().message == (
        "This link isn't valid anymore. Please ask the organiser for a new one."
    )
    assert errors.NotRegistered().message == (
        "This number isn't registered. Please ask the organiser to add you."
    )
    assert errors.RingerBlocked().message == "Please ask the organiser to add you for this match."
    assert errors.NameRequired().message == "Enter your name to join the list:"
    assert errors.NameTooLong().message == "Use 14 characters or fewer"
    assert errors.NameTaken().message == "That name's already taken — try another"
    assert errors.PhoneTaken().message == (
        "This number is already linked to another player — each player needs their own."
    )
    assert errors.OfferExpired().message == (
        "This offer has expired — check the waitlist for your current place."
    )
    full = errors.MatchFull(4)
    assert full.message == "Game is full. Join the waitlist as #4 — first to claim gets in."
    assert full.data == {"waitlist_position_if_joined": 4}
