"""The member's court pages in the portal (seed 002): Book a court, My requests.

``/portal/courts``: a day's courts × times; tick free slots (held ones are
queued for with the member's own cart) and send them as one request.
``/portal/requests``: each request and waiting cart with its status, the
reason when there is one, Withdraw, and the check-in QR code of pending and
approved bookings. Forms post with their CSRF token (Post/Redirect/Get).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from booking_domain.errors import BookingError
from web import courts, portal
from web.pages_portal import portal_pages

#: How each status reads to a member.
WORDS = {
    "pending": "Awaiting approval",
    "approved": "Approved",
    "rejected": "Rejected",
    "withdrawn": "Withdrawn",
    "expired": "Expired — not decided before the start",
    "moved": "Moved to another slot",
    "waiting": "On the waitlist",
    "converted": "Slot freed — now a pending booking",
    "cancelled": "Waitlist cancelled",
}


def _signed_in() -> str | None:
    return portal.signed_in()


@portal_pages.get("/portal/courts")
def courts_page() -> Any:
    """Book a court: the day's slots; free ones to request, held ones to queue for."""
    phone = _signed_in()
    if phone is None:
        return redirect(url_for("portal_pages.login_page", next=request.path))
    day = courts.the_day(request.args.get("date"))
    return render_template(
        "portal/courts.html",
        grid=courts.grid(day, with_names=False, phone=phone),
        day=day,
        previous=day.fromordinal(day.toordinal() - 1),
        next=day.fromordinal(day.toordinal() + 1),
        players=portal.players_of(phone),
    )


@portal_pages.post("/portal/courts")
def request_courts() -> Response:
    phone = _signed_in()
    if phone is None:
        return redirect(url_for("portal_pages.login_page"))
    picked = request.form.getlist("match_id")
    back = url_for("portal_pages.courts_page", date=request.form.get("date") or None)
    if not picked:
        flash("Tick at least one slot first.", "error")
        return redirect(back)
    try:
        slots = [{"match_id": UUID(m)} for m in picked]
        raw_player = request.form.get("player_id")
        done = courts.request_slots(phone, slots, None, UUID(raw_player) if raw_player else None)
    except (BookingError, ValueError) as error:
        flash(getattr(error, "message", "Choose slots from the list."), "error")
        return redirect(back)
    held = sum(1 for p in done.value.slots if p.status == "HELD")
    queued = len(done.value.slots) - held
    parts = []
    if held:
        parts.append(f"{held} slot{'s' if held > 1 else ''} held for you until the club approves")
    if queued:
        parts.append(f"{queued} on the waitlist with your own cart")
    flash("Request sent: " + " and ".join(parts) + ".", "success")
    return redirect(url_for("portal_pages.requests_page"))


@portal_pages.get("/portal/requests")
def requests_page() -> Any:
    """My requests: status, reason, position, Withdraw, and the check-in QR code."""
    phone = _signed_in()
    if phone is None:
        return redirect(url_for("portal_pages.login_page", next=request.path))
    rows = courts.my_requests(phone)
    for row in rows:
        row["words"] = WORDS.get(row["status"], row["status"])
        if row.get("checkin_code"):
            row["qr_svg"] = courts.codes().qr_svg(row["checkin_code"])
    return render_template("portal/requests.html", rows=rows)


@portal_pages.post("/portal/requests/<uuid:match_id>/withdraw")
def withdraw(match_id: UUID) -> Response:
    phone = _signed_in()
    if phone is None:
        return redirect(url_for("portal_pages.login_page"))
    raw_player = request.form.get("player_id")
    try:
        courts.withdraw(phone, match_id, UUID(raw_player) if raw_player else None)
    except (BookingError, ValueError) as error:
        flash(getattr(error, "message", "That request isn't yours."), "error")
    else:
        flash("Request withdrawn.", "success")
    return redirect(url_for("portal_pages.requests_page"))
