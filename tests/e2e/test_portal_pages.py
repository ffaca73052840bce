"""The player portal's pages and the sandbox checkout, through Flask's test client
(seed 000), and the Match Control Centre's paid-place controls.

Forms carry their CSRF token as a browser would (read from the page). A
parent signs in with the code from the dev inbox, finds Sam's "Available
Session" at the top, pays on the sandbox page and reads the outcome; the
organiser promotes, watches the hold and reads the payments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from booking_domain.wording import local_time
from tests.e2e.api import phone
from tests.e2e.portal import PARENT, SAM, STRANGER, PaidClub, code_sent_to, codes_sent_to
from tests.e2e.test_admin_pages import csrf_of, flashes, text_of
from tests.e2e.test_admin_pages import sign_in as admin_sign_in

CODE_SENT = "If this number belongs to a player or a parent of one, a sign-in code is on its way."


@dataclass
class Browser:
    """Someone using the pages: forms posted with the page's CSRF token, redirects followed."""

    client: FlaskClient
    csrf: str = ""
    location: str = ""

    def get(self, path: str, status: int = 200) -> str:
        response = self.client.get(path)
        assert response.status_code == status, (path, response.status_code)
        page = response.get_data(as_text=True)
        if 'name="csrf_token"' in page:
            self.csrf = csrf_of(page)
        self.location = path
        return page

    def post(self, path: str, **form: Any) -> str:
        response = self.client.post(path, data={"csrf_token": self.csrf, **form})
        assert response.status_code == 302, (path, response.status_code)
        return self.get(response.headers["Location"])

    def sign_in(self, number: str) -> str:
        self.get("/portal/login")
        self.post("/portal/login", phone=number)
        return self.post("/portal/login/verify", code=code_sent_to(self.client, number))


@pytest.fixture
def club(client: FlaskClient) -> PaidClub:
    club = PaidClub(client).set_up()
    club.free_a_place()  # Sam's place is held
    return club


@pytest.fixture
def parent(web: Any) -> Browser:
    return Browser(web.test_client())


# ------------------------------------------------------------------ sign in


def test_the_portal_sends_strangers_to_sign_in(parent: Browser) -> None:
    response = parent.client.get("/portal")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/portal/login")


def test_signing_in_with_a_code(club: PaidClub, parent: Browser) -> None:
    page = parent.get("/portal/login")
    assert "Your mobile number" in page
    page = parent.post("/portal/login", phone="020 7946 0009")
    assert ("info", CODE_SENT + " It expires in 10 minutes.") in flashes(page)
    assert "Enter the 6-digit code we sent to" in text_of(page)
    assert phone(PARENT) not in page  # shown masked
    page = parent.post("/portal/login/verify", code=code_sent_to(parent.client, phone(PARENT)))
    assert parent.location == "/portal"
    assert "Signed in as" in text_of(page) and "for Sam" in text_of(page)


def test_a_stranger_gets_the_same_words_and_no_code(club: PaidClub, parent: Browser) -> None:
    parent.get("/portal/login")
    page = parent.post("/portal/login", phone=phone(STRANGER))
    assert ("info", CODE_SENT + " It expires in 10 minutes.") in flashes(page)
    page = parent.post("/portal/login/verify", code="123456")
    assert flashes(page)[0][0] == "error"
    assert parent.client.get("/portal").status_code == 302


def test_a_wrong_code_stays_on_the_code_step(club: PaidClub, parent: Browser) -> None:
    parent.get("/portal/login")
    parent.post("/portal/login", phone=phone(SAM))
    code = code_sent_to(parent.client, phone(SAM))
    page = parent.post("/portal/login/verify", code=f"{(int(code) + 1) % 1_000_000:06d}")
    assert (
        "error",
        "That code isn't right or has expired. Check it, or ask for a new one.",
    ) in flashes(page)
    assert "Sign-in code" in page
    page = parent.post("/portal/login/verify", code=f"{code[:3]} {code[3:]}")  # typed with a space
    assert parent.location == "/portal"


def test_use_another_number_and_sign_out(club: PaidClub, parent: Browser) -> None:
    parent.get("/portal/login")
    parent.post("/portal/login", phone=phone(SAM))
    page = parent.post("/portal/login/again")
    assert "Your mobile number" in page
    parent.sign_in(phone(PARENT))
    page = parent.post("/portal/logout")
    assert ("success", "Signed out.") in flashes(page)
    assert parent.client.get("/portal").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(club: PaidClub, parent: Browser) -> None:
    parent.client.application.config["WTF_CSRF_ENABLED"] = True
    response = parent.client.post("/portal/login", data={"phone": phone(SAM)})
    assert response.status_code == 400
    assert codes_sent_to(parent.client, phone(SAM)) == []


# ---------------------------------------------------------------- dashboard


def test_available_sessions_come_first_with_everything_a_parent_needs(
    club: PaidClub, parent: Browser
) -> None:
    page = parent.sign_in(phone(PARENT))
    board = club.board(club.match_id)
    kickoff = datetime.fromisoformat(board["kickoff_at"])
    expires = datetime.fromisoformat(board["open_offers"][0]["expires_at"])
    text = text_of(page)
    assert text.index("Available Sessions") < text.index("My bookings")
    assert "For Sam" in text
    assert "Tuesday 5s" in text
    assert local_time(kickoff, "Europe/London") in text
    assert re.search(r'href="https://www\.google\.com/maps/search/\?api=1&amp;query=Hackney', page)
    assert "£7.50" in text
    assert f'data-deadline="{expires.isoformat()}"' in page
    assert re.search(r'<button type="submit" class="pay" data-pay>Pay Now</button>', page)
    assert "Decline offer" in text


def test_pay_now_then_the_sandbox_then_back_to_a_confirmed_booking(
    club: PaidClub, parent: Browser
) -> None:
    page = parent.sign_in(phone(PARENT))
    pay = re.search(r'action="(/portal/offers/[0-9a-f-]+/pay)"', page)
    assert pay
    page = parent.post(pay.group(1))
    assert re.fullmatch(r"/pay/sandbox/[0-9a-f-]{36}", parent.location)
    text = text_of(page)
    assert "Sandbox" in text and "£7.50" in text and "Tuesday 5s" in text
    for label in ("Pay", "Fail", "Cancel"):
        assert f">{label}</button>" in page
    page = parent.post(parent.location, outcome="paid")
    assert parent.location.startswith("/portal?paid=")
    assert "Payment received — Sam's place in Tuesday 5s is confirmed." in text_of(page)
    assert "No sessions waiting for you" in text_of(page)
    assert "Confirmed" in text_of(page) and "£7.50 paid" in text_of(page)
    assert club.status(club.sam) == "IN"


def test_a_failed_payment_is_explained(club: PaidClub, parent: Browser) -> None:
    page = parent.sign_in(phone(PARENT))
    pay = re.search(r'action="(/portal/offers/[0-9a-f-]+/pay)"', page)
    assert pay
    parent.post(pay.group(1))
    page = parent.post(parent.location, outcome="failed")
    assert "The payment didn't go through." in text_of(page)
    assert "Pay Now" in page  # the offer is still open
    assert club.status(club.sam) == "HELD"


def test_pay_now_after_the_deadline_says_offer_expired(
    club: PaidClub, parent: Browser, web: Any
) -> None:
    page = parent.sign_in(phone(PARENT))
    pay = re.search(r'action="(/portal/offers/[0-9a-f-]+/pay)"', page)
    assert pay
    web.extensions["booking"].app.clock.advance(timedelta(minutes=61))
    page = parent.post(pay.group(1))
    assert ("error", "Offer expired") in flashes(page)


def test_decline_needs_its_confirmation(club: PaidClub, parent: Browser) -> None:
    page = parent.sign_in(phone(PARENT))
    decline = re.search(r'action="(/portal/offers/[0-9a-f-]+/decline)"', page)
    assert decline
    page = parent.post(decline.group(1))
    assert flashes(page)[0][0] == "error"
    assert club.status(club.sam) == "HELD"
    page = parent.post(decline.group(1), confirm="yes")
    assert (
        "success",
        "Offer declined. The place goes to the next person waiting.",
    ) in flashes(page)
    assert club.status(club.sam) == "OUT"


def test_the_portal_pages_keep_the_strict_csp(club: PaidClub, parent: Browser, web: Any) -> None:
    login = Browser(web.test_client()).get("/portal/login")
    page = parent.sign_in(phone(PARENT))
    pay = re.search(r'action="(/portal/offers/[0-9a-f-]+/pay)"', page)
    assert pay
    sandbox = parent.post(pay.group(1))
    for path in ("/portal", parent.location):
        response = parent.client.get(path)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
    for html in (login, page, sandbox):
        assert "style=" not in html
        assert not re.search(r"<script(?![^>]*\ssrc=)", html)
        assert "portal.js" in html


def test_the_sandbox_page_is_404_for_an_unknown_payment(parent: Browser) -> None:
    parent.get("/pay/sandbox/00000000-0000-4000-8000-000000000000", status=404)


# ------------------------------------------------------------- the centre


@pytest.fixture
def organiser(web: Any) -> Browser:
    client = web.test_client()
    assert admin_sign_in(client).status_code == 302
    return Browser(client)


def test_the_centre_promotes_and_shows_holds_offers_and_payments(
    client: FlaskClient, organiser: Browser
) -> None:
    club = PaidClub(client).set_up(auto_promote=False)
    club.free_a_place()
    centre = f"/admin/matches/{club.match_id}"
    page = organiser.get(centre)
    promote = f"{centre}/waitlist/{club.sam}/promote"
    assert f'action="{promote}"' in page
    assert page.count(">Promote</button>") == 2  # Sam and Ben, both waiting

    page = organiser.post(promote)
    kind, words = flashes(page)[0]
    assert kind == "success" and words.startswith("Offer sent: the place is held until ")
    text = text_of(page)
    assert "Held places" in text and "pays by:" in text and "Not started" in text
    assert page.count(">Promote</button>") == 0  # no place free for Ben
    assert "Payments" in text and "No payments yet." in text

    page = organiser.post(promote)  # again: refused in the domain's words
    assert flashes(page)[0][0] == "error"


def test_the_centre_shows_a_paid_place_and_its_payment(
    club: PaidClub, parent: Browser, organiser: Browser
) -> None:
    page = parent.sign_in(phone(PARENT))
    pay = re.search(r'action="(/portal/offers/[0-9a-f-]+/pay)"', page)
    assert pay
    parent.post(pay.group(1))
    parent.post(parent.location, outcome="paid")
    text = text_of(organiser.get(f"/admin/matches/{club.match_id}"))
    assert "Accepted" in text  # the offer log
    assert "£7.50" in text and "Paid" in text  # the payments table
