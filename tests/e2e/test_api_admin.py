"""The admin API (api.md "Admin"): every endpoint, its refusals, and strangers kept out."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.e2e.api import ApiClub, data, phone, refused
from tests.e2e.conftest import ADMIN

UNKNOWN = str(uuid.UUID(int=7))


@pytest.fixture
def club(client: FlaskClient) -> ApiClub:
    return ApiClub(client)


def admin_routes(web: Any) -> list[tuple[str, str]]:
    found = []
    for rule in web.url_map.iter_rules():
        if rule.rule.startswith("/api/admin"):
            path = re.sub(r"<uuid:[a-z_]+>", UNKNOWN, rule.rule)
            found += [(m, path) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_strangers_are_refused_on_every_admin_route(web: Any, client: FlaskClient) -> None:
    routes = admin_routes(web)
    assert len(routes) >= 22
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
            answer = client.open(path, method=method, json={}, headers=headers)
            refused(answer, "unauthorized", 401)


def test_players_are_added_listed_and_changed(club: ApiClub) -> None:
    ana = club.player("Ana", 1, tier="A", email="ana@example.org")
    listed = data(club.client.get("/api/admin/players", headers=ADMIN))
    assert listed == [
        {"player_id": ana, "name": "Ana", "phone": phone(1), "tier": "A", "is_ringer": False,
         "muted": False, "email": "ana@example.org", "guardian_phones": []}
    ]  # fmt: skip
    changed = data(
        club.client.patch(
            f"/api/admin/players/{ana}",
            json={"name": "Ana B", "tier": "B", "muted": True},
            headers=ADMIN,
        )
    )
    assert (changed["name"], changed["tier"], changed["muted"]) == ("Ana B", "B", True)
    ringer = {"is_ringer": True, "tier": "C"}
    changed = data(club.client.patch(f"/api/admin/players/{ana}", json=ringer, headers=ADMIN))
    assert (changed["is_ringer"], changed["tier"]) == (True, "C")
    refused(
        club.client.post(
            "/api/admin/players", json={"name": "Bo", "phone": phone(1)}, headers=ADMIN
        ),
        "phone_taken",
        409,
    )
    refused(
        club.client.post(
            "/api/admin/players", json={"name": "Ana B", "phone": phone(2)}, headers=ADMIN
        ),
        "name_taken",
        409,
    )
    refused(
        club.client.post("/api/admin/players", json={"name": "Bo", "phone": "0"}, headers=ADMIN),
        "invalid_phone",
        400,
    )
    refused(
        club.client.post(
            "/api/admin/players", json={"name": "Bo", "phone": phone(3), "tier": "D"}, headers=ADMIN
        ),
        "validation_error",
        400,
    )
    refused(
        club.client.patch(f"/api/admin/players/{UNKNOWN}", json={}, headers=ADMIN), "not_found", 404
    )


def test_settings_are_read_and_changed(club: ApiClub) -> None:
    settings = data(club.client.get("/api/admin/settings", headers=ADMIN))
    assert settings == {
        "block_unknown_players": False, "enable_ringer_self_book": False,
        "include_ringers_in_invites": False, "rsvp_burst_guard_enabled": False,
        "tier_b_offset_hours": 24, "tier_c_offset_hours": 48,
        "quiet_hours_start": 0, "quiet_hours_end": 0,
    }  # fmt: skip
    changed = data(
        club.client.patch("/api/admin/settings", json={"tier_b_offset_hours": 12}, headers=ADMIN)
    )
    assert changed["tier_b_offset_hours"] == 12
    refused(
        club.client.patch("/api/admin/settings", json={"tier_b_offset_hours": "12"}, headers=ADMIN),
        "validation_error",
        400,
    )
    refused(
        club.client.patch("/api/admin/settings", json={"quiet_hours": True}, headers=ADMIN),
        "validation_error",
        400,
    )


def test_a_match_through_its_life(club: ApiClub) -> None:
    ana, ben = club.player("Ana", 1), club.player("Ben", 2)
    match_id = club.match(capacity=1)
    board = club.board(match_id)
    assert (board["state"], board["booking_enabled"], board["capacity"]) == ("Draft", False, 1)
    assert {p["name"]: p["status"] for p in board["players"]} == {
        "Ana": "PENDING",
        "Ben": "PENDING",
    }
    link = data(
        club.client.patch(f"/api/admin/matches/{match_id}/enable-booking", json={}, headers=ADMIN)
    )
    assert link["booking_link"].endswith(f"/m/{match_id}?token={link['token']}")
    token = link["token"]
    club.respond(match_id, token, 1)
    club.respond(match_id, token, 2, "WAITLIST")

    added = data(
        club.client.post(
            f"/api/admin/matches/{match_id}/players", json={"player_id": ben}, headers=ADMIN
        )
    )
    assert (added["booked"], added["capacity"], added["waitlist"]) == (2, 1, 0)  # "2/1": visible
    down = data(
        club.client.patch(
            f"/api/admin/matches/{match_id}/capacity", json={"capacity": 1}, headers=ADMIN
        )
    )
    assert down["booked"] == 2  # same capacity: nothing changes, the manual add stays
    up = data(
        club.client.patch(
            f"/api/admin/matches/{match_id}/capacity", json={"capacity": 3}, headers=ADMIN
        )
    )
    assert (up["capacity"], up["spots_left"]) == (3, 1)
    refused(
        club.client.patch(
            f"/api/admin/matches/{match_id}/capacity", json={"capacity": 0}, headers=ADMIN
        ),
        "validation_error",
        400,
    )

    club.respond(match_id, token, 1, "OUT")
    released = data(
        club.client.post(f"/api/admin/matches/{match_id}/dropouts/{ana}/release", headers=ADMIN)
    )
    assert {p["name"]: p["status"] for p in released["players"]}["Ana"] == "OUT"
    refused(
        club.client.post(f"/api/admin/matches/{match_id}/dropouts/{ben}/release", headers=ADMIN),
        "invalid_transition",
        409,
    )
    assert (
        data(club.client.post(f"/api/admin/matches/{match_id}/waitlist/reissue", headers=ADMIN))
        == []
    )
    called = data(club.client.post(f"/api/admin/matches/{match_id}/last-call", headers=ADMIN))
    assert called["queued"] == len(called["player_ids"])

    mode = data(
        club.client.patch(
            f"/api/admin/matches/{match_id}/invite-mode",
            json={"invite_mode": "tiered"},
            headers=ADMIN,
        )
    )
    assert mode["invite_mode"] == "tiered" and mode["tier_windows"] is not None
    for step, state in (
        ("lock", "PoolLocked"),
        ("balance", "TeamsBalanced"),
        ("complete", "Completed"),
    ):
        assert (
            data(club.client.post(f"/api/admin/matches/{match_id}/{step}", headers=ADMIN))["state"]
            == state
        )
    refused(
        club.client.post(f"/api/admin/matches/{match_id}/cancel", json={}, headers=ADMIN),
        "invalid_transition",
        409,
    )

    feed = data(club.client.get(f"/api/admin/matches/{match_id}/activity", headers=ADMIN))
    assert feed[0]["kind"] == "MatchCompleted" or "complet" in feed[0]["text"].lower()
    events = data(club.client.get(f"/api/admin/matches/{match_id}/events", headers=ADMIN))
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)
    assert {e["stream"] for e in events} == {"Match", "Waitlist"}
    assert all("token" not in str(e["data"]) for e in events)
    listed = data(club.client.get("/api/admin/matches", headers=ADMIN))
    assert [m["match_id"] for m in listed] == [match_id]


def test_cancel_tells_everyone_and_the_ledger_shows_it(club: ApiClub) -> None:
    club.player("Ana", 1)
    match_id = club.match()
    token = club.enable(match_id)
    club.respond(match_id, token, 1)
    cancelled = data(
        club.client.post(
            f"/api/admin/matches/{match_id}/cancel", json={"reason": "Pitch flooded"}, headers=ADMIN
        )
    )
    assert cancelled["state"] == "Cancelled"
    ledger = data(club.client.get(f"/api/admin/notifications?match_id={match_id}", headers=ADMIN))
    assert "cancellation" in {n["kind"] for n in ledger}
    assert all(n["outcome"] in ("sent", "suppressed", "pending", "failed") for n in ledger)
    inbox = data(club.client.get(f"/api/test-clock/inbox?phone={phone(1)}"))
    assert any(m["kind"] == "cancellation" for m in inbox)


def test_unknown_matches_and_bad_bodies(club: ApiClub) -> None:
    for method, path in (
        ("GET", f"/api/admin/matches/{UNKNOWN}"),
        ("GET", f"/api/admin/matches/{UNKNOWN}/activity"),
        ("GET", f"/api/admin/matches/{UNKNOWN}/offers"),
        ("GET", f"/api/admin/matches/{UNKNOWN}/events"),
        ("POST", f"/api/admin/matches/{UNKNOWN}/lock"),
        ("PATCH", f"/api/admin/matches/{UNKNOWN}/enable-booking"),
    ):
        refused(club.client.open(path, method=method, json={}, headers=ADMIN), "not_found", 404)
    refused(club.client.get("/api/admin/matches/not-a-uuid", headers=ADMIN), "not_found", 404)
    body = {"title": "X", "kickoff_at": "2031-01-01T19:00:00", "location": "Y", "capacity": 5}
    assert (
        "kickoff_at"
        in refused(
            club.client.post("/api/admin/matches", json=body, headers=ADMIN),
            "validation_error",
            400,
        )["error"]
    )
    body["kickoff_at"] = "2031-01-01T19:00:00+00:00"
    body["capacity"] = "5"
    refused(
        club.client.post("/api/admin/matches", json=body, headers=ADMIN), "validation_error", 400
    )
    refused(
        club.client.post(
            "/api/admin/matches", data="[1,", headers={**ADMIN, "Content-Type": "application/json"}
        ),
        "validation_error",
        400,
    )
    refused(club.client.delete("/api/admin/matches", headers=ADMIN), "method_not_allowed", 405)
    assert data(club.client.get("/api/admin/matches", headers=ADMIN)) == []


def test_reads_wait_for_a_given_position(club: ApiClub) -> None:
    created = club.client.post(
        "/api/admin/players", json={"name": "Ana", "phone": phone(1)}, headers=ADMIN
    )
    position = int(created.headers["X-Event-Position"])
    listed = data(club.client.get(f"/api/admin/players?after={position}", headers=ADMIN))
    assert [p["name"] for p in listed] == ["Ana"]
