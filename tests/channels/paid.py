"""A priced match for the channel tests: P0 and P1 in, P2 and P3 waiting, everyone with
an email; P0 dropping out frees a place held for P2 while they pay (seed 000)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from booking.bootstrap import System
from tests.support import START, phone

M = timedelta(minutes=1)


def paid_match(system: System, *, guardian: str | None = None) -> tuple[UUID, str, list[UUID]]:
    """The match, its booking token and the four players (P2's guardian, if given)."""
    app = system.app
    ids = [
        app.register_player(name=f"P{n}", phone=phone(n), email=f"p{n}@example.org").value
        for n in range(4)
    ]
    if guardian:
        app.update_player(ids[2], guardian_phones=[guardian])
    match_id = app.schedule_match(
        title="Thursday 5s",
        kickoff_at=START + timedelta(days=3),
        location="Hackney Marshes",
        capacity=2,
        price_minor=700,
        payment_window_minutes=45,
    ).value
    token = app.enable_booking(match_id).value
    for n in (0, 1):
        app.respond(match_id=match_id, token=token, phone=phone(n), action="IN")
    for n in (2, 3):
        app.respond(match_id=match_id, token=token, phone=phone(n), action="WAITLIST")
    return match_id, token, ids


def free_a_place(system: System, match_id: UUID, token: str) -> None:
    """P0 drops out; past the grace period the place is offered to P2."""
    system.app.respond(match_id=match_id, token=token, phone=phone(0), action="OUT")
    system.engine.advance(by=10 * M)
