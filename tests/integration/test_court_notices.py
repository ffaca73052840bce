"""Court slots through the running system (seed 002): each step tells the member —
and a parent who looks after them — exactly once, through the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from booking.bootstrap import Settings, System, build_system
from processes.clock import ManualClock
from tests.support import START, phone

PARENT = phone(900)
H = timedelta(hours=1)


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    running = build_system(Settings(data_dir=tmp_path, test_clock=True), ManualClock(START))
    yield running
    running.close()


def inbox(system: System, number: str) -> list[tuple[str, str]]:
    system.engine.settle()
    return [(m.kind, m.text) for m in system.engine.outbox.inbox(number) if m.kind != "login_code"]


def slot(system: System, court: str, hours: float) -> tuple[object, str]:
    starts = START + timedelta(hours=hours)
    match_id = system.app.schedule_slot(
        court=court, sport="tennis", starts_at=starts, ends_at=starts + H, price_minor=1200
    ).value
    return match_id, system.app.get_match(match_id).cart_snapshot().describe()


def test_every_step_of_a_court_request_is_told_once(system: System) -> None:
    app = system.app
    ana, ben, cy = (
        app.register_player(name=n, phone=phone(i)).value
        for i, n in enumerate(("Ana", "Ben", "Cy"), start=1)
    )
    app.update_player(ben, guardian_phones=[PARENT])
    (ten, ten_text), (eleven, _) = slot(system, "Court 1", 50), slot(system, "Court 1", 51)
    app.request_slots(phone=phone(1), slots=[{"match_id": ten}, {"match_id": eleven}])
    app.request_slots(phone=phone(2), slots=[{"match_id": ten}])
    app.request_slots(phone=phone(3), slots=[{"match_id": ten}])
    assert inbox(system, phone(1)) == [
        (
            "request_received",
            f"We've got your request for {ten_text} and 1 more slot. "
            "It's pending until the club approves it.",
        ),
    ]
    assert inbox(system, phone(2)) == []  # waiting carts are not told until something happens

    app.reject_request(ten, ana, reason="Court 1 is being resurfaced")
    told = (
        "request_converted",
        f"Good news! {ten_text} has freed up and is now held for you, pending approval. "
        "Confirm and pay £12.00 at the desk with your check-in QR code — it's under "
        "My requests in your account.",
    )
    assert inbox(system, phone(2)) == [told]
    assert inbox(system, PARENT) == [told]  # Ben's parent is told too
    assert inbox(system, phone(1))[-1] == (
        "request_rejected",
        f"Sorry — your request for {ten_text} and 1 more slot wasn't approved: "
        "Court 1 is being resurfaced",
    )
    assert len(inbox(system, phone(1))) == 2  # one notice for the request, not one per slot

    app.approve_request(ten, ben)
    assert inbox(system, phone(2))[-1][0] == "request_approved"
    assert "check-in QR code is under My requests" in inbox(system, phone(2))[-1][1]
    assert inbox(system, phone(3)) == [
        (
            "waitlist_cancelled",
            f"The slot you were waiting for, {ten_text}, has been booked by someone else. "
            "Your waitlist request has been cancelled.",
        )
    ]
    for number in (phone(1), phone(2), phone(3), PARENT):
        notices = inbox(system, number)
        assert all("CK1." not in text for _, text in notices), "a check-in code in a notice"
    assert cy is not None


def test_moves_and_lapses_are_told(system: System) -> None:
    app = system.app
    ana = app.register_player(name="Ana", phone=phone(1)).value
    app.register_player(name="Ben", phone=phone(2))
    (one, _), (two, two_text) = slot(system, "Court 1", 5), slot(system, "Court 2", 5)
    app.request_slots(phone=phone(1), slots=[{"match_id": one}])
    app.request_slots(phone=phone(2), slots=[{"match_id": one}])
    app.move_booking(one, ana, to_match_id=two)
    assert inbox(system, phone(1))[-1] == (
        "request_moved",
        f"The club moved your request to {two_text}. It's still pending approval.",
    )
    assert inbox(system, phone(2)) == [
        (
            "slot_changed",
            f"The slot you're waiting for has changed to {two_text}. "
            "You keep your place in the queue.",
        )
    ]
    system.engine.advance(by=5 * H)  # the slot starts; nobody decided
    assert inbox(system, phone(1))[-1][0] == "request_expired"
    assert inbox(system, phone(2))[-1] == (
        "waitlist_cancelled",
        f"Your waitlist request for {two_text} has been cancelled: The slot has started.",
    )
    assert app.get_match(two).pending_bookings() == []
