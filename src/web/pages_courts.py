"""The organiser's court pages (seed 002): the approvals queue, the day grid, check-in.

Server-rendered on the admin blueprint, one form per action, Post/Redirect/Get
with flash messages, like the other admin pages; the rules stay in the domain.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from booking_domain.errors import BookingError
from web import courts
from web.pages_admin import admin_pages, form_int, form_price, perform, read_after, remember
from web.security import actor, require_admin_session
from web.services import club


@admin_pages.get("/approvals")
@require_admin_session
def approvals() -> str:
    """Pending requests, oldest first, with the waiting carts behind each slot."""
    queue = courts.queue(read_after())
    days = sorted({r["cart"]["date"] for r in queue})
    free = {d: _free_slots(d) for d in days}
    return render_template(
        "admin/approvals.html",
        queue=queue,
        free=free,
        now=club().app.clock.now(),
        conversion=courts.conversion(None),
    )


def _free_slots(day: str) -> list[dict[str, Any]]:
    """Where a pending booking of that day could move to."""
    grid = courts.grid(courts.the_day(day), with_names=False, after=read_after())
    return [
        {"match_id": cell["match_id"], "label": f"{cell['court']} {row['start']}–{row['end']}"}
        for row in grid["rows"]
        for cell in row["cells"]
        if cell["state"] == "free" and cell["waitlist"] == 0
    ]


def _reason() -> str:
    return request.form.get("reason", "").strip()[:500]


@admin_pages.post("/approvals/<uuid:request_id>/<any(approve, reject):decision>")
@require_admin_session
def decide(request_id: UUID, decision: str) -> Response:
    """Approve or reject one request (every slot of it)."""
    approve = decision == "approve"
    return perform(
        lambda: courts.decide(request_id, approve, _reason(), actor()),
        back=url_for("admin_pages.approvals"),
        success="Request approved." if approve else "Request rejected.",
    )


@admin_pages.post(
    "/matches/<uuid:match_id>/bookings/<uuid:player_id>/<any(approve, reject):decision>"
)
@require_admin_session
def decide_booking(match_id: UUID, player_id: UUID, decision: str) -> Response:
    """Approve or reject a member's request from the Match Control Centre."""
    app = club().app
    command = app.approve_request if decision == "approve" else app.reject_request
    return perform(
        lambda: command(match_id, player_id, reason=_reason(), actor=actor()),
        back=url_for("admin_pages.match_centre", match_id=match_id),
        success="Request approved." if decision == "approve" else "Request rejected.",
    )


@admin_pages.post("/approvals/bulk")
@require_admin_session
def bulk_decide() -> Response:
    """Approve or reject the ticked requests; each is its own decision."""
    approve = request.form.get("decision") == "approve"
    ids = request.form.getlist("request_id")
    done, refused = 0, []
    for raw in ids:
        try:
            result = courts.decide(UUID(raw), approve, _reason(), actor())
        except (BookingError, ValueError) as error:
            refused.append(getattr(error, "message", "not a request"))
            continue
        remember(result.position)
        done += 1
    if not ids:
        flash("Tick the requests to decide first.", "error")
    else:
        verb = "approved" if approve else "rejected"
        flash(f"{done} of {len(ids)} requests {verb}.", "success" if done else "error")
        for message in sorted(set(refused)):
            flash(message, "error")
    return redirect(url_for("admin_pages.approvals"))


@admin_pages.post("/approvals/move")
@require_admin_session
def move_booking() -> Response:
    """Move a pending booking to another free slot; its waiting carts follow."""

    def run() -> Any:
        return club().app.move_booking(
            UUID(request.form.get("match_id", "")),
            UUID(request.form.get("player_id", "")),
            to_match_id=UUID(request.form.get("to_match_id", "")),
            actor=actor(),
        )

    return perform(
        run,
        back=url_for("admin_pages.approvals"),
        success="Booking moved; the waiting carts followed it.",
    )


@admin_pages.get("/slots")
@require_admin_session
def slots() -> str:
    """Courts × times for one day: free, pending, booked, closed, and waiting carts."""
    day = courts.the_day(request.args.get("date"))
    return render_template(
        "admin/slots.html",
        grid=courts.grid(day, with_names=True, after=read_after()),
        day=day,
        previous=day.fromordinal(day.toordinal() - 1),
        next=day.fromordinal(day.toordinal() + 1),
    )


@admin_pages.post("/slots")
@require_admin_session
def create_day() -> Response:
    """A day of slots on the courts named, every hour (or as set) from first to last start."""
    day = request.form.get("date", "")
    back = url_for("admin_pages.slots", date=day)
    try:
        made = courts.schedule_day(
            day=courts.the_day(day),
            courts=[c.strip() for c in request.form.get("courts", "").split(",") if c.strip()],
            sport=request.form.get("sport", "").strip(),
            first_start=request.form.get("first_start", ""),
            last_start=request.form.get("last_start", ""),
            length_minutes=form_int("length_minutes", "Length"),
            price_minor=form_price("price"),
            timezone=courts.CLUB_TIMEZONE,
            actor=actor(),
        )
    except BookingError as error:
        flash(error.message, "error")
        return redirect(back)
    flash(f"{len(made)} slots created.", "success")
    return redirect(back)


@admin_pages.get("/checkin")
@require_admin_session
def checkin() -> Response:
    """The desk: scan a booking's QR code with the camera, or paste its code.

    The one page allowed the camera (every other page's Permissions-Policy denies it).
    """
    response = Response(render_template("admin/checkin.html"), mimetype="text/html")
    response.headers["Permissions-Policy"] = "camera=(self), geolocation=()"
    return response


@admin_pages.post("/checkin")
@require_admin_session
def checkin_post() -> Response:
    code = request.form.get("code", "")
    try:
        found = courts.check_in(code, actor())
    except BookingError as error:
        flash(error.message, "error")
    else:
        remember(found["position"])
        flash(f"Checked in: {found['player']} — {found['match']}.", "success")
    return redirect(url_for("admin_pages.checkin"))
