"""Paid places through the running system: notices, the sandbox provider, refunds.

The whole of seed 000 on the embedded store with the test clock: a place frees,
the head of the waitlist (and their parent) is told to log in and pay, the
parent pays on the sandbox, the place is confirmed; the next offer runs out,
its checkout is closed, and money that arrives afterwards goes back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from booking.bootstrap import Settings, System, build_system
from booking_domain.payment import PaymentStatus
from processes import messages
from processes.clock import ManualClock
from processes.payment_effects import DONE, EXPIRE_CHECKOUT, REFUND
from tests.support import START, phone

PARENT = phone(900)


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    running = build_system(Settings(data_dir=tmp_path, test_clock=True), ManualClock(START))
    yield running
    running.close()


def _inbox(system: System, number: str) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in system.engine.outbox.inbox(number)]


def _paid_match(system: System) -> tuple[UUID, str, list[UUID]]:
    app = system.app
    ids = [app.register_player(name=f"P{n}", phone=phone(n)).value for n in range(4)]
    app.update_player(ids[2], guardian_phones=[PARENT])
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


def _drop_out(system: System, match_id: UUID, token: str, n: int) -> None:
    system.app.respond(match_id=match_id, token=token, phone=phone(n), action="OUT")
    system.engine.advance(by=timedelta(minutes=6))  # past the 5-minute grace


def test_a_parent_is_told_to_log_in_pays_on_the_sandbox_and_the_place_is_confirmed(
    system: System,
) -> None:
    app, payments = system.app, system.payments
    match_id, token, ids = _paid_match(system)
    _drop_out(system, match_id, token, 0)

    (offer,) = app.get_waitlist(match_id).holding_offers()
    assert offer.player_id == ids[2]
    assert app.get_match(match_id).status_of(ids[2]) == "HELD"
    expires = messages.when(offer.expires_at, "Europe/London")
    told = messages.PAYMENT_OFFER.format(
        session=messages.session("Thursday 5s", START + timedelta(days=3), "Europe/London"),
        expires=expires,
    )
    assert ("payment_offer", told) in _inbox(system, phone(2))
    assert ("payment_offer", told) in _inbox(system, PARENT)  # the parent is told too
    assert "http" not in told and "/pay" not in told  # no payment link, by design

    url = payments.pay_now(match_id, offer.offer_id, PARENT)
    assert url == payments.pay_now(match_id, offer.offer_id, phone(2))  # one checkout
    payment_id = UUID(url.rsplit("/", 1)[1])
    assert payments.sandbox_outcome(payment_id, "paid").status == "confirmed"

    match = app.get_match(match_id)
    assert match.status_of(ids[2]) == "IN"
    assert ids[2] not in app.get_waitlist(match_id)
    assert app.get_payment(payment_id).status == PaymentStatus.CONFIRMED
    assert any(kind == "booking_confirmed" for kind, _ in _inbox(system, PARENT))
    # The offer ended accepted, so its checkout has nothing left to close.
    assert all(
        t["kind"] != EXPIRE_CHECKOUT or t["status"] == "moot"
        for t in system.engine.payment_tasks.rows(payment_id)
    )


def test_an_unpaid_offer_expires_the_next_is_promoted_and_late_money_goes_back(
    system: System,
) -> None:
    app, payments = system.app, system.payments
    match_id, _token, ids = _paid_match(system)
    app.change_capacity(match_id, 3)  # one more place: P2 (head) is offered it
    (first,) = app.get_waitlist(match_id).holding_offers()
    assert first.player_id == ids[2]
    url = payments.pay_now(match_id, first.offer_id, phone(2))
    payment_id = UUID(url.rsplit("/", 1)[1])

    system.engine.advance(to=first.expires_at)

    waitlist = app.get_waitlist(match_id)
    (second,) = waitlist.holding_offers()
    assert second.player_id == ids[3]  # the next in line holds the place now
    assert app.get_match(match_id).status_of(ids[2]) == "WAITLIST"
    assert waitlist.position_of(ids[2]) == 1  # they keep their place in the queue
    assert any(kind == "offer_expired" for kind, _ in _inbox(system, PARENT))
    tasks = system.engine.payment_tasks.rows(payment_id)
    assert [(t["kind"], t["status"]) for t in tasks] == [(EXPIRE_CHECKOUT, DONE)]

    # The first payer's money arrives now: the place has gone, so it goes back.
    assert payments.sandbox_outcome(payment_id, "paid").status == "refund_due"
    system.engine.settle()
    payment = app.get_payment(payment_id)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refund_ref
    assert (REFUND, DONE) in [
        (t["kind"], t["status"]) for t in system.engine.payment_tasks.rows(payment_id)
    ]
    assert any(kind == "payment_refund" for kind, _ in _inbox(system, phone(2)))
    match = app.get_match(match_id)
    assert match.booked + match.held <= match.capacity
    assert match.status_of(ids[3]) == "HELD"


def test_pay_now_after_the_window_says_offer_expired(system: System) -> None:
    from booking_domain.errors import NotFound, OfferExpired

    app, payments = system.app, system.payments
    match_id, _token, ids = _paid_match(system)
    app.change_capacity(match_id, 3)
    (offer,) = app.get_waitlist(match_id).holding_offers()
    system.app.clock.set(offer.expires_at)  # type: ignore[attr-defined]
    with pytest.raises(OfferExpired, match="Offer expired"):
        payments.pay_now(match_id, offer.offer_id, phone(2))
    system.engine.advance(by=timedelta(0))  # the timer runs: the next in line is offered
    (second,) = app.get_waitlist(match_id).holding_offers()
    assert second.player_id == ids[3]
    with pytest.raises(NotFound, match="No such offer"):
        payments.pay_now(match_id, second.offer_id, phone(2))  # not theirs: they learn nothing
