"""The activity feed read model, against hand-written lines for seed 004's flow B."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from booking_domain.application import BookingApp
from processes.clock import ManualClock
from processes.engine import Engine as Timers
from projections.activity import ActivityFeed, activity_of
from projections.database import views_engine
from projections.runner import ProjectionRunner
from projections.tables import activity
from tests.support import Club, Person

M = timedelta(minutes=1)
H = timedelta(hours=1)


def feed(app: BookingApp, match_id: object, *, batch: int = 500) -> list[str]:
    views = ProjectionRunner(app, views_engine("memory", None), [ActivityFeed()], batch=batch)
    views.catch_up()
    with views.engine.connect() as conn:
        rows = conn.execute(
            select(activity.c.text)
            .where(activity.c.match_id == match_id)
            .order_by(activity.c.position)
        )
        return [r.text for r in rows]


def test_flow_b_reads_as_a_story(app: BookingApp, clock: ManualClock, engine: Timers) -> None:
    club = Club(app, clock)
    regulars = club.players(*[f"R{i}" for i in range(9)])
    sam, ana, ben, cal, dee = club.players("Sam", "Ana", "Ben", "Cal", "Dee")
    clock.set(clock.now().replace(hour=19))  # 19:00 on Monday
    match = club.match(capacity=10, kickoff_in=22 * H)
    for p in (*regulars, sam):
        match.say(p, "IN")
    for p in (ana, ben, cal, dee):
        match.say(p, "WAITLIST")
    match.say(sam, "OUT")
    engine.advance(by=5 * M)
    match.claim(ben)
    lines = feed(app, match.match_id)
    assert "Sam dropped out — grace until 19:02." in lines
    assert "Spot offered to Ana, Ben and Cal until 20:02 (batch 1)." in lines
    assert "Spot filled — Ana and Cal keep their places in the queue." in lines
    # However the log is cut into batches, the feed reads the same.
    assert feed(app, match.match_id, batch=1) == lines
    views = ProjectionRunner(app, views_engine("memory", None), [ActivityFeed()])
    views.catch_up()
    with views.engine.connect() as conn:
        newest_first = activity_of(conn, match.match_id)
    assert [r["text"] for r in newest_first] == lines[::-1]
    assert newest_first[0]["at"] == clock.now() and newest_first[0]["at"].tzinfo is not None


def test_a_ringer_who_books_themselves_is_named_in_the_feed(
    app: BookingApp, clock: ManualClock
) -> None:
    """The ringer's registration and their IN are one write; the log has the
    registration first, so the feed can say who came."""
    app.change_settings({"enable_ringer_self_book": True})
    club = Club(app, clock)
    match = club.match(capacity=4)
    match.say(Person(None, "Rory", "+441914980777"), "IN", name="Rory")  # type: ignore[arg-type]
    assert "Rory is IN." in feed(app, match.match_id)
