"""Paid places in a real browser (seed 000): the parent pays, the next offer lapses.

Debian's chromium on the live server, phone-sized, CSRF on. Sam and Ben are
each held a freed place in a priced match. Sam's parent signs in to the
portal with the code the dev inbox caught, finds the "Available Session"
counting down, pays on the sandbox checkout and comes back to a confirmed
booking; the organiser's centre shows Sam IN and the payment. Ben, signed in
too, lets his offer run out: the test clock moves past it, his Pay Now turns
to "Offer expired", and the centre shows the place offered to Cara.
A numbered screenshot is kept at each step (``screenshots``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.e2e.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.browser

ANA, SAM, BEN, CARA = "+442079460101", "+442079460103", "+442079460104", "+442079460105"
PARENT = "+442079460109"
CODE = re.compile(r"Your sign-in code is (\d{6})\.")


def test_a_parent_pays_and_a_lapsed_offer_moves_on(
    live_server: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    match_id, _ = _club_with_two_held_places(live_server)
    shots = _Shots(screenshots)

    parent, parent_problems = _page(browser)
    _sign_in(parent, live_server.url, PARENT)
    offer = parent.locator("[data-offer]")
    expect(offer).to_have_count(1)
    expect(offer).to_contain_text("For Sam")
    expect(offer).to_contain_text("Paid 5s")
    expect(offer).to_contain_text("£7.50")
    expect(offer.get_by_role("link", name=re.compile("Hackney Marshes"))).to_have_attribute(
        "href", re.compile(r"^https://www\.google\.com/maps/search/")
    )
    countdown = offer.locator("[data-deadline]")
    expect(countdown).to_have_text(re.compile(r"^(59:\d\d|1h 0min)$"))
    first = countdown.text_content()
    expect(countdown).not_to_have_text(first or "", timeout=3_000)  # it is live
    shots.take(parent, "available-session")

    offer.get_by_role("button", name="Pay Now").click()
    expect(parent).to_have_url(re.compile(r"/pay/sandbox/[0-9a-f-]{36}$"))
    expect(parent.get_by_role("heading", level=1)).to_have_text("Pay £7.50")
    shots.take(parent, "sandbox-checkout")
    parent.get_by_role("button", name="Pay", exact=True).click()
    expect(parent).to_have_url(re.compile(r"/portal\?paid="))
    expect(
        parent.get_by_text("Payment received — Sam's place in Paid 5s is confirmed.")
    ).to_be_visible()
    bookings = parent.locator(".bookings")
    expect(bookings).to_contain_text("Sam")
    expect(bookings).to_contain_text("Confirmed")
    shots.take(parent, "paid")

    ben, ben_problems = _page(browser)
    _sign_in(ben, live_server.url, BEN)
    ben.goto(f"{live_server.url}/portal?poll=1")  # asks every second whether offers stand
    pay = ben.locator("[data-offer]").get_by_role("button", name="Pay Now")
    expect(pay).to_be_enabled()
    answer = ben.request.post(f"{live_server.url}/api/test-clock", data={"advance_seconds": 3660})
    assert answer.ok, answer.text()
    expired = ben.locator("[data-offer] [data-pay]")
    expect(expired).to_have_text("Offer expired")
    expect(expired).to_be_disabled()
    shots.take(ben, "offer-expired")

    admin, admin_problems = _page(browser)
    admin.goto(f"{live_server.url}/admin/sign-in?next=/admin/matches/{match_id}")
    admin.get_by_label("Admin token").fill(ADMIN_TOKEN)
    admin.get_by_role("button", name="Sign in").click()
    expect(admin.locator(".list-in")).to_contain_text("Sam")
    expect(admin.locator(".list-held")).to_contain_text("Cara")  # the next one in line
    expect(admin.locator(".list-waitlist")).to_contain_text("Ben")  # keeps his place
    expect(admin.locator(".holds")).to_contain_text("Cara")
    log = admin.locator("table", has_text="Outcome")
    expect(log.locator("tr", has_text="Ben")).to_contain_text("Expired")
    expect(log.locator("tr", has_text="Sam")).to_contain_text("Accepted")
    payments = admin.locator("table", has_text="Amount")
    expect(payments.locator("tr", has_text="Sam")).to_contain_text("Paid")
    expect(payments).to_contain_text("£7.50")
    shots.take(admin, "centre")
    assert parent_problems + ben_problems + admin_problems == []


def test_the_organiser_promotes_from_the_centre(
    live_server: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    match_id, _ = _club_with_two_held_places(live_server, auto_promote=False)
    shots = _Shots(screenshots)
    admin, problems = _page(browser)
    admin.goto(f"{live_server.url}/admin/sign-in?next=/admin/matches/{match_id}")
    admin.get_by_label("Admin token").fill(ADMIN_TOKEN)
    admin.get_by_role("button", name="Sign in").click()
    waiting = admin.locator(".list-waitlist li", has_text="Ben")
    waiting.get_by_role("button", name="Promote").click()
    expect(admin.get_by_text(re.compile("^Offer sent: the place is held until"))).to_be_visible()
    expect(admin.locator(".list-held")).to_contain_text("Ben")
    expect(admin.locator(".holds li", has_text="Ben")).to_contain_text(re.compile(r"pays by: \d"))
    shots.take(admin, "promoted")
    assert problems == []


def test_the_booking_link_sends_a_held_player_to_the_portal(
    live_server: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    match_id, token = _club_with_two_held_places(live_server)
    shots = _Shots(screenshots)
    page, problems = _page(browser)
    page.goto(f"{live_server.url}/m/{match_id}?token={token}&poll=1")
    page.get_by_label("Your mobile number").fill(SAM)
    page.get_by_role("button", name="Continue").click()
    held = page.locator("#held-note")
    expect(held).to_have_text(
        re.compile(r"^A place is held for you until \d\d:\d\d — log in to pay$")
    )
    expect(held.get_by_role("link", name="log in to pay")).to_have_attribute("href", "/portal")
    expect(page.locator("#offer-banner")).to_be_hidden()  # paid for, not claimed
    shots.take(page, "held-on-the-link")
    held.get_by_role("link", name="log in to pay").click()
    expect(page).to_have_url(re.compile(r"/portal/login$"))
    assert problems == []


# ----------------------------------------------------------------- helpers


def _club_with_two_held_places(live_server: Any, *, auto_promote: bool = True) -> tuple[str, str]:
    """Ana IN; Sam (a parent's phone as guardian), Ben and Cara waiting; two places freed."""
    app = live_server.club.app
    for name, number in (("Ana", ANA), ("Sam", SAM), ("Ben", BEN), ("Cara", CARA)):
        guardians = [PARENT] if name == "Sam" else []
        app.register_player(name=name, phone=number, guardian_phones=guardians)
    match_id = app.schedule_match(
        title="Paid 5s",
        kickoff_at=app.clock.now() + timedelta(days=3),
        location="Hackney Marshes",
        capacity=1,
        price_minor=750,
        auto_promote=auto_promote,
    ).value
    token = app.enable_booking(match_id).value
    for number, action in ((ANA, "IN"), (SAM, "WAITLIST"), (BEN, "WAITLIST"), (CARA, "WAITLIST")):
        app.respond(match_id=match_id, token=token, phone=number, action=action)
    done = app.change_capacity(match_id, 3)
    live_server.club.views.wait_for(done.position, timeout=5.0)
    return str(UUID(str(match_id))), str(token)


def _sign_in(page: Any, url: str, number: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/portal")
    expect(page).to_have_url(re.compile(r"/portal/login$"))
    page.get_by_label("Your mobile number").fill(number)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("Sign-in code")).to_be_visible()
    inbox = page.request.get(f"{url}/api/test-clock/inbox", params={"phone": number}).json()
    codes = [m["text"] for m in inbox["data"] if m["kind"] == "login_code"]
    found = CODE.match(codes[-1])
    assert found
    page.get_by_label("Sign-in code").fill(found.group(1))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Available Sessions")).to_be_visible()


class _Shots:
    """Numbered screenshots across the pages of one test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def take(self, page: Any, name: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)


def _page(browser: Any) -> tuple[Any, list[str]]:
    """A phone-sized page of its own (its own cookies) and the script errors it reports."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page, problems
