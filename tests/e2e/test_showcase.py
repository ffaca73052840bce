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


def test_the_showcase_has_a_court_club_waiting_for_decisions(web: Any) -> None:
    from projections.court_queries import approvals_queue, requests_of

    club = web.extensions["booking"]
    made = showcase.fill(club.app)
    queue = club.read(approvals_queue)
    summary = [(r["player_name"], len(r["slots"]), len(r["waitlist"])) for r in queue]
    assert summary == [("Ana", 2, 2), ("Dev", 1, 1), ("Kai", 1, 0)]
    kai = next(r for r in queue if r["player_name"] == "Kai")
    # Rosa looks after Kai: her portal lists his request.
    rosa = club.read(
        requests_of, [kai["player_id"], club.app.find_player_by_phone(made.phones["Rosa"]).id]
    )
    assert [(r["player_name"], r["status"]) for r in rosa] == [("Kai", "pending")]
    fay = club.read(requests_of, [club.app.find_player_by_phone(made.phones["Fay"]).id])
    assert [r["status"] for r in fay] == ["approved"]
