"""The offer log read model: hand-computed for seed 004's flow B, and rebuild == live."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from booking_domain.application import BookingApp
from processes.clock import ManualClock
from processes.engine import Engine as Timers
from projections.database import views_engine
from projections.offer_log import OfferLog, offers_of
from projections.runner import ProjectionRunner
from projections.tables import offer_log
from tests.support import Club

M = timedelta(minutes=1)
H = timedelta(hours=1)


def runner(app: BookingApp, engine: Engine | None = None) -> ProjectionRunner:
    return ProjectionRunner(app, engine or views_engine("memory", None), [OfferLog()])


def test_flow_b_offer_log(app: BookingApp, clock: ManualClock, engine: Timers) -> None:
    """Dan drops out the night before; Kim, Lou, Max offered for 1 h; Lou claims at +7 min."""
    club = Club(app, clock)
    ins = club.players(*[f"In{i}" for i in range(9)])
    dan, kim, lou, max_, ned = club.players("Dan", "Kim", "Lou", "Max", "Ned")
    match = club.match(capacity=10, kickoff_in=22 * H + 2 * M)
    for p in (*ins, dan):
        match.say(p, "IN")
    for p in (kim, lou, max_, ned):
        match.say(p, "WAITLIST")
    match.say(dan, "OUT")
    engine.advance(by=2 * M)  # grace under 24 h
    offered_at = clock.now()
    engine.advance(by=7 * M)
    match.claim(lou)
    views = runner(app)
    views.catch_up()
    with views.engine.connect() as conn:
        log = offers_of(conn, match.match_id)
    assert sorted(r["player_id"] for r in log) == sorted(p.player_id for p in (kim, lou, max_))
    assert {r["batch"] for r in log} == {1}
    by_player = {r["player_id"]: r for r in log}
    assert by_player[lou.player_id]["outcome"] == "claimed"
    for loser in (kim, max_):
        assert (by_player[loser.player_id]["outcome"], by_player[loser.player_id]["reason"]) == (
            "superseded",
            "spot_filled",
        )
    assert all(r["issued_at"] == offered_at for r in log)
    assert all(r["expires_at"] == offered_at + 1 * H for r in log)
    assert all(r["ended_at"] == offered_at + 7 * M for r in log)


def test_an_expired_offer_ends_at_its_deadline_even_if_recorded_late(
    app: BookingApp, clock: ManualClock
) -> None:
    club = Club(app, clock)
    ins, waiting = club.players("A", "B"), club.players("C")
    match = club.match(capacity=2, kickoff_in=3 * 24 * H)
    for p in ins:
        match.say(p, "IN")
    match.say(waiting[0], "WAITLIST")
    match.drop_and_release(ins[0])
    deadline = match.waitlist.offers[0].expires_at
    clock.set(deadline + 3 * H)  # no timer ran: the next command catches up
    match.tick()
    views = runner(app)
    views.catch_up()
    with views.engine.connect() as conn:
        (row,) = offers_of(conn, match.match_id)
    assert row["outcome"] == "expired" and row["ended_at"] == deadline


def table_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(offer_log).order_by(offer_log.c.offer_id))]


def test_a_projector_killed_mid_batch_resumes_without_gaps_or_doubles(
    app: BookingApp, clock: ManualClock
) -> None:
    club = Club(app, clock)
    ins, waiting = club.players("A", "B"), club.players("C", "D", "E")
    match = club.match(capacity=2, kickoff_in=3 * 24 * H)
    for p in ins:
        match.say(p, "IN")
    for p in waiting:
        match.say(p, "WAITLIST")
    match.drop_and_release(ins[0])
    views = runner(app)
    projector = views.projectors[0]
    original = projector.apply
    seen = 0

    def dies_on_the_second_offer(conn: object, event: object, position: int) -> None:
        nonlocal seen
        original(conn, event, position)  # type: ignore[arg-type]
        if type(event).__name__ == "OfferIssued":
            seen += 1
            if seen == 2:
                raise KeyboardInterrupt  # the process is killed here

    projector.apply = dies_on_the_second_offer  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        views.catch_up()
    assert views.position(projector) == 0 and table_rows(views.engine) == []
    projector.apply = original  # type: ignore[method-assign]
    views.catch_up()
    fresh = runner(app)
    fresh.catch_up()
    assert table_rows(views.engine) == table_rows(fresh.engine)
    assert len(table_rows(views.engine)) == 3
