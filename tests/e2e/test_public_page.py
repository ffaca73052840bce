"""The shared link's page and the dev inbox through Flask's test client (seed 004 §8.2, §18).

The page is rendered for a visitor (the phone stays on the device): the match
card, the status line, and the one state the seed's copy describes — spots
left, full, too early, closed — without a browser. What the script adds on top
(the player's own standing) comes from ``/live``, whose additions are checked
here too. ``test_browser_player`` drives the same page in chromium.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from pathlib import Path
from uuid import uuid4

from flask.testing import FlaskClient

from booking_domain.wording import local_time
from tests.e2e.api import ApiClub, data, phone
from tests.e2e.conftest import ADMIN, web_config
from web import create_app

INVALID = "This link isn't valid anymore. Please ask the organiser for a new one."


def page(client: FlaskClient, match_id: str, token: str, status: int = 200) -> str:
    answer = client.get(f"/m/{match_id}?token={token}")
    assert answer.status_code == status, answer.status_code
    return html.unescape(answer.get_data(as_text=True))


def text_of(body: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', body, re.S)
    assert found, f"no #{element_id} on the page"
    return found.group(1).strip()


def in_button(body: str) -> str:
    found = re.search(r'<button[^>]*id="in-button"[^>]*>[^<]*</button>', body)
    assert found
    return found.group(0)


def test_a_good_link_shows_the_match_card_and_the_counts(client: FlaskClient) -> None:
    club = ApiClub(client)
    club.player("Ana", 1)
    match_id = club.match(capacity=10)
    token = club.enable(match_id)
    club.respond(match_id, token, 1)
    kickoff = club.board(match_id)["kickoff_at"]

    body = page(client, match_id, token)
    assert '<h1 id="match-title">Tuesday 5s</h1>' in body
    assert local_time(datetime.fromisoformat(kickoff), "Europe/London") in body
    assert 'href="https://www.google.com/maps/search/?api=1&query=Hackney+Marshes"' in body
    assert text_of(body, "counts") == "1/10 confirmed • 0 waiting"
    assert text_of(body, "hint") == "9 spots left — tap IN to secure yours."
    assert "disabled" not in in_button(body)
    assert f'href="/api/calendar/match/{match_id}.ics?token={token}"' in body
    assert "Might be available later" in body
    assert "Player is OUT, but open to being called back if needed." in body
    assert 'data-poll-seconds="15"' in body
    # The CSP allows no inline script or style: the script is a file, data rides in data-*.
    assert '<script src="/static/booking.js" defer></script>' in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body) and "style=" not in body
    assert page(client, match_id, token + "&poll=2").count('data-poll-seconds="2"') == 1
    assert client.get(f"/m/{match_id}?token={token}").headers["Cache-Control"] == (
        "private, no-store"
    )


def test_a_bad_or_rotated_token_shows_the_invalid_link_page(client: FlaskClient) -> None:
    club = ApiClub(client)
    match_id = club.match()
    old = club.enable(match_id)
    assert INVALID in page(client, match_id, "not-the-token", 403)
    assert INVALID in page(client, match_id, "", 403)
    club.enable(match_id)  # a fresh token on every enable: the old link is dead
    body = page(client, match_id, old, 403)
    assert INVALID in body and "in-button" not in body


def test_an_unknown_match_is_not_found(client: FlaskClient) -> None:
    answer = client.get(f"/m/{uuid4()}?token=whatever")
    assert answer.status_code == 404
    assert answer.mimetype == "text/html"
    assert client.get("/m/not-a-uuid?token=x").status_code == 404


def test_a_full_match_offers_the_waitlist_with_the_next_place(client: FlaskClient) -> None:
    club = ApiClub(client)
    for n, name in enumerate(["Ana", "Ben", "Cara"], start=1):
        club.player(name, n)
    match_id = club.match(capacity=2)
    token = club.enable(match_id)
    club.respond(match_id, token, 1)
    club.respond(match_id, token, 2)
    body = page(client, match_id, token)
    assert text_of(body, "hint") == (
        "Game is full. Join the waitlist as #1 — first to claim gets in."
    )
    assert 'data-action="WAITLIST"' in in_button(body)
    assert "Join the waitlist as #1" in in_button(body)

    club.respond(match_id, token, 3, "WAITLIST")
    body = page(client, match_id, token)
    assert text_of(body, "counts") == "2/2 confirmed • 1 waiting"
    assert "Join the waitlist as #2" in in_button(body)


def test_too_early_shows_when_booking_opens_with_a_countdown(client: FlaskClient) -> None:
    club = ApiClub(client)
    match_id = club.match(in_days=5)
    opens = club.now() + timedelta(hours=2, minutes=15)
    token = club.enable(
        match_id,
        invite_mode="tiered",
        tier_windows={
            "a_open_at": opens.isoformat(),
            "b_open_at": (opens + timedelta(days=1)).isoformat(),
        },
    )
    body = page(client, match_id, token)
    assert "disabled" in in_button(body)
    assert text_of(body, "opens-countdown") == "2h 15min"
    assert "Opens in <span" in body
    assert text_of(body, "hint") == (
        f"Booking opens for Tier A at {local_time(opens, 'Europe/London')}."
    )
    assert text_of(body, "opening-words") == "• Tier A opens in"
    assert text_of(body, "opening-countdown") == "2h 15min"


def test_tiers_b_and_c_together_and_a_player_s_own_window(client: FlaskClient) -> None:
    club = ApiClub(client)
    club.player("Ana", 1, tier="A")
    club.player("Cy", 2, tier="C")
    match_id = club.match(in_days=5)
    together = club.now() + timedelta(hours=3)
    token = club.enable(
        match_id,
        invite_mode="tiered",
        tier_windows={"b_open_at": together.isoformat(), "c_open_at": together.isoformat()},
    )
    body = page(client, match_id, token)
    # Tier A is open, so a visitor may be able to book: IN stays; the note counts down.
    assert "disabled" not in in_button(body)
    assert text_of(body, "opening-words") == "• Tiers B+C open in"
    assert text_of(body, "opening-countdown") == "3h 0min"

    live = f"/api/booking/match/{match_id}/live?token={token}"
    cy = data(client.get(f"{live}&phone={phone(2)}"))
    assert cy["opens_at"] is not None and cy["opening"]["tier"] == "C"
    assert cy["opening"]["b_and_c_together"] is True and cy["opening"]["ringer"] is False
    assert data(client.get(f"{live}&phone={phone(1)}"))["opens_at"] is None
    # A stranger may not book themselves by default: nothing to count down to.
    assert data(client.get(f"{live}&phone={phone(9)}"))["opening"] is None
    settings = {"enable_ringer_self_book": True}
    assert client.patch("/api/admin/settings", json=settings, headers=ADMIN).status_code == 200
    stranger = data(client.get(f"{live}&phone={phone(9)}"))["opening"]
    assert stranger["ringer"] is True and stranger["tier"] == "C"
    visitor = data(client.get(live))
    assert visitor["opens_at"] is None and visitor["opening"]["caller_waits"] is False
    assert visitor["now"] and visitor["closed"] is None


def test_booking_turned_off_says_so_in_the_domain_s_words(client: FlaskClient) -> None:
    club = ApiClub(client)
    match_id = club.match()
    token = club.enable(match_id)
    answer = client.patch(f"/api/admin/matches/{match_id}/disable-booking", headers=ADMIN)
    assert answer.status_code == 200
    body = page(client, match_id, token)
    assert text_of(body, "hint") == "Booking isn't open for this match."
    assert "disabled" in in_button(body)
    live = data(client.get(f"/api/booking/match/{match_id}/live?token={token}"))
    assert live["closed"] == "Booking isn't open for this match."


def test_live_reads_after_the_caller_s_own_write(client: FlaskClient) -> None:
    club = ApiClub(client)
    club.player("Ana", 1)
    match_id = club.match(capacity=4)
    token = club.enable(match_id)
    answer = club.respond(match_id, token, 1)
    position = answer.headers["X-Event-Position"]
    live = f"/api/booking/match/{match_id}/live?token={token}&phone={phone(1)}"
    mine = data(client.get(f"{live}&after={position}"))
    assert (mine["status"], mine["booked"], mine["spots_left"]) == ("IN", 1, 3)
    # A position beyond the store's end is not waited for.
    assert data(client.get(f"{live}&after={2**60}"))["booked"] == 1


def test_instant_claim_shows_its_banner(client: FlaskClient) -> None:
    club = ApiClub(client)
    club.player("Ana", 1)
    club.player("Ben", 2)
    match_id = club.match(capacity=1, in_days=1 / 24)  # kick-off in an hour
    token = club.enable(match_id)
    club.respond(match_id, token, 1)
    club.respond(match_id, token, 2, "WAITLIST")
    body = page(client, match_id, token)
    assert re.search(r'id="instant-banner"[^>]*hidden', body)

    club.advance(35 * 60)  # under 30 minutes to go: the first tap wins
    body = page(client, match_id, token)
    assert not re.search(r'id="instant-banner"[^>]*hidden', body)
    assert "Kick-off soon! Spots are first-come, first-served." in body
    live = f"/api/booking/match/{match_id}/live?token={token}&phone={phone(2)}"
    assert data(client.get(live))["instant_claim"] is True


def test_the_calendar_link_has_two_reminders(client: FlaskClient) -> None:
    club = ApiClub(client)
    match_id = club.match()
    token = club.enable(match_id)
    href = re.search(r'href="(/api/calendar/[^"]+)"', page(client, match_id, token))
    assert href
    answer = client.get(href.group(1))
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    text = answer.get_data(as_text=True)
    assert text.count("BEGIN:VALARM") == 2
    assert "TRIGGER:-P1D" in text and "TRIGGER:-PT2H" in text


def test_the_dev_inbox_lists_what_a_player_was_sent(client: FlaskClient) -> None:
    club = ApiClub(client)
    club.player("Ana", 1)
    match_id = club.match()
    token = club.enable(match_id)
    club.respond(match_id, token, 1)
    cancel = client.post(f"/api/admin/matches/{match_id}/cancel", json={}, headers=ADMIN)
    assert cancel.status_code == 200
    captured = data(client.get(f"/api/test-clock/inbox?phone={phone(1)}"))
    assert captured

    answer = client.get("/dev/inbox?phone=020 7946 0001")
    assert answer.status_code == 200
    body = html.unescape(answer.get_data(as_text=True))
    for message in captured:
        assert message["text"] in body and message["kind"] in body
    assert ">Ana</a>" in body  # every player links to their inbox
    assert client.get("/dev/inbox").status_code == 200
    bad = html.unescape(client.get("/dev/inbox?phone=not-a-phone").get_data(as_text=True))
    assert "That doesn't look like a valid phone number." in bad


def test_the_dev_inbox_is_absent_without_the_test_clock(tmp_path: Path) -> None:
    app = create_app(web_config(tmp_path, BOOKING_TEST_CLOCK="0"))
    try:
        assert app.test_client().get(f"/dev/inbox?phone={phone(1)}").status_code == 404
    finally:
        app.extensions["booking"].close()


def test_the_dev_inbox_can_be_served_for_a_local_demo_without_the_test_clock(
    tmp_path: Path,
) -> None:
    """``make run`` turns it on: a newcomer reads sign-in codes there; the clock stays real."""
    app = create_app(web_config(tmp_path, BOOKING_TEST_CLOCK="0", BOOKING_DEV_INBOX="1"))
    try:
        client = app.test_client()
        assert client.get(f"/dev/inbox?phone={phone(1)}").status_code == 200
        assert client.get("/api/test-clock").status_code == 404
    finally:
        app.extensions["booking"].close()
