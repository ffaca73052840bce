"""Club analytics: seed 004's flows A and B by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from booking_domain.application import BookingApp
from processes.clock import ManualClock
from processes.engine import Engine as Timers
from projections.analytics import Analytics, club_totals, match_analytics
from projections.database import views_engine
from projections.runner import ProjectionRunner
from tests.support import Club

M = timedelta(minutes=1)
H = timedelta(hours=1)


def figures(app: BookingApp) -> dict[UUID, dict[str, Any]]:
    views = ProjectionRunner(app, views_engine("memory", None), [Analytics()], batch=3)
    views.catch_up()
    with views.engine.connect() as conn:
        return {row["match_id"]: row for row in match_analytics(conn)}


def test_flow_a_time_to_full_and_fill_rate(app: BookingApp, clock: ManualClock) -> None:
    club = Club(app, clock)
    ins = club.players(*[f"In{i}" for i in range(10)])
    ana, ben = club.players("Ana", "Ben")
    match = club.match(capacity=10)
    opened = clock.now()
    for p in ins:
        clock.advance(timedelta(minutes=3))
        match.say(p, "IN")
    full = clock.now()
    match.say(ana, "WAITLIST")
    match.say(ben, "WAITLIST")
    row = figures(app)[match.match_id]
    assert (row["booked"], row["capacity"], row["fill_rate"]) == (10, 10, 1.0)
    assert (row["booking_opened_at"], row["full_at"]) == (opened, full)
    assert row["time_to_full_seconds"] == 30 * 60
    assert (row["waitlist_joined"], row["waitlist_converted"], row["waitlist_conversion"]) == (
        2,
        0,
        0.0,
    )
    assert (row["self_booked"], row["admin_added"]) == (10, 0)


def test_flow_b_offers_and_conversion(app: BookingApp, clock: ManualClock, engine: Timers) -> None:
    club = Club(app, clock)
    ins = club.players(*[f"In{i}" for i in range(9)])
    dan, kim, lou, max_, ned = club.players("Dan", "Kim", "Lou", "Max", "Ned")
    match = club.match(capacity=10, kickoff_in=22 * H)
    for p in (*ins, dan):
        match.say(p, "IN")
    for p in (kim, lou, max_, ned):
        match.say(p, "WAITLIST")
    match.say(dan, "OUT")
    engine.advance(by=2 * M)
    assert figures(app)[match.match_id]["booked"] == 9
    engine.advance(by=7 * M)
    match.claim(lou)
    row = figures(app)[match.match_id]
    assert (row["booked"], row["in_grace"], row["fill_rate"]) == (10, 0, 1.0)
    assert (row["dropouts"], row["dropouts_retracted"]) == (1, 0)
    offers = [row[k] for k in ("offers_issued", "offers_claimed", "offers_superseded")]
    assert offers == [3, 1, 2]
    assert (row["offers_expired"], row["offers_declined"]) == (0, 0)
    assert (row["waitlist_joined"], row["waitlist_converted"], row["waitlist_conversion"]) == (
        4,
        1,
        0.25,
    )


def test_club_totals_leave_cancelled_matches_out_of_the_fill_rate(
    app: BookingApp, clock: ManualClock
) -> None:
    club = Club(app, clock)
    a, b, c = club.players("A", "B", "C")
    half, full, called_off = club.match(capacity=4), club.match(capacity=1), club.match(capacity=2)
    half.say(a, "IN")
    half.say(b, "IN")
    full.say(c, "IN")
    called_off.say(a, "IN")
    app.cancel_match(called_off.match_id, reason="Pitch flooded")
    totals = club_totals(list(figures(app).values()))
    assert (totals["matches"], totals["cancelled"], totals["matches_full"]) == (3, 1, 1)
    assert totals["fill_rate"] == round(3 / 5, 4)
