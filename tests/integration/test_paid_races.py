"""Paid places under real races on PostgreSQL: webhooks against timers, redelivered
webhooks, two payments for one place (domain.md "Paid offers", invariants 1, 3, 6).

Every race runs its commands in threads released together by a barrier, against
one ``BookingApp`` on a fresh PostgreSQL schema (the store decides who wrote
first; the loser is retried on what the winner left). Nothing may be paid twice
and no place may be sold twice, whichever way a race goes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from booking_domain.application import BookingApp
from booking_domain.errors import BookingError
from booking_domain.payment import PaymentStatus
from booking_domain.values import Status
from payments import SandboxProvider
from processes.clock import ManualClock
from processes.payment_service import PaymentService
from tests.support import booking_app, phone

pytestmark = [pytest.mark.pg, pytest.mark.slow]

US = timedelta(microseconds=1)
ROUNDS = 200
#: Where the clock stands when the webhook and the timer race, by round (round % 4):
#: a hair before the offer's end, exactly at it, a hair after, and moved from before
#: to exactly at it by a third thread released with the other two.
INSTANTS = ("before", "at", "after", "crossing")


@pytest.fixture
def pg_app(clock: ManualClock, tmp_path: Path) -> Iterator[BookingApp]:
    with booking_app("postgres", clock, tmp_path) as app:
        yield app


@pytest.fixture
def sandbox(clock: ManualClock) -> SandboxProvider:
    # Signed and verified on the test clock, as the app's own sandbox does.
    return SandboxProvider("race-signing-secret", "http://club.test", clock=clock.now)


@pytest.fixture
def service(pg_app: BookingApp, sandbox: SandboxProvider) -> PaymentService:
    return PaymentService(pg_app, sandbox, "http://club.test")


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same instant; each gives its value, or its error code."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return call()
        except BookingError as e:
            return e.code

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@dataclass
class Round:
    """One full priced match: two IN, one paid offer holding the third place, one waiting."""

    match_id: UUID
    token: str
    ins: list[UUID]
    holder: UUID
    holder_phone: str
    next_up: UUID
    offer_id: UUID
    expires_at: datetime


class PaidClub:
    """Players registered once; a fresh priced match per round, set up in a few writes."""

    def __init__(self, app: BookingApp, clock: ManualClock, players: int = 4) -> None:
        self.app, self.clock = app, clock
        self.phones = [phone(200 + i) for i in range(players)]
        self.guardian = phone(299)
        self.ids = [
            app.register_player(
                name=f"Payer {i}",
                phone=p,
                guardian_phones=[self.guardian] if i == 2 else [],
            ).value
            for i, p in enumerate(self.phones)
        ]
        self.rounds = 0

    def say(self, match_id: UUID, token: str, i: int, action: str) -> None:
        self.app.respond(match_id=match_id, token=token, phone=self.phones[i], action=action)

    def round(self) -> Round:
        """Players 0, 1 IN on a match of two; 2, 3 queue; capacity up to three offers
        the new place to player 2 (held for 60 minutes, auto-promote on)."""
        self.rounds += 1
        mid = self.app.schedule_match(
            title=f"Paid game {self.rounds}",
            kickoff_at=self.clock.now() + timedelta(days=3),
            location="Hackney Marshes",
            capacity=2,
            price_minor=500,
        ).value
        token = self.app.enable_booking(mid).value
        for i, action in enumerate(["IN", "IN", "WAITLIST", "WAITLIST"]):
            self.say(mid, token, i, action)
        self.app.change_capacity(mid, 3)
        (offer,) = self.app.get_waitlist(mid).holding_offers()
        assert offer.player_id == self.ids[2]
        match = self.app.get_match(mid)
        assert (match.booked, match.held, match.capacity) == (2, 1, 3)
        return Round(
            mid,
            token,
            self.ids[:2],
            self.ids[2],
            self.phones[2],
            self.ids[3],
            offer.offer_id,
            offer.expires_at,
        )


def payment_of(app: BookingApp, game: Round) -> UUID:
    """The payment under way for the round's offer."""
    offer = app.get_waitlist(game.match_id).offer_by_id(game.offer_id)
    assert offer is not None and offer.payment_id is not None
    return offer.payment_id


def event_names(app: BookingApp, aggregate_id: UUID) -> list[str]:
    return [type(e).__name__ for e in app.events.get(aggregate_id)]


def paid_webhook(sandbox: SandboxProvider, app: BookingApp, payment_id: UUID) -> tuple[Any, Any]:
    payment = app.get_payment(payment_id)
    assert payment.provider_ref is not None
    return sandbox.signed_webhook(
        payment.id,
        payment.provider_ref,
        "paid",
        payment.amount.minor,
        payment.amount.currency,
        now=app.clock.now(),
    )


def assert_never_oversold(app: BookingApp, match_id: UUID) -> None:
    match = app.get_match(match_id)
    assert match.booked + match.held <= match.capacity, "IN + HELD over capacity"
    held = set(match.held_players())
    holding = [o.player_id for o in app.get_waitlist(match_id).holding_offers()]
    assert sorted(holding) == sorted(held) and len(holding) == len(set(holding)), (
        "holds and open paid offers disagree"
    )


def cross(clock: ManualClock, deadline: datetime, after_seconds: float) -> None:
    """Move the test clock to ``deadline`` once ``after_seconds`` have passed."""
    time.sleep(after_seconds)
    clock.set(deadline)


# --------------------------------------------------------------------- races


def test_webhook_and_expiry_timer_at_the_same_instant(
    pg_app: BookingApp, clock: ManualClock, service: PaymentService, sandbox: SandboxProvider
) -> None:
    """The provider's "paid" and the payment-window timer, together, 200 times.

    Exactly one of: the payment confirmed the held place (IN), or the offer
    expired first, the next player holds the place and the money is due back
    (then refunded). Never both, never a place sold twice.
    """
    app, club = pg_app, PaidClub(pg_app, clock)
    outcomes: Counter[str] = Counter()
    by_instant: Counter[tuple[str, str]] = Counter()
    for n in range(ROUNDS):
        game = club.round()
        service.pay_now(game.match_id, game.offer_id, game.holder_phone)
        payment_id = payment_of(app, game)
        instant = INSTANTS[n % len(INSTANTS)]
        clock.set(game.expires_at - US if instant in ("before", "crossing") else game.expires_at)
        if instant == "after":
            clock.advance(US)
        # Signed now, so the signature is fresh whichever side of the deadline it lands.
        body, headers = paid_webhook(sandbox, app, payment_id)
        match_id = game.match_id
        calls: list[Callable[[], Any]] = [
            lambda b=body, h=headers: service.handle_webhook(b, h),
            lambda m=match_id: app.fire_timer(m, "payment_window"),
        ]
        if instant == "crossing":
            # The deadline passes while both are deciding, 0-4 ms after the start.
            calls.append(lambda at=game.expires_at, d=n // 4 % 5: cross(clock, at, d / 1000))
        results = all_at_once(calls)
        assert not any(isinstance(r, str) for r in results), results
        webhook = results[0]

        payment = app.get_payment(payment_id)
        match, waitlist = app.get_match(game.match_id), app.get_waitlist(game.match_id)
        names = event_names(app, payment_id)
        settled = [e for e in names if e in ("PaymentConfirmed", "RefundDue")]
        assert len(settled) == 1, f"round {n}: settled {settled}"
        assert webhook.status == str(payment.status)
        if payment.status == PaymentStatus.CONFIRMED:
            outcome = "confirmed"
            assert match.status_of(game.holder) == Status.IN
            assert game.offer_id not in {o.offer_id for o in waitlist.offers}
            assert game.holder not in waitlist
            assert match.status_of(game.next_up) == Status.WAITLIST
            assert waitlist.offers == [], "an offer open on a full match"
            assert (match.booked, match.held) == (3, 0)
        else:
            outcome = "refunded"
            assert payment.status == PaymentStatus.REFUND_DUE, payment.status
            assert "OfferExpired" in event_names(app, waitlist.id)
            assert match.status_of(game.holder) == Status.WAITLIST, "the late payer got a place"
            entry = waitlist.entry_of(game.holder)
            assert entry is not None and entry.last_offer_reason == "expired"
            assert match.status_of(game.next_up) == Status.HELD, "the next player holds nothing"
            (held,) = waitlist.holding_offers()
            assert held.player_id == game.next_up
            assert (match.booked, match.held) == (2, 1)
            service.refund(payment_id)
            service.refund(payment_id)  # a redelivered refund task changes nothing
            assert app.get_payment(payment_id).status == PaymentStatus.REFUNDED
            assert event_names(app, payment_id).count("PaymentRefunded") == 1
        assert_never_oversold(app, game.match_id)
        outcomes[outcome] += 1
        by_instant[(instant, outcome)] += 1
    print(f"\nwebhook vs payment-window timer, {ROUNDS} rounds: {dict(outcomes)}")
    print("  by instant: " + ", ".join(f"{i}/{o}: {c}" for (i, o), c in sorted(by_instant.items())))
    assert outcomes["confirmed"] > 0 and outcomes["refunded"] > 0, outcomes
    assert sum(outcomes.values()) == ROUNDS
    # Paid before the end is always in time; at or after the end, always too late;
    # while the end passes, either (both rules hold for whichever the store took first).
    assert by_instant[("before", "refunded")] == 0
    assert by_instant[("at", "confirmed")] == 0 and by_instant[("after", "confirmed")] == 0


def test_one_webhook_delivered_five_times_at_once(
    pg_app: BookingApp, clock: ManualClock, service: PaymentService, sandbox: SandboxProvider
) -> None:
    """A provider's retries of one event (one event id), all arriving together."""
    app, club = pg_app, PaidClub(pg_app, clock)
    for _ in range(10):
        game = club.round()
        service.pay_now(game.match_id, game.offer_id, game.holder_phone)
        payment_id = payment_of(app, game)
        body, headers = paid_webhook(sandbox, app, payment_id)
        results = all_at_once([lambda b=body, h=headers: service.handle_webhook(b, h)] * 5)
        assert [r.status for r in results] == ["confirmed"] * 5, results
        assert sum(r.position is not None for r in results) == 1, "more than one delivery wrote"
        assert event_names(app, payment_id).count("PaymentConfirmed") == 1
        match = app.get_match(game.match_id)
        assert match.status_of(game.holder) == Status.IN
        assert (match.booked, match.held, match.capacity) == (3, 0, 3)
        match_events = event_names(app, game.match_id)
        assert match_events.count("HoldConfirmed") == 1
        assert event_names(app, app.get_waitlist(game.match_id).id).count("OfferAccepted") == 1
        # And once more, later: still the effect of one.
        again = service.handle_webhook(body, headers)
        assert again.status == "confirmed" and again.position is None
        assert_never_oversold(app, game.match_id)


def test_two_payments_for_one_place_both_paid(
    pg_app: BookingApp, clock: ManualClock, service: PaymentService, sandbox: SandboxProvider
) -> None:
    """The child's checkout was abandoned, the parent paid through a second one, and
    then the child's money came after all: both "paid" at once. One buys the place,
    the other is refunded; nothing is paid twice."""
    app, club = pg_app, PaidClub(pg_app, clock)
    winners: Counter[str] = Counter()
    for n in range(20):
        game = club.round()
        service.pay_now(game.match_id, game.offer_id, game.holder_phone)  # the child
        first = payment_of(app, game)
        abandoned = service.sandbox_outcome(first, "abandoned")
        assert abandoned.status == "abandoned"
        service.pay_now(game.match_id, game.offer_id, club.guardian)  # the parent
        second = payment_of(app, game)
        assert second != first
        assert app.get_payment(second).status == PaymentStatus.PENDING
        hooks = [paid_webhook(sandbox, app, first), paid_webhook(sandbox, app, second)]
        if n % 2:
            hooks.reverse()
        all_at_once([lambda h=h: service.handle_webhook(*h) for h in hooks])
        statuses = {p: app.get_payment(p).status for p in (first, second)}
        assert sorted(statuses.values()) == sorted(
            [PaymentStatus.CONFIRMED, PaymentStatus.REFUND_DUE]
        ), statuses
        winner = next(p for p, s in statuses.items() if s == PaymentStatus.CONFIRMED)
        loser = first if winner == second else second
        winners["child" if winner == first else "parent"] += 1
        match = app.get_match(game.match_id)
        assert match.status_of(game.holder) == Status.IN
        assert (match.booked, match.held) == (3, 0)
        assert event_names(app, game.match_id).count("HoldConfirmed") == 1
        assert event_names(app, game.match_id).count("PlayerIn") == 2, "booked a second time"
        service.refund(loser)
        assert app.get_payment(loser).status == PaymentStatus.REFUNDED
        assert app.get_payment(winner).status == PaymentStatus.CONFIRMED
        assert_never_oversold(app, game.match_id)
    print(f"\ntwo payments for one place, 20 rounds: confirmed first by {dict(winners)}")


def test_player_and_guardian_press_pay_now_at_once(
    pg_app: BookingApp, clock: ManualClock, service: PaymentService
) -> None:
    """A parent and a child press Pay Now on the same offer at the same instant:
    one payment, one checkout, both sent to it."""
    app, club = pg_app, PaidClub(pg_app, clock)
    for _ in range(10):
        game = club.round()
        urls = all_at_once(
            [
                lambda g=game, p=number: service.pay_now(g.match_id, g.offer_id, p)
                for number in (game.holder_phone, club.guardian)
            ]
        )
        offer = app.get_waitlist(game.match_id).offer_by_id(game.offer_id)
        assert offer is not None and offer.attempts == 1 and offer.payment_id is not None
        assert urls == [f"http://club.test/pay/sandbox/{offer.payment_id}"] * 2, urls
        assert event_names(app, offer.payment_id) == ["PaymentStarted", "CheckoutCreated"]
        waitlist_events = event_names(app, app.get_waitlist(game.match_id).id)
        assert waitlist_events.count("OfferPaymentStarted") == 1
        assert_never_oversold(app, game.match_id)
