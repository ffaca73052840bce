"""The same command twice has the effect of one (invariant 6).

Each scenario's first call changes something; the same call sent again at once
(a retry, a double click, a redelivered message) must write nothing and answer
the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from tests.suite.test_offers import full_game
from tests.support import Club, MatchHandle, Person

M = timedelta(minutes=1)


@dataclass
class Scene:
    club: Club
    game: MatchHandle
    ins: list[Person]
    queue: list[Person]
    newcomer: Person


Command = Callable[[Scene], object]


def nothing(scene: Scene) -> None:
    return None


def offers_lapse(scene: Scene) -> None:
    scene.club.clock.advance(241 * M)
    scene.game.tick()


def grace_runs_out(scene: Scene) -> None:
    scene.club.clock.advance(10 * M)


SCENARIOS: dict[str, tuple[Command, Command]] = {
    "IN (claims an offer)": (nothing, lambda s: s.game.say(s.queue[0], "IN")),
    "OUT": (nothing, lambda s: s.game.say(s.ins[0], "OUT", out_flexible=True)),
    "WAITLIST": (nothing, lambda s: s.game.say(s.newcomer, "WAITLIST")),
    "claim": (nothing, lambda s: s.game.claim(s.queue[1])),
    "admin add": (
        nothing,
        lambda s: s.club.app.add_player_to_match(s.game.match_id, s.newcomer.player_id),
    ),
    "capacity": (nothing, lambda s: s.club.app.change_capacity(s.game.match_id, 5)),
    "release spot now": (
        nothing,
        lambda s: s.club.app.release_spot(s.game.match_id, s.ins[2].player_id),
    ),
    "timers": (grace_runs_out, lambda s: s.game.tick()),
    "send new offers": (offers_lapse, lambda s: s.club.app.reissue_offers(s.game.match_id)),
    "go tiered": (
        nothing,
        lambda s: s.club.app.change_invite_mode(
            s.game.match_id, invite_mode="tiered", tier_windows={}
        ),
    ),
    "lock": (nothing, lambda s: s.club.app.lock_pool(s.game.match_id)),
}


def _position(club: Club) -> int:
    return club.app.recorder.max_notification_id() or 0


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_repeated_command_writes_nothing_new(club: Club, name: str) -> None:
    game, ins, queue = full_game(club, capacity=3, waiting=3)
    newcomer = club.player("Newcomer")
    game.drop_and_release(ins[1])  # one place free, offers open
    game.say(ins[2], "OUT")  # another dropout, still in grace
    scene = Scene(club, game, ins, queue, newcomer)
    prepare, command = SCENARIOS[name]
    prepare(scene)
    before = _position(club)
    first = command(scene)
    after_first = _position(club)
    assert after_first > before, "the first call should change something"
    second = command(scene)
    assert _position(club) == after_first
    assert getattr(second, "position", "n/a") is None
    if hasattr(first, "value") and hasattr(first.value, "standing"):
        assert second.value.standing == first.value.standing
