"""Seed 004's timing stories, end to end: commands, then the test clock fires the timers.

Nothing here calls a timer command by hand: time moves (``engine.advance``) and
whatever fell due on the way runs at its due moment, as the worker would, and
what players are told lands in the dev inbox.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking_domain.application import BookingApp
from booking_domain.timers import TimerKind
from processes.clock import ManualClock
from processes.engine import Engine
from tests.support import Club, MatchHandle, Person

M = timedelta(minutes=1)
H = timedelta(hours=1)


def texts(engine: Engine, who: Person) -> list[str]:
    return [m.text for m in engine.outbox.inbox(who.phone)]


def kinds(engine: Engine, who: Person) -> list[str]:
    return [m.kind for m in engine.outbox.inbox(who.phone)]


def full_with_queue(
    club: Club, kickoff_in: timedelta, queue: int = 4
) -> tuple[MatchHandle, list[Person], list[Person]]:
    ins = club.players(*[f"In{i}" for i in range(2)])
    waiting = club.players(*[f"Wait{i}" for i in range(queue)])
    match = club.match(capacity=2, kickoff_in=kickoff_in)
    for p in ins:
        match.say(p, "IN")
    for p in waiting:
        match.say(p, "WAITLIST")
    return match, ins, waiting


@pytest.mark.parametrize(
    ("kickoff_in", "grace"),
    [(3 * 24 * H, 5 * M), (20 * H, 2 * M), (2 * H, 1 * M)],
    ids=["5 min", "2 min under 24 h", "1 min under 3 h"],
)
def test_grace_period_then_offers_to_the_top_three(
    club: Club, clock: ManualClock, engine: Engine, kickoff_in: timedelta, grace: timedelta
) -> None:
    match, ins, waiting = full_with_queue(club, kickoff_in)
    match.say(ins[0], "OUT")
    engine.advance(by=grace - timedelta(seconds=1))
    assert match.offered() == [], "offers went out during the grace period"
    engine.advance(by=timedelta(seconds=1))
    assert match.offered() == [p.player_id for p in waiting[:3]]
    for p in waiting[:3]:
        assert kinds(engine, p)[-1] == "waitlist_offer"
    assert "waitlist_offer" not in kinds(engine, waiting[3])


@pytest.mark.parametrize(
    ("kickoff_in", "ttl"),
    [
        (3 * 24 * H, 240 * M),
        (10 * H, 60 * M),
        (2 * H, 30 * M),
        (40 * M, 25 * M),  # released at once: clamped to kick-off - 15 min
    ],
    ids=["4 h", "1 h under 24 h", "30 min under 3 h", "clamped to kick-off - 15 min"],
)
def test_offers_last_their_ttl_then_cascade(
    club: Club, clock: ManualClock, engine: Engine, kickoff_in: timedelta, ttl: timedelta
) -> None:
    match, ins, waiting = full_with_queue(club, kickoff_in, queue=6)
    kickoff = match.match.kickoff_at
    match.drop_and_release(ins[0])
    offered_at = clock.now()
    first = [p.player_id for p in waiting[:3]]
    assert match.offered() == first
    assert {o.expires_at for o in match.waitlist.offers} == {offered_at + ttl}
    assert all(o.expires_at <= kickoff - 15 * M for o in match.waitlist.offers)
    assert f"Expires in {_countdown(ttl)}." in texts(engine, waiting[0])[-1]

    fired = engine.advance(by=ttl)
    assert any(t.kind == TimerKind.OFFER_EXPIRY and t.due_at == offered_at + ttl for t in fired)
    if kickoff - clock.now() > 30 * M:
        assert match.offered() == [p.player_id for p in waiting[3:6]], "no cascade to the next 3"
        assert kinds(engine, waiting[3])[-1] == "waitlist_offer"
    else:
        assert match.offered() == [], "offers inside the last 15 minutes"
    for p in waiting[:3]:
        assert kinds(engine, p)[-1] == "offer_expired"
        assert match.status(p) == "WAITLIST"


def _countdown(ttl: timedelta) -> str:
    minutes = int(ttl.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours}h" if hours and not rest else f"{hours}h {rest}min" if hours else f"{rest} min"


def test_change_of_mind_within_grace_cancels_the_round(
    club: Club, clock: ManualClock, engine: Engine
) -> None:
    match, ins, waiting = full_with_queue(club, 3 * 24 * H)
    match.say(ins[0], "OUT")
    assert TimerKind.GRACE_END in {t.kind for t in _timers(engine, match)}
    engine.advance(by=3 * M)
    match.say(ins[0], "IN")
    assert TimerKind.GRACE_END not in {t.kind for t in _timers(engine, match)}
    engine.advance(by=1 * H)
    assert match.status(ins[0]) == "IN"
    assert match.offered() == []
    assert all("waitlist_offer" not in kinds(engine, p) for p in waiting)


def _timers(engine: Engine, match: MatchHandle) -> list[TimerKindRow]:
    with engine.side.transaction() as tx:
        rows = tx.execute(
            f"SELECT kind, due_us FROM {engine.side.t['booking_timers']} WHERE match_id = %s",  # noqa: S608
            [match.match_id.hex],
        ).rows()
    return [TimerKindRow(TimerKind(r["kind"]), r["due_us"]) for r in rows]


class TimerKindRow:
    def __init__(self, kind: TimerKind, due_us: int) -> None:
        self.kind, self.due_us = kind, due_us


def test_first_claim_wins_and_the_others_are_told_spot_filled(club: Club, engine: Engine) -> None:
    match, ins, waiting = full_with_queue(club, 3 * 24 * H)
    match.drop_and_release(ins[0])
    match.claim(waiting[1])
    assert match.status(waiting[1]) == "IN"
    for p in (waiting[0], waiting[2]):
        assert kinds(engine, p)[-1] == "spot_filled"
        assert match.status(p) == "WAITLIST"
    assert "spot_filled" not in kinds(engine, waiting[3])


def test_instant_claim_in_the_last_30_minutes(
    club: Club, clock: ManualClock, engine: Engine
) -> None:
    match, ins, waiting = full_with_queue(club, 2 * H, queue=3)
    engine.advance(to=match.match.kickoff_at - 31 * M)
    assert match.match.instant_claim_started_at is None
    engine.advance(by=2 * M)  # under 30 minutes to go now
    assert match.match.instant_claim_started_at is not None
    assert all("Spot just opened" not in t for p in waiting for t in texts(engine, p)), (
        "first tap announced with no free place"
    )
    match.say(ins[0], "OUT")
    engine.advance(by=1 * M)  # grace is 1 minute under 3 h
    assert match.offered() == [], "an offer with under 30 minutes to go"
    for p in waiting:
        assert "Spot just opened" in texts(engine, p)[-1]
    match.claim(waiting[2])  # first tap wins, whoever it is
    assert match.status(waiting[2]) == "IN"


def test_offers_end_at_kick_off_minus_15(club: Club, clock: ManualClock, engine: Engine) -> None:
    match, ins, waiting = full_with_queue(club, 40 * M, queue=3)
    match.drop_and_release(ins[0])
    kickoff = match.match.kickoff_at
    assert {o.expires_at for o in match.waitlist.offers} == {kickoff - 15 * M}
    engine.advance(to=kickoff - 15 * M)
    assert match.offered() == []
    assert all(kinds(engine, p)[-1] == "offer_expired" for p in waiting)


def test_last_calls_at_t_minus_12h_and_3h_with_the_6h_cooldown(
    club: Club, clock: ManualClock, engine: Engine, app: BookingApp
) -> None:
    keen, flexible, firm = club.players("Keen", "Flexible", "Firm")
    ringer = club.player("Ringer", ringer=True)
    booked = club.players("B1", "B2")
    match = club.match(capacity=4, kickoff_in=2 * 24 * H)
    for p in booked:
        match.say(p, "IN")
    match.say(flexible, "OUT", out_flexible=True)
    match.say(firm, "OUT")
    kickoff = match.match.kickoff_at

    engine.advance(to=kickoff - 12 * H)
    called = "We're 2 short for"
    assert called in texts(engine, keen)[-1]
    assert called in texts(engine, flexible)[-1]
    for p in (firm, ringer, *booked):
        assert not any(called in t for t in texts(engine, p))

    # The organiser calls again at T−5h; a newcomer registers after that.
    engine.advance(to=kickoff - 5 * H)
    assert set(app.send_last_call(match.match_id).value) == {keen.player_id, flexible.player_id}
    late = club.player("Late")
    engine.advance(to=kickoff - 3 * H)
    assert sum(called in t for t in texts(engine, keen)) == 2, "called within 6 h of the last"
    assert sum(called in t for t in texts(engine, late)) == 1
    assert set(match.match.last_calls) == {"T-12h", "manual", "T-3h"}


def test_no_last_call_when_the_match_is_full(club: Club, engine: Engine) -> None:
    booked = club.players("B1", "B2")
    idle = club.player("Idle")
    match = club.match(capacity=2, kickoff_in=2 * 24 * H)
    for p in booked:
        match.say(p, "IN")
    engine.advance(to=match.match.kickoff_at - 1 * H)
    assert "last_call" not in kinds(engine, idle)
    assert set(match.match.last_calls) == {"T-12h", "T-3h"}


def tiered_match(club: Club, clock: ManualClock, *, b_after: timedelta, c_after: timedelta) -> None:
    """Kick-off in four days; Tier A opens now, B and C after these."""
    now = clock.now()
    club.match(
        kickoff_in=4 * 24 * H,
        invite_mode="tiered",
        tier_windows={"a_open_at": now, "b_open_at": now + b_after, "c_open_at": now + c_after},
    )


def test_tier_open_notices_at_each_window(club: Club, clock: ManualClock, engine: Engine) -> None:
    a, b, c = (
        club.player("Ace", tier="A"),
        club.player("Bee", tier="B"),
        club.player("Cee", tier="C"),
    )
    tiered_match(club, clock, b_after=24 * H, c_after=24 * H)
    engine.advance(by=0 * M)
    assert kinds(engine, a) == ["tier_open"] and "Tier A can now book" in texts(engine, a)[0]
    assert kinds(engine, b) == [] and kinds(engine, c) == []
    engine.advance(by=24 * H)
    assert "Tiers B+C can now book" in texts(engine, b)[0]
    assert "Tiers B+C can now book" in texts(engine, c)[0]
    assert kinds(engine, a) == ["tier_open"]


def test_cancellation_and_demotion_notices(club: Club, engine: Engine, app: BookingApp) -> None:
    match, ins, waiting = full_with_queue(club, 3 * 24 * H, queue=2)
    app.change_capacity(match.match_id, 1)
    demoted = [p for p in ins if match.status(p) == "WAITLIST"]
    assert len(demoted) == 1 and kinds(engine, demoted[0])[-1] == "demotion"
    app.cancel_match(match.match_id, reason="Pitch waterlogged")
    for p in (*ins, *waiting):
        assert texts(engine, p)[-1].endswith("has been cancelled: Pitch waterlogged")


def test_muted_players_are_told_nothing(club: Club, engine: Engine, app: BookingApp) -> None:
    quiet = club.player("Quiet")
    app.update_player(quiet.player_id, muted=True)
    club.match(kickoff_in=3 * 24 * H)
    engine.advance(by=0 * M)
    assert engine.outbox.inbox(quiet.phone) == []
    assert [r["status"] for r in engine.outbox.rows() if r["player_id"] == quiet.player_id.hex] == [
        "suppressed"
    ]


def test_a_late_timer_fires_at_once_and_leaves_the_same_state(
    club: Club, clock: ManualClock, engine: Engine
) -> None:
    """A worker that was down: the clock jumps, every overdue timer runs in due order."""
    match, ins, waiting = full_with_queue(club, 3 * 24 * H, queue=6)
    match.say(ins[0], "OUT")
    fired = engine.advance(by=9 * H)  # grace (5 min), then two rounds of 4 h offers
    kinds_fired = [t.kind for t in fired]
    assert kinds_fired[:3] == [TimerKind.GRACE_END, TimerKind.OFFER_EXPIRY, TimerKind.OFFER_EXPIRY]
    assert [t.due_at for t in fired] == sorted(t.due_at for t in fired)
    assert all(kinds(engine, p).count("offer_expired") == 1 for p in waiting)


def test_tier_open_follows_the_players_current_tier_and_ringer_flag(
    club: Club, clock: ManualClock, engine: Engine, app: BookingApp
) -> None:
    promoted, guest = club.player("Promoted", tier="C"), club.player("Guest", tier="A")
    app.update_player(promoted.player_id, tier="A")
    app.update_player(guest.player_id, is_ringer=True)
    tiered_match(club, clock, b_after=24 * H, c_after=48 * H)
    engine.advance(by=0 * M)
    assert kinds(engine, promoted) == ["tier_open"]
    assert kinds(engine, guest) == [], "a ringer was invited without the club's say-so"
