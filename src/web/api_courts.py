"""Court slots over JSON (api.md "Court slots"; seed 002).

Members, signed in to the portal, read the day's courts, request one or more
slots as one request, follow "My requests" (with check-in codes) and
withdraw. Admins (bearer token) read the approvals queue, decide requests one
by one or in bulk, move a pending booking, create slots, read the day grid
and the conversion rate, and check codes in at the desk.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from apiflask import APIBlueprint
from flask import Response

from booking_domain.errors import BookingError
from web import courts, portal
from web import schemas_courts as s
from web.api_admin import _match, admin_route
from web.envelope import ok
from web.schemas import MatchOut
from web.security import PER_CLIENT, READS, actor, limiter, same_origin_only
from web.services import club

api_courts = APIBlueprint("api_courts", __name__, url_prefix="/api", tag="Court slots")
api_courts.before_request(same_origin_only)
ERRORS = [400, 401, 403, 404, 409, 429]


# ----------------------------------------------------------------- members


@api_courts.get("/slots")
@limiter.limit(READS)
@api_courts.input(s.DayQuery, location="query", arg_name="query")
@api_courts.output(s.GridOut)
@api_courts.doc(responses=[400, 401, 429])
def member_grid(query: s.DayQuery) -> Any:
    """A day's courts × times for members: free, pending, booked, closed, waiting carts."""
    phone = portal.caller()
    return ok(courts.grid(courts.the_day(query.date), with_names=False, phone=phone))


@api_courts.post("/player/requests")
@limiter.limit(PER_CLIENT)
@api_courts.input(s.RequestIn, arg_name="body")
@api_courts.output(s.RequestOut, status_code=201)
@api_courts.doc(responses=ERRORS)
def request_slots(body: s.RequestIn) -> Any:
    """Request one or more slots as one request: free ones are held awaiting approval,
    held ones get the member's own waiting cart."""
    slots = [
        {"match_id": p.match_id, "cart": p.cart.model_dump(exclude_none=True) if p.cart else None}
        for p in body.slots
    ]
    done = courts.request_slots(portal.caller(), slots, body.request_id, body.player_id)
    answer = done.value
    data = {
        "request_id": answer.request_id,
        "player_id": answer.player_id,
        "slots": [
            {
                "match_id": part.match_id,
                "status": str(part.status),
                "waitlist_position": part.waitlist_position,
                "cart": vars(part.cart),
            }
            for part in answer.slots
        ],
    }
    return ok(data, done.position), 201


@api_courts.get("/player/requests")
@limiter.limit(READS)
@api_courts.output(list[s.MyRequestOut])
@api_courts.doc(responses=[401, 429])
def my_requests() -> Any:
    """My requests: each slot of each request and each waiting cart, newest first."""
    return ok(courts.my_requests(portal.caller()))


@api_courts.post("/player/requests/<uuid:match_id>/withdraw")
@limiter.limit(PER_CLIENT)
@api_courts.input(s.WithdrawIn, arg_name="body")
@api_courts.output(s.WithdrawOut)
@api_courts.doc(responses=ERRORS)
def withdraw(match_id: UUID, body: s.WithdrawIn) -> Any:
    """Withdraw a pending request (all its slots) or a waiting cart on this slot."""
    done = courts.withdraw(portal.caller(), match_id, body.player_id)
    return ok({"match_id": match_id, "player_id": done.value, "withdrawn": True}, done.position)


@api_courts.get("/bookings/<uuid:booking_id>/qr.svg")
@limiter.limit(READS)
@api_courts.input(s.QrQuery, location="query", arg_name="query")
@api_courts.doc(responses=[400, 404, 429])
def qr(booking_id: UUID, query: s.QrQuery) -> Any:
    """The booking's check-in QR code (SVG); the code in the link is what authorises it."""
    svg = courts.qr_svg(booking_id, query.code)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# ------------------------------------------------------------------ admins


def _decision(done: Any) -> dict[str, Any]:
    d = done.value
    return {"request_id": d.request_id, "player_id": d.player_id, "slots": d.slots}


@admin_route("get", "/approvals", list[s.ApprovalOut])
def approvals() -> Any:
    """Pending requests, oldest first, with the carts waiting behind each slot."""
    return ok(courts.queue())


def _booking_command(name: str, summary: str) -> None:
    """``POST /matches/<id>/bookings/<player_id>/<name>``, answering the match."""

    def view(match_id: UUID, player_id: UUID, body: s.DecisionIn) -> Any:
        app = club().app
        command = app.approve_request if name == "approve" else app.reject_request
        done = command(match_id, player_id, reason=body.reason, actor=actor())
        return ok(_match(match_id, done.position), done.position)

    view.__name__ = f"{name}_booking"
    view.__doc__ = summary
    rule = f"/matches/<uuid:match_id>/bookings/<uuid:player_id>/{name}"
    admin_route("post", rule, MatchOut, body=s.DecisionIn)(view)


def _request_command(name: str, summary: str) -> None:
    """``POST /requests/<request_id>/<name>``, answering the decision."""

    def view(request_id: UUID, body: s.DecisionIn) -> Any:
        done = courts.decide(request_id, name == "approve", body.reason, actor())
        return ok(_decision(done), done.position)

    view.__name__ = f"{name}_request"
    view.__doc__ = summary
    admin_route("post", f"/requests/<uuid:request_id>/{name}", s.DecisionOut, body=s.DecisionIn)(
        view
    )


_booking_command("approve", "Approve the member's request (every slot of it).")
_booking_command("reject", "Reject it; each freed slot goes to the head of its waitlist.")
_request_command("approve", "Approve a request by its id.")
_request_command("reject", "Reject a request by its id.")


@admin_route("post", "/approvals/bulk", list[s.BulkItemOut], body=s.BulkIn)
def bulk(body: s.BulkIn) -> Any:
    """Approve or reject several requests; each is its own decision, reported per item."""
    results, last = [], None
    for request_id in body.request_ids:
        try:
            done = courts.decide(request_id, body.decision == "approve", body.reason, actor())
        except BookingError as refusal:
            results.append(
                {
                    "request_id": request_id,
                    "ok": False,
                    "error": refusal.message,
                    "code": refusal.code,
                }
            )
            continue
        last = done.position or last
        results.append({"request_id": request_id, "ok": True})
    return ok(results, last)


@admin_route(
    "post", "/matches/<uuid:match_id>/bookings/<uuid:player_id>/move", MatchOut, body=s.MoveIn
)
def move(match_id: UUID, player_id: UUID, body: s.MoveIn) -> Any:
    """Move a pending booking to another free slot; its waiting carts follow it."""
    done = club().app.move_booking(match_id, player_id, to_match_id=body.to_match_id, actor=actor())
    return ok(_match(body.to_match_id, done.position), done.position)


@admin_route("post", "/slots", MatchOut, body=s.SlotIn, status=201)
def create_slot(body: s.SlotIn) -> Any:
    """A court slot that members request and an admin approves, open for requests."""
    done = club().app.schedule_slot(**body.model_dump(), actor=actor())
    return ok(_match(done.value, done.position), done.position), 201


@admin_route("post", "/slots/day", s.DayOut, body=s.DayIn, status=201)
def create_day(body: s.DayIn) -> Any:
    """A day of slots: every court, every ``length_minutes`` from first to last start."""
    values = body.model_dump()
    made = courts.schedule_day(day=courts.the_day(values.pop("date")), actor=actor(), **values)
    return ok({"match_ids": made}), 201


@admin_route("get", "/slots", s.GridOut, query=s.DayQuery)
def admin_grid(query: s.DayQuery) -> Any:
    """A day's courts × times with who holds each slot."""
    return ok(courts.grid(courts.the_day(query.date), with_names=True))


@admin_route("get", "/analytics/conversion", s.ConversionOut, query=s.ConversionQuery)
def conversion(query: s.ConversionQuery) -> Any:
    """How waiting carts ended: converted ÷ (converted + cancelled), per slot or club-wide."""
    return ok(courts.conversion(query.match_id))


@admin_route("post", "/checkin", s.CheckinOut, body=s.CheckinIn)
def check_in(body: s.CheckinIn) -> Any:
    """Check a scanned code in, once; a second scan is refused with the first time."""
    found = courts.check_in(body.code, actor())
    return ok(found, found.pop("position"))
