"""The club ``make run`` serves: every state a newcomer should be able to click through."""

from __future__ import annotations

from typing import Any

from booking import showcase
from projections.match_views import match_dashboard, match_list


def test_the_showcase_has_a_match_in_every_state(web: Any) -> None:
    club = web.extensions["booking"]
    assert showcase.is_empty(club.app)
    made = showcase.fill(club.app)
    assert not showcase.is_empty(club.app)
    listed = {m["title"]: m for m in club.read(match_list)}
    assert {m["state"] for m in listed.values()} == {
        "Draft", "PoolLocked", "TeamsBalanced", "Completed", "Cancelled",
    }  # fmt: skip
    assert listed["Friday social"]["booking_enabled"] is False
    full = club.read(match_dashboard, made.matches["Thursday 7s"])
    assert (full["booked"], full["in_grace"], full["waitlist"]) == (5, 1, 3)
    tiered = club.read(match_dashboard, made.matches["Sunday league"])
    assert tiered["invite_mode"] == "tiered" and tiered["tier_windows"] is not None
    open_match = club.read(match_dashboard, made.matches["Tuesday 5-a-side"])
    statuses = {p["name"]: p["status"] for p in open_match["players"]}
    assert (statuses["Ana"], statuses["Gus"], statuses["Hana"], statuses["Ike"]) == (
        "IN", "OUT", "MAYBE", "PENDING",
    )  # fmt: skip
