"""The timing and eligibility tables of seed 004, to the minute."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking_domain import policies
from booking_domain.errors import ValidationError
from booking_domain.values import InviteMode, Tier, TierWindows
from tests.support import START

M = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("to_kickoff", "expected"),
    [
        (72 * H, 240 * M),  # days away: 4 h
        (24 * H, 240 * M),  # exactly 24 h is still "normally"
        (24 * H - M, 60 * M),  # under 24 h: 1 h
        (3 * H, 60 * M),
        (3 * H - M, 30 * M),  # under 3 h: 30 min
        (75 * M, 30 * M),
        (44 * M, 29 * M),  # clamped to kick-off − 15 min
        (40 * M, 25 * M),
        (30 * M, 15 * M),  # 15 min of room is the last real offer
        (29 * M, None),  # under 15 min of room: instant claim
        (15 * M, None),
        (0 * M, None),
        (-10 * M, None),
    ],
)
def test_offer_ttl_follows_the_seed_table(
    to_kickoff: timedelta, expected: timedelta | None
) -> None:
    kickoff = START + to_kickoff
    assert policies.offer_ttl(kickoff, START) == expected


@given(minutes=st.integers(min_value=-60, max_value=60 * 24 * 30), seconds=st.integers(0, 59))
def test_an_offer_never_runs_past_kickoff_minus_15(minutes: int, seconds: int) -> None:
    to_kickoff = timedelta(minutes=minutes, seconds=seconds)
    kickoff = START + to_kickoff
    ttl = policies.offer_ttl(kickoff, START)
    if to_kickoff < 30 * M:
        assert ttl is None
    else:
        assert ttl is not None
        assert ttl >= 5 * M
        assert START + ttl <= kickoff - 15 * M
        assert ttl <= 240 * M


@pytest.mark.parametrize(
    ("to_kickoff", "expected"),
    [
        (7 * 24 * H, 5 * M),
        (24 * H, 5 * M),
        (24 * H - M, 2 * M),
        (3 * H, 2 * M),
        (3 * H - M, 1 * M),
        (10 * M, 1 * M),
    ],
)
def test_grace_period_is_5_2_1_minutes(to_kickoff: timedelta, expected: timedelta) -> None:
    assert policies.grace_period(START + to_kickoff, START) == expected


@pytest.mark.parametrize(
    ("free", "fanout", "expected"),
    [(0, 3, 0), (1, 3, 3), (2, 3, 4), (5, 3, 7), (1, 1, 1), (3, 1, 3)],
)
def test_top_n_is_free_places_plus_fanout_minus_one(free: int, fanout: int, expected: int) -> None:
    assert policies.offers_to_issue(free, fanout) == expected


def _plan(**given: object) -> TierWindows:
    defaults: dict[str, object] = {
        "now": START,
        "kickoff_at": START + 7 * 24 * H,
        "a_open_at": None,
        "b_open_at": None,
        "c_open_at": None,
        "b_offset": 24 * H,
        "c_offset": 48 * H,
    }
    defaults.update(given)
    return policies.plan_tier_windows(**defaults)  # type: ignore[arg-type]


def test_tier_windows_default_to_a_now_b_plus_24h_c_plus_48h() -> None:
    windows = _plan()
    assert windows == TierWindows(START, START + 24 * H, START + 48 * H)


def test_past_tier_times_are_clamped_to_now() -> None:
    windows = _plan(a_open_at=START - 5 * H, b_open_at=START - H, c_open_at=START + H)
    assert windows == TierWindows(START, START, START + H)


def test_b_equal_to_c_is_the_two_window_flow() -> None:
    windows = _plan(b_open_at=START + 2 * H, c_open_at=START + 2 * H)
    assert windows.b_and_c_together


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"a_open_at": START + 5 * H, "b_open_at": START + 2 * H},
            "Tier B cannot open before Tier A",
        ),
        (
            {"b_open_at": START + 5 * H, "c_open_at": START + 2 * H},
            "Tier C cannot open before Tier B",
        ),
        ({"c_open_at": START + 8 * 24 * H}, "every tier must open before kick-off"),
    ],
)
def test_tier_windows_must_be_monotonic_and_before_kickoff(
    given: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        _plan(**given)


def test_default_windows_shrink_to_leave_every_tier_time_before_kickoff() -> None:
    windows = _plan(kickoff_at=START + 30 * H)
    # 24 h and 48 h would open C at kick-off: both shrink so C opens at 2/3 of 30 h.
    assert windows == TierWindows(START, START + 10 * H, START + 20 * H)


def test_a_tier_opening_at_kickoff_is_refused() -> None:
    with pytest.raises(ValidationError, match="before kick-off"):
        _plan(kickoff_at=START + 30 * H, c_open_at=START + 30 * H)


def test_tier_eligibility() -> None:
    windows = TierWindows(START, START + H, START + 2 * H)
    assert policies.is_tier_open(Tier.A, InviteMode.TIERED, windows, START)
    assert not policies.is_tier_open(Tier.B, InviteMode.TIERED, windows, START)
    assert policies.is_tier_open(Tier.B, InviteMode.TIERED, windows, START + H)
    assert not policies.is_tier_open(Tier.C, InviteMode.TIERED, windows, START + H)
    assert policies.is_tier_open(Tier.C, InviteMode.ALL, None, START)
