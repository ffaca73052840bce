"""Paid places (seed 000; domain.md "Paid offers", ``payment_window``), on every store."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from booking_domain.errors import (
    InvalidTransition,
    MatchFull,
    NotFound,
    OfferExpired,
)
from booking_domain.payment import PaymentStatus
from booking_domain.values import Status
from tests.support import Club, MatchHandle, Person

M = timedelta(minutes=1)
H = timedelta(hours=1)
PRICE = {"price_minor": 600, "payment_window_minutes": 60}


def paid_game(
    club: Club, capacity: int = 2, waiting: int = 3, *, who: str = "", **kw: object
) -> tuple[MatchHandle, list[Person], list[Person]]:
    ins = club.players(*[f"{who}In{i}" for i in range(capacity)])
    queue = club.players(*[f"{who}Wait{i}" for i in range(waiting)])
    game = club.match(capacity=capacity, **{**PRICE, **kw})  # type: ignore[arg-type]
    for p in ins:
        game.say(p, "IN")
    for p in queue:
        game.say(p, "WAITLIST")
    return game, ins, queue


def free_a_place(game: MatchHandle, who: Person) -> None:
    game.drop_and_release(who)


def pay(game: MatchHandle, who: Person, *, event: str | None = None) -> PaymentStatus:
    (offer,) = [o for o in game.waitlist.offers if o.player_id == who.player_id]
    started = game.app.start_payment(game.match_id, offer.offer_id, who.phone).value
    return game.app.settle_payment(
        started.payment_id, outcome="paid", event_id=event or f"evt_{uuid4().hex}"
    ).value


def test_a_freed_place_is_held_for_the_head_of_the_queue_until_the_window_ends(
    club: Club,
) -> None:
    game, ins, queue = paid_game(club)
    free_a_place(game, ins[0])
    (offer,) = game.waitlist.offers
    assert offer.holds and offer.player_id == queue[0].player_id
    assert offer.expires_at == club.clock.now() + 60 * M
    assert game.status(queue[0]) == "HELD"
    match = game.match
    assert (match.booked, match.held, match.free_places) == (1, 1, 0)
    # Nobody else can take the held place, not even by tapping IN.
    outsider = club.player("Outsider")
    with pytest.raises(MatchFull):
        game.say(outsider, "IN")
    standing = game.app.standing(game.match_id, queue[0].player_id)
    assert standing.hold_until == offer.expires_at and standing.offer is None


def test_paying_in_time_confirms_the_place_and_leaves_the_queue(club: Club) -> None:
    game, ins, queue = paid_game(club)
    free_a_place(game, ins[0])
    assert pay(game, queue[0]) == PaymentStatus.CONFIRMED
    assert game.status(queue[0]) == "IN"
    assert queue[0].player_id not in game.queue()
    assert [p.player_id for p in queue[1:]] == game.queue()
    assert game.waitlist.offers == []
    assert game.match.booked == 2


def test_an_unpaid_window_releases_the_hold_and_offers_the_next(club: Club) -> None:
    game, ins, queue = paid_game(club)
    free_a_place(game, ins[0])
    club.clock.advance(60 * M)
    game.tick()
    assert game.status(queue[0]) == "WAITLIST"
    assert game.waitlist.position_of(queue[0].player_id) == 1  # keeps their place
    (offer,) = game.waitlist.offers
    assert offer.player_id == queue[1].player_id and game.status(queue[1]) == "HELD"


def test_pay_now_after_the_window_is_refused_with_offer_expired(club: Club) -> None:
    game, ins, queue = paid_game(club)
    free_a_place(game, ins[0])
    (offer,) = game.waitlist.offers
    club.clock.advance(60 * M)
    with pytest.raises(OfferExpired, match="Offer expired"):
        game.app.start_payment(game.match_id, offer.offer_id, queue[0].phone)


def test_declining_releases_the_hold_leaves_the_queue_and_promotes_the_next(club: Club) -> None:
    game, ins, queue = paid_game(club)
    free_a_place(game, ins[0])
    (offer,) = game.waitlist.offers
    game.app.decline_offer(game.match_id, offer.offer_id, queue[0].phone)
    assert game.status(queue[0]) == "OUT"
    assert queue[0].player_id not in game.queue()
    assert [o.player_id for o in game.waitlist.offers] == [queue[1].player_id]


def test_saying_out_through_the_link_while_held_declines_the_offer(club: Club) -> None:
    game, ins, queue = paid_game(club)
    free_a_place(game, ins[0])
    game.say(queue[0], "OUT")
    assert game.status(queue[0]) == "OUT"
    assert [o.player_id for o in game.waitlist.offers] == [queue[1].player_id]


def test_a_guardian_acts_for_their_player_and_a_stranger_cannot(club: Club) -> None:
    game, ins, queue = paid_game(club)
    parent = club.player("Parent")
    club.app.update_player(queue[0].player_id, guardian_phones=[parent.phone])
    free_a_place(game, ins[0])
    (offer,) = game.waitlist.offers
    with pytest.raises(NotFound):
        game.app.start_payment(game.match_id, offer.offer_id, queue[1].phone)
    started = game.app.start_payment(game.match_id, offer.offer_id, parent.phone).value
    again = game.app.start_payment(game.match_id, offer.offer_id, queue[0].phone).value
    assert again.payment_id == started.payment_id  # one offer, one payment under way
    assert game.app.get_payment(started.payment_id).player_id == queue[0].player_id


def test_a_failed_payment_keeps_the_offer_open_for_another_try(club: Club) -> None:
    game, ins, queue = paid_game(club)
    free_a_place(game, ins[0])
    (offer,) = game.waitlist.offers
    first = game.app.start_payment(game.match_id, offer.offer_id, queue[0].phone).value
    game.app.settle_payment(first.payment_id, outcome="failed", event_id="evt_1")
    assert game.status(queue[0]) == "HELD"
    second = game.app.start_payment(game.match_id, offer.offer_id, queue[0].phone).value
    assert second.payment_id != first.payment_id
    game.app.settle_payment(second.payment_id, outcome="paid", event_id="evt_2")
    assert game.status(queue[0]) == "IN"


def test_the_same_provider_event_twice_is_applied_once(club: Club) -> None:
    game, ins, queue = paid_game(club)
    free_a_place(game, ins[0])
    (offer,) = game.waitlist.offers
    started = game.app.start_payment(game.match_id, offer.offer_id, queue[0].phone).value
    first = game.app.settle_payment(started.payment_id, outcome="paid", event_id="evt_x")
    again = game.app.settle_payment(started.payment_id, outcome="paid", event_id="evt_x")
    assert first.position is not None and again.position is None  # nothing written twice
    assert again.value == PaymentStatus.CONFIRMED


def test_late_money_buys_a_place_that_is_still_free_else_is_refunded(club: Club) -> None:
    game, ins, queue = paid_game(club, waiting=1, auto_promote=False)
    free_a_place(game, ins[0])
    assert game.waitlist.offers == []  # auto-promote off: the admin chooses
    game.app.promote(game.match_id, queue[0].player_id)
    (offer,) = game.waitlist.offers
    started = game.app.start_payment(game.match_id, offer.offer_id, queue[0].phone).value
    club.clock.advance(61 * M)
    game.tick()
    assert game.status(queue[0]) == "WAITLIST"
    late = game.app.settle_payment(started.payment_id, outcome="paid", event_id="evt_l")
    assert late.value == PaymentStatus.CONFIRMED  # the place was still free
    assert game.status(queue[0]) == "IN" and game.app.get_payment(started.payment_id).late

    game2, ins2, queue2 = paid_game(club, waiting=2, who="B")
    free_a_place(game2, ins2[0])
    (offer2,) = game2.waitlist.offers
    started2 = game2.app.start_payment(game2.match_id, offer2.offer_id, queue2[0].phone).value
    club.clock.advance(61 * M)
    game2.tick()  # the next in line now holds the place
    refused = game2.app.settle_payment(started2.payment_id, outcome="paid", event_id="evt_m")
    assert refused.value == PaymentStatus.REFUND_DUE
    assert game2.status(queue2[0]) == "WAITLIST" and game2.status(queue2[1]) == "HELD"
    game2.app.record_refund(started2.payment_id, refund_ref="re_1")
    assert game2.app.get_payment(started2.payment_id).status == PaymentStatus.REFUNDED


def test_promotion_needs_a_free_place_and_a_waiting_player(club: Club) -> None:
    game, ins, queue = paid_game(club, auto_promote=False)
    with pytest.raises(InvalidTransition, match="No place is free"):
        game.app.promote(game.match_id, queue[1].player_id)
    free_a_place(game, ins[0])
    with pytest.raises(NotFound):
        game.app.promote(game.match_id, ins[1].player_id)
    offer = game.app.promote(game.match_id, queue[1].player_id).value  # not the head: admin's pick
    assert offer.player_id == queue[1].player_id and game.status(queue[1]) == "HELD"
    with pytest.raises(InvalidTransition):
        game.app.promote(game.match_id, queue[1].player_id)


def test_a_capacity_cut_takes_held_places_before_confirmed_ones(club: Club) -> None:
    game, ins, queue = paid_game(club, capacity=3)
    game.app.change_capacity(game.match_id, 4)  # a fourth place, held for queue[0]
    assert game.status(queue[0]) == "HELD"
    game.app.change_capacity(game.match_id, 3)
    assert game.status(queue[0]) == "WAITLIST"
    assert all(game.status(p) == "IN" for p in ins)
    assert game.waitlist.offers == []


def test_locking_or_cancelling_releases_every_hold(club: Club) -> None:
    game, ins, queue = paid_game(club)
    free_a_place(game, ins[0])
    game.app.lock_pool(game.match_id)
    assert game.status(queue[0]) == "WAITLIST" and game.waitlist.offers == []
    assert game.match.held == 0


def test_an_admin_add_of_a_held_player_takes_their_held_place(club: Club) -> None:
    game, ins, queue = paid_game(club)
    free_a_place(game, ins[0])
    game.app.add_player_to_match(game.match_id, queue[0].player_id)
    match = game.match
    assert game.status(queue[0]) == "IN"
    assert (match.booked, match.held, match.capacity) == (2, 0, 2)  # not "3/2"


def test_no_paid_offer_runs_past_kick_off_minus_15_minutes(club: Club) -> None:
    game, ins, _queue = paid_game(club, kickoff_in=50 * M)
    free_a_place(game, ins[0])
    (offer,) = game.waitlist.offers
    assert offer.expires_at == game.match.kickoff_at - 15 * M
    late_game, late_ins, _ = paid_game(club, kickoff_in=19 * M, who="L")
    free_a_place(late_game, late_ins[0])
    assert late_game.waitlist.offers == []  # under 5 minutes to pay: no paid offer


def test_a_held_player_saying_in_again_changes_nothing_and_cannot_claim(club: Club) -> None:
    game, ins, queue = paid_game(club)
    free_a_place(game, ins[0])
    done = game.say(queue[0], "IN")
    assert done.position is None and done.value.standing.status == Status.HELD
    with pytest.raises(InvalidTransition, match="log in"):
        game.claim(queue[0])
