"""The player portal's API (api.md "Player portal"; seed 000): signing in by code,
"Available Sessions", Pay Now, decline, bookings — and every refusal.

A parent signs in with their own phone (a guardian of Sam) and acts for Sam;
another family never sees, pays for or declines Sam's offer. Codes are read
from the dev inbox, as a tester on ``make play`` would.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from flask.testing import FlaskClient

from booking.bootstrap import DEV_BASE_URL
from tests.e2e.api import data, phone, refused
from tests.e2e.conftest import ADMIN, web_config
from tests.e2e.portal import (
    ANA,
    PARENT,
    PRICE,
    SAM,
    STRANGER,
    PaidClub,
    code_sent_to,
    codes_sent_to,
    sign_in,
)
from tests.e2e.test_admin_pages import csrf_of
from web import create_app


@pytest.fixture
def club(client: FlaskClient) -> PaidClub:
    return PaidClub(client).set_up()


def held_offer(club: PaidClub) -> dict[str, Any]:
    """Free a place: Sam, the head of the queue, has it held; the parent sees the offer."""
    club.free_a_place()
    sign_in(club.client, phone(PARENT))
    (offer,) = data(club.client.get("/api/player/offers"))
    return dict(offer)


# ------------------------------------------------------------------ sign in


def test_a_code_goes_to_players_and_guardians_and_strangers_get_the_same_answer(
    club: PaidClub,
) -> None:
    answers = [
        club.client.post("/api/player/login", json={"phone": phone(n)})
        for n in (SAM, PARENT, STRANGER)
    ]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert answers[0].get_json() == answers[1].get_json() == answers[2].get_json()
    assert code_sent_to(club.client, phone(SAM))
    assert code_sent_to(club.client, phone(PARENT))
    assert codes_sent_to(club.client, phone(STRANGER)) == []


def test_signing_in_sets_an_http_only_lax_cookie_and_names_the_players(club: PaidClub) -> None:
    club.client.post("/api/player/login", json={"phone": "020 7946 0009"})  # typed as people do
    code = code_sent_to(club.client, phone(PARENT))
    answer = club.client.post(
        "/api/player/login/verify", json={"phone": phone(PARENT), "code": code}
    )
    body = data(answer)
    assert body["players"] == [{"player_id": club.sam, "name": "Sam", "relation": "guardian"}]
    assert phone(PARENT) not in str(body)  # masked
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert data(club.client.get("/api/player/offers")) == []


def test_a_player_signs_in_for_themselves(club: PaidClub) -> None:
    assert sign_in(club.client, phone(SAM)) == [
        {"player_id": club.sam, "name": "Sam", "relation": "player"}
    ]


def test_five_wrong_codes_then_even_the_right_one_is_refused(club: PaidClub) -> None:
    number = phone(PARENT)
    club.client.post("/api/player/login", json={"phone": number})
    code = code_sent_to(club.client, number)
    other = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        refused(
            club.client.post("/api/player/login/verify", json={"phone": number, "code": other}),
            "unauthorized",
            401,
        )
    answer = club.client.post("/api/player/login/verify", json={"phone": number, "code": code})
    assert "isn't right or has expired" in refused(answer, "unauthorized", 401)["error"]
    refused(club.client.get("/api/player/offers"), "unauthorized", 401)


def test_an_expired_code_is_refused(club: PaidClub) -> None:
    number = phone(SAM)
    club.client.post("/api/player/login", json={"phone": number})
    code = code_sent_to(club.client, number)
    club.advance(10 * 60 + 1)
    answer = club.client.post("/api/player/login/verify", json={"phone": number, "code": code})
    refused(answer, "unauthorized", 401)


def test_a_used_code_dies_and_a_new_request_replaces_the_old(club: PaidClub) -> None:
    number = phone(SAM)
    club.client.post("/api/player/login", json={"phone": number})
    first = code_sent_to(club.client, number)
    club.client.post("/api/player/login", json={"phone": number})
    second = code_sent_to(club.client, number)
    if first != second:
        body = {"phone": number, "code": first}
        refused(club.client.post("/api/player/login/verify", json=body), "unauthorized", 401)
    body = {"phone": number, "code": second}
    data(club.client.post("/api/player/login/verify", json=body))
    refused(club.client.post("/api/player/login/verify", json=body), "unauthorized", 401)


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/api/player/login", {"phone": "not a phone"}, "invalid_phone"),
        ("/api/player/login", {}, "validation_error"),
        ("/api/player/login", {"phone": 7946}, "validation_error"),
        ("/api/player/login", {"phone": "+442079460003", "extra": 1}, "validation_error"),
        (
            "/api/player/login/verify",
            {"phone": "+442079460003", "code": "12345"},
            "validation_error",
        ),
        (
            "/api/player/login/verify",
            {"phone": "+442079460003", "code": 123456},
            "validation_error",
        ),
        ("/api/player/login/verify", {"phone": "nope", "code": "123456"}, "invalid_phone"),
    ],
)
def test_malformed_sign_in_requests_are_refused(
    club: PaidClub, path: str, body: dict[str, Any], code: str
) -> None:
    refused(club.client.post(path, json=body), code, 400)
    assert codes_sent_to(club.client, phone(SAM)) == []


def test_logging_out_ends_the_session(club: PaidClub) -> None:
    sign_in(club.client, phone(PARENT))
    assert data(club.client.post("/api/player/logout")) == {"signed_out": True}
    refused(club.client.get("/api/player/bookings"), "unauthorized", 401)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/player/offers"),
        ("get", "/api/player/bookings"),
        ("post", f"/api/player/offers/{uuid4()}/accept"),
        ("post", f"/api/player/offers/{uuid4()}/decline"),
    ],
)
def test_the_portal_needs_a_session(club: PaidClub, method: str, path: str) -> None:
    refused(getattr(club.client, method)(path), "unauthorized", 401)


def test_another_sites_page_may_not_act_with_the_session(club: PaidClub) -> None:
    offer = held_offer(club)
    path = f"/api/player/offers/{offer['offer_id']}/decline"
    refused(club.client.post(path, headers={"Origin": "https://evil.example"}), "forbidden", 403)
    refused(club.client.post(path, headers={"Sec-Fetch-Site": "cross-site"}), "forbidden", 403)
    assert club.status(club.sam) == "HELD"


# ------------------------------------------------------------------- offers


def test_the_parent_sees_sams_available_session(club: PaidClub) -> None:
    offer = held_offer(club)
    board = club.board(club.match_id)
    assert offer["player_id"] == club.sam
    assert offer["player_name"] == "Sam"
    assert offer["match_id"] == club.match_id
    assert offer["session_name"] == "Tuesday 5s"
    assert offer["session_date_time"] == board["kickoff_at"]
    assert offer["location"] == "Hackney Marshes"
    assert offer["maps_url"].startswith("https://www.google.com/maps/search/?api=1&query=Hackney")
    assert (offer["price_minor"], offer["currency"]) == (PRICE, "GBP")
    assert offer["offer_expires_at"] == board["open_offers"][0]["expires_at"]
    assert club.status(club.sam) == "HELD"


def test_pay_now_gives_the_sandbox_checkout_once_and_paying_confirms_the_place(
    club: PaidClub,
) -> None:
    offer = held_offer(club)
    path = f"/api/player/offers/{offer['offer_id']}/accept"
    url = data(club.client.post(path))["payment_url"]
    # On the embedded store's own address (BOOKING_BASE_URL unset), not the request's Host.
    assert url.startswith(f"{DEV_BASE_URL}/pay/sandbox/")
    assert data(club.client.post(path))["payment_url"] == url  # one offer, one checkout
    payment_id = url.rsplit("/", 1)[1]
    assert club.client.get(f"/pay/sandbox/{payment_id}").status_code == 200

    answer = club.client.post(f"/api/payments/sandbox/{payment_id}", json={"outcome": "paid"})
    assert data(answer) == {"payment_id": payment_id, "status": "confirmed"}
    assert club.status(club.sam) == "IN"
    assert data(club.client.get("/api/player/offers")) == []
    (booking,) = data(club.client.get("/api/player/bookings"))
    assert (booking["player_name"], booking["status"], booking["paid"]) == ("Sam", "IN", True)
    (payment,) = data(
        club.client.get(f"/api/admin/matches/{club.match_id}/payments", headers=ADMIN)
    )
    assert (payment["status"], payment["amount_minor"]) == ("confirmed", PRICE)


def test_a_failed_payment_leaves_the_offer_open_for_another_try(club: PaidClub) -> None:
    offer = held_offer(club)
    path = f"/api/player/offers/{offer['offer_id']}/accept"
    first = data(club.client.post(path))["payment_url"].rsplit("/", 1)[1]
    answer = club.client.post(f"/api/payments/sandbox/{first}", json={"outcome": "failed"})
    assert data(answer)["status"] == "failed"
    assert club.status(club.sam) == "HELD"
    second = data(club.client.post(path))["payment_url"].rsplit("/", 1)[1]
    assert second != first
    data(club.client.post(f"/api/payments/sandbox/{second}", json={"outcome": "paid"}))
    assert club.status(club.sam) == "IN"


def test_pay_now_after_the_deadline_is_offer_expired(club: PaidClub) -> None:
    offer = held_offer(club)
    club.advance(60 * 60 + 1)  # past the payment window: the timer fires
    answer = club.client.post(f"/api/player/offers/{offer['offer_id']}/accept")
    assert refused(answer, "offer_expired", 409)["error"] == "Offer expired"
    assert club.status(club.sam) == "WAITLIST"  # keeps the queue place
    assert club.status(club.ben) == "HELD"  # the next one in line


def test_pay_now_the_moment_the_deadline_passes_is_offer_expired(club: PaidClub, web: Any) -> None:
    offer = held_offer(club)
    web.extensions["booking"].app.clock.advance(timedelta(minutes=60))  # no timer run yet
    answer = club.client.post(f"/api/player/offers/{offer['offer_id']}/accept")
    assert refused(answer, "offer_expired", 409)["error"] == "Offer expired"


def test_another_familys_offer_is_not_found_and_untouched(club: PaidClub, web: Any) -> None:
    offer = held_offer(club)
    stranger = web.test_client()
    sign_in(stranger, phone(ANA))  # a player, but not Sam's family
    assert data(stranger.get("/api/player/offers")) == []
    for action in ("accept", "decline"):
        answer = stranger.post(f"/api/player/offers/{offer['offer_id']}/{action}")
        refused(answer, "not_found", 404)
    refused(stranger.post(f"/api/player/offers/{uuid4()}/accept"), "not_found", 404)
    assert club.status(club.sam) == "HELD"
    assert (
        data(club.client.get(f"/api/admin/matches/{club.match_id}/payments", headers=ADMIN)) == []
    )


def test_declining_gives_up_the_place_and_leaves_the_waitlist(club: PaidClub) -> None:
    offer = held_offer(club)
    answer = club.client.post(f"/api/player/offers/{offer['offer_id']}/decline")
    assert data(answer) == {"offer_id": offer["offer_id"], "declined": True}
    assert club.status(club.sam) == "OUT"
    assert club.status(club.ben) == "HELD"  # auto-promote: the next in line
    assert data(club.client.get("/api/player/offers")) == []
    again = club.client.post(f"/api/player/offers/{offer['offer_id']}/decline")
    refused(again, "offer_expired", 409)


def test_the_booking_link_tells_a_held_player_to_log_in_to_pay(club: PaidClub) -> None:
    offer = held_offer(club)
    standing = data(club.respond(club.match_id, club.token, SAM, "IN"))
    assert standing["status"] == "HELD"
    assert standing["hold"] == offer["offer_expires_at"]
    query = f"token={club.token}&phone={phone(SAM)}"
    live = data(club.client.get(f"/api/booking/match/{club.match_id}/live?{query}"))
    assert (live["status"], live["hold_until"], live["offer"]) == (
        "HELD",
        offer["offer_expires_at"],
        None,
    )


# ------------------------------------------------------------------- limits


@pytest.fixture
def limited(tmp_path: Path) -> Any:
    """The app with rate limits on, counted in memory."""
    app = create_app(web_config(tmp_path, RATELIMIT_ENABLED=True))
    yield app
    app.extensions["booking"].close()


def test_codes_are_limited_per_phone_across_the_api_and_the_page(limited: Any) -> None:
    client = limited.test_client()
    PaidClub(client).player("Sam", SAM)
    asks = [client.post("/api/player/login", json={"phone": phone(SAM)}) for _ in range(5)]
    assert [a.status_code for a in asks] == [202] * 5
    sixth = client.post("/api/player/login", json={"phone": "020 7946 0003"})  # same number
    refused(sixth, "rate_limited", 429)
    assert int(sixth.headers["Retry-After"]) > 0
    assert len(codes_sent_to(client, phone(SAM))) == 5
    token = csrf_of(client.get("/portal/login").get_data(as_text=True))
    page = client.post("/portal/login", data={"phone": phone(SAM), "csrf_token": token})
    assert page.status_code == 429  # the page's door shares the count
    assert client.post("/api/player/login", json={"phone": phone(ANA)}).status_code == 202


def test_sign_in_is_limited_per_ip(limited: Any) -> None:
    client = limited.test_client()
    answers = [client.post("/api/player/login", json={"phone": phone(100 + n)}) for n in range(11)]
    assert [a.status_code for a in answers[:10]] == [202] * 10
    refused(answers[10], "rate_limited", 429)
