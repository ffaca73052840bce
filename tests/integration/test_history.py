"""A command's cost must not grow with the length of a match's history (snapshots, cache)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

from booking_domain.application import BookingApp
from booking_domain.match import Match
from processes.clock import ManualClock
from processes.store import store_env
from tests.support import Club


def count_events_read(app: BookingApp, aggregate_id: UUID) -> list[int]:
    """Wrap the event store so every event read for one aggregate is counted."""
    counter = [0]
    original = app.events.get

    def counting_get(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for event in original(*args, **kwargs):
            counter[0] += event.originator_id == aggregate_id
            yield event

    app.events.get = counting_get  # type: ignore[method-assign]
    return counter


def test_a_long_history_is_not_replayed_for_each_command(
    clock: ManualClock, tmp_path: Path
) -> None:
    env = store_env(None, tmp_path)
    writer = BookingApp(env, clock=clock)
    club = Club(writer, clock)
    ana, ben = club.players("Ana", "Ben")
    game = club.match(capacity=5)
    for _ in range(400):  # IN, OUT (grace), IN (back from grace): two events a round
        game.say(ana, "IN")
        game.say(ana, "OUT")
    assert game.match.version > 800
    writer.close()

    # A process that has never seen this match starts from the latest snapshot.
    cold = BookingApp(env, clock=clock)
    read = count_events_read(cold, game.match_id)
    cold.respond(match_id=game.match_id, token=game.token, phone=ben.phone, action="IN")
    assert read[0] < 2 * BookingApp.snapshotting_intervals[Match] + 20
    assert cold.snapshots is not None

    # Once it holds the match in its cache, it reads only what is new: the one
    # event the previous command wrote.
    read[0] = 0
    cold.respond(match_id=game.match_id, token=game.token, phone=ana.phone, action="IN")
    assert read[0] == 1
    cold.close()
