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


def test_flow_a_time_to_full_and_fill_rate(
    app: BookingApp, clock: ManualClock, engine: Timers
) -> None:
    """Seed 004 §17 A: booking opens tiered; Tier A fills 8 at A's window, Tier B the
    last 2 a day later; full 25 h after booking opened; Kim's wait never converts."""
    club = Club(app, clock)
    tier_a = [club.player(f"A{i}", tier="A") for i in range(8)]
    ivy, jon, kim = (club.player(n, tier="B") for n in ("Ivy", "Jon", "Kim"))
    opened = clock.now()
    windows = {"a_open_at": opened + H, "b_open_at": opened + 25 * H, "c_open_at": opened + 49 * H}
    match = club.match(
        capacity=10, kickoff_in=4 * 24 * H, invite_mode="tiered", tier_windows=windows
    )
    engine.advance(to=opened + H)
    for p in tier_a:
        match.say(p, "IN")
    engine.advance(to=opened + 25 * H)
    match.say(ivy, "IN")
    engine.advance(by=10 * M)
    match.say(jon, "IN")
    match.say(kim, "WAITLIST")
    for step in (app.lock_pool, app.balance_teams, app.complete_match):
        step(match.match_id)
    row = figures(app)[match.match_id]
    assert (row["booked"], row["capacity"], row["fill_rate"], row["state"]) == (
        10,
        10,
        1.0,
        "Completed",
    )
    assert (row["booking_opened_at"], row["full_at"]) == (opened, opened + 25 * H + 10 * M)
    assert row["time_to_full_seconds"] == (25 * H + 10 * M).total_seconds()
    assert (row["waitlist_joined"], row["waitlist_converted"], row["waitlist_conversion"]) == (
        1,
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
