"""The organiser's pages: sign-in, matches, the Match Control Centre, players, settings.

Server-rendered, one form per action, Post/Redirect/Get with flash messages
(seed 004 §6 "What the admin sees", §8.1). Views parse the form, call one
command of the application and redirect; the rules live in the domain, whose
refusals come back as flash messages with the domain's own words. Every page
but sign-in needs the session made there (``security.require_admin_session``).

The routes are spread over ``pages_admin_*.py``, all on this one blueprint.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from booking_domain import limits
from booking_domain.errors import BookingError, ValidationError
from booking_domain.transacting import Done
from booking_domain.wording import local_time
from projections.match_views import match_list
from web import sessions
from web.security import PER_CLIENT, actor, limiter, require_admin_session
from web.services import club

T = TypeVar("T")

admin_pages = Blueprint("admin_pages", __name__, url_prefix="/admin")

#: The club's time zone (api.md's default): new matches are typed in it.
CLUB_TIMEZONE = "Europe/London"
#: The value format of ``<input type="datetime-local">``.
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


# ------------------------------------------------------------ shared helpers


def remember(position: int | None) -> None:
    """Keep the newest event position this admin wrote: the next page reads after it.

    The redirect of Post/Redirect/Get then never shows a page older than the
    action the admin just took (read your own writes).
    """
    if position:
        session["after"] = max(int(session.get("after", 0)), position)


def read_after() -> int | None:
    after = session.get("after")
    return int(after) if after else None


def perform(
    run: Callable[[], Done[T]],
    *,
    back: str,
    success: str | Callable[[T], str],
    then: Callable[[T], str] | None = None,
) -> Response:
    """Run one command; a refusal is flashed in the domain's words, never a 500."""
    try:
        done = run()
    except BookingError as error:
        flash(error.message, "error")
        return redirect(back)
    remember(done.position)
    flash(success(done.value) if callable(success) else success, "success")
    return redirect(then(done.value) if then else back)


def form_int(field: str, label: str) -> int:
    """A whole number from the form, or a refusal naming the field."""
    raw = request.form.get(field, "").strip()
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(label, "enter a whole number") from None


def form_bool(field: str) -> bool:
    """A checkbox: present means on (an unticked box sends nothing)."""
    return request.form.get(field) in ("on", "1", "true", "yes")


def form_price(field: str) -> int:
    """Pounds and pence as typed ("5", "5.50") to integer pence (api.md money)."""
    raw = request.form.get(field, "").strip().lstrip("£") or "0"
    try:
        pence = Decimal(raw) * 100
    except InvalidOperation:
        raise ValidationError("Price", "use pounds and pence, e.g. 5.50") from None
    if not pence.is_finite() or pence != pence.to_integral_value():
        raise ValidationError("Price", "use pounds and pence, e.g. 5.50")
    return int(pence)  # its range is the domain's to check (``limits.PRICE_MINOR``)


def parse_local(raw: str | None, timezone: str, label: str) -> datetime | None:
    """A ``datetime-local`` value, read in the match's time zone, as UTC (None if empty)."""
    if not raw or not raw.strip():
        return None
    try:
        naive = datetime.strptime(raw.strip()[:16], INPUT_FORMAT)
        at = naive.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    except (ValueError, OverflowError):  # year 1 or 9999 east or west of UTC
        raise ValidationError(label, "enter a date and time") from None
    return limits.instant(label, at)


def input_value(at: datetime | None, timezone: str) -> str:
    """A time as a ``datetime-local`` value in the match's time zone."""
    return at.astimezone(ZoneInfo(timezone)).strftime(INPUT_FORMAT) if at else ""


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect (``//evil``, ``https://…``)."""
    default = url_for("admin_pages.matches")
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    # Browsers drop tabs and newlines from URLs: "/\t/evil" would become "//evil".
    if any(ch.isspace() or not ch.isprintable() for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return default
    return target


@admin_pages.context_processor
def helpers() -> dict[str, Any]:
    """What every admin template may call: times in the match's zone, money."""

    def when(at: datetime | None, timezone: str = CLUB_TIMEZONE) -> str:
        return local_time(at, timezone) if at else ""

    def money(minor: int, currency: str = "GBP") -> str:
        if not minor:
            return "Free"
        symbol = {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency, currency + " ")
        return f"{symbol}{minor / 100:.2f}"

    return {
        "when": when,
        "money": money,
        "input_value": input_value,
        "iso": lambda at: at.astimezone(UTC).isoformat() if at else "",
        "signed_in_as": g.get("admin"),
    }


@admin_pages.after_request
def not_cached(response: Response) -> Response:
    """Admin pages hold phone numbers and, once, a booking link: never kept in a cache."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@admin_pages.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> tuple[str, int]:
    """A form without its CSRF token (too old, or not from this site) changes nothing."""
    message = "This form has expired. Go back, reload the page and try again."
    return render_template("error.html", status=400, message=message), 400


# ------------------------------------------------------------------ sign in


@admin_pages.get("/sign-in")
def sign_in() -> str:
    """The admin signs in with an admin token (api.md "Admin")."""
    return render_template("admin/sign_in.html", next=safe_next(request.args.get("next")))


@admin_pages.post("/sign-in")
@limiter.limit(PER_CLIENT)
def sign_in_post() -> Response:
    """A good token makes a server-side session; the cookie gets only its id.
    A wrong one stores nothing."""
    target = safe_next(request.args.get("next") or request.form.get("next"))
    credential = club().admin_tokens.identify(request.form.get("token", "").strip())
    if credential is None:
        flash("That admin token isn't right. Check it and try again.", "error")
        return redirect(url_for("admin_pages.sign_in", next=target))
    # A fresh session on sign-in: nothing from before carries over, or stays alive.
    sessions.end_all()
    session.clear()
    sessions.begin_admin(credential.digest, credential.label)
    return redirect(target)


@admin_pages.post("/sign-out")
def sign_out() -> Response:
    """Ends the sessions server-side: a copy of this cookie signs nobody in after."""
    sessions.end_all()
    session.clear()
    flash("Signed out.", "success")
    return redirect(url_for("admin_pages.sign_in"))


# ------------------------------------------------------------------ matches


@admin_pages.get("/")
@require_admin_session
def matches() -> str:
    """Every match with "Booked n/m" and "Waitlist k" (seed 004 §6 top row)."""
    listed = club().read(match_list, after=read_after())
    kickoff = _suggested_kickoff(club().app.clock.now())
    return render_template(
        "admin/matches.html",
        matches=listed,
        club_timezone=CLUB_TIMEZONE,
        suggested_kickoff=input_value(kickoff, CLUB_TIMEZONE),
    )


def _suggested_kickoff(now: datetime) -> datetime:
    """A week today at 19:00 local: a form that is quick to fill in."""
    local = (now + timedelta(days=7)).astimezone(ZoneInfo(CLUB_TIMEZONE))
    return local.replace(hour=19, minute=0, second=0, microsecond=0)


@admin_pages.post("/matches")
@require_admin_session
def create_match() -> Response:
    """ "New match": kick-off typed in the club's time zone, stored in UTC."""

    def run() -> Done[Any]:
        kickoff = parse_local(request.form.get("kickoff_at"), CLUB_TIMEZONE, "Kick-off")
        if kickoff is None:
            raise ValidationError("Kick-off", "enter a date and time")
        return club().app.schedule_match(
            title=request.form.get("title", "").strip(),
            kickoff_at=kickoff,
            location=request.form.get("location", "").strip(),
            capacity=form_int("capacity", "Capacity"),
            price_minor=form_price("price"),
            timezone=CLUB_TIMEZONE,
            offer_mode=request.form.get("offer_mode") or None,
            actor=actor(),
        )

    return perform(
        run,
        back=url_for("admin_pages.matches"),
        success="Match created.",
        then=lambda match_id: url_for("admin_pages.match_centre", match_id=match_id),
    )


# The other pages register their routes on this blueprint when imported.
from web import pages_admin_club, pages_admin_match, pages_courts  # noqa: E402, F401
