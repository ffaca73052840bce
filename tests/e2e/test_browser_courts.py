"""Court slots in a real browser (seed 002): a member requests a slot, a second joins
its waitlist with their own cart, the admin rejects the first from the Approvals
page, and the second finds a pending booking with its check-in QR code.

Debian's chromium on the live server, phone-sized, CSRF on; screenshots kept.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import ADMIN_TOKEN
from tests.e2e.test_browser_portal import _page, _Shots

pytestmark = pytest.mark.browser

ANA, BEN = "+442079460201", "+442079460202"
CODE = re.compile(r"Your sign-in code is (\d{6})\.")


def test_a_rejected_request_hands_the_slot_to_the_waiting_member(
    live_server: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    app = live_server.club.app
    for name, number in (("Ana", ANA), ("Ben", BEN)):
        app.register_player(name=name, phone=number)
    starts = app.clock.now() + timedelta(hours=30)
    for court in ("Court 1", "Court 2"):
        done = app.schedule_slot(
            court=court, sport="padel", starts_at=starts, ends_at=starts + timedelta(hours=1),
            price_minor=1200,
        )  # fmt: skip
    live_server.club.views.wait_for(done.position, timeout=5.0)
    day = starts.astimezone(ZoneInfo("Europe/London")).date().isoformat()
    start = f"{starts.astimezone(ZoneInfo('Europe/London')):%H:%M}"
    shots = _Shots(screenshots)

    ana, ana_problems = _page(browser)
    _sign_in(ana, live_server.url, ANA)
    ana.goto(f"{live_server.url}/portal/courts?date={day}")
    ana.get_by_role("checkbox", name=re.compile(f"^Free .*Court 1 {start}$")).check()
    shots.take(ana, "ana-picks-court-1")
    ana.get_by_role("button", name="Request selected slots").click()
    expect(
        ana.get_by_text("Request sent: 1 slot held for you until the club approves.")
    ).to_be_visible()
    expect(ana.locator(".requests")).to_contain_text("Awaiting approval")

    ben, ben_problems = _page(browser)
    _sign_in(ben, live_server.url, BEN)
    ben.goto(f"{live_server.url}/portal/courts?date={day}")
    ben.get_by_role(
        "checkbox", name=re.compile(f"^Pending — join waitlist .*Court 1 {start}$")
    ).check()
    ben.get_by_role("button", name="Request selected slots").click()
    expect(ben.locator(".requests")).to_contain_text("On the waitlist")
    expect(ben.locator(".requests")).to_contain_text("number 1 in the queue")
    shots.take(ben, "ben-waits")

    admin, admin_problems = _page(browser)
    admin.goto(f"{live_server.url}/admin/sign-in?next=/admin/approvals")
    admin.get_by_label("Admin token").fill(ADMIN_TOKEN)
    admin.get_by_role("button", name="Sign in").click()
    request = admin.locator("li.request", has_text="Ana")
    expect(request).to_contain_text("1 waiting behind")
    request.get_by_label("Reason for rejecting Ana").fill("Court 1 is being resurfaced")
    shots.take(admin, "approvals")
    request.get_by_role("button", name="Reject Ana").click()
    expect(admin.get_by_text("Request rejected.")).to_be_visible()
    expect(admin.locator("li.request", has_text="Ben")).to_contain_text("from the waitlist")

    ben.goto(f"{live_server.url}/portal/requests")
    booking = ben.locator("li.request.booking")
    expect(booking).to_contain_text("Awaiting approval")
    qr = booking.locator("figure.qr svg")
    expect(qr).to_be_visible()
    code = booking.locator(".checkin-code").text_content() or ""
    assert code.startswith("CK1.")
    expect(ben.locator("li.request.waiting")).to_contain_text("Slot freed — now a pending booking")
    shots.take(ben, "ben-pending-with-qr")
    ana.goto(f"{live_server.url}/portal/requests")
    expect(ana.locator("li.request")).to_contain_text("Court 1 is being resurfaced")

    # At the desk, the pasted code is refused until the booking is approved.
    admin.goto(f"{live_server.url}/admin/checkin")
    admin.get_by_label("Check-in code").fill(code)
    admin.get_by_role("button", name="Check in").click()
    expect(admin.get_by_text("This booking isn't confirmed yet.")).to_be_visible()
    assert ana_problems + ben_problems + admin_problems == []


def _sign_in(page: Any, url: str, number: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/portal/login")
    page.get_by_label("Your mobile number").fill(number)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("Sign-in code")).to_be_visible()
    inbox = page.request.get(f"{url}/api/test-clock/inbox", params={"phone": number}).json()
    codes = [m["text"] for m in inbox["data"] if m["kind"] == "login_code"]
    found = CODE.match(codes[-1])
    assert found
    page.get_by_label("Sign-in code").fill(found.group(1))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="My requests")).to_be_visible()


def test_the_desk_reads_a_qr_code_from_the_camera(
    live_server: Any, screenshots: Path, tmp_path: Path
) -> None:
    """The check-in page's camera: chromium's fake camera shows the member's QR code
    (drawn by the app, turned into video frames here); the page reads it and checks in."""
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS
    from web.courts import code_for, codes

    app = live_server.club.app
    app.register_player(name="Ana", phone=ANA)
    starts = app.clock.now() + timedelta(hours=30)
    slot = app.schedule_slot(
        court="Court 1", sport="padel", starts_at=starts, ends_at=starts + timedelta(hours=1)
    ).value
    answer = app.request_slots(phone=ANA, slots=[{"match_id": slot}]).value
    app.approve_request(slot, answer.player_id)
    seq = app.get_match(slot).roster.get(answer.player_id).placed_seq
    with live_server.app.app_context():
        code = code_for(slot, answer.player_id, seq)
        png = codes().qr_png(code)
    video = tmp_path / "qr.y4m"
    _qr_video(png, video)

    flags = [
        *CHROMIUM_FLAGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            context.grant_permissions(["camera"], origin=live_server.url)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/admin/sign-in?next=/admin/checkin")
            page.get_by_label("Admin token").fill(ADMIN_TOKEN)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("button", name="Scan with camera").click()
            checked = page.get_by_text("Checked in: Ana — Court 1 · padel.")
            expect(checked).to_be_visible(timeout=20_000)
            page.screenshot(path=str(screenshots / "checked-in-by-camera.png"), full_page=True)
        finally:
            browser.close()
    assert app.get_match(slot).checked_in_at(answer.player_id, seq) is not None


def _qr_video(png: bytes, path: Path) -> None:
    """A few seconds of 640×480 Y4M video showing the QR code (what a camera would see)."""
    import io

    from PIL import Image

    code = Image.open(io.BytesIO(png)).convert("L")
    side = min(440, code.width * 2)
    frame = Image.new("L", (640, 480), 255)
    frame.paste(code.resize((side, side), Image.NEAREST), ((640 - side) // 2, (480 - side) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (320 * 240)
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(30):
            out.write(b"FRAME\n" + luma + chroma + chroma)
