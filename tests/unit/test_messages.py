"""The copy of notices (seed 004 §18) and the rules that pick timers, without I/O."""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking_domain import policies
from processes import messages
from processes.delivery import LogChannel, Message, redact
from tests.support import START, phone


@pytest.mark.parametrize(
    ("left", "shown"),
    [
        (timedelta(hours=4), "4h"),
        (timedelta(hours=1), "1h"),
        (timedelta(minutes=90), "1h 30min"),
        (timedelta(minutes=25), "25 min"),
        (timedelta(minutes=5), "5 min"),
    ],
)
def test_countdown_reads_like_the_seed(left: timedelta, shown: str) -> None:
    assert messages.countdown(left) == shown


@pytest.mark.parametrize(
    ("tiers", "text"),
    [
        (
            ["A"],
            "Booking open for Tue 24 Nov 19:00. Tier A can now book. Tap to RSVP: ✅ IN | ❌ OUT",
        ),
        (
            ["B", "C"],
            "Booking open for Tue 24 Nov 19:00. Tiers B+C can now book. "
            "Tap to RSVP: ✅ IN | ❌ OUT",
        ),
        (["A", "B", "C"], "Booking open for Tue 24 Nov 19:00. Tap to RSVP: ✅ IN | ❌ OUT"),
    ],
)
def test_tier_open_copy(tiers: list[str], text: str) -> None:
    assert messages.tiers_open(tiers, "Tue 24 Nov 19:00") == text


@given(st.integers(1, 2000))
def test_redact_hides_every_phone_number(n: int) -> None:
    number = phone(n)
    national = "0" + number[3:]
    spaced = f"{national[:5]} {national[5:]}"
    for shown in (number, national, spaced):
        assert number[-6:] not in redact(f"call {shown} now")


def test_redact_keeps_dates_and_hides_numbers_beside_them() -> None:
    number = phone(12)
    line = f"GET /portal/courts?date=2026-11-25 for {number}"
    assert redact(line) == "GET /portal/courts?date=2026-11-25 for [phone]"


def test_the_log_channel_never_writes_a_phone_number(caplog: pytest.LogCaptureFixture) -> None:
    number = phone(7)
    message = Message("x", uuid4(), number, "last_call", f"Ring {number}", START)
    with caplog.at_level(logging.INFO, logger="booking.delivery"):
        LogChannel().send(None, message)  # type: ignore[arg-type]
    assert caplog.records, "nothing was logged"
    assert number not in caplog.text and number[-6:] not in caplog.text


def test_instant_claim_starts_exactly_when_offers_stop_having_a_hold() -> None:
    kickoff = START + timedelta(hours=2)
    moment = policies.instant_claim_from(kickoff)
    assert policies.offer_ttl(kickoff, moment) is None
    assert policies.offer_ttl(kickoff, moment - timedelta(microseconds=1)) is not None
