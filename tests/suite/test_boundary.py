"""The match/waitlist consistency boundary holds even when each command changes one half.

Two admins act on the same state: one sends new waitlist offers (changes only
the waitlist), the other switches booking off or adds a player (changes the
match). Each decision read both halves; the second write must be refused and
retried on the new state, never leave offers open on a closed or full match.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from eventsourcing.persistence import IntegrityError

from booking_domain import organiser
from booking_domain.match import Match
from booking_domain.unit import Unit
from booking_domain.waitlist import Waitlist
from tests.suite.test_offers import full_game
from tests.support import Club, MatchHandle

M = timedelta(minutes=1)
H = timedelta(hours=1)

Decision = Callable[[Match, Waitlist], object]


def lapsed_round(club: Club) -> MatchHandle:
    """A match whose one free place is open to anyone: its round has lapsed."""
    game, ins, _ = full_game(club, capacity=2, waiting=2, kickoff_in=10 * H)
    game.say(ins[0], "OUT")
    club.clock.advance(5 * M)
    game.tick()
    club.clock.advance(H)
    game.tick()
    assert game.offered() == []
    return game


@pytest.mark.parametrize(
    "second",
    [
        lambda c, g: lambda m, w: organiser.disable_booking(m, w, "admin2", c.clock.now()),
        lambda c, g: (
            lambda m, w: organiser.admin_add(
                m, w, c.player("Zed").player_id, "admin2", c.clock.now()
            )
        ),
    ],
    ids=["disable booking", "manual add"],
)
def test_a_stale_half_is_refused(club: Club, second: Callable[..., Decision]) -> None:
    game = lapsed_round(club)
    decide_second = second(club, game)
    first, other = Unit(club.app), Unit(club.app)
    organiser.reissue_offers(
        first.match(game.match_id), first.waitlist(game.match_id), "admin1", club.clock.now()
    )
    decide_second(other.match(game.match_id), other.waitlist(game.match_id))
    club.app.save(*first.touched(), read_versions=first.read_versions())
    with pytest.raises(IntegrityError):
        club.app.save(*other.touched(), read_versions=other.read_versions())
    assert game.offered(), "the first decision stands"
