"""The match dashboard read model: seed 004's flows by hand, and equal to the aggregates."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any
from uuid import UUID

from hypothesis.stateful import invariant

from booking_domain.application import BookingApp
from booking_domain.unit import Unit
from processes.clock import ManualClock
from processes.engine import Engine as Timers
from projections.analytics import Analytics, match_analytics
from projections.dashboard import Dashboard
from projections.database import views_engine
from projections.match_views import match_dashboard, match_list, player_matches, player_offers
from projections.offer_log import OfferLog, offers_of
from projections.runner import ProjectionRunner
from tests.property.test_timed import TimedMatchMachine
from tests.support import Club, stateful_settings

M = timedelta(minutes=1)
H = timedelta(hours=1)


def dashboard(app: BookingApp, match_id: UUID, *, batch: int = 500) -> dict[str, Any]:
    views = ProjectionRunner(app, views_engine("memory", None), [Dashboard()], batch=batch)
    views.catch_up()
    with views.engine.connect() as conn:
        found = match_dashboard(conn, match_id)
    assert found is not None
    return found


def by_name(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in board["players"]}


def test_flow_a_tiered_fill(app: BookingApp, clock: ManualClock, engine: Timers) -> None:
    """Seed 004 §17 A: cap 10, tier windows; eight of Tier A book when A opens, two of
    Tier B when B opens (10/10); the third of B queues; Lock → Balance → Complete."""
    club = Club(app, clock)
    tier_a = [club.player(f"A{i}", tier="A") for i in range(8)]
    ivy, jon, kim = (club.player(n, tier="B") for n in ("Ivy", "Jon", "Kim"))
    cal = club.player("Cal")
    club.player("Rory", ringer=True)
    start = clock.now()
    windows = {"a_open_at": start + H, "b_open_at": start + 25 * H, "c_open_at": start + 49 * H}
    match = club.match(
        capacity=10, kickoff_in=4 * 24 * H, invite_mode="tiered", tier_windows=windows
    )
    board = dashboard(app, match.match_id)
    assert (board["invite_mode"], board["tier_windows"]) == ("tiered", windows)
    assert (board["booked"], board["spots_left"], board["booking_enabled"]) == (0, 10, True)

    engine.advance(to=start + H)
    for p in tier_a:
        match.say(p, "IN")
    engine.advance(to=start + 25 * H)
    match.say(ivy, "IN")
    match.say(jon, "IN")
    match.say(kim, "WAITLIST")
    board = dashboard(app, match.match_id)
    assert (board["booked"], board["capacity"], board["waitlist"], board["spots_left"]) == (
        10,
        10,
        1,
        0,
    )
    people = by_name(board)
    assert [(people[n]["status"], people[n]["tier"]) for n in ("A0", "Ivy", "Kim", "Cal")] == [
        ("IN", "A"),
        ("IN", "B"),
        ("WAITLIST", "B"),
        ("PENDING", "C"),
    ]
    assert people["Kim"]["waitlist_position"] == 1
    assert "Rory" not in people  # ringers are not chased for an answer
    assert [p["status"] for p in board["players"]] == ["IN"] * 10 + ["WAITLIST", "PENDING"]
    assert people["Ivy"]["source"] == "web" and people["Ivy"]["since"] == start + 25 * H

    for step in (app.lock_pool, app.balance_teams, app.complete_match):
        step(match.match_id)
    assert dashboard(app, match.match_id)["state"] == "Completed"
    assert cal.player_id in {p["player_id"] for p in board["players"]}


def test_flow_b_dropout_offers_and_claim(
    app: BookingApp, clock: ManualClock, engine: Timers
) -> None:
    """Flow B: Dan drops out the night before; in grace he still holds his place;
    then Kim, Lou and Max hold offers for an hour; Lou claims; the others stay queued."""
    club = Club(app, clock)
    ins = club.players(*[f"In{i}" for i in range(9)])
    dan, kim, lou, max_, ned = club.players("Dan", "Kim", "Lou", "Max", "Ned")
    match = club.match(capacity=10, kickoff_in=22 * H)
    for p in (*ins, dan):
        match.say(p, "IN")
    for p in (kim, lou, max_, ned):
        match.say(p, "WAITLIST")
    match.say(dan, "OUT", out_flexible=True)
    board = dashboard(app, match.match_id)
    people = by_name(board)
    assert people["Dan"]["status"] == "OUT" and people["Dan"]["out_flexible"]
    assert people["Dan"]["grace_until"] == clock.now() + 2 * M
    assert (board["booked"], board["in_grace"], board["spots_left"]) == (9, 1, 0)

    engine.advance(by=2 * M)
    offered_at = clock.now()
    board = dashboard(app, match.match_id)
    assert [(o["player_id"], o["batch"]) for o in board["open_offers"]] == [
        (kim.player_id, 1),
        (lou.player_id, 1),
        (max_.player_id, 1),
    ]
    assert {o["expires_at"] for o in board["open_offers"]} == {offered_at + H}
    assert (board["spots_left"], by_name(board)["Dan"]["grace_until"]) == (1, None)

    engine.advance(by=7 * M)
    match.claim(lou)
    board = dashboard(app, match.match_id)
    people = by_name(board)
    assert (board["booked"], board["waitlist"], board["spots_left"]) == (10, 3, 0)
    assert people["Lou"]["status"] == "IN" and people["Lou"]["waitlist_position"] is None
    assert [(n, people[n]["waitlist_position"]) for n in ("Kim", "Max", "Ned")] == [
        ("Kim", 1),
        ("Max", 2),
        ("Ned", 3),
    ]
    assert board["open_offers"] == []
    assert dashboard(app, match.match_id, batch=1) == board


def test_capacity_cut_bumps_the_latest_to_the_head(app: BookingApp, clock: ManualClock) -> None:
    club = Club(app, clock)
    a, b, c, w = club.players("A", "B", "C", "W")
    match = club.match(capacity=3)
    for p in (a, b, c):
        match.say(p, "IN")
    match.say(w, "WAITLIST")
    app.change_capacity(match.match_id, 2)
    people = by_name(dashboard(app, match.match_id))
    assert [(people[n]["status"], people[n]["waitlist_position"]) for n in ("C", "W")] == [
        ("WAITLIST", 1),
        ("WAITLIST", 2),
    ]
    assert people["C"]["bumped"] and people["C"]["source"] == "system"


def test_the_list_and_a_players_view(app: BookingApp, clock: ManualClock) -> None:
    club = Club(app, clock)
    a, b = club.players("A", "B")
    first, second = club.match(capacity=1), club.match(capacity=1, kickoff_in=4 * 24 * H)
    first.say(a, "IN")
    first.say(b, "WAITLIST")
    second.say(b, "IN")
    first.drop_and_release(a)
    views = ProjectionRunner(app, views_engine("memory", None), [Dashboard()])
    views.catch_up()
    with views.engine.connect() as conn:
        listed = match_list(conn)
        mine = player_matches(conn, b.player_id)
        offers = player_offers(conn, b.player_id)
    assert [(m["match_id"], m["booked"], m["waitlist"], m["spots_left"]) for m in listed] == [
        (first.match_id, 0, 1, 1),
        (second.match_id, 1, 0, 0),
    ]
    assert [(m["match_id"], m["status"], m["waitlist_position"]) for m in mine] == [
        (first.match_id, "WAITLIST", 1),
        (second.match_id, "IN", None),
    ]
    (offer,) = offers
    assert offer["match_id"] == first.match_id
    assert offer["offer_id"] == first.waitlist.offers[0].offer_id


# ------------------------------------------------------- equal to the aggregates


def from_aggregates(app: BookingApp, match_id: UUID) -> dict[str, Any]:
    """What the dashboard must show, computed from the Match and Waitlist themselves."""
    match, waitlist = app.get_match(match_id), app.get_waitlist(match_id)
    roll = {b.player_id: b for b in Unit(app).club_roll()}
    offers = {o.player_id: o for o in waitlist.offers}
    rows = {}
    for entry in match.roster:
        queued, offer = waitlist.entry_of(entry.player_id), offers.get(entry.player_id)
        rows[entry.player_id] = (
            str(entry.status),
            entry.since,
            str(entry.source),
            entry.out_flexible,
            entry.grace_until,
            waitlist.position_of(entry.player_id),
            queued.bumped if queued else False,
            offer.offer_id if offer else None,
            offer.expires_at if offer else None,
            roll[entry.player_id].tier,
        )
    for pid, booker in roll.items():
        if pid not in rows and not booker.is_ringer:
            rows[pid] = ("PENDING", None, None, False, None, None, False, None, None, booker.tier)
    windows = match.tier_windows
    return {
        "capacity": match.capacity,
        "state": str(match.state),
        "booking_enabled": match.booking_enabled,
        "invite_mode": str(match.invite_mode),
        "tier_windows": None if windows is None else vars(windows),
        "instant_claim": match.instant_claim_started_at is not None,
        "booked": match.booked,
        "held": match.held,
        "waitlist": waitlist.size,
        "spots_left": match.free_places,
        "rows": rows,
    }


def from_views(board: dict[str, Any]) -> dict[str, Any]:
    shown = {k: board[k] for k in ("capacity", "state", "booking_enabled", "invite_mode")}
    shown |= {k: board[k] for k in ("tier_windows", "instant_claim", "booked", "held")}
    shown |= {"waitlist": board["waitlist"], "spots_left": board["spots_left"]}
    shown["rows"] = {
        p["player_id"]: (
            p["status"],
            p["since"],
            p["source"],
            p["out_flexible"],
            p["grace_until"],
            p["waitlist_position"],
            p["bumped"],
            p["offer_id"],
            p["offer_expires_at"],
            p["tier"],
        )
        for p in board["players"]
    }
    return shown


class DashboardMachine(TimedMatchMachine):
    """After every step of a random command sequence, the dashboard shows the aggregates
    and the analytics count what they hold."""

    def make_app(self, clock: ManualClock) -> BookingApp:
        app = super().make_app(clock)
        self.views = ProjectionRunner(
            app, views_engine("memory", None), [Dashboard(), Analytics(), OfferLog()], batch=5
        )
        return app

    @invariant()
    def analytics_count_what_the_aggregates_hold(self) -> None:
        if not hasattr(self, "match_id"):
            return
        self.views.catch_up()
        match = self.match
        with self.views.engine.connect() as conn:
            (row,) = match_analytics(conn)
            log = offers_of(conn, self.match_id)
        in_grace = sum(e.in_grace for e in match.roster)
        assert (row["booked"], row["in_grace"], row["capacity"]) == (
            match.booked,
            in_grace,
            match.capacity,
        )
        if row["full_at"] is None:
            assert match.places_taken < match.capacity
        outcomes = Counter(r["outcome"] for r in log)
        assert row["offers_issued"] == len(log)
        for outcome in ("claimed", "expired", "superseded", "declined"):
            assert row[f"offers_{outcome}"] == outcomes[outcome], outcome

    @invariant()
    def dashboard_shows_the_aggregates(self) -> None:
        if not hasattr(self, "match_id"):
            return
        self.views.catch_up()
        with self.views.engine.connect() as conn:
            board = match_dashboard(conn, self.match_id)
        assert board is not None
        shown, truth = from_views(board), from_aggregates(self.app, self.match_id)
        for player_id, row in truth.pop("rows").items():
            assert shown["rows"].pop(player_id, None) == row, f"player {player_id}"
        assert shown.pop("rows") == {}, "players the aggregates do not have"
        assert shown == truth


DashboardMachine.TestCase.settings = stateful_settings(60, 25)
TestDashboardShowsTheAggregates = DashboardMachine.TestCase
