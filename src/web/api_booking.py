"""The shared link's API (api.md "Public booking"; seed 004 §5.2).

Anyone holding the match's invite token may answer for the phone they give;
every write is rate-limited (``security.limit_writes``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus
from uuid import UUID

from apiflask import APIBlueprint
from flask import Response
from icalendar import Alarm, Calendar, Event

from booking_domain.application import BookingWindow
from booking_domain.errors import NotFound
from booking_domain.rsvp import PlayerStanding
from projections.public_views import match_header, standing_of
from web import links
from web import schemas_public as s
from web.envelope import ok
from web.security import READS, limit_writes, limiter
from web.services import club

api_booking = APIBlueprint("api_booking", __name__, url_prefix="/api", tag="Booking")
ERRORS = [400, 403, 404, 409, 429]
#: How long a match is in people's calendars (the seeds give no end time).
MATCH_LENGTH = timedelta(minutes=90)


def maps_url(location: str) -> str:
    return "https://www.google.com/maps/search/?api=1&query=" + quote_plus(location)


def checked_header(match_id: UUID, token: str, *, after: int | None = None) -> dict[str, Any]:
    """The match's public header, once the link's token is known good."""
    service = club()
    service.app.get_match(match_id).check_invite_token(token or None, service.app.clock.now())
    header = service.read(match_header, match_id, after=after)
    if header is None:  # the match exists; the read models have not seen it yet
        latest = service.app.recorder.max_notification_id()
        header = service.read(match_header, match_id, after=latest)
    if header is None:
        raise NotFound("No such match.")
    return {**header, "maps_url": maps_url(header["location"])}


def standing_body(player_id: UUID, standing: PlayerStanding) -> dict[str, Any]:
    offer = standing.offer
    return {
        "player_id": player_id,
        "status": str(standing.status),
        "waitlist_position": standing.waitlist_position,
        # A paid offer's held place (seed 000): paid for in the portal, not claimed.
        "hold": standing.hold_until,
        "grace_until": standing.in_grace_until,
        "out_flexible": standing.out_flexible,
        "offer": {"offer_id": offer.offer_id, "expires_at": offer.expires_at} if offer else None,
        "instant_claim": standing.instant_claim,
    }


@api_booking.get("/booking/match/<uuid:match_id>")
@limiter.limit(READS)
@api_booking.input(s.TokenQuery, location="query", arg_name="query")
@api_booking.output(s.PublicMatchOut)
@api_booking.doc(responses=ERRORS)
def public_match(match_id: UUID, query: s.TokenQuery) -> Any:
    """What the shared link shows: the match card and its counts."""
    return ok(checked_header(match_id, query.token))


@api_booking.post("/booking/respond")
@limit_writes
@api_booking.input(s.RespondIn, arg_name="body")
@api_booking.output(s.StandingOut)
@api_booking.doc(responses=ERRORS)
def respond(body: s.RespondIn) -> Any:
    """IN / OUT / WAITLIST / MAYBE; idempotent per (match, player)."""
    done = club().app.respond(
        match_id=body.match_id,
        token=body.token,
        phone=body.phone,
        action=body.action,
        out_flexible=body.out_flexible,
        name=body.name,
        source=body.source,
        cart=body.cart.model_dump(exclude_none=True) if body.cart else None,
        request_id=body.request_id,
    )
    return ok(standing_body(done.value.player_id, done.value.standing), done.position)


@api_booking.post("/booking/waitlist/claim")
@limit_writes
@api_booking.input(s.ClaimIn, arg_name="body")
@api_booking.output(s.StandingOut)
@api_booking.doc(responses=ERRORS)
def claim(body: s.ClaimIn) -> Any:
    """Claim a freed place: first claim wins."""
    done = club().app.claim_offer(match_id=body.match_id, token=body.token, phone=body.phone)
    return ok(standing_body(done.value.player_id, done.value.standing), done.position)


@api_booking.get("/booking/match/<uuid:match_id>/live")
@limiter.limit(READS)
@api_booking.input(s.LiveQuery, location="query", arg_name="query")
@api_booking.output(s.LiveOut)
@api_booking.doc(responses=ERRORS)
def live(match_id: UUID, query: s.LiveQuery) -> Any:
    """The 15-second poll (seed 004 §5.2): counts, and, given a phone, that player's standing.

    Also the tier window still to open for that phone (or, without one, the
    next to open) and why booking is closed, as the application decides them.
    """
    after = own_write(query.after)
    header = checked_header(match_id, query.token, after=after)
    service = club()
    standing = None
    if query.phone:
        player = service.app.find_player_by_phone(query.phone)
        if player is not None:
            standing = service.read(standing_of, match_id, player.id, after=after)
    window = service.app.booking_window(match_id, query.phone or None)
    now = service.app.clock.now()
    return ok(
        {
            **{k: header[k] for k in ("booked", "capacity", "waitlist", "spots_left", "state")},
            "booking_enabled": header["booking_enabled"],
            "instant_claim": header["instant_claim"],
            **live_standing(standing, bool(query.phone), now),
            **window_body(window),
            "now": now,
        }
    )


def own_write(after: int | None) -> int | None:
    """Wait for the caller's own write, never for a position the store has not reached."""
    if not after:
        return None
    return min(after, club().app.recorder.max_notification_id() or 0) or None


def live_standing(standing: dict[str, Any] | None, asked: bool, now: datetime) -> dict[str, Any]:
    """A player's row as the poll shows it: a lapsed offer or grace period is not shown."""
    if standing is None:
        return {
            "status": "PENDING" if asked else None,
            "waitlist_position": None,
            "grace_until": None,
            "offer": None,
            "hold_until": None,
            "out_flexible": False,
        }
    offer = None
    if standing["offer_id"] and standing["offer_expires_at"] > now:
        offer = {"offer_id": standing["offer_id"], "expires_at": standing["offer_expires_at"]}
    hold_until = None
    if standing["status"] == "HELD":
        # A held place's offer is paid for in the portal, never claimed here.
        hold_until = standing.get("hold_until") or (offer or {}).get("expires_at")
        offer = None
    grace = standing["grace_until"]
    return {
        "status": standing["status"],
        "waitlist_position": standing["waitlist_position"],
        "grace_until": grace if grace and grace > now else None,
        "offer": offer,
        "hold_until": hold_until if hold_until and hold_until > now else None,
        "out_flexible": bool(standing["out_flexible"]),
    }


def window_body(window: BookingWindow) -> dict[str, Any]:
    """``closed``, ``opens_at`` (when the caller may book, if not yet) and ``opening``."""
    opening = window.opening
    return {
        "closed": window.closed,
        "opens_at": opening.opens_at if opening and opening.caller_waits else None,
        "opening": {**asdict(opening), "tier": str(opening.tier)} if opening else None,
    }


@api_booking.get("/calendar/match/<uuid:match_id>.ics")
@limiter.limit(READS)
@api_booking.input(s.TokenQuery, location="query", arg_name="query")
@api_booking.doc(responses={200: "An iCalendar file", 403: "Bad token", 404: "No such match"})
def calendar(match_id: UUID, query: s.TokenQuery) -> Response:
    """The match as an .ics file, with reminders a day and two hours before."""
    header = checked_header(match_id, query.token)
    # The event links back to the page with its token: the link the player
    # already holds (it dies with the match), so a tap in the calendar works.
    # On BOOKING_BASE_URL, never the Host header; with no address, no link.
    link = links.external("public_pages.booking_page", match_id=match_id, token=query.token)
    return Response(
        calendar_file(header, link),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="match-{match_id}.ics"'},
    )


def calendar_file(header: dict[str, Any], link: str | None) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Club booking//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"{header['match_id']}@club-booking")
    event.add("summary", header["title"])
    event.add("location", header["location"])
    event.add("dtstart", header["kickoff_at"])
    event.add("dtend", header["kickoff_at"] + MATCH_LENGTH)
    event.add("dtstamp", club().app.clock.now())
    summary = f"{header['title']} — {header['location']}"
    if link:
        event.add("url", link)
        summary += f"\n{link}"
    event.add("description", summary)
    for before, words in ((timedelta(days=1), "tomorrow"), (timedelta(hours=2), "in 2 hours")):
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{header['title']} {words}")
        alarm.add("trigger", -before)
        event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical()
