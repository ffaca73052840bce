"""Court slots as the admin and the member read them (seed 002): the approvals queue with
the carts waiting behind each slot, the day grid, "My requests", the conversion rate."""

from __future__ import annotations

from datetime import timedelta

from hypothesis.stateful import invariant

from booking_domain.application import BookingApp
from processes.clock import ManualClock
from projections.court_queries import (
    approvals_queue,
    conversion_rate,
    day_grid,
    request_for,
    requests_of,
)
from projections.database import views_engine
from projections.match_views import match_dashboard
from projections.runner import ProjectionRunner, every_projector
from tests.projections.test_rebuild import dump
from tests.property.approval_machine import ApprovalMachine
from tests.support import Club, stateful_settings

H = timedelta(hours=1)


def test_a_morning_of_courts_as_the_admin_and_the_members_see_it(
    memory_app: BookingApp, clock: ManualClock
) -> None:
    app = memory_app
    club = Club(app, clock)
    ana, ben, cy, dee = club.players("Ana", "Ben", "Cy", "Dee")
    day = clock.now() + timedelta(days=2)
    ten = club.slot("Court 1", starts_in=timedelta(days=2))
    eleven = club.slot("Court 1", starts_in=timedelta(days=2) + H)
    other = club.slot("Court 2", starts_in=timedelta(days=2))
    club.slot("Court 10", starts_in=timedelta(days=2) + H)
    two = club.ask(ana, ten, eleven)  # one request over two slots
    club.ask(ben, ten)
    club.ask(cy, ten)
    club.ask(dee, other)
    views = ProjectionRunner(app, views_engine("memory", None), every_projector())
    views.catch_up()
    with views.engine.connect() as conn:
        queue = approvals_queue(conn)
        grid = day_grid(conn, day.date(), "UTC", now=clock.now())
        board = match_dashboard(conn, ten)
    # Oldest first; Ana's two slots in one item, with the carts waiting behind 10:00.
    assert [(r["player_name"], len(r["slots"])) for r in queue] == [("Ana", 2), ("Dee", 1)]
    first = queue[0]
    assert first["request_id"] == two.request_id and first["match_id"] == ten
    assert [w["player_name"] for w in first["waitlist"]] == ["Ben", "Cy"]
    assert [w["position"] for w in first["waitlist"]] == [1, 2]
    assert first["waitlist"][0]["cart"]["court"] == "Court 1"
    assert [s["match_id"] for s in first["slots"]] == [ten, eleven]
    assert first["slots"][1]["waitlist"] == []
    assert grid["courts"] == ["Court 1", "Court 2", "Court 10"]
    nine, ten_row = grid["rows"]
    assert [(c["court"], c["state"], c.get("waitlist")) for c in nine["cells"]] == [
        ("Court 1", "pending", 2),
        ("Court 2", "pending", 0),
        ("Court 10", "none", None),
    ]
    assert [c["state"] for c in ten_row["cells"]] == ["pending", "none", "free"]
    assert nine["cells"][0]["names"] == ["Ana"]
    assert board is not None and board["held"] == 1 and board["waitlist"] == 2

    app.reject_request(ten, ana.player_id, reason="Court 1 is being resurfaced")
    views.catch_up()
    with views.engine.connect() as conn:
        queue = approvals_queue(conn)
        mine = requests_of(conn, [ana.player_id, ben.player_id])
        cy_requests = requests_of(conn, [cy.player_id])
        rate = conversion_rate(conn)
        by_request = request_for(conn, two.request_id)
    # Ben's cart became a pending request, Cy still waits behind it, now first.
    assert [(r["player_name"], [w["player_name"] for w in r["waitlist"]]) for r in queue] == [
        ("Dee", []),
        ("Ben", ["Cy"]),
    ]
    assert queue[1]["converted_from"] is not None and queue[1]["waitlist"][0]["position"] == 1
    statuses = {(r["player_name"], r["kind"], r["match_id"]): r["status"] for r in mine}
    assert statuses[("Ana", "booking", ten)] == "rejected"
    assert statuses[("Ana", "booking", eleven)] == "rejected"
    assert statuses[("Ben", "waiting", ten)] == "converted"
    assert statuses[("Ben", "booking", ten)] == "pending"
    ana_ten = next(r for r in mine if r["player_name"] == "Ana" and r["match_id"] == ten)
    assert ana_ten["reason"] == "Court 1 is being resurfaced"
    (cy_cart,) = cy_requests
    assert (cy_cart["status"], cy_cart["waitlist_position"]) == ("waiting", 1)
    assert rate == {
        "queued": 2,
        "converted": 1,
        "cancelled": 0,
        "moved": 0,
        "waiting": 1,
        "rate": 1.0,
    }
    assert by_request is not None and by_request["status"] == "rejected"

    app.approve_request(ten, ben.player_id)
    seq = app.get_match(ten).roster.get(ben.player_id).placed_seq  # type: ignore[union-attr]
    app.check_in(ten, ben.player_id, seq)
    views.catch_up()
    with views.engine.connect() as conn:
        (cy_cart,) = requests_of(conn, [cy.player_id])
        ben_ten = [r for r in requests_of(conn, [ben.player_id]) if r["kind"] == "booking"]
        rate = conversion_rate(conn, ten)
        grid = day_grid(conn, day.date(), "UTC", now=clock.now())
    assert cy_cart["status"] == "cancelled"
    assert cy_cart["reason"] == "Original booking was approved - waitlist cancelled"
    (booking,) = ben_ten
    assert booking["status"] == "approved" and booking["placed_seq"] == seq
    assert booking["checked_in_at"] == clock.now()
    assert rate["rate"] == 0.5 and rate["cancelled"] == 1
    assert grid["rows"][0]["cells"][0]["state"] == "booked"
    assert grid["rows"][0]["cells"][0]["waitlist"] == 0


class CourtViewsMachine(ApprovalMachine):
    """Court-slot command sequences: the live views, caught up in batches of 5, agree
    with the aggregates and equal a rebuild from the store after every step."""

    def make_app(self, clock: ManualClock) -> BookingApp:
        app = super().make_app(clock)
        self.views = ProjectionRunner(app, views_engine("memory", None), every_projector(), batch=5)
        return app

    @invariant()
    def views_agree_with_the_slots(self) -> None:
        if not hasattr(self, "slots"):
            return
        self.views.catch_up()
        with self.views.engine.connect() as conn:
            queue = approvals_queue(conn)
            pending = {(s["match_id"], r["player_id"]) for r in queue for s in r["slots"]}
            waiting = {s["match_id"]: s["waitlist"] for r in queue for s in r["slots"]}
            rate = conversion_rate(conn)
        expected = {
            (mid, player)
            for mid in self.slots
            for player, _ in self.app.get_match(mid).pending_bookings()
        }
        assert pending == expected
        for mid, carts in waiting.items():
            in_queue = [e.player_id for e in self.app.get_waitlist(mid).queue]
            assert [c["player_id"] for c in carts] == in_queue
            assert [c["position"] for c in carts] == list(range(1, len(in_queue) + 1))
        assert rate["waiting"] == sum(self.app.get_waitlist(m).size for m in self.slots)

    @invariant()
    def rebuild_equals_live(self) -> None:
        if not hasattr(self, "views"):
            return
        self.views.catch_up()
        fresh = ProjectionRunner(self.app, views_engine("memory", None), every_projector())
        fresh.catch_up()
        assert dump(fresh.engine) == dump(self.views.engine)


CourtViewsMachine.TestCase.settings = stateful_settings(30, 25)
TestCourtViewsRebuild = CourtViewsMachine.TestCase


def test_the_activity_feed_tells_a_slot_s_story(memory_app: BookingApp, clock: ManualClock) -> None:
    from projections.activity import activity_of

    app = memory_app
    club = Club(app, clock)
    ana, ben, cy = club.players("Ana", "Ben", "Cy")
    slot = club.slot("Court 1")
    cart = app.get_match(slot).cart_snapshot().describe()
    club.ask(ana, slot)
    club.ask(ben, slot)
    club.ask(cy, slot)
    app.reject_request(slot, ana.player_id, reason="Court closed")
    app.approve_request(slot, ben.player_id)
    seq = app.get_match(slot).roster.get(ben.player_id).placed_seq  # type: ignore[union-attr]
    app.check_in(slot, ben.player_id, seq)
    views = ProjectionRunner(app, views_engine("memory", None), every_projector())
    views.catch_up()
    with views.engine.connect() as conn:
        lines = [line["text"] for line in reversed(activity_of(conn, slot))]
    story = lines[lines.index(f"Ana requested {cart} — awaiting approval.") :]
    assert story == [
        f"Ana requested {cart} — awaiting approval.",
        "Ben is waiting as #1 with their own cart.",
        "Cy is waiting as #2 with their own cart.",
        "Ana's request was rejected (admin): Court closed",
        f"Ben's waiting cart became a pending request for {cart} (slot freed).",
        "Ben's request was approved (admin) — IN.",
        "Cy's waiting cart was cancelled: the booking ahead was approved.",
        "Ben checked in (admin).",
    ]
