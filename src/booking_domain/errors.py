"""Refusals, one class per machine code of ``api.md`` (and two it adds:
``conflict`` and ``unavailable``, for a store too busy to take a write).

Each carries the code clients switch on, the human message (seed 004 §18 copy
where the seed has one) and any data the client needs to recover (for example
the waitlist position a refused IN would get). A refusal changes nothing: the
command that raises it records no event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar


class BookingError(Exception):
    """Base of every refusal the booking domain can give."""

    code: ClassVar[str] = "booking_error"
    default_message: ClassVar[str] = "The request could not be completed."

    def __init__(self, message: str | None = None, **data: Any) -> None:
        self.message = message or self.default_message
        self.data: dict[str, Any] = data
        super().__init__(self.message)


class ValidationError(BookingError):
    """Malformed input; the message names the field."""

    code = "validation_error"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}", field=field)
        self.field = field
        self.problem = problem


class InvalidPhone(BookingError):
    """Not a phone number we can normalise to E.164 (seed 004 §3.1)."""

    code = "invalid_phone"
    default_message = "That doesn't look like a valid phone number."


class NameTooLong(BookingError):
    """Display names are at most 14 characters (seed 004 §7)."""

    code = "name_too_long"
    default_message = "Use 14 characters or fewer"


class InvalidToken(BookingError):
    """The booking link's token is wrong, rotated or dead (seed 004 §4.7)."""

    code = "invalid_token"
    default_message = "This link isn't valid anymore. Please ask the organiser for a new one."


class NotRegistered(BookingError):
    """Unknown phone while the club blocks unknown players."""

    code = "not_registered"
    default_message = "This number isn't registered. Please ask the organiser to add you."


class RingerBlocked(BookingError):
    """A ringer (or would-be ringer) may not self-book while the club says so."""

    code = "ringer_blocked"
    default_message = "Please ask the organiser to add you for this match."


class NameRequired(BookingError):
    """Unknown phone where ringers may self-book: ask for a name first."""

    code = "name_required"
    default_message = "Enter your name to join the list:"


class NotFound(BookingError):
    """No such match, player or offer."""

    code = "not_found"
    default_message = "Not found."


class TooEarly(BookingError):
    """The player's tier window has not opened yet (seed 004 §18)."""

    code = "too_early"

    def __init__(self, tier_label: str, opens_at: datetime, opens_at_text: str) -> None:
        super().__init__(
            f"Too early — Tier {tier_label} opens at {opens_at_text}.",
            opens_at=opens_at,
            tier=tier_label,
        )


class MatchFull(BookingError):
    """IN on a full match; says where the player would join the waitlist."""

    code = "match_full"

    def __init__(self, waitlist_position_if_joined: int, *, already_queued: bool = False) -> None:
        message = (
            f"Game is full — you're #{waitlist_position_if_joined} on the waitlist."
            if already_queued
            else "Game is full. Join the waitlist as "
            f"#{waitlist_position_if_joined} — first to claim gets in."
        )
        super().__init__(message, waitlist_position_if_joined=waitlist_position_if_joined)


class BookingClosed(BookingError):
    """Booking disabled, pool locked, match cancelled or already started."""

    code = "booking_closed"
    default_message = "Booking is closed for this match."


class OfferExpired(BookingError):
    """The player's offer ran out before they claimed it."""

    code = "offer_expired"
    default_message = "This offer has expired — check the waitlist for your current place."


class SpotFilled(BookingError):
    """Another player claimed the freed place first (seed 004 §7)."""

    code = "spot_filled"
    default_message = (
        "Spot filled — someone else claimed it first. You keep your place in the queue."
    )


class NoOffer(BookingError):
    """A claim without an open offer, outside instant-claim mode."""

    code = "no_offer"
    default_message = "You don't have an open offer for this match."


class NameTaken(BookingError):
    """Display names are unique across the club."""

    code = "name_taken"
    default_message = "That name's already taken — try another"


class PhoneTaken(BookingError):
    """One phone number is one player (seed 004 §7)."""

    code = "phone_taken"
    default_message = (
        "This number is already linked to another player — each player needs their own."
    )


class InvalidTransition(BookingError):
    """A lifecycle or state change that is not allowed now."""

    code = "invalid_transition"
    default_message = "That change isn't allowed now."


class GuardTripped(InvalidTransition):
    """An aggregate refused a change the booking rules should never ask of it.

    A client sees ``invalid_transition``; in a test it is a bug in the rules
    that span a match and its waitlist, never an acceptable refusal.
    """


class StoreBusy(BookingError):
    """The event store could not take the write in time (locked, timed out)."""

    code = "unavailable"
    default_message = "Bookings are busy right now — please try again in a moment."


class ConcurrencyConflict(BookingError):
    """A command kept losing the race for the same aggregates."""

    code = "conflict"
    default_message = "Too many people are changing this match at once — please try again."
