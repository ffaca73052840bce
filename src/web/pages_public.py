"""The pages players use: the shared booking link (seed 004 §2, §5.2, §8.2, §18)
and, with the test clock, the dev inbox.

``/m/<match>?token=…`` is rendered from the read models as a visitor sees it
(the phone lives on the device, in ``localStorage``, so the server does not
know who is looking); ``static/booking.js`` then asks ``/api/booking/.../live``
for that phone's standing, answers through the JSON API and polls every 15 s.
The seed's copy is here, once: the template fills it in, and the script gets
the same strings through ``data-copy``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, render_template, request, url_for

from booking_domain.application import BookingWindow
from booking_domain.errors import BookingError, InvalidToken, NotFound
from booking_domain.identity import PhoneNumber
from booking_domain.wording import local_time
from projections.public_views import player_list
from web.api_booking import checked_header, window_body
from web.security import READS, limiter
from web.services import club

public_pages = Blueprint("public_pages", __name__)
dev_pages = Blueprint("dev_pages", __name__)

#: How often the page asks for fresh counts (seed 004 §5.2 "15s polling").
POLL_SECONDS = 15

#: The public page's words (seed 004 §18 "Public Page Messages", "Status Display",
#: "OUT options"; the rest in the same voice). ``{name}`` marks a value.
COPY = {
    "status": "{booked}/{capacity} confirmed • {waiting} waiting",
    "status_opens": " • Tier {tier} opens in ",
    "status_opens_together": " • Tiers B+C open in ",
    "before_window": "Booking opens for Tier {tier} at {time}.",
    "before_window_together": "Booking opens for Tier {tier} at {time}. (Tiers B+C open together)",
    "before_window_ringer": "Booking opens for your tier at {time}.",
    "too_early_tail": "The IN button will appear here 👍",
    "opens_in": "Opens in ",
    "spots_left": "{n} spots left — tap IN to secure yours.",
    "spot_left": "1 spot left — tap IN to secure yours.",
    "spots_badge": "{n} left",
    "full": "Game is full. Join the waitlist as #{position} — first to claim gets in.",
    "join_waitlist": "Join the waitlist as #{position}",
    "instant_claim": "Kick-off soon! Spots are first-come, first-served.",
    "offer": "Spot open! First to claim gets it.",
    "offer_expires": "Expires in ",
    "flexible": "Might be available later",
    "flexible_tip": "Player is OUT, but open to being called back if needed.",
    "name_prompt": "Enter your name to join the list:",
    "name_too_long": "Use 14 characters or fewer",
    "phone_first": "Enter your mobile number first.",
    "you_in": "You're IN ✓",
    "you_out": "You're OUT.",
    "you_out_flexible": "You're OUT — we may call you back if a spot opens.",
    "you_maybe": "You're a maybe.",
    "you_queued": "You're #{position} on the waitlist — first to claim gets in.",
    "you_held": "Requested — the place is held for you until the club approves it.",
    "held_until": "A place is held for you until {time}",
    "held_link": "log in to pay",
    "you_grace": "Your place is still held for you until {time} — tap IN to keep it.",
    "offline": "Couldn't reach the server — check your connection and try again.",
}


@public_pages.get("/m/<uuid:match_id>")
@limiter.limit(READS)
def booking_page(match_id: UUID) -> Any:
    """The shared link (seed 004 §8.2): the match card, its counts and IN / OUT."""
    token = request.args.get("token", "")
    try:
        header = checked_header(match_id, token)
    except InvalidToken as refusal:
        return render_template("public/invalid_link.html", message=refusal.message), 403
    except NotFound:
        abort(404)
    service = club()
    window = service.app.booking_window(match_id)
    now = service.app.clock.now()
    state = {**header, **window_body(window), "now": now, "status": None}
    page = render_template(
        "public/booking.html",
        match=header,
        kickoff_text=local_time(header["kickoff_at"], header["timezone"]),
        price=price_text(header["price_minor"], header["currency"]),
        view=visitor_view(header, window, now),
        copy=COPY,
        state=jsonable(state),
        token=token,
        poll_seconds=poll_seconds(),
        calendar_url=url_for("api_booking.calendar", match_id=match_id, token=token),
        portal_url=url_for("portal_pages.dashboard"),
    )
    # Live counts, and the link's token in the page: never kept by a shared cache.
    return page, 200, {"Cache-Control": "private, no-store"}


def visitor_view(header: dict[str, Any], window: BookingWindow, now: datetime) -> dict[str, Any]:
    """What the page says before it knows the phone (the script takes over from there).

    The application decided whether booking is closed and which tier window is
    still to open; this only picks the seed's words for it.
    """
    counts = COPY["status"].format(
        booked=header["booked"], capacity=header["capacity"], waiting=header["waitlist"]
    )
    return {
        "counts": counts,
        "note": opening_note(window, now),
        "in_label": "IN",
        "in_action": "IN",
        "in_disabled": False,
        "opens_in": None,
        "spots": None,
        **answer_state(header, window, now),
    }


def opening_note(window: BookingWindow, now: datetime) -> tuple[str, str] | None:
    """The words after the counts, e.g. " • Tier B opens in 2h 15min" (seed 004 §18)."""
    opening = window.opening
    if opening is None or window.closed:
        return None
    words = COPY["status_opens"].format(tier=opening.tier)
    if opening.b_and_c_together:
        words = COPY["status_opens_together"]
    return words, countdown_text(opening.opens_at - now)


def answer_state(header: dict[str, Any], window: BookingWindow, now: datetime) -> dict[str, Any]:
    """The hint and the IN button: closed, too early, full or spots left (seed 004 §18)."""
    opening = window.opening
    if window.closed:
        return {"hint": window.closed, "in_disabled": True}
    if opening is not None and opening.caller_waits:
        time = local_time(opening.opens_at, header["timezone"])
        key = "before_window_together" if opening.b_and_c_together else "before_window"
        return {
            "hint": COPY[key].format(tier=opening.tier, time=time),
            "in_disabled": True,
            "opens_in": countdown_text(opening.opens_at - now),
        }
    if header["spots_left"] <= 0:
        position = header["waitlist"] + 1
        return {
            "hint": COPY["full"].format(position=position),
            "in_label": COPY["join_waitlist"].format(position=position),
            "in_action": "WAITLIST",
        }
    n = header["spots_left"]
    return {
        "hint": COPY["spot_left"] if n == 1 else COPY["spots_left"].format(n=n),
        "spots": COPY["spots_badge"].format(n=n),
    }


def countdown_text(left: timedelta) -> str:
    """A countdown as the seed writes it: "2h 15min", "14:59", "1d 3h" (booking.js too)."""
    seconds = max(0, int(left.total_seconds()))
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    if hours >= 24:
        return f"{hours // 24}d {hours % 24}h"
    if hours:
        return f"{hours}h {minutes}min"
    return f"{minutes}:{seconds % 60:02d}"


def price_text(minor: int, currency: str) -> str | None:
    """The price, e.g. "£5.00"; None for a free match (seed 004's matches are free)."""
    if not minor:
        return None
    symbol = {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency)
    amount = f"{minor // 100}.{minor % 100:02d}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def poll_seconds() -> int:
    """15 s, or ``?poll=`` (1–60) — tests and demos need not wait."""
    raw = request.args.get("poll", "")
    return min(60, max(1, int(raw))) if raw.isascii() and raw.isdigit() else POLL_SECONDS


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """The page's first state for the script, shaped like the live answer."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, UUID):
            return str(value)
        return value

    return {k: plain(v) for k, v in data.items()}


# ------------------------------------------------------------- dev inbox


@dev_pages.get("/dev/inbox")
def dev_inbox() -> str:
    """Every notice the dev delivery adapter captured for a phone (test clock or
    ``BOOKING_DEV_INBOX``): sign-in codes too, until real channels deliver them.

    A newcomer on ``make play`` reads here what players would have been sent.
    """
    raw = request.args.get("phone", "").strip()
    service = club()
    messages: list[Any] = []
    problem = None
    if raw:
        try:
            messages = service.outbox.inbox(PhoneNumber.parse(raw).e164)
        except BookingError as refusal:
            problem = refusal.message
    return render_template(
        "public/dev_inbox.html",
        phone=raw,
        problem=problem,
        messages=list(reversed(messages)),
        players=service.read(player_list),
        now=service.app.clock.now(),
    )
