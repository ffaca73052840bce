"""The notification ledger, by hand for seed 004's flows A (tiered fill) and B (dropout)."""

from __future__ import annotations

from datetime import timedelta

from booking_domain.application import BookingApp
from processes.clock import ManualClock
from processes.engine import Engine as Timers
from tests.support import Club

M = timedelta(minutes=1)
H = timedelta(hours=1)


def test_flow_a_tier_by_tier(app: BookingApp, clock: ManualClock, engine: Timers) -> None:
    """Tier A is told when A opens, Tier B when B opens, Tier C when C opens (the
    match is full by then: they may join the waitlist); nobody is told twice."""
    club = Club(app, clock)
    tier_a = [club.player(f"A{i}", tier="A") for i in range(8)]
    tier_b = [club.player(f"B{i}", tier="B") for i in range(3)]
    tier_c = [club.player("C0")]
    start = clock.now()
    windows = {"a_open_at": start + H, "b_open_at": start + 25 * H, "c_open_at": start + 49 * H}
    match = club.match(
        capacity=10, kickoff_in=4 * 24 * H, invite_mode="tiered", tier_windows=windows
    )
    engine.advance(to=start + H)
    for p in tier_a:
        match.say(p, "IN")
    engine.advance(to=start + 25 * H)
    for p in tier_b[:2]:
        match.say(p, "IN")
    engine.advance(to=start + 50 * H)

    ledger = engine.outbox.ledger(match_id=match.match_id)
    told = sorted((e.queued_at, e.kind, e.player_id) for e in ledger)
    assert told == sorted(
        [(start + H, "tier_open", p.player_id) for p in tier_a]
        + [(start + 25 * H, "tier_open", p.player_id) for p in tier_b]
        + [(start + 49 * H, "tier_open", p.player_id) for p in tier_c]
    )
    assert {e.outcome for e in ledger} == {"sent"}
    assert all(e.sent_at == e.queued_at and e.channel for e in ledger)
    assert len({e.batch_key for e in ledger if e.player_id in {p.player_id for p in tier_a}}) == 1


def test_flow_b_offers_then_spot_filled(
    app: BookingApp, clock: ManualClock, engine: Timers
) -> None:
    """Everyone hears booking is open; later Kim, Lou and Max get the offer; Lou
    claims; Kim and Max hear the spot was filled. Ned, fourth in the queue, hears nothing more."""
    club = Club(app, clock)
    ins = club.players(*[f"In{i}" for i in range(9)])
    dan, kim, lou, max_, ned = club.players("Dan", "Kim", "Lou", "Max", "Ned")
    opened = clock.now()
    match = club.match(capacity=10, kickoff_in=22 * H)
    for p in (*ins, dan):
        match.say(p, "IN")
    for p in (kim, lou, max_, ned):
        match.say(p, "WAITLIST")
    clock.advance(H)
    match.say(dan, "OUT")
    engine.advance(by=2 * M)
    offered = clock.now()
    engine.advance(by=7 * M)
    match.claim(lou)

    ledger = engine.outbox.ledger(match_id=match.match_id)
    told = [(e.kind, e.player_id, e.queued_at) for e in ledger if e.kind != "digest"]
    everyone = (*ins, dan, kim, lou, max_, ned)
    assert sorted(told[: len(everyone)]) == sorted(
        ("tier_open", p.player_id, opened) for p in everyone
    )
    told = told[len(everyone) :]
    assert told[:3] == [
        ("waitlist_offer", kim.player_id, offered),
        ("waitlist_offer", lou.player_id, offered),
        ("waitlist_offer", max_.player_id, offered),
    ]
    assert sorted(told[3:]) == sorted(
        [("spot_filled", kim.player_id, clock.now()), ("spot_filled", max_.player_id, clock.now())]
    )
    assert [e.kind for e in ledger if e.player_id == ned.player_id] == ["tier_open"]
    assert len({e.batch_key for e in ledger if e.kind == "waitlist_offer"}) == 1
    # Seven minutes after their offer, "spot filled" waits for the 10-minute window.
    filled = [e for e in ledger if e.kind == "spot_filled"]
    assert {e.outcome for e in filled} == {"coalesced"}
    assert all(e.detail == f"coalesced into digest {e.digest_id}" for e in filled)
    assert {e.outcome for e in ledger if e.kind not in ("spot_filled", "digest")} == {"sent"}
    engine.advance(by=3 * M)
    digests = [e for e in engine.outbox.ledger(match_id=match.match_id) if e.kind == "digest"]
    assert sorted(d.player_id for d in digests) == sorted([kim.player_id, max_.player_id])
    assert {(d.outcome, d.sent_at) for d in digests} == {("sent", offered + 10 * M)}
    assert "someone claimed it first" in engine.outbox.inbox(kim.phone)[-1].text
    mine = engine.outbox.ledger(player_id=kim.player_id)
    assert [e.kind for e in mine] == ["tier_open", "waitlist_offer", "spot_filled", "digest"]
