"""The runners: the embedded timer thread, the composition root, and delivery exactly once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from booking.bootstrap import Settings, build_system
from booking_domain.application import BookingApp
from processes.clock import ManualClock
from processes.engine import EmbeddedRunner, Engine
from projections.database import views_engine
from projections.runner import ProjectionRunner, every_projector
from tests.support import START, Club, phone

M = timedelta(minutes=1)


def wait_for(condition: object, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_the_embedded_thread_fires_a_grace_end_when_it_falls_due(
    app: BookingApp, clock: ManualClock
) -> None:
    engine = Engine(app)
    runner = EmbeddedRunner(engine, idle_seconds=0.05).start()
    app.after_write.append(lambda _p: runner.poke())
    try:
        club = Club(app, clock)
        ins, waiting = club.players("Ana", "Ben"), club.players("Cal")
        match = club.match(capacity=2, kickoff_in=timedelta(days=3))
        for p in ins:
            match.say(p, "IN")
        match.say(waiting[0], "WAITLIST")
        match.say(ins[0], "OUT")
        time.sleep(0.2)
        assert match.offered() == [], "fired before it was due"
        clock.advance(5 * M)
        assert wait_for(lambda: match.offered() == [waiting[0].player_id])
        assert wait_for(
            lambda: (
                [m.kind for m in engine.outbox.inbox(waiting[0].phone)][-1:] == ["waitlist_offer"]
            )
        )
    finally:
        runner.stop()


def test_settings_choose_the_clock_and_the_runner(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"BOOKING_DATA_DIR": str(tmp_path), "BOOKING_TEST_CLOCK": "1", "REDIS_URL": ""}
    )
    assert settings.test_clock and settings.runs_embedded
    system = build_system(settings, ManualClock(START))
    try:
        assert system.runner is None  # the test clock drives everything
        club = Club(system.app, system.app.clock)  # type: ignore[arg-type]
        ana = club.player("Ana")
        club.match()
        assert [m.kind for m in system.engine.outbox.inbox(ana.phone)] == ["tier_open"], (
            "a write did not settle the notices at once"
        )
    finally:
        system.close()
    production = Settings.from_env({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert not production.runs_embedded and not production.test_clock


def test_a_notice_is_delivered_once_however_often_it_is_handed_out(
    app: BookingApp, clock: ManualClock
) -> None:
    engine = Engine(app, enqueue=lambda _id: None)  # as in production: queued, not delivered
    club = Club(app, clock)
    people = club.players(*[f"P{i}" for i in range(6)])
    club.match()
    engine.tick()
    pending = engine.outbox.pending_ids()
    assert len(pending) == len(people)
    # Redelivered messages, racing each other: every notice still arrives once.
    threads = [
        threading.Thread(target=lambda: [engine.deliverer.deliver(i) for i in pending])
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert engine.outbox.inbox_size() == len(people)
    assert all(len(engine.outbox.inbox(p.phone)) == 1 for p in people)
    assert engine.outbox.counts() == {"sent": len(people)}


def test_a_process_manager_resumes_where_it_stopped(app: BookingApp, clock: ManualClock) -> None:
    """A crash mid-batch loses the batch's rows and position together: nothing missed or doubled."""
    engine = Engine(app)
    club = Club(app, clock)
    people = club.players(*[f"P{i}" for i in range(5)])
    club.match()
    engine.pump.run_due(clock.now())

    class Crash(BaseException):
        """The process dying (a signal, the machine going away), not an event it cannot handle:
        that would be an ``Exception``, and the manager would stop at it (test_stalls.py)."""

    manager = engine.notices.manager
    original = manager.record

    def crashing(tx: object, effects: list[object]) -> None:
        original(tx, effects)  # type: ignore[arg-type]
        raise Crash  # the process dies after writing half its work

    manager.record = crashing  # type: ignore[method-assign]
    with pytest.raises(Crash):
        engine.notices.catch_up()
    assert engine.notices.position() == 0 and engine.outbox.rows() == []
    manager.record = original  # type: ignore[method-assign]
    engine.settle()
    assert sorted(r["player_id"] for r in engine.outbox.rows()) == sorted(
        p.player_id.hex for p in people
    )
    assert engine.notices.position() == app.recorder.max_notification_id()


def test_embedded_read_models_are_current_when_a_command_returns(tmp_path: Path) -> None:
    from projections.offer_log import offers_of

    system = build_system(Settings(data_dir=tmp_path, test_clock=True), ManualClock(START))
    try:
        club = Club(system.app, system.app.clock)  # type: ignore[arg-type]
        ins, waiting = club.players("Ana", "Ben"), club.players("Cal")
        match = club.match(capacity=2)
        for p in ins:
            match.say(p, "IN")
        match.say(waiting[0], "WAITLIST")
        match.drop_and_release(ins[0])
        views = system.engine.views
        assert views is not None
        with views.engine.connect() as conn:  # type: ignore[attr-defined]
            (offer,) = offers_of(conn, match.match_id)
        assert offer["player_id"] == waiting[0].player_id and offer["outcome"] == "open"
    finally:
        system.close()


def test_embedded_default_reads_its_own_writes(tmp_path: Path) -> None:
    """No test clock, no Redis: each command returns with every read model at its position."""
    from projections.match_views import match_dashboard

    system = build_system(Settings(data_dir=tmp_path))
    try:
        app = system.app
        views = system.engine.views
        assert isinstance(views, ProjectionRunner)
        ana = app.register_player(name="Ana", phone=phone(1)).value
        mid = app.schedule_match(
            title="Friday",
            kickoff_at=app.clock.now() + timedelta(days=2),
            location="Park",
            capacity=1,
        ).value
        token = app.enable_booking(mid).value
        done = app.respond(match_id=mid, token=token, phone=phone(1), action="IN")
        assert done.position is not None and views.current_to() >= done.position
        with views.engine.connect() as conn:
            board = match_dashboard(conn, mid)
        assert board is not None and board["booked"] == 1
        assert {p["player_id"]: p["status"] for p in board["players"]} == {ana: "IN"}
    finally:
        system.close()


def test_a_read_waits_for_a_position_but_not_for_ever(app: BookingApp, clock: ManualClock) -> None:
    """Production reads pass the position of the caller's last write; they wait,
    bounded, for a worker to get there, and say so if it did not."""
    views = ProjectionRunner(app, views_engine("memory", None), every_projector())
    club = Club(app, clock)
    (ana,) = club.players("Ana")
    match = club.match(capacity=2)
    done = match.say(ana, "IN")
    assert done.position is not None
    started = time.monotonic()
    assert not views.wait_for(done.position, timeout=0.2, help_out=False)
    assert time.monotonic() - started < 2
    worker = threading.Timer(0.1, views.catch_up)
    worker.start()
    assert views.wait_for(done.position, timeout=5.0, help_out=False)
    worker.join()
    assert views.current_to() >= done.position


def test_a_failing_views_database_never_fails_a_committed_command(
    app: BookingApp, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    from booking.bootstrap import views_current_after_each_write

    views = ProjectionRunner(app, views_engine("memory", None), every_projector())
    views.engine.dispose()

    def broken(*_args: object, **_kwargs: object) -> int:
        raise OSError("disk full")

    views.catch_up = broken  # type: ignore[method-assign]
    app.after_write.append(views_current_after_each_write(views))
    club = Club(app, clock)
    (ana,) = club.players("Ana")
    match = club.match(capacity=2)
    done = match.say(ana, "IN")
    assert done.position is not None and match.status(ana) == "IN"
    assert "could not catch up" in caplog.text
