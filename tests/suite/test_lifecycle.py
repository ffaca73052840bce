"""Draft → PoolLocked → TeamsBalanced → Completed, or Cancelled (seed 004 §1, §21.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking_domain.errors import InvalidTransition, ValidationError
from booking_domain.values import MatchState
from tests.suite.test_offers import full_game
from tests.support import Club

H = timedelta(hours=1)


def test_flow_a_tiered_fill_then_lock_balance_complete(club: Club) -> None:
    """Seed 004 §17 A: cap 10, Tier A books 8, Tier B books 2, then the usual steps."""
    tier_a = [club.player(f"A{i}", tier="A") for i in range(8)]
    tier_b = [club.player(f"B{i}", tier="B") for i in range(3)]
    now = club.clock.now()
    game = club.match(
        capacity=10,
        kickoff_in=72 * H,
        invite_mode="tiered",
        tier_windows={"a_open_at": now + H, "b_open_at": now + 25 * H, "c_open_at": now + 49 * H},
    )
    club.clock.advance(H)
    for p in tier_a:
        game.say(p, "IN")
    club.clock.advance(24 * H)
    game.say(tier_b[0], "IN")
    game.say(tier_b[1], "IN")
    assert (game.match.booked, game.match.capacity) == (10, 10)
    game.say(tier_b[2], "WAITLIST")
    for step in (club.app.lock_pool, club.app.balance_teams, club.app.complete_match):
        step(game.match_id)
    assert game.match.state == MatchState.COMPLETED


def test_steps_cannot_be_skipped_or_reversed(club: Club) -> None:
    game = club.match()
    with pytest.raises(InvalidTransition):
        club.app.balance_teams(game.match_id)
    with pytest.raises(InvalidTransition):
        club.app.complete_match(game.match_id)
    club.app.lock_pool(game.match_id)
    version = game.match.version
    assert club.app.lock_pool(game.match_id).position is None  # a double click changes nothing
    assert game.match.version == version
    with pytest.raises(InvalidTransition):
        club.app.enable_booking(game.match_id)
    club.app.balance_teams(game.match_id)
    assert club.app.balance_teams(game.match_id).position is None
    with pytest.raises(InvalidTransition):
        club.app.lock_pool(game.match_id)


def test_locking_ends_grace_and_open_offers(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=3, waiting=2)
    game.say(ins[0], "OUT")
    game.drop_and_release(ins[1])
    assert game.offered()
    club.app.lock_pool(game.match_id)
    assert game.offered() == []
    assert game.match.roster.in_grace() == []
    entry = game.waitlist.entry_of(queue[0].player_id)
    assert entry is not None and entry.last_offer_reason == "pool_locked"


@pytest.mark.parametrize("steps", [0, 1, 2])
def test_cancel_from_any_state_before_completed(club: Club, steps: int) -> None:
    game, _, _ = full_game(club, capacity=2, waiting=2)
    for step in (club.app.lock_pool, club.app.balance_teams)[:steps]:
        step(game.match_id)
    club.app.cancel_match(game.match_id, reason="Pitch flooded")
    assert game.match.state == MatchState.CANCELLED
    assert club.app.cancel_match(game.match_id).position is None  # again: nothing new


def test_a_completed_match_cannot_be_cancelled(club: Club) -> None:
    game = club.match()
    for step in (club.app.lock_pool, club.app.balance_teams, club.app.complete_match):
        step(game.match_id)
    with pytest.raises(InvalidTransition):
        club.app.cancel_match(game.match_id)


def test_disabling_booking_ends_open_offers(club: Club) -> None:
    game, ins, _ = full_game(club, capacity=1, waiting=2)
    game.drop_and_release(ins[0])
    club.app.disable_booking(game.match_id)
    assert game.offered() == []
    game.token = club.app.enable_booking(game.match_id).value
    assert len(game.offered()) == 2


@pytest.mark.parametrize(
    ("field", "options"),
    [
        ("kickoff_at", {"kickoff_in": -H}),
        ("capacity", {"capacity": 0}),
        ("title", {"title": ""}),
        ("timezone", {"timezone": "Mars/Olympus"}),
        ("currency", {"currency": "pounds"}),
        ("offer_mode", {"admission": "approval", "offer_mode": "first_to_claim"}),
        ("offer_mode", {"offer_mode": "approval"}),
        ("payment_window_minutes", {"price_minor": 500, "payment_window_minutes": 0}),
    ],
)
def test_bad_match_details_are_refused(club: Club, field: str, options: dict[str, object]) -> None:
    values: dict[str, object] = {
        "title": "Tuesday",
        "kickoff_at": club.clock.now() + 72 * H,
        "location": "Park",
        "capacity": 10,
    }
    options = dict(options)
    if "kickoff_in" in options:
        values["kickoff_at"] = club.clock.now() + options.pop("kickoff_in")  # type: ignore[operator]
    values.update(options)
    with pytest.raises(ValidationError, match=field):
        club.app.schedule_match(**values)  # type: ignore[arg-type]


def test_the_link_dies_when_the_match_is_completed(club: Club) -> None:
    from booking_domain.errors import InvalidToken

    game, ins, _ = full_game(club, capacity=2, waiting=0)
    for step in (club.app.lock_pool, club.app.balance_teams, club.app.complete_match):
        step(game.match_id)
    with pytest.raises(InvalidToken):
        game.say(ins[0], "OUT")
