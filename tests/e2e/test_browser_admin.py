"""The organiser in a real browser on the live server (seed 004 §6 "Match Control Centre").

The admin signs in, adds two players, creates a match and enables booking,
copies the link; then the players answer IN through the JSON API and the
centre's top row ticks "Booked 1/N", "Booked 2/N" by its live refresh, without
a reload. CSRF is on, as in production; a screenshot is kept at each step.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.browser

CAPACITY = 10
PLAYERS = (("Ana", "+441134960101"), ("Ben", "+441134960102"))


def test_admin_enables_booking_and_watches_the_count_tick(
    live_server: Any, browser: Any, screenshots: Path
):
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 390, "height": 844}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    problems = _watch(page)
    shot = _Shots(page, screenshots)

    page.goto(f"{live_server.url}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/sign-in\?next="))
    shot("sign-in")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Matches", exact=True)).to_be_visible()
    shot("matches")

    _add_players(page, live_server.url)
    shot("players")
    expect(page.get_by_text(PLAYERS[0][1])).to_have_count(0)  # phones are masked

    _create_match(page, live_server)
    expect(page.get_by_role("heading", level=1, name="Thursday 5s")).to_be_visible()
    expect(page.locator('[data-live="booked-box"]')).to_have_text(f"Booked 0/{CAPACITY}")
    shot("new-match")

    page.get_by_role("button", name="Enable self-serve booking").click()
    link_box = page.locator("#booking-link")
    expect(link_box).to_be_visible()
    link = link_box.input_value()
    assert re.search(r"/m/[0-9a-f-]{36}\?token=[\w-]{40,}$", link)
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    shot("booking-enabled")

    # Watch the count with a short refresh interval (the page's default is 15 s).
    page.goto(page.url + "?refresh=1")
    expect(page.locator("#booking-link")).to_have_count(0)  # the link is shown once
    match_id, token = re.findall(r"/m/([0-9a-f-]+)\?token=(.+)$", link)[0]
    for booked, (_, phone) in enumerate(PLAYERS, start=1):
        answer = page.request.post(
            f"{live_server.url}/api/booking/respond",
            data={"match_id": match_id, "token": token, "phone": phone, "action": "IN"},
        )
        assert answer.ok, answer.text()
        assert answer.json()["data"]["status"] == "IN"
        expect(page.locator('[data-live="booked-box"]')).to_have_text(
            f"Booked {booked}/{CAPACITY}", timeout=10_000
        )
        shot(f"booked-{booked}")

    notice = page.locator("[data-live-notice]")
    expect(notice).to_be_visible()
    notice.get_by_role("link", name="Reload the lists").click()
    in_list = page.locator("#list-in").locator("xpath=..")
    for name, _ in PLAYERS:
        expect(in_list.get_by_text(name, exact=True)).to_be_visible()
    shot("lists")
    assert problems == [], problems
    context.close()


def _watch(page: Any) -> list[str]:
    """Script errors, CSP refusals and failed requests of the page, as they happen.

    Resource errors are judged by the responses themselves: the console's
    "Failed to load resource" also reports the browser's own favicon request.
    """
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    return problems


class _Shots:
    """Numbered full-page screenshots into the run's folder."""

    def __init__(self, page: Any, folder: Path) -> None:
        self.page, self.folder, self.n = page, folder, 0

    def __call__(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=True)


def _add_players(page: Any, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/admin/players")
    for name, phone in PLAYERS:
        page.get_by_label("Name").fill(name)
        page.get_by_label("Phone").fill(phone)
        page.get_by_role("button", name="Add player").click()
        expect(page.get_by_text("Player added.")).to_be_visible()
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


def _create_match(page: Any, live_server: Any) -> None:
    kickoff = live_server.club.app.clock.now() + timedelta(days=3)
    local = kickoff.astimezone(ZoneInfo("Europe/London")).replace(hour=19, minute=0)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Title").fill("Thursday 5s")
    page.get_by_label("Kick-off").fill(local.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Location").fill("Hackney Marshes")
    page.get_by_label("Capacity").fill(str(CAPACITY))
    page.get_by_role("button", name="Create match").click()
