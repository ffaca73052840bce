"""Court slots under real races on PostgreSQL (issue 8; domain.md "Approval mode").

Two admins decide the same request at the same instant, one approving and one
rejecting: the store lets one write first, the other is rerun on what the
winner left and refused (``invalid_transition``). A request spanning two slots
is decided on both or neither.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from booking_domain.application import BookingApp
from booking_domain.errors import BookingError
from booking_domain.values import Status
from processes.clock import ManualClock
from tests.support import booking_app, phone

pytestmark = [pytest.mark.pg, pytest.mark.slow]

ROUNDS = 100
H = timedelta(hours=1)


@pytest.fixture
def pg_app(clock: ManualClock, tmp_path: Path) -> Iterator[BookingApp]:
    with booking_app("postgres", clock, tmp_path) as app:
        yield app


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same instant; each gives "ok", or its error code."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            call()
            return "ok"
        except BookingError as e:
            return e.code

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_admins_deciding_one_request_at_once_one_wins(
    pg_app: BookingApp, clock: ManualClock
) -> None:
    app = pg_app
    ana = app.register_player(name="Ana", phone=phone(1)).value
    ben = app.register_player(name="Ben", phone=phone(2)).value
    outcomes: Counter[str] = Counter()
    for n in range(ROUNDS):
        start = clock.now() + timedelta(days=2) + n * H
        # Two slots in one request, so the decision spans two matches and two queues.
        slots = [
            app.schedule_slot(
                court=f"Court {c}", sport="tennis", starts_at=start, ends_at=start + H
            ).value
            for c in (1, 2)
        ]
        app.request_slots(phone=phone(1), slots=[{"match_id": s} for s in slots])
        app.request_slots(phone=phone(2), slots=[{"match_id": s} for s in slots])
        first, second = all_at_once(
            [
                lambda s=slots: app.approve_request(s[0], ana, actor="admin-1"),
                lambda s=slots: app.reject_request(s[1], ana, reason="no", actor="admin-2"),
            ]
        )
        assert sorted([first, second]) == ["invalid_transition", "ok"], (first, second)
        approved = first == "ok"
        outcomes["approved" if approved else "rejected"] += 1
        for slot in slots:
            match = app.get_match(slot)
            queue = app.get_waitlist(slot).queue
            if approved:
                # Ana has both slots; Ben's waiting carts were cancelled.
                assert match.status_of(ana) == Status.IN and match.status_of(ben) == Status.OUT
                assert queue == []
            else:
                # Neither slot is Ana's; Ben's waiting carts became pending requests.
                assert match.status_of(ana) == Status.OUT and match.status_of(ben) == Status.HELD
                assert match.booked == 0 and queue == []
            decided = [
                e
                for e in app.events.get(slot)
                if type(e).__name__ in ("BookingApproved", "BookingRejected")
            ]
            assert len(decided) == 1
    print(f"two admins, {ROUNDS} rounds: {dict(outcomes)}")
    # Both outcomes happen: the race is real, not always won by the same thread.
    assert outcomes["approved"] > 0 and outcomes["rejected"] > 0, outcomes


def test_members_asking_for_one_free_slot_at_once_one_holds_it_the_rest_queue(
    pg_app: BookingApp, clock: ManualClock
) -> None:
    app = pg_app
    members = 6
    for n in range(members):
        app.register_player(name=f"M{n}", phone=phone(10 + n))
    for round_no in range(30):
        start = clock.now() + timedelta(days=3) + round_no * H
        slot = app.schedule_slot(
            court="Court 1", sport="padel", starts_at=start, ends_at=start + H
        ).value
        results = all_at_once(
            [
                lambda n=n, s=slot: app.request_slots(phone=phone(10 + n), slots=[{"match_id": s}])
                for n in range(members)
            ]
        )
        assert results == ["ok"] * members
        match, waitlist = app.get_match(slot), app.get_waitlist(slot)
        assert (match.held, match.booked) == (1, 0)
        assert waitlist.size == members - 1
        queued = [e for e in app.events.get(waitlist.id) if type(e).__name__ == "CartQueued"]
        assert [e.position for e in queued] == list(range(1, members))
