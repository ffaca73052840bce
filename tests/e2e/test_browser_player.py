"""The player on the shared link in a real browser (seed 004 §2, §4, §8.2, §18).

Debian's chromium on the live server, a phone-sized window. The club is set up
through ``BookingApp`` itself; the player only uses the page: enters a phone,
taps IN / OUT / Join the waitlist / Claim, and reads what the page says. The
page polls every second here (``?poll=1``; 15 s by default) so a test need not
wait. A numbered screenshot is kept at each key step (``screenshots``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from booking_domain.wording import local_time

pytestmark = pytest.mark.browser

INVALID = "This link isn't valid anymore. Please ask the organiser for a new one."
ANA, BEN, CARA = "+442079460101", "+442079460102", "+442079460103"


def test_a_player_enters_their_phone_and_goes_in(live_server: Any, browser: Any, screenshots: Path):
    from playwright.sync_api import expect

    club = _Club(live_server)
    club.player("Ana", ANA)
    match_id, token = club.match(capacity=10)
    page, shot, problems = _open(browser, screenshots)

    page.goto(club.link(match_id, token))
    expect(page.get_by_role("heading", level=1, name="Tuesday 5s")).to_be_visible()
    expect(page.locator("#counts")).to_have_text("0/10 confirmed • 0 waiting")
    expect(page.locator("#hint")).to_have_text("10 spots left — tap IN to secure yours.")
    expect(page.get_by_role("link", name=re.compile("Hackney Marshes"))).to_have_attribute(
        "href", re.compile(r"^https://www\.google\.com/maps/search/")
    )
    expect(page.get_by_role("link", name="Add to calendar")).to_have_attribute(
        "href", f"/api/calendar/match/{match_id}.ics?token={token}"
    )
    shot("link-opened")

    page.get_by_label("Your mobile number").fill("020 7946 0101")
    page.get_by_role("button", name="IN", exact=True).click()
    expect(page.locator("#my-status")).to_have_text("You're IN ✓")
    expect(page.locator("#counts")).to_have_text("1/10 confirmed • 0 waiting")
    expect(page.locator("#in-button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#who")).to_have_text(re.compile("Answering for 020 7946 0101"))
    assert club.status(match_id, ANA) == "IN"
    shot("in")

    # Remembered on this device: the next visit knows who is looking.
    page.reload()
    expect(page.locator("#my-status")).to_have_text("You're IN ✓")
    expect(page.get_by_label("Your mobile number")).to_be_hidden()

    # OUT, open to a call back: the place is held during the grace period.
    page.get_by_label("Might be available later").check()
    page.get_by_role("button", name="OUT", exact=True).click()
    expect(page.locator("#my-status")).to_have_text(
        re.compile(r"^Your place is still held for you until \d\d:\d\d — tap IN to keep it\.$")
    )
    expect(page.locator("#counts")).to_have_text("0/10 confirmed • 0 waiting")
    shot("out-in-grace")
    page.get_by_role("button", name="IN", exact=True).click()
    expect(page.locator("#my-status")).to_have_text("You're IN ✓")
    expect(page.locator("#counts")).to_have_text("1/10 confirmed • 0 waiting")

    page.get_by_role("button", name="Not you?").click()
    expect(page.get_by_label("Your mobile number")).to_be_visible()
    expect(page.locator("#my-status")).to_have_text("")
    assert page.evaluate("localStorage.getItem('booking.phone')") is None
    shot("forgotten")
    assert problems == [], problems


def test_waitlist_dropout_offer_and_claim(live_server: Any, browser: Any, screenshots: Path):
    from playwright.sync_api import expect

    club = _Club(live_server)
    for name, phone in (("Ana", ANA), ("Ben", BEN), ("Cara", CARA)):
        club.player(name, phone)
    match_id, token = club.match(capacity=2)
    club.respond(match_id, token, ANA, "IN")
    club.respond(match_id, token, BEN, "IN")
    page, shot, problems = _open(browser, screenshots)

    page.goto(club.link(match_id, token))
    expect(page.locator("#hint")).to_have_text(
        "Game is full. Join the waitlist as #1 — first to claim gets in."
    )
    shot("full")
    page.get_by_label("Your mobile number").fill(CARA)
    page.get_by_role("button", name="Join the waitlist as #1").click()
    expect(page.locator("#my-status")).to_have_text(
        "You're #1 on the waitlist — first to claim gets in."
    )
    expect(page.locator("#counts")).to_have_text("2/2 confirmed • 1 waiting")
    shot("waitlisted")

    club.respond(match_id, token, ANA, "OUT")  # a dropout: five minutes' grace
    answer = page.request.post(f"{live_server.url}/api/test-clock", data={"advance_seconds": 360})
    assert answer.ok, answer.text()

    banner = page.locator("#offer-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Spot open! First to claim gets it.")
    expect(page.locator("#offer-countdown")).to_have_text(re.compile(r"^\d+h \d+min$"))
    expect(page.locator("#counts")).to_have_text("1/2 confirmed • 1 waiting")
    shot("offer")

    banner.get_by_role("button", name="Claim spot").click()
    expect(page.locator("#my-status")).to_have_text("You're IN ✓")
    expect(page.locator("#counts")).to_have_text("2/2 confirmed • 0 waiting")
    expect(banner).to_be_hidden()
    assert club.status(match_id, CARA) == "IN"
    shot("claimed")
    assert problems == [], problems


def test_a_rotated_token_shows_the_invalid_link_message(
    live_server: Any, browser: Any, screenshots: Path
):
    from playwright.sync_api import expect

    club = _Club(live_server)
    match_id, old = club.match(capacity=10)
    page, shot, _ = _open(browser, screenshots)

    page.goto(club.link(match_id, old))
    expect(page.locator("#counts")).to_have_text("0/10 confirmed • 0 waiting")
    fresh = live_server.club.app.enable_booking(UUID(match_id)).value  # the organiser rotates it
    # The open page learns it at its next poll.
    expect(page.locator("#error")).to_have_text(INVALID)
    expect(page.locator("#in-button")).to_be_disabled()
    shot("rotated-while-open")

    answer = page.goto(club.link(match_id, old))
    assert answer is not None and answer.status == 403
    expect(page.get_by_text(INVALID)).to_be_visible()
    expect(page.locator("#in-button")).to_have_count(0)
    shot("invalid-link")
    page.goto(club.link(match_id, fresh))
    expect(page.locator("#counts")).to_be_visible()


def test_too_early_in_tiered_mode_counts_down_to_the_window(
    live_server: Any, browser: Any, screenshots: Path
):
    from playwright.sync_api import expect

    club = _Club(live_server)
    club.player("Cy", CARA, tier="C")
    opens = club.now() + timedelta(hours=2, minutes=15)
    match_id, token = club.match(
        capacity=10, invite_mode="tiered", tier_windows={"b_open_at": opens, "c_open_at": opens}
    )
    page, shot, problems = _open(browser, screenshots)
    when = local_time(opens, "Europe/London")

    page.goto(club.link(match_id, token))
    expect(page.locator("#opening-note")).to_have_text(re.compile(r"Tiers B\+C open in 2h 1\dmin"))
    shot("tiered-visitor")

    page.get_by_label("Your mobile number").fill(CARA)
    page.get_by_role("button", name="IN", exact=True).click()
    expect(page.locator("#hint")).to_have_text(
        f"Too early — Tier C opens at {when}. The IN button will appear here 👍"
    )
    expect(page.locator("#in-button")).to_be_disabled()
    expect(page.locator("#opens-in")).to_have_text(re.compile(r"^Opens in 2h 1\dmin$"))
    shot("too-early-tap")

    page.reload()  # the phone is remembered: the page knows Cy's window before a tap
    expect(page.locator("#hint")).to_have_text(
        f"Booking opens for Tier C at {when}. (Tiers B+C open together)"
    )
    expect(page.locator("#in-button")).to_be_disabled()
    expect(page.locator("#opens-in")).to_have_text(re.compile(r"^Opens in 2h 1\dmin$"))
    shot("before-window")

    answer = page.request.post(
        f"{live_server.url}/api/test-clock", data={"advance_seconds": 2 * 3600 + 16 * 60}
    )
    assert answer.ok, answer.text()
    expect(page.locator("#in-button")).to_be_enabled()
    expect(page.locator("#hint")).to_have_text("10 spots left — tap IN to secure yours.")
    expect(page.locator("#opens-in")).to_be_hidden()
    page.get_by_role("button", name="IN", exact=True).click()
    expect(page.locator("#my-status")).to_have_text("You're IN ✓")
    shot("window-open")
    assert problems == [], problems


def test_an_unknown_number_is_asked_for_a_name(live_server: Any, browser: Any, screenshots: Path):
    from playwright.sync_api import expect

    club = _Club(live_server)
    match_id, token = club.match(capacity=10)
    page, shot, problems = _open(browser, screenshots)
    page.goto(club.link(match_id, token))
    page.get_by_label("Your mobile number").fill("+441134960199")
    page.get_by_role("button", name="IN", exact=True).click()
    # The club's default: ringers may not book themselves. The API's words, verbatim.
    expect(page.locator("#error")).to_have_text(
        "Please ask the organiser to add you for this match."
    )
    shot("ringer-blocked")

    live_server.club.app.change_settings({"enable_ringer_self_book": True})
    page.get_by_role("button", name="IN", exact=True).click()
    name = page.get_by_label("Enter your name to join the list:")
    expect(name).to_be_visible()
    expect(name).to_have_attribute("maxlength", "14")
    name.fill("Dee the Ringer")
    expect(page.locator("#name-count")).to_have_text("14/14")
    shot("name-prompt")
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#my-status")).to_have_text("You're IN ✓")
    expect(name).to_be_hidden()
    expect(page.locator("#counts")).to_have_text("1/10 confirmed • 0 waiting")
    shot("ringer-in")
    assert problems == [], problems


def test_instant_claim_near_kick_off(live_server: Any, browser: Any, screenshots: Path):
    from playwright.sync_api import expect

    club = _Club(live_server)
    club.player("Ana", ANA)
    club.player("Ben", BEN)
    match_id, token = club.match(capacity=1, kickoff_in=timedelta(hours=1))
    club.respond(match_id, token, ANA, "IN")
    club.respond(match_id, token, BEN, "WAITLIST")
    club.advance(timedelta(minutes=35))  # under 30 minutes to go
    club.respond(match_id, token, ANA, "OUT")
    club.advance(timedelta(minutes=2))  # past the one-minute grace: the place is free
    page, shot, problems = _open(browser, screenshots)
    page.goto(club.link(match_id, token))
    page.get_by_label("Your mobile number").fill(BEN)
    page.get_by_role("button", name="Continue").click()
    banner = page.locator("#instant-banner")
    expect(banner).to_contain_text("Kick-off soon! Spots are first-come, first-served.")
    expect(page.locator("#offer-banner")).to_be_hidden()  # no timers in instant claim
    shot("instant-claim")
    banner.get_by_role("button", name="Claim spot").click()
    expect(page.locator("#my-status")).to_have_text("You're IN ✓")
    expect(page.locator("#counts")).to_have_text("1/1 confirmed • 0 waiting")
    shot("instant-claimed")
    assert problems == [], problems


# ----------------------------------------------------------------- helpers


class _Club:
    """The club behind the live server, set up through the application itself."""

    def __init__(self, live_server: Any) -> None:
        self.server = live_server
        self.app = live_server.club.app

    def now(self) -> datetime:
        return self.app.clock.now()  # type: ignore[no-any-return]

    def player(self, name: str, phone: str, tier: str = "C") -> None:
        self.settle(self.app.register_player(name=name, phone=phone, tier=tier))

    def match(
        self, capacity: int, kickoff_in: timedelta = timedelta(days=3), **booking: Any
    ) -> tuple[str, str]:
        match_id = self.app.schedule_match(
            title="Tuesday 5s",
            kickoff_at=self.now() + kickoff_in,
            location="Hackney Marshes",
            capacity=capacity,
        ).value
        done = self.app.enable_booking(match_id, **booking)
        self.settle(done)
        return str(match_id), str(done.value)

    def respond(self, match_id: str, token: str, phone: str, action: str) -> None:
        self.settle(
            self.app.respond(match_id=UUID(match_id), token=token, phone=phone, action=action)
        )

    def advance(self, by: timedelta) -> None:
        """Move the test clock: every timer due fires, read models catch up."""
        self.server.club.system.engine.advance(by=by)
        self.server.club.views.catch_up()

    def status(self, match_id: str, phone: str) -> str:
        player = self.app.find_player_by_phone(phone)
        return str(self.app.standing(UUID(match_id), player.id).status)

    def settle(self, done: Any) -> None:
        """The read models include this write before the page reads them."""
        self.server.club.views.wait_for(done.position, timeout=5.0)

    def link(self, match_id: str, token: str) -> str:
        return f"{self.server.url}/m/{match_id}?token={token}&poll=1"


def _open(browser: Any, folder: Path) -> tuple[Any, Any, list[str]]:
    """A phone-sized page, its screenshot taker and the script errors it reports."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []

    def console(message: Any) -> None:
        # Refusals (409, 403) are answers the page shows; script and CSP errors are not.
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    count = [0]

    def shot(name: str) -> None:
        count[0] += 1
        page.screenshot(path=str(folder / f"{count[0]:02d}-{name}.png"), full_page=True)

    return page, shot, problems
