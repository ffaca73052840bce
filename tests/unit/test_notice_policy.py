"""The notification policy with the seed's numbers (seed 004 §5, §6.2): caps, duplicates,
digests, the 10-minute window, quiet hours; and as properties over any sequence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processes import notice_policy as policy
from processes.notice_policy import COALESCE, SEND, SUPPRESS, QuietHours, Told, decide

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
PLAYER, MATCH = uuid4(), uuid4()
M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
LONDON = ZoneInfo("Europe/London")


def told(kind: str, key: str = "k", *, ago: timedelta = 2 * H, outcome: str = "sent") -> Told:
    at = NOW - ago
    return Told(uuid4().hex, kind, key, outcome, at, at)


def run(kind: str, key: str = "new", *, kickoff_in: timedelta = 2 * D, before=(), **kw):
    return decide(
        kind=kind,
        batch_key=key,
        player_id=PLAYER,
        match_id=MATCH,
        now=NOW,
        kickoff=NOW + kickoff_in,
        told=list(before),
        **kw,
    )


# (what happened, kind, batch key, kick-off in, expected action, expected reason)
CASES = [
    ("first last call", "last_call", "last_call:12h", 12 * H, SEND, ""),
    ("3rd capped notice", "last_call", "last_call:3h", 3 * H, SEND, "", ["dropout", "dropout"]),
    ("4th capped notice", "dropout", "dropout:9", 20 * M, SUPPRESS, "cap", ["last_call"] * 3),
    ("4th mixes kinds", "last_call", "x", 3 * H, SUPPRESS, "cap", ["dropout", "last_call"] * 2),
    ("tier_open uncapped", "tier_open", "tier_open:B", 2 * D, SEND, "", ["tier_open"] * 5),
    ("offers uncapped", "waitlist_offer", "offer:9", 2 * H, SEND, "", ["waitlist_offer"] * 6),
    ("suppressed ones don't count", "last_call", "x", 3 * H, SEND, "", ["suppressed"] * 3),
]


@pytest.mark.parametrize(
    ("kind", "key", "kickoff_in", "action", "reason", "before"),
    [(c[1], c[2], c[3], c[4], c[5], c[6] if len(c) > 6 else []) for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_caps(kind, key, kickoff_in, action, reason, before) -> None:
    history = [
        told("last_call", f"old{n}", outcome="suppressed")
        if k == "suppressed"
        else told(k, f"o{n}")
        for n, k in enumerate(before)
    ]
    decision = run(kind, key, kickoff_in=kickoff_in, before=history)
    assert (decision.action, decision.reason) == (action, reason)


def test_the_ledger_says_why_a_notice_was_not_sent() -> None:
    decision = run("last_call", before=[told("last_call", f"k{n}") for n in range(3)])
    assert decision.detail == "suppressed: cap"


@pytest.mark.parametrize("kind", ["tier_open", "waitlist_offer", "last_call", "dropout"])
def test_the_same_batch_key_twice_is_a_duplicate(kind: str) -> None:
    first = told(kind, "tier_open:A+B")
    decision = run(kind, "tier_open:A+B", before=[first])
    assert decision.action == SUPPRESS
    assert decision.detail == f"suppressed: duplicate of {first.notice_id}"


@pytest.mark.parametrize("kind", ["cancellation", "demotion", "booking_confirmed"])
def test_other_kinds_are_never_deduplicated(kind: str) -> None:
    assert run(kind, "same", before=[told(kind, "same")]).action == SEND


@pytest.mark.parametrize(
    "kind",
    ["waitlist_offer", "cancellation", "payment_offer", "offer_expired", "dropout", "demotion"],
)
@pytest.mark.parametrize("kickoff_in", [10 * D, 3 * D, 20 * H, 10 * M])
def test_offers_and_cancellations_are_never_delayed(kind: str, kickoff_in: timedelta) -> None:
    recent = [told("tier_open", ago=M), told("spot_filled", ago=2 * M)]
    quiet = QuietHours(0, 23)
    decision = run(kind, kickoff_in=kickoff_in, before=recent, quiet=quiet)
    assert (decision.action, decision.due_at) == (SEND, NOW)


def test_more_than_five_days_out_tier_openings_wait_for_the_daily_digest() -> None:
    decision = run("tier_open", kickoff_in=6 * D, tz=LONDON)
    assert decision.action == COALESCE
    assert decision.due_at == datetime(2026, 12, 4, 9, 0, tzinfo=LONDON)
    later = Told(decision.digest_id or "", "digest", "digest", "pending", NOW, decision.due_at)
    second = decide(
        kind="spot_filled", batch_key="offer:1", player_id=PLAYER, match_id=MATCH,
        now=NOW + 3 * H, kickoff=NOW + 6 * D, told=[later], tz=LONDON,
    )  # fmt: skip
    assert (second.action, second.digest_id) == (COALESCE, decision.digest_id)


def test_between_five_days_and_a_day_they_go_at_once() -> None:
    assert run("tier_open", kickoff_in=3 * D, before=[told("tier_open", "x", ago=M)]).action == SEND


def test_within_a_day_a_second_notice_within_ten_minutes_waits_for_the_window() -> None:
    assert run("tier_open", kickoff_in=20 * H).action == SEND
    decision = run("spot_filled", kickoff_in=20 * H, before=[told("waitlist_offer", ago=4 * M)])
    assert decision.action == COALESCE
    assert decision.due_at == NOW + 6 * M
    assert run("spot_filled", kickoff_in=20 * H, before=[told("tier_open", ago=11 * M)]).action == (
        SEND
    )


def test_quiet_hours_hold_what_can_wait_until_they_end() -> None:
    quiet = QuietHours(22, 7)
    night = datetime(2026, 12, 3, 23, 30, tzinfo=LONDON)
    decision = decide(
        kind="tier_open", batch_key="tier_open:C", player_id=PLAYER, match_id=MATCH, now=night,
        kickoff=night + 2 * D, told=[], quiet=quiet, tz=LONDON,
    )  # fmt: skip
    assert (decision.action, decision.due_at) == (SEND, datetime(2026, 12, 4, 7, tzinfo=LONDON))
    assert decision.detail == "held for quiet hours until 07:00"
    last_call = decide(
        kind="last_call", batch_key="last_call:12h", player_id=PLAYER, match_id=MATCH, now=night,
        kickoff=night + 12 * H, told=[], quiet=quiet, tz=LONDON,
    )  # fmt: skip
    assert last_call.due_at == night  # "no quiet hours" for last calls, as the seed says


def test_quiet_hours_never_hold_a_notice_past_kick_off() -> None:
    night = datetime(2026, 12, 3, 23, 30, tzinfo=LONDON)
    decision = decide(
        kind="tier_open", batch_key="t", player_id=PLAYER, match_id=MATCH, now=night,
        kickoff=night + 2 * H, told=[], quiet=QuietHours(22, 7), tz=LONDON,
    )  # fmt: skip
    assert decision.due_at == night


def test_the_daily_digest_moves_out_of_quiet_hours() -> None:
    decision = run("tier_open", kickoff_in=9 * D, quiet=QuietHours(6, 10), tz=LONDON)
    assert decision.due_at.astimezone(LONDON).hour == 10


# ---------------------------------------------------------------- properties

KINDS = sorted({*policy.CAPPED, *policy.DEDUPED, *policy.BATCHED, "cancellation", "demotion"})
steps = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(["a", "b", "c", "d"]),
        st.integers(min_value=0, max_value=6 * 60),  # minutes since the previous notice
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(steps, st.sampled_from([30 * M, 20 * H, 3 * D, 8 * D]))
def test_no_player_ever_gets_a_fourth_capped_notice_for_a_match(steps, kickoff_in) -> None:
    """Whatever arrives, in whatever order, at most three dropout / last-call notices
    are told (sent, pending or in a digest); every other one says why it was not."""
    now = NOW
    kickoff = NOW + kickoff_in + 7 * H * len(steps)
    ledger: list[Told] = []
    for kind, key, gap in steps:
        now += timedelta(minutes=gap)
        decision = decide(
            kind=kind, batch_key=key, player_id=PLAYER, match_id=MATCH, now=now,
            kickoff=kickoff, told=ledger,
        )  # fmt: skip
        outcome = {SEND: "pending", SUPPRESS: "suppressed", COALESCE: "coalesced"}[decision.action]
        if decision.action == COALESCE:
            assert decision.digest_id
            if not any(t.notice_id == decision.digest_id for t in ledger):
                ledger.append(
                    Told(decision.digest_id, "digest", "digest", "pending", now, decision.due_at)
                )
        if decision.action == SUPPRESS:
            assert decision.detail.startswith("suppressed: ")
        assert decision.due_at >= now
        if kind not in policy.BATCHED:
            assert decision.due_at == now  # never delayed
        ledger.append(Told(uuid4().hex, kind, key, outcome, now, decision.due_at))
        # digests that fell due have gone out
        ledger = [
            t if not (t.kind == "digest" and t.due_at <= now) else Told(
                t.notice_id, t.kind, t.batch_key, "sent", t.queued_at, t.due_at
            )
            for t in ledger
        ]  # fmt: skip
    capped = [t for t in ledger if t.kind in policy.CAPPED and t.outcome in policy.TOLD]
    assert len(capped) <= policy.CAP
    deduped = [
        (t.kind, t.batch_key)
        for t in ledger
        if t.kind in policy.DEDUPED and t.outcome != "suppressed"
    ]
    assert len(deduped) == len(set(deduped))


# ------------------------------------------------- through the outbox, as written

notices = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(["a", "b", "c"]),
        st.integers(min_value=0, max_value=120),  # minutes since the previous event
        st.integers(min_value=0, max_value=1),  # which player
    ),
    max_size=30,
)


@settings(max_examples=100, deadline=None)
@given(notices, st.sampled_from([2 * H, 20 * H, 3 * D, 8 * D]))
def test_the_outbox_never_tells_a_player_a_fourth_capped_notice(steps, kickoff_in) -> None:
    """The policy as the outbox applies it, each notice in its own write: per player and
    match, at most three capped notices are told, and every row says what became of it."""
    import threading

    from processes.notices import Notice
    from processes.outbox import Outbox
    from processes.sidestore import MemorySideStore

    outbox = Outbox(MemorySideStore(threading.RLock()))
    players = [uuid4(), uuid4()]
    now, kickoff = NOW, NOW + kickoff_in + 2 * H * len(steps)
    for position, (kind, key, gap, who) in enumerate(steps, start=1):
        now += timedelta(minutes=gap)
        notice = Notice(position, players[who], MATCH, kind, key, kind, now, kickoff=kickoff)
        with outbox.side.transaction() as tx:
            outbox.add(tx, [notice])
    rows = outbox.rows()
    for player in players:
        told = [
            r for r in rows
            if r["player_id"] == player.hex and r["kind"] in policy.CAPPED
            and r["status"] in policy.TOLD
        ]  # fmt: skip
        assert len(told) <= policy.CAP
    for r in rows:
        if r["status"] == "suppressed":
            assert r["detail"].startswith("suppressed: ")
        if r["status"] == "coalesced":
            assert r["detail"] == f"coalesced into digest {r['digest_id']}"
            assert any(d["id"] == r["digest_id"] and d["kind"] == "digest" for d in rows)
