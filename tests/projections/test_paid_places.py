"""Paid places in the read models: dashboard, offer log, payments, portal, activity, rebuild."""

from __future__ import annotations

from datetime import timedelta

from hypothesis.stateful import invariant

from booking_domain.application import BookingApp
from processes.clock import ManualClock
from processes.engine import Engine as Timers
from projections.activity import activity_of
from projections.database import views_engine
from projections.match_views import match_dashboard
from projections.offer_log import offers_of
from projections.portal_views import (
    bookings_of,
    open_paid_offers,
    payments_of_match,
    players_answering_to,
)
from projections.runner import ProjectionRunner, every_projector
from tests.projections.test_rebuild import dump
from tests.property.paid_machine import PaidMachine
from tests.support import Club, stateful_settings

M = timedelta(minutes=1)


def test_a_paid_place_from_offer_to_refund_as_the_organiser_and_the_parent_see_it(
    app: BookingApp, clock: ManualClock, engine: Timers
) -> None:
    club = Club(app, clock)
    ana, ben, cal, dan = club.players("Ana", "Ben", "Cal", "Dan")
    parent = club.player("Parent")
    app.update_player(cal.player_id, guardian_phones=[parent.phone])
    game = club.match(capacity=2, price_minor=650, payment_window_minutes=30)
    for p in (ana, ben):
        game.say(p, "IN")
    for p in (cal, dan):
        game.say(p, "WAITLIST")
    game.say(ana, "OUT")
    engine.advance(by=6 * M)  # grace over: Cal's place is held
    views = ProjectionRunner(app, views_engine("memory", None), every_projector())
    views.catch_up()
    with views.engine.connect() as conn:
        family = players_answering_to(conn, parent.phone)
        # The parent plays too: they act for themselves and for Cal.
        assert [(r["name"], r["relation"]) for r in family] == [
            ("Parent", "player"),
            ("Cal", "guardian"),
        ]
        (offer,) = open_paid_offers(conn, [r["player_id"] for r in family], clock.now())
        board = match_dashboard(conn, game.match_id)
    assert (offer["player_name"], offer["price_minor"], offer["currency"]) == ("Cal", 650, "GBP")
    assert offer["offer_expires_at"] == clock.now() + 29 * M  # offered as grace ended, 1 min ago
    assert board is not None and board["held"] == 1
    assert {p["name"]: p["status"] for p in board["players"]}["Cal"] == "HELD"

    started = app.start_payment(game.match_id, offer["offer_id"], parent.phone).value
    app.settle_payment(started.payment_id, outcome="failed", event_id="evt_f")
    engine.advance(by=30 * M)  # unpaid: Dan is offered the place
    late = app.settle_payment(started.payment_id, outcome="paid", event_id="evt_p").value
    assert late == "refund_due"
    app.record_refund(started.payment_id, refund_ref="re_1")
    views.catch_up()
    with views.engine.connect() as conn:
        log = {r["player_id"]: r for r in offers_of(conn, game.match_id)}
        (payment,) = payments_of_match(conn, game.match_id)
        cal_bookings = bookings_of(conn, [cal.player_id])
        dan_offers = open_paid_offers(conn, [dan.player_id], clock.now())
        feed = [line["text"] for line in activity_of(conn, game.match_id)]
    assert (log[cal.player_id]["outcome"], log[cal.player_id]["kind"]) == ("expired", "paid")
    assert log[cal.player_id]["promoted_by"] == "system"  # auto-promoted
    assert log[dan.player_id]["outcome"] == "open" and len(dan_offers) == 1
    assert (payment["player_name"], payment["status"], payment["by"]) == (
        "Cal",
        "refunded",
        "guardian",
    )
    assert [(b["status"], b["payment_status"]) for b in cal_bookings] == [("refunded", "refunded")]
    assert "Cal’s guardian started paying." in feed
    assert "Cal's offer expired unpaid — held place released." in feed
    assert any(t.startswith("Dan was offered a held place — pay by") for t in feed)
    assert any("Payment for Cal arrived but the offer had ended" in t for t in feed)
    assert "Payment for Cal refunded." in feed


def test_paying_in_time_shows_the_booking_as_paid(
    app: BookingApp, clock: ManualClock, engine: Timers
) -> None:
    club = Club(app, clock)
    ana, ben = club.players("Ana", "Ben")
    game = club.match(capacity=1, price_minor=500)
    game.say(ana, "IN")
    game.say(ben, "WAITLIST")
    app.change_capacity(game.match_id, 2)
    (held,) = game.waitlist.holding_offers()
    started = app.start_payment(game.match_id, held.offer_id, ben.phone).value
    app.settle_payment(started.payment_id, outcome="paid", event_id="evt_ok")
    views = ProjectionRunner(app, views_engine("memory", None), every_projector())
    views.catch_up()
    with views.engine.connect() as conn:
        (booking,) = bookings_of(conn, [ben.player_id])
        log = offers_of(conn, game.match_id)
        board = match_dashboard(conn, game.match_id)
    assert (booking["status"], booking["paid"]) == ("IN", True)
    assert [r["outcome"] for r in log] == ["accepted"]
    assert board is not None and (board["booked"], board["held"], board["waitlist"]) == (2, 0, 0)


class PaidViewsMachine(PaidMachine):
    """Paid-place command sequences: the live views, caught up in batches of 5,
    equal a rebuild from the store after every step."""

    def make_app(self, clock: ManualClock) -> BookingApp:
        app = super().make_app(clock)
        self.views = ProjectionRunner(app, views_engine("memory", None), every_projector(), batch=5)
        return app

    @invariant()
    def rebuild_equals_live(self) -> None:
        if not hasattr(self, "views"):
            return
        self.views.catch_up()
        fresh = ProjectionRunner(self.app, views_engine("memory", None), every_projector())
        fresh.catch_up()
        assert dump(fresh.engine) == dump(self.views.engine)


PaidViewsMachine.TestCase.settings = stateful_settings(30, 25)
TestPaidViewsRebuild = PaidViewsMachine.TestCase
