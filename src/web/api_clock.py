"""The test clock and the dev inbox (api.md "Test clock").

Registered only with ``BOOKING_TEST_CLOCK=1``; otherwise these paths are 404.
Moving the clock fires every timer that became due, in due order, and brings
the read models up to date before it answers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from apiflask import APIBlueprint

from booking_domain import limits
from booking_domain.errors import InvalidTransition, ValidationError
from booking_domain.identity import PhoneNumber
from web import schemas_public as s
from web.envelope import ok
from web.services import club

api_clock = APIBlueprint("api_clock", __name__, url_prefix="/api/test-clock", tag="Test clock")


@api_clock.get("")
@api_clock.output(s.ClockOut)
def now() -> Any:
    """The test clock's time."""
    return ok({"now": club().app.clock.now(), "fired": []})


@api_clock.post("")
@api_clock.input(s.ClockIn, arg_name="body")
@api_clock.output(s.ClockOut)
@api_clock.doc(responses=[400, 409])
def move(body: s.ClockIn) -> Any:
    """Move the clock forward (``advance_seconds``) or to a moment (``now``)."""
    service = club()
    engine = service.system.engine
    move = body.root
    if isinstance(move, s.MoveTo):
        if move.now > service.app.clock.now() + limits.LONGEST_CLOCK_MOVE:
            raise ValidationError("now", "the test clock moves at most 366 days at a time")
        if move.now < service.app.clock.now():
            raise InvalidTransition("The test clock only moves forward.")
        fired = engine.advance(to=move.now)
    else:
        fired = engine.advance(by=timedelta(seconds=float(move.advance_seconds)))
    service.views.catch_up()
    return ok(
        {
            "now": service.app.clock.now(),
            "fired": [{"match_id": t.match_id, "kind": t.kind, "due_at": t.due_at} for t in fired],
        }
    )


@api_clock.get("/inbox")
@api_clock.input(s.InboxQuery, location="query", arg_name="query")
@api_clock.output(list[s.InboxOut])
@api_clock.doc(responses=[400])
def inbox(query: s.InboxQuery) -> Any:
    """What the dev delivery adapter captured for a phone."""
    phone = PhoneNumber.parse(query.phone).e164
    return ok([vars(m) for m in club().outbox.inbox(phone)])
