"""The court pages (seed 002): a member books from the day grid and follows "My
requests" with its QR code; the admin decides on the Approvals page, sees the Courts
grid, and checks a code in at the desk."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from tests.e2e.api import phone
from tests.e2e.courts import CourtClub
from tests.e2e.test_admin_pages import Admin, flashes, text_of
from tests.e2e.test_admin_pages import sign_in as admin_sign_in
from tests.e2e.test_portal_pages import Browser

ANA, BEN = 1, 2


def member(web: Any, club: CourtClub, name: str, n: int) -> Browser:
    club.player(name, n)
    browser = Browser(web.test_client())
    browser.sign_in(phone(n))
    return browser


def test_book_queue_reject_and_check_in_through_the_pages(web: Any, client: FlaskClient) -> None:
    club = CourtClub(client)
    slot = club.slot("Court 1", hours_from_now=30)
    club.slot("Court 2", hours_from_now=30)
    ana, ben = member(web, club, "Ana", ANA), member(web, club, "Ben", BEN)
    day = (club.now() + timedelta(hours=30)).astimezone(ZoneInfo("Europe/London")).date()
    page = ana.get(f"/portal/courts?date={day}")
    assert f'value="{slot}"' in page and "Free" in text_of(page)
    page = ana.post("/portal/courts", match_id=slot, date="")
    assert ("success", "Request sent: 1 slot held for you until the club approves.") in flashes(
        page
    )
    assert "Awaiting approval" in text_of(page)

    mine = ana.get(f"/portal/courts?date={day}")
    assert "Yours — awaiting approval" in text_of(mine)
    assert f'value="{slot}"' not in mine  # nothing to tick on one's own slot
    ben.get(f"/portal/courts?date={day}")
    page = ben.post("/portal/courts", match_id=slot)
    assert "on the waitlist with your own cart" in text_of(page)
    assert "number 1 in the queue" in text_of(page)
    assert "Yours — on the waitlist, #1" in text_of(ben.get(f"/portal/courts?date={day}"))

    assert admin_sign_in(client).status_code == 302
    admin = Admin(client, web.extensions["booking"])
    queue = admin.get("/admin/approvals")
    assert "Ana" in text_of(queue) and "1 waiting behind" in text_of(queue)
    request_id = re.search(r'data-request="([^"]+)"', queue)
    assert request_id is not None
    page = admin.post(f"/admin/approvals/{request_id.group(1)}/reject", reason="Court closed")
    assert ("success", "Request rejected.") in flashes(page)
    assert "Ben" in text_of(page) and "from the waitlist" in text_of(page)

    mine = ben.get("/portal/requests")
    assert "Slot freed — now a pending booking" in text_of(mine)
    assert "<svg" in mine and "Check-in code" in text_of(mine)
    code = re.search(r'class="checkin-code">([^<]+)<', mine)
    assert code is not None
    assert "Rejected" in text_of(ana.get("/portal/requests"))
    assert "Court closed" in text_of(ana.get("/portal/requests"))

    # Not approved yet: the desk refuses it; approved (in bulk): checked in once.
    admin.get("/admin/checkin")
    page = admin.post("/admin/checkin", code=code.group(1))
    assert ("error", "This booking isn't confirmed yet.") in flashes(page)
    queue = admin.get("/admin/approvals")
    ben_request = re.search(r'data-request="([^"]+)"', queue)
    assert ben_request is not None
    page = admin.post(
        "/admin/approvals/bulk", decision="approve", request_id=[ben_request.group(1)]
    )
    assert ("success", "1 of 1 requests approved.") in flashes(page)
    admin.get("/admin/checkin")
    page = admin.post("/admin/checkin", code=code.group(1))
    assert ("success", "Checked in: Ben — Court 1 · tennis.") in flashes(page)
    page = admin.post("/admin/checkin", code=code.group(1))
    assert any(
        kind == "error" and text.startswith("Already checked in at") for kind, text in flashes(page)
    )
    page = admin.post("/admin/checkin", code="not a code")
    assert ("error", "code: This isn't a check-in code from this club.") in flashes(page) or any(
        "This isn't a check-in code from this club." in text for _, text in flashes(page)
    )


def test_the_courts_grid_and_a_day_of_slots(web: Any, client: FlaskClient) -> None:
    assert admin_sign_in(client).status_code == 302
    admin = Admin(client, web.extensions["booking"])
    page = admin.get("/admin/slots?date=2026-12-05")
    assert "No court slots on this day yet." in text_of(page)
    page = admin.post(
        "/admin/slots",
        date="2026-12-05",
        courts="Court 1, Court 2",
        sport="padel",
        first_start="09:00",
        last_start="11:00",
        length_minutes="60",
        price="12",
    )
    assert ("success", "6 slots created.") in flashes(page)
    text = text_of(page)
    assert "09:00–10:00" in text and "11:00–12:00" in text and text.count("Free") == 6


def test_the_match_centre_of_a_slot_approves_its_request(web: Any, client: FlaskClient) -> None:
    club = CourtClub(client)
    slot = club.slot("Court 1", hours_from_now=30)
    ana = member(web, club, "Ana", ANA)
    day = (club.now() + timedelta(hours=30)).astimezone(ZoneInfo("Europe/London")).date()
    ana.get(f"/portal/courts?date={day}")
    ana.post("/portal/courts", match_id=slot)
    assert admin_sign_in(client).status_code == 302
    admin = Admin(client, web.extensions["booking"])
    page = admin.get(f"/admin/matches/{slot}")
    assert "Awaiting approval" in text_of(page)
    page = admin.post(f"/admin/matches/{slot}/bookings/{ana_id(web, ANA)}/approve")
    assert ("success", "Request approved.") in flashes(page)
    assert "Awaiting approval" not in text_of(page)


def ana_id(web: Any, n: int) -> Any:
    return web.extensions["booking"].app.find_player_by_phone(phone(n)).id
