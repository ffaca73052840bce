"""Races on real stores: many players at once, simultaneous claims, the consistency boundary."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from booking_domain.application import BookingApp
from booking_domain.errors import BookingError
from booking_domain.values import Status
from processes.clock import ManualClock
from tests.suite.test_offers import full_game
from tests.support import Club, booking_app

pytestmark = pytest.mark.slow

REAL_STORES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", marks=pytest.mark.pg, id="postgres"),
]


@pytest.fixture(params=REAL_STORES)
def real_app(
    request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path
) -> Iterator[BookingApp]:
    with booking_app(request.param, clock, tmp_path) as app:
        yield app


def all_at_once(calls: list[Callable[[], Any]]) -> list[str]:
    """Start every call at the same instant; the outcome of each is its error code or "ok"."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> str:
        barrier.wait()
        try:
            call()
        except BookingError as e:
            return e.code
        return "ok"

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_fifty_players_press_in_on_a_match_of_ten(real_app: BookingApp, clock: ManualClock) -> None:
    club = Club(real_app, clock)
    people = [club.player(f"P{i}") for i in range(50)]
    game = club.match(capacity=10)
    outcomes = all_at_once([lambda p=p: game.say(p, "IN") for p in people])
    assert Counter(outcomes) == {"ok": 10, "match_full": 40}
    match = game.match
    assert match.booked == 10 and match.places_taken == 10
    assert sum(1 for p in people if match.status_of(p.player_id) == Status.IN) == 10


def test_simultaneous_claims_on_the_last_place(real_app: BookingApp, clock: ManualClock) -> None:
    game, ins, waiting = full_game(Club(real_app, clock), capacity=4, waiting=3)
    game.say(ins[0], "OUT")
    clock.advance(timedelta(minutes=5))
    game.tick()
    assert len(game.offered()) == 3
    outcomes = all_at_once([lambda p=p: game.claim(p) for p in waiting])
    assert Counter(outcomes) == {"ok": 1, "spot_filled": 2}
    assert game.match.booked == 4
    winner = waiting[outcomes.index("ok")]
    assert game.queue() == [p.player_id for p in waiting if p is not winner]


def test_one_phone_registered_twice_at_once(real_app: BookingApp) -> None:
    outcomes = all_at_once(
        [
            lambda n=n: real_app.register_player(name=f"Twin{n}", phone="02079460123")
            for n in range(8)
        ]
    )
    assert Counter(outcomes) == {"ok": 1, "phone_taken": 7}


def test_the_match_waitlist_boundary_refuses_a_stale_write(
    real_app: BookingApp, clock: ManualClock
) -> None:
    """Like the library's course-booking test: break the boundary with a concurrent write."""
    club = Club(real_app, clock)
    ana, ben, cal = club.players("Ana", "Ben", "Cal")
    game = club.match(capacity=1)
    game.say(ana, "IN")
    game.say(ben, "WAITLIST")
    # Admin starts adding Ben by hand on the state they loaded...
    match, waitlist = real_app.get_match(game.match_id), real_app.get_waitlist(game.match_id)
    waitlist.leave(player_id=ben.player_id, reason="added by admin", actor="admin", now=clock.now())
    match.admin_add(player_id=ben.player_id, actor="admin", now=clock.now())
    # ...while Cal joins the waitlist.
    game.say(cal, "WAITLIST")
    with pytest.raises(IntegrityError):
        real_app.save(match, waitlist)
    # Nothing of the stale write landed: Ben still queues, Cal is behind him.
    assert game.status(ben) == "WAITLIST"
    assert game.queue() == [ben.player_id, cal.player_id]
    # The same command through the application retries on the new state and wins.
    real_app.add_player_to_match(game.match_id, ben.player_id)
    assert game.status(ben) == "IN" and game.queue() == [cal.player_id]


def test_two_admins_at_once_never_leave_offers_on_a_closed_match(
    real_app: BookingApp, clock: ManualClock
) -> None:
    """One sends new waitlist offers (writes the waitlist), the other switches booking
    off (writes the match), at the same instant, thirty times over."""
    game, ins, _ = full_game(
        Club(real_app, clock), capacity=2, waiting=2, kickoff_in=timedelta(days=10)
    )
    game.say(ins[0], "OUT")
    clock.advance(timedelta(minutes=10))
    game.tick()  # grace over: the place is offered to both
    outcomes: Counter[str] = Counter()
    for _ in range(30):
        if not game.match.booking_enabled:
            game.token = real_app.enable_booking(game.match_id).value
        clock.advance(timedelta(minutes=241))  # open offers lapse: a round with none open
        game.tick()
        assert game.offered() == []
        outcomes.update(
            all_at_once(
                [
                    lambda: real_app.reissue_offers(game.match_id),
                    lambda: real_app.disable_booking(game.match_id),
                ]
            )
        )
        match = game.match
        assert match.booking_enabled or game.offered() == [], "offers open on a closed match"
    assert outcomes["ok"] >= 30  # every disable went through; reissues too unless they came second
