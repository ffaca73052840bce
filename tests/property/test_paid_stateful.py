"""Paid places under random command sequences with clock moves (``paid_machine.py``),
and the known bug those runs found, as a plain story."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from booking_domain.application import BookingApp
from booking_domain.payment import PaymentStatus
from booking_domain.values import Status
from processes.clock import ManualClock
from processes.store import store_env
from tests.property.paid_machine import PaidMachine, SnapshottingApp
from tests.support import pg_schema, pg_url, phone, stateful_settings

PaidMachine.TestCase.settings = stateful_settings(250, 40)
TestPaidPlacesInMemory = PaidMachine.TestCase


class SQLitePaidMachine(PaidMachine):
    def make_app(self, clock: ManualClock) -> BookingApp:
        self._folder = tempfile.TemporaryDirectory()
        return SnapshottingApp(store_env(None, Path(self._folder.name)), clock=clock)

    def close_app(self) -> None:
        self.app.close()
        self._folder.cleanup()


class PostgresPaidMachine(PaidMachine):
    def make_app(self, clock: ManualClock) -> BookingApp:
        self._schema = pg_schema()
        name = self._schema.__enter__()
        return SnapshottingApp(store_env(pg_url(name), None), clock=clock)

    def close_app(self) -> None:
        self.app.close()
        self._schema.__exit__(None, None, None)


_on_real_stores = stateful_settings(40, 30)
SQLitePaidMachine.TestCase.settings = _on_real_stores
PostgresPaidMachine.TestCase.settings = _on_real_stores

TestPaidPlacesOnSQLite = pytest.mark.slow(SQLitePaidMachine.TestCase)
TestPaidPlacesOnPostgres = pytest.mark.pg(pytest.mark.slow(PostgresPaidMachine.TestCase))


# ------------------------------------------------- what the runs found, as stories


def _paid_match(app: BookingApp, clock: ManualClock, capacity: int) -> tuple[UUID, str]:
    match_id = app.schedule_match(
        title="Paid FC",
        kickoff_at=clock.now() + timedelta(days=3),
        location="Pitch 1",
        capacity=capacity,
        price_minor=500,
    ).value
    return match_id, app.enable_booking(match_id).value


def test_a_demoted_payer_is_not_charged_again(memory_app: BookingApp, clock: ManualClock) -> None:
    """Nothing is paid twice (domain.md "Paid offers", paid_commands.py).

    Bo pays for a held place; a capacity cut demotes Bo (the latest place) to the
    head of the queue, keeping the CONFIRMED payment. Then Al drops out: the freed
    place goes to Bo as a *new paid offer*, and Bo pays 5.00 a second time for the
    one place. A bumped player who has paid should get it back directly (as a
    capacity raise does), or have the first payment refunded when demoted.
    """
    app = memory_app
    al, bo = (
        app.register_player(name=n, phone=p).value for n, p in (("Al", phone(1)), ("Bo", phone(2)))
    )
    match_id, token = _paid_match(app, clock, capacity=1)
    app.respond(match_id=match_id, token=token, phone=phone(1), action="IN")
    app.respond(match_id=match_id, token=token, phone=phone(2), action="WAITLIST")
    app.change_capacity(match_id, 2)
    (offer,) = app.get_waitlist(match_id).holding_offers()
    first = app.start_payment(match_id, offer.offer_id, phone(2)).value.payment_id
    assert app.settle_payment(first, outcome="paid", event_id="evt_1").value == "confirmed"
    app.change_capacity(match_id, 1)  # Bo's place was taken last: Bo is demoted
    assert app.get_match(match_id).status_of(bo) == Status.WAITLIST
    app.respond(match_id=match_id, token=token, phone=phone(1), action="OUT")
    app.release_spot(match_id, al)

    match = app.get_match(match_id)
    refunded = app.get_payment(first).status in (PaymentStatus.REFUND_DUE, PaymentStatus.REFUNDED)
    assert match.status_of(bo) == Status.IN or refunded, (
        f"Bo paid, was demoted, and is now {match.status_of(bo)} with a new paid offer "
        f"while the first payment is still {app.get_payment(first).status}"
    )
    for again in app.get_waitlist(match_id).holding_offers():
        second = app.start_payment(match_id, again.offer_id, phone(2)).value.payment_id
        app.settle_payment(second, outcome="paid", event_id="evt_2")
        confirmed = [p for p in (first, second) if app.get_payment(p).status == "confirmed"]
        assert len(confirmed) == 1, "Bo paid twice for one place"


def test_a_bumped_player_gets_a_freed_place_back_directly_and_capacity_can_rise(
    memory_app: BookingApp, clock: ManualClock
) -> None:
    """Bumped players are promoted back first, directly (domain.md "Capacity changes").

    Bo is demoted by a cut to one place; when Al drops out the freed place goes
    straight back to Bo — not as a paid offer he would have to pay for again —
    and raising capacity afterwards works (it once tripped the Match's guard,
    "Only a waitlisted player can be reinstated.", on a bumped player holding
    a paid offer).
    """
    app = memory_app
    al, bo = (
        app.register_player(name=n, phone=p).value for n, p in (("Al", phone(1)), ("Bo", phone(2)))
    )
    match_id, token = _paid_match(app, clock, capacity=2)
    app.respond(match_id=match_id, token=token, phone=phone(1), action="IN")
    app.respond(match_id=match_id, token=token, phone=phone(2), action="IN")
    app.change_capacity(match_id, 1)
    assert app.get_match(match_id).status_of(bo) == Status.WAITLIST
    app.respond(match_id=match_id, token=token, phone=phone(1), action="OUT")
    app.release_spot(match_id, al)
    assert app.get_match(match_id).status_of(bo) == Status.IN
    assert app.get_waitlist(match_id).offers == []

    app.change_capacity(match_id, 2)

    match = app.get_match(match_id)
    assert match.capacity == 2
    assert match.status_of(bo) in (Status.IN, Status.HELD)
    assert match.booked + match.held <= match.capacity
