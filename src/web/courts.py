"""The court pages' and API's services (seed 002): requests, decisions, check-in codes.

The JSON API (``api_courts``) and the pages (``pages_courts``,
``pages_member_courts``) both call these. A member acts for the players their
phone answers to (the portal's rule); check-in codes are sealed here, with a
key derived from ``SECRET_KEY``, and opened again at the desk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from booking_domain import limits
from booking_domain.errors import NotFound, ValidationError
from booking_domain.transacting import Done
from processes.booking_codes import BookingRef, CheckinCodes, InvalidCheckinCode
from projections.court_queries import (
    approvals_queue,
    conversion_rate,
    day_grid,
    place_of,
    request_for,
    requests_of,
)
from projections.portal_views import booking_id
from web import portal
from web.services import club

#: The club's time zone: court days are the club's days.
CLUB_TIMEZONE = "Europe/London"
NOT_OURS = "This isn't a check-in code from this club."


@cache
def _codes(secret: bytes) -> CheckinCodes:
    return CheckinCodes(secret)


def codes() -> CheckinCodes:
    return _codes(club().settings.derived_key("booking:checkin-codes"))


def code_for(match_id: UUID, player_id: UUID, placed_seq: int) -> str:
    return codes().code_for(BookingRef(match_id, player_id, placed_seq))


def qr_url(match_id: UUID, player_id: UUID, code: str) -> str:
    """The QR image's address: the code in it is what lets it be drawn (a signed link)."""
    return f"/api/bookings/{booking_id(match_id, player_id)}/qr.svg?code={code}"


def with_code(row: dict[str, Any]) -> dict[str, Any]:
    """A booking row with its check-in code and QR link, when it has a place."""
    seq = row.get("placed_seq")
    if not seq or row.get("status") not in ("pending", "approved", "IN", "HELD"):
        return {**row, "checkin_code": None, "qr_url": None}
    code = code_for(row["match_id"], row["player_id"], seq)
    return {**row, "checkin_code": code, "qr_url": qr_url(row["match_id"], row["player_id"], code)}


def qr_svg(booking: UUID, code: str) -> str:
    """The QR image of a code that opens to this booking; anything else is not found."""
    try:
        ref = codes().read(code)
    except InvalidCheckinCode:
        raise NotFound("No such booking.") from None
    if booking_id(ref.match_id, ref.player_id) != booking:
        raise NotFound("No such booking.")
    return codes().qr_svg(code)


def check_in(code: str, actor: str) -> dict[str, Any]:
    """A scanned code: once per booking (``CheckedIn``); refusals in the domain's words."""
    try:
        ref = codes().read(code)
    except InvalidCheckinCode:
        raise ValidationError("code", NOT_OURS) from None
    done = club().app.check_in(ref.match_id, ref.player_id, ref.placed_seq, actor=actor)
    found = done.value
    return {
        "booking_id": booking_id(found.match_id, found.player_id),
        "match_id": found.match_id,
        "player_id": found.player_id,
        "player": found.player_name,
        "match": found.title,
        "checked_in_at": found.checked_in_at,
        "position": done.position,
    }


# ----------------------------------------------------------------- members


def acting_for(phone: str, player_id: UUID | None) -> UUID:
    """The player a signed-in phone acts for: its own, or one it is guardian of."""
    mine = portal.players_of(phone)
    if player_id is None:
        own = [p for p in mine if p["relation"] == "player"] or mine
        if not own:
            raise NotFound("No player answers to this number.")
        return UUID(str(own[0]["player_id"]))
    if all(p["player_id"] != player_id for p in mine):
        raise NotFound("No such player.")
    return player_id


def request_slots(
    phone: str, slots: Sequence[Mapping[str, Any]], request_id: UUID | None, player_id: UUID | None
) -> Done[Any]:
    """One request for these slots, by the member or a guardian for them."""
    app = club().app
    who = acting_for(phone, player_id)
    player_phone = app.get_player(who).phone
    return app.request_slots(phone=player_phone, slots=slots, request_id=request_id)


def withdraw(phone: str, match_id: UUID, player_id: UUID | None) -> Done[UUID]:
    return club().app.withdraw_request(
        match_id, phone=phone, player_id=acting_for(phone, player_id)
    )


def my_requests(phone: str, after: int | None = None) -> list[dict[str, Any]]:
    ids = [p["player_id"] for p in portal.players_of(phone)]
    rows = club().read(requests_of, ids, after=after) if ids else []
    return [with_code(r) if r["kind"] == "booking" else r for r in rows]


def booking_code(match_id: UUID, player_id: UUID) -> dict[str, Any] | None:
    """A player's current booking in a match, with its code (``/api/player/bookings``)."""
    place = club().read(place_of, match_id, player_id)
    if place is None:
        return None
    return with_code({"match_id": match_id, "player_id": player_id, "status": "IN", **place})


# ------------------------------------------------------------------ admins


def the_day(raw: str | None) -> date:
    """A ``YYYY-MM-DD`` day, or today in the club's time zone."""
    if not raw:
        return club().app.clock.now().astimezone(ZoneInfo(CLUB_TIMEZONE)).date()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError("date", "use YYYY-MM-DD") from None
    return limits.calendar_day("date", day)


def grid(
    day: date, *, with_names: bool, after: int | None = None, phone: str | None = None
) -> dict[str, Any]:
    """The day's grid; for a member (``phone``), their own cells marked ``yours``."""
    now = club().app.clock.now()
    mine = [p["player_id"] for p in portal.players_of(phone)] if phone else []
    with club().reading(after) as conn:
        return day_grid(conn, day, CLUB_TIMEZONE, now=now, with_names=with_names, mine=mine)


def queue(after: int | None = None) -> list[dict[str, Any]]:
    return club().read(approvals_queue, after=after)


def conversion(match_id: UUID | None) -> dict[str, Any]:
    return club().read(conversion_rate, match_id)


def request_address(request_id: UUID) -> tuple[UUID, UUID]:
    """The slot and member of a request, for the commands that decide it."""
    found = club().read(request_for, request_id)
    if found is None:
        raise NotFound("No such request.")
    return found["match_id"], found["player_id"]


def decide(request_id: UUID, approve: bool, reason: str, actor: str) -> Done[Any]:
    match_id, player_id = request_address(request_id)
    app = club().app
    command = app.approve_request if approve else app.reject_request
    return command(match_id, player_id, reason=reason, actor=actor)


def schedule_day(
    *,
    day: date,
    courts: Sequence[str],
    sport: str,
    first_start: str,
    last_start: str,
    length_minutes: int,
    price_minor: int,
    timezone: str,
    actor: str,
) -> list[UUID]:
    """A day of slots: every court, every ``length_minutes`` from first to last start."""
    zone = ZoneInfo(timezone)
    try:
        first = datetime.combine(day, datetime.strptime(first_start, "%H:%M").time(), zone)
        last = datetime.combine(day, datetime.strptime(last_start, "%H:%M").time(), zone)
    except ValueError:
        raise ValidationError("first_start", "use HH:MM") from None
    if not 15 <= length_minutes <= 480:
        raise ValidationError("length_minutes", "must be between 15 and 480")
    if last < first or not courts or len(courts) > 40:
        raise ValidationError("courts", "name 1 to 40 courts and a last start after the first")
    length = timedelta(minutes=length_minutes)
    made: list[UUID] = []
    start = first
    while start <= last and len(made) < 500:
        for court in courts:
            made.append(
                club()
                .app.schedule_slot(
                    court=court,
                    sport=sport,
                    starts_at=start,
                    ends_at=start + length,
                    price_minor=price_minor,
                    timezone=timezone,
                    actor=actor,
                )
                .value
            )
        start += length
    return made
