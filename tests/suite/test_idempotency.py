"""The same command twice has the effect of one (invariant 6)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.suite.test_offers import full_game
from tests.support import Club, MatchHandle, Person


def _position(club: Club) -> int:
    return club.app.recorder.max_notification_id() or 0


SCENARIOS: dict[str, Callable[[Club, MatchHandle, list[Person], list[Person]], object]] = {
    "IN": lambda c, g, ins, q: g.say(ins[0], "IN"),
    "OUT": lambda c, g, ins, q: g.say(ins[0], "OUT"),
    "WAITLIST": lambda c, g, ins, q: g.say(q[0], "WAITLIST"),
    "claim": lambda c, g, ins, q: g.claim(q[0]),
    "admin add": lambda c, g, ins, q: c.app.add_player_to_match(g.match_id, q[1].player_id),
    "capacity": lambda c, g, ins, q: c.app.change_capacity(g.match_id, 5),
    "release": lambda c, g, ins, q: c.app.release_spot(g.match_id, ins[1].player_id),
    "timers": lambda c, g, ins, q: g.tick(),
    "reissue": lambda c, g, ins, q: c.app.reissue_offers(g.match_id),
    "stay tiered": lambda c, g, ins, q: c.app.change_invite_mode(g.match_id, invite_mode="tiered"),
    "lock": lambda c, g, ins, q: c.app.lock_pool(g.match_id),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_repeated_command_writes_nothing_new(club: Club, name: str) -> None:
    game, ins, queue = full_game(club, capacity=3, waiting=3)
    game.say(ins[1], "OUT")
    club.app.release_spot(game.match_id, ins[1].player_id)  # offers are open
    command = SCENARIOS[name]
    first = command(club, game, ins, queue)
    after_first = _position(club)
    match_version = game.match.version
    second = command(club, game, ins, queue)
    assert _position(club) == after_first
    assert game.match.version == match_version
    assert getattr(second, "position", None) is None
    if hasattr(first, "value") and hasattr(first.value, "standing"):  # type: ignore[union-attr]
        assert second.value.standing == first.value.standing  # type: ignore[union-attr]
