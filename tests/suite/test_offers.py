"""Dropouts, grace, offers to the top of the queue, first claim wins (seed 004 §4, §7, §17B)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking_domain.errors import (
    InvalidTransition,
    MatchFull,
    NoOffer,
    OfferExpired,
    SpotFilled,
)
from booking_domain.values import Status
from tests.support import Club, MatchHandle, Person

M = timedelta(minutes=1)
H = timedelta(hours=1)


def full_game(
    club: Club, capacity: int, waiting: int, **kw: object
) -> tuple[MatchHandle, list[Person], list[Person]]:
    ins = club.players(*[f"In{i}" for i in range(capacity)])
    queue = club.players(*[f"Wait{i}" for i in range(waiting)])
    game = club.match(capacity=capacity, **kw)  # type: ignore[arg-type]
    for p in ins:
        game.say(p, "IN")
    for p in queue:
        game.say(p, "WAITLIST")
    return game, ins, queue


def test_flow_b_dropout_grace_top3_first_claim_wins(club: Club) -> None:
    """Seed 004 §17 B: the night before, a player drops; after grace the top 3 are offered."""
    game, ins, queue = full_game(club, capacity=4, waiting=5, kickoff_in=20 * H)
    game.say(ins[0], "OUT")
    standing = game.app.standing(game.match_id, ins[0].player_id)
    assert standing.status == Status.OUT
    assert standing.in_grace_until == club.clock.now() + 2 * M  # under 24 h: 2 min
    # During grace the place stays theirs: nobody is offered, nobody can take it.
    game.tick()
    assert game.offered() == [] and game.match.free_places == 0
    club.clock.advance(2 * M)
    game.tick()
    assert game.offered() == [p.player_id for p in queue[:3]]
    assert {o.expires_at for o in game.waitlist.offers} == {club.clock.now() + 60 * M}
    assert len({o.batch for o in game.waitlist.offers}) == 1
    # First to claim wins; the others are told "spot filled" and keep their places.
    assert game.claim(queue[1]).value.standing.status == Status.IN
    with pytest.raises(SpotFilled):
        game.claim(queue[0])
    with pytest.raises(SpotFilled):
        game.say(queue[2], "IN")
    assert game.queue() == [queue[0].player_id, queue[2].player_id] + [
        p.player_id for p in queue[3:]
    ]
    assert game.offered() == []
    assert game.match.booked == 4


def test_changing_your_mind_within_grace_keeps_your_place(club: Club) -> None:
    game, ins, _queue = full_game(club, capacity=2, waiting=2)
    game.say(ins[0], "OUT")
    club.clock.advance(4 * M)
    game.say(ins[0], "IN")
    club.clock.advance(2 * M)
    game.tick()
    assert game.status(ins[0]) == "IN"
    assert game.offered() == []


def test_grace_is_1_minute_under_3_hours(club: Club) -> None:
    game, ins, _ = full_game(club, capacity=2, waiting=1, kickoff_in=2 * H)
    game.say(ins[0], "OUT")
    assert game.app.next_deadline(game.match_id) == club.clock.now() + 1 * M


def test_a_dropout_with_nobody_waiting_opens_the_place_to_anyone(club: Club) -> None:
    game, ins, _ = full_game(club, capacity=2, waiting=0)
    late = club.player("Late")
    game.say(ins[0], "OUT")
    with pytest.raises(MatchFull):
        game.say(late, "IN")  # still in grace
    club.clock.advance(5 * M)
    game.tick()
    assert game.say(late, "IN").value.standing.status == Status.IN


def test_release_spot_now_skips_the_grace(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=2, waiting=3)
    game.drop_and_release(ins[0])
    assert game.offered() == [p.player_id for p in queue]
    club.app.release_spot(game.match_id, ins[0].player_id)  # a double click changes nothing
    with pytest.raises(InvalidTransition):
        club.app.release_spot(game.match_id, ins[1].player_id)


@pytest.mark.parametrize(
    ("kickoff_in", "ttl"),
    [(3 * 24 * H, 240 * M), (10 * H, 60 * M), (2 * H, 30 * M), (40 * M, 25 * M)],
)
def test_offer_ttl_depends_on_time_to_kickoff(
    club: Club, kickoff_in: timedelta, ttl: timedelta
) -> None:
    game, ins, _ = full_game(club, capacity=1, waiting=1, kickoff_in=kickoff_in)
    game.drop_and_release(ins[0])
    (offer,) = game.waitlist.offers
    assert offer.expires_at - offer.issued_at == ttl
    assert offer.expires_at <= game.match.kickoff_at - 15 * M


def test_expired_offers_cascade_to_the_next_players(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=5, kickoff_in=10 * H)
    game.drop_and_release(ins[0])
    first_batch = game.offered()
    assert first_batch == [p.player_id for p in queue[:3]]
    club.clock.advance(59 * M)
    game.tick()
    assert game.offered() == first_batch  # not yet
    club.clock.advance(1 * M)
    game.tick()
    assert game.offered() == [p.player_id for p in queue[3:]]
    # Those whose offers lapsed keep their places in the queue.
    assert game.queue() == [p.player_id for p in queue]
    with pytest.raises(OfferExpired, match="This offer has expired"):
        game.claim(queue[0])
    game.claim(queue[4])
    assert game.status(queue[4]) == "IN"


def test_a_lapsed_round_opens_the_place_to_anyone(club: Club) -> None:
    game, ins, _queue = full_game(club, capacity=1, waiting=2, kickoff_in=10 * H)
    stranger = club.player("Stranger")
    game.drop_and_release(ins[0])
    with pytest.raises(MatchFull):
        game.say(stranger, "IN")
    club.clock.advance(60 * M)
    game.tick()
    assert game.offered() == []
    # Everyone waiting had their chance: first come, first served now.
    assert game.say(stranger, "IN").value.standing.status == Status.IN


def test_an_offer_cannot_be_claimed_after_it_expires_even_before_the_timer(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=4, kickoff_in=10 * H)
    game.drop_and_release(ins[0])
    club.clock.advance(61 * M)  # no timer has run
    with pytest.raises(OfferExpired):
        game.claim(queue[0])
    assert game.status(queue[0]) == "WAITLIST"
    # The next command on the match applies the expiry and cascades, timer or not.
    game.say(queue[3], "IN")
    assert game.status(queue[3]) == "IN"


def test_a_dropout_whose_grace_has_passed_cannot_come_back_late(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=2, waiting=1)
    game.say(ins[0], "OUT")
    club.clock.advance(30 * M)  # grace (5 min) is long over; no timer has run
    with pytest.raises(MatchFull):
        game.say(ins[0], "IN")
    assert game.offered() == []  # the refusal wrote nothing...
    game.say(ins[1], "MAYBE")  # ...but the next command catches up:
    assert game.offered() == [queue[0].player_id]


def test_two_free_places_go_to_the_top_four(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=3, waiting=6)
    for p in ins[:2]:
        game.say(p, "OUT")
    club.clock.advance(5 * M)
    game.tick()
    assert game.offered() == [p.player_id for p in queue[:4]]
    game.claim(queue[3])
    assert len(game.offered()) == 3  # one place left, three still in the running
    game.claim(queue[0])
    assert game.offered() == []
    with pytest.raises(SpotFilled):
        game.claim(queue[1])


def test_declining_by_saying_out_passes_the_offer_on(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=4)
    game.drop_and_release(ins[0])
    game.say(queue[0], "OUT")
    assert game.offered() == [p.player_id for p in queue[1:4]]
    assert queue[0].player_id not in game.queue()


def test_a_new_joiner_gets_an_offer_while_places_wait(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=1)
    newcomer = club.player("New")
    game.drop_and_release(ins[0])
    assert game.offered() == [queue[0].player_id]
    game.say(newcomer, "WAITLIST")
    assert game.offered() == [queue[0].player_id, newcomer.player_id]


def test_claim_without_an_offer(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=5)
    game.drop_and_release(ins[0])
    with pytest.raises(NoOffer):
        game.claim(queue[4])
    with pytest.raises(MatchFull):
        game.say(queue[4], "IN")
    outsider = club.player("Outsider")
    with pytest.raises(NoOffer):
        game.claim(outsider)


def test_under_30_minutes_the_first_tap_wins(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=3, kickoff_in=25 * M)
    game.say(ins[0], "OUT")
    club.clock.advance(1 * M)
    game.tick()
    assert game.offered() == []  # no holds: instant claim
    assert game.app.standing(game.match_id, queue[2].player_id).instant_claim
    game.claim(queue[2])
    assert game.status(queue[2]) == "IN"
    with pytest.raises(MatchFull):
        game.claim(queue[0])


def test_open_offers_are_never_past_kickoff_minus_15(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=3, kickoff_in=40 * M)
    game.say(ins[0], "OUT")
    club.clock.advance(1 * M)
    game.tick()
    (first, *_) = game.waitlist.offers
    assert first.expires_at == game.match.kickoff_at - 15 * M
    club.clock.advance(24 * M)
    game.tick()
    assert game.offered() == []  # all expired at kick-off − 15; instant claim from now on
    game.say(queue[1], "IN")
    assert game.status(queue[1]) == "IN"


def test_send_new_waitlist_offers_supersedes_the_batch(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=5, kickoff_in=10 * H)
    game.drop_and_release(ins[0])
    club.clock.advance(60 * M)
    game.tick()
    assert game.offered() == [p.player_id for p in queue[3:]]
    issued = club.app.reissue_offers(game.match_id).value
    assert [o.player_id for o in issued] == [p.player_id for p in queue[:3]]
    assert game.offered() == [p.player_id for p in queue[:3]]
    assert len({o.batch for o in issued}) == 1 and issued[0].batch == 3
    game.claim(queue[0])
