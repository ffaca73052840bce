"""Capacity changes and manual adds (seed 004 §1, §7 edge cases)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking_domain.errors import InvalidTransition, ValidationError
from booking_domain.values import Status
from tests.suite.test_offers import full_game
from tests.support import Club

M = timedelta(minutes=1)


def test_lowering_capacity_demotes_the_latest_ins_to_the_head_in_order(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=5, waiting=2)
    club.app.change_capacity(game.match_id, 3)
    assert [game.status(p) for p in ins] == ["IN", "IN", "IN", "WAITLIST", "WAITLIST"]
    assert game.queue() == [ins[3].player_id, ins[4].player_id] + [p.player_id for p in queue]
    assert game.match.booked == 3 and game.match.capacity == 3


def test_seniority_counts_from_the_first_in_even_after_changing_your_mind(club: Club) -> None:
    game, ins, _ = full_game(club, capacity=3, waiting=0)
    club.clock.advance(10 * M)
    game.say(ins[0], "OUT")
    game.say(ins[0], "IN")  # within grace: keeps the place taken first, 10 minutes ago
    club.app.change_capacity(game.match_id, 2)
    assert game.status(ins[0]) == "IN"
    assert game.status(ins[2]) == "WAITLIST"


def test_places_in_grace_go_before_anyone_is_demoted(club: Club) -> None:
    game, ins, _ = full_game(club, capacity=3, waiting=0)
    game.say(ins[1], "OUT")
    club.app.change_capacity(game.match_id, 2)
    assert [game.status(p) for p in ins] == ["IN", "OUT", "IN"]
    assert game.app.standing(game.match_id, ins[1].player_id).in_grace_until is None


def test_raising_capacity_brings_the_bumped_back_first(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=4, waiting=3)
    club.app.change_capacity(game.match_id, 2)
    club.app.change_capacity(game.match_id, 3)
    assert game.status(ins[2]) == "IN" and game.status(ins[3]) == "WAITLIST"
    assert game.offered() == []
    club.app.change_capacity(game.match_id, 5)
    assert game.status(ins[3]) == "IN"
    # The place left over goes through the offer mode: the next three are offered.
    assert game.offered() == [p.player_id for p in queue]


def test_open_offers_are_superseded_when_a_cut_fills_the_match(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=3, waiting=3)
    game.drop_and_release(ins[0])
    assert len(game.offered()) == 3
    club.app.change_capacity(game.match_id, 2)
    assert game.offered() == []
    entry = game.waitlist.entry_of(queue[0].player_id)
    assert entry is not None and entry.last_offer_reason == "capacity_reduced"


def test_capacity_must_be_sensible(club: Club) -> None:
    game = club.match()
    with pytest.raises(ValidationError, match="capacity"):
        club.app.change_capacity(game.match_id, 0)


def test_manual_add_always_works_even_over_capacity(club: Club) -> None:
    game, _ins, queue = full_game(club, capacity=2, waiting=1)
    extra = club.player("Extra")
    club.app.add_player_to_match(game.match_id, extra.player_id)
    match = game.match
    assert (match.booked, match.capacity) == (3, 2)  # "3/2", visibly
    assert game.status(extra) == "IN"
    club.app.add_player_to_match(game.match_id, queue[0].player_id)
    assert game.status(queue[0]) == "IN" and game.queue() == []


def test_manual_add_supersedes_offers_when_it_fills_the_match(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=2, waiting=3)
    extra = club.player("Extra")
    game.drop_and_release(ins[0])
    assert len(game.offered()) == 3
    club.app.add_player_to_match(game.match_id, extra.player_id)
    assert game.offered() == []
    assert game.queue() == [p.player_id for p in queue]


def test_manual_add_of_a_dropout_in_grace_gives_back_their_place(club: Club) -> None:
    game, ins, _ = full_game(club, capacity=2, waiting=1)
    game.say(ins[0], "OUT")
    club.app.add_player_to_match(game.match_id, ins[0].player_id)
    assert game.status(ins[0]) == "IN" and game.match.booked == 2


def test_manual_add_works_after_the_pool_is_locked(club: Club) -> None:
    game, _, _ = full_game(club, capacity=2, waiting=0)
    extra = club.player("Extra")
    club.app.lock_pool(game.match_id)
    club.app.add_player_to_match(game.match_id, extra.player_id)
    assert game.match.status_of(extra.player_id) == Status.IN


def test_no_manual_add_to_a_cancelled_match(club: Club) -> None:
    game = club.match()
    extra = club.player("Extra")
    club.app.cancel_match(game.match_id)
    with pytest.raises(InvalidTransition):
        club.app.add_player_to_match(game.match_id, extra.player_id)
