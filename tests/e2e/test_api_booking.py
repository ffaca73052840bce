"""The shared link's API (api.md "Public booking"), through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.e2e.api import ApiClub, data, phone, refused
from tests.e2e.conftest import ADMIN


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.pg)])
def club(request: pytest.FixtureRequest) -> ApiClub:
    web = request.getfixturevalue("web" if request.param == "sqlite" else "pg_web")
    return ApiClub(web.test_client())


def test_a_player_goes_in_and_the_counts_follow(club: ApiClub) -> None:
    club.player("Ana", 1)
    match_id = club.match(capacity=2)
    token = club.enable(match_id)
    answer = club.respond(match_id, token, 1)
    assert data(answer)["status"] == "IN"
    assert int(answer.headers["X-Event-Position"]) > 0
    card = data(club.client.get(f"/api/booking/match/{match_id}?token={token}"))
    assert (card["booked"], card["capacity"], card["spots_left"], card["waitlist"]) == (1, 2, 1, 0)
    assert card["maps_url"].startswith("https://www.google.com/maps/search/")
    live = club.client.get(f"/api/booking/match/{match_id}/live?token={token}&phone=02079460001")
    assert live.headers["Cache-Control"] == "no-store"
    assert data(live)["status"] == "IN"


def test_the_same_answer_twice_is_one_answer(club: ApiClub) -> None:
    club.player("Ana", 1)
    match_id = club.match()
    token = club.enable(match_id)
    first = data(club.respond(match_id, token, 1))
    events = len(data(club.client.get(f"/api/admin/matches/{match_id}/events", headers=ADMIN)))
    assert data(club.respond(match_id, token, 1)) == first
    again = data(club.client.get(f"/api/admin/matches/{match_id}/events", headers=ADMIN))
    assert len(again) == events


def test_full_match_waitlist_dropout_grace_offer_and_claim(club: ApiClub) -> None:
    for n, name in enumerate(["Ana", "Ben", "Cara", "Dev"], start=1):
        club.player(name, n)
    match_id = club.match(capacity=2)
    token = club.enable(match_id)
    club.respond(match_id, token, 1)
    club.respond(match_id, token, 2)
    full = refused(club.respond(match_id, token, 3), "match_full", 409)
    assert full["data"]["waitlist_position_if_joined"] == 1
    assert data(club.respond(match_id, token, 3, "WAITLIST"))["waitlist_position"] == 1
    assert data(club.respond(match_id, token, 4, "WAITLIST"))["waitlist_position"] == 2
    # Queued, no offer yet: told where they stand; not queued at all: no offer.
    assert "#1" in refused(claim(club, match_id, token, 3), "match_full", 409)["error"]
    club.player("Eve", 5)
    refused(claim(club, match_id, token, 5), "no_offer", 409)

    out = data(club.respond(match_id, token, 1, "OUT"))
    assert out["status"] == "OUT" and out["grace_until"] is not None
    club.advance(6 * 60)  # past the 5-minute grace period (kick-off is days away)
    live = data(
        club.client.get(f"/api/booking/match/{match_id}/live?token={token}&phone={phone(3)}")
    )
    assert live["offer"] is not None and live["waitlist_position"] == 1

    assert data(claim(club, match_id, token, 4))["status"] == "IN"
    refused(claim(club, match_id, token, 3), "spot_filled", 409)
    board = club.board(match_id)
    assert (board["booked"], board["waitlist"]) == (2, 1)
    offers = data(club.client.get(f"/api/admin/matches/{match_id}/offers", headers=ADMIN))
    assert {o["outcome"] for o in offers} == {"claimed", "superseded"}


def test_an_offer_that_ran_out_cannot_be_claimed(club: ApiClub) -> None:
    for n, name in enumerate(["Ana", "Ben", "Cara", "Dev", "Eve"], start=1):
        club.player(name, n)
    match_id = club.match(capacity=1)
    token = club.enable(match_id)
    club.respond(match_id, token, 1)
    for n in (2, 3, 4, 5):
        club.respond(match_id, token, n, "WAITLIST")
    club.respond(match_id, token, 1, "OUT")
    club.advance(6 * 60)  # grace over: the top three are offered the place
    live = club.client.get(f"/api/booking/match/{match_id}/live?token={token}&phone={phone(2)}")
    expires = datetime.fromisoformat(data(live)["offer"]["expires_at"])
    club.advance((expires - club.now()).total_seconds() + 1)  # lapsed: Eve is offered it next
    expired = refused(claim(club, match_id, token, 2), "offer_expired", 409)
    assert expired["error"] == (
        "This offer has expired — check the waitlist for your current place."
    )
    assert data(claim(club, match_id, token, 5))["status"] == "IN"


def test_tiered_windows_say_when_a_tier_opens(club: ApiClub) -> None:
    club.player("Ana", 1, tier="A")
    club.player("Cy", 2, tier="C")
    match_id = club.match(in_days=5)
    token = club.enable(match_id, invite_mode="tiered")
    assert data(club.respond(match_id, token, 1))["status"] == "IN"
    early = refused(club.respond(match_id, token, 2), "too_early", 409)
    assert early["error"].startswith("Too early — Tier C opens at")
    opens_at = datetime.fromisoformat(early["data"]["opens_at"])
    assert opens_at - club.now() == timedelta(hours=48)
    card = data(club.client.get(f"/api/booking/match/{match_id}?token={token}"))
    assert card["invite_mode"] == "tiered" and set(card["tier_windows"]) == {
        "a_open_at",
        "b_open_at",
        "c_open_at",
    }


def test_tokens_wrong_missing_rotated_and_after_kickoff(club: ApiClub) -> None:
    club.player("Ana", 1)
    match_id = club.match(in_days=1)
    old = club.enable(match_id)
    new = club.enable(match_id)
    message = "This link isn't valid anymore. Please ask the organiser for a new one."
    for token in ("", "nope", old):
        assert refused(club.respond(match_id, token, 1), "invalid_token", 403)["error"] == message
        refused(
            club.client.get(f"/api/booking/match/{match_id}?token={token}"), "invalid_token", 403
        )
    assert data(club.respond(match_id, new, 1))["status"] == "IN"
    club.advance(2 * 24 * 3600)  # the match is over: its link dies with it
    refused(club.client.get(f"/api/booking/match/{match_id}?token={new}"), "invalid_token", 403)


def test_unknown_phones_follow_the_club_settings(club: ApiClub) -> None:
    match_id = club.match()
    token = club.enable(match_id)
    refused(club.respond(match_id, token, 9), "ringer_blocked", 403)
    settings = {"block_unknown_players": True}
    data(club.client.patch("/api/admin/settings", json=settings, headers=ADMIN))
    refused(club.respond(match_id, token, 9), "not_registered", 403)
    settings = {"block_unknown_players": False, "enable_ringer_self_book": True}
    data(club.client.patch("/api/admin/settings", json=settings, headers=ADMIN))
    asked = refused(club.respond(match_id, token, 9), "name_required", 409)
    assert asked["error"] == "Enter your name to join the list:"
    too_long = refused(club.respond(match_id, token, 9, name="A" * 15), "name_too_long", 400)
    assert too_long["error"] == "Use 14 characters or fewer"
    club.player("Ana", 1)
    refused(club.respond(match_id, token, 9, name="Ana"), "name_taken", 409)
    assert data(club.respond(match_id, token, 9, name="Guest Gus"))["status"] == "IN"
    players = data(club.client.get("/api/admin/players", headers=ADMIN))
    assert {p["name"]: p["is_ringer"] for p in players} == {"Ana": False, "Guest Gus": True}


def test_closed_booking_and_bad_input_change_nothing(club: ApiClub) -> None:
    club.player("Ana", 1)
    match_id = club.match()
    token = club.enable(match_id)
    before = club.board(match_id)
    refused(club.respond(match_id, token, 1, "MAYBE-ISH"), "validation_error", 400)
    bad_phone = {"match_id": match_id, "token": token, "phone": "12", "action": "IN"}
    refused(club.client.post("/api/booking/respond", json=bad_phone), "invalid_phone", 400)
    wrong_type = {"match_id": match_id, "token": token, "phone": phone(1), "action": "IN",
                  "out_flexible": "yes"}  # fmt: skip
    assert (
        "out_flexible"
        in refused(
            club.client.post("/api/booking/respond", json=wrong_type), "validation_error", 400
        )["error"]
    )
    refused(
        club.client.post("/api/booking/respond", data="{", content_type="application/json"),
        "validation_error",
        400,
    )
    unknown = {"match_id": "5b0a4b0e-5d43-4a8c-9a59-3b8f3e8f0c11", "token": token,
               "phone": phone(1), "action": "IN"}  # fmt: skip
    refused(club.client.post("/api/booking/respond", json=unknown), "not_found", 404)
    assert club.board(match_id) == before
    data(club.client.patch(f"/api/admin/matches/{match_id}/disable-booking", headers=ADMIN))
    refused(club.respond(match_id, token, 1), "booking_closed", 409)


def test_the_calendar_file_has_the_match_and_two_reminders(club: ApiClub) -> None:
    match_id = club.match()
    token = club.enable(match_id)
    answer = club.client.get(f"/api/calendar/match/{match_id}.ics?token={token}")
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    text = answer.get_data(as_text=True)
    assert "SUMMARY:Tuesday 5s" in text and "LOCATION:Hackney Marshes" in text
    assert text.count("BEGIN:VALARM") == 2
    assert club.client.get(f"/api/calendar/match/{match_id}.ics?token=x").status_code == 403


def claim(club: ApiClub, match_id: str, token: str, n: int) -> Any:
    body = {"match_id": match_id, "token": token, "phone": phone(n)}
    return club.client.post("/api/booking/waitlist/claim", json=body)


def test_the_test_clock_is_absent_without_its_setting(tmp_path: Any) -> None:
    from tests.e2e.conftest import web_config
    from web import create_app

    app = create_app(web_config(tmp_path, BOOKING_TEST_CLOCK="0"))
    try:
        client: FlaskClient = app.test_client()
        refused(client.get("/api/test-clock"), "not_found", 404)
        refused(client.post("/api/test-clock", json={"advance_seconds": 5}), "not_found", 404)
        refused(client.get(f"/api/test-clock/inbox?phone={phone(1)}"), "not_found", 404)
    finally:
        app.extensions["booking"].close()
