"""The Match Control Centre through Flask's test client (seed 004 §6, §18 "Admin UI Copy").

Each button of the centre does what it says, and a refused action shows the
domain's own words. The helpers are those of ``test_admin_pages``.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from projections.match_views import match_dashboard
from tests.e2e.test_admin_pages import Admin, centre, flashes, phone, sign_in, text_of


@pytest.fixture
def admin(web: Any, client: FlaskClient) -> Admin:
    assert sign_in(client).status_code == 302
    signed_in = Admin(client, web.extensions["booking"])
    signed_in.get("/admin/")
    return signed_in


@pytest.fixture
def match_id(admin: Admin) -> UUID:
    return admin.new_match()


def test_the_booking_link_is_shown_once_renewed_and_switched_off(admin: Admin, match_id: UUID):
    page = admin.post(f"{centre(match_id)}/booking/enable")

    found = re.search(r'id="booking-link"[^>]*value="([^"]+)"', page)
    assert found, "the fresh link is on the page"
    link = html.unescape(found.group(1))
    token = link.split(f"/m/{match_id}?token=")[1]
    assert "Copy link" in page
    assert f"→ {link}" in html.unescape(page)  # the share message carries it
    admin.player("Ana", 1)
    admin.answer(match_id, token, 1)  # the link works

    again = admin.get(centre(match_id))
    assert token not in again
    assert "Self-serve booking: On" in text_of(again)
    renewed = admin.post(f"{centre(match_id)}/booking/enable")  # "New link"
    assert re.search(r"token=([\w-]+)", renewed).group(1) != token  # type: ignore[union-attr]
    with pytest.raises(Exception, match="isn't valid anymore"):
        admin.answer(match_id, token, 1)

    page = admin.post(f"{centre(match_id)}/booking/disable")
    assert "Self-serve booking: Off" in text_of(page)
    assert "Enable self-serve booking" in page


def test_capacity_and_manual_add_which_works_over_capacity(admin: Admin, match_id: UUID):
    page = admin.post(f"{centre(match_id)}/capacity", capacity="1")
    assert ("success", "Capacity changed.") in flashes(page)
    assert "Booked 0/1" in text_of(page)
    ana, ben = admin.player("Ana", 1), admin.player("Ben", 2)

    admin.post(f"{centre(match_id)}/players", player_id=str(ana))
    page = admin.post(f"{centre(match_id)}/players", player_id=str(ben))

    assert "Booked 2/1" in text_of(page)
    assert 'class="count over"' in page
    players = admin.read(match_dashboard, match_id)["players"]
    assert {p["name"] for p in players if p["status"] == "IN"} == {"Ana", "Ben"}


def test_release_spot_now_ends_a_dropouts_grace(admin: Admin, match_id: UUID):
    token = admin.app.enable_booking(match_id).value
    ana, ben = admin.player("Ana", 1), admin.player("Ben", 2)
    admin.app.add_player_to_match(match_id, ben)
    page = admin.post(f"{centre(match_id)}/dropouts/{ben}/release")
    assert ("error", "That player has no place in grace to release.") in flashes(page)

    admin.answer(match_id, token, 1)
    admin.answer(match_id, token, 1, action="OUT")
    page = admin.get(centre(match_id))
    assert "Release spot now" in page
    assert "Skip grace period and free this spot immediately" in page
    assert 'class="badge grace"' in page

    page = admin.post(f"{centre(match_id)}/dropouts/{ana}/release")
    assert ("success", "Spot released.") in flashes(page)
    assert admin.read(match_dashboard, match_id)["in_grace"] == 0
    assert "No dropouts in grace." in page


def test_lock_balance_complete_show_only_the_next_step(admin: Admin, match_id: UUID):
    page = admin.post(f"{centre(match_id)}/complete")
    assert ("error", "A match in Draft cannot move to Completed.") in flashes(page)
    assert "Lock Pool" in page and "Balance Teams" not in page

    page = admin.post(f"{centre(match_id)}/lock")
    assert ("success", "Pool locked.") in flashes(page)
    assert "Balance Teams" in page and "Lock Pool" not in page

    page = admin.post(f"{centre(match_id)}/balance")
    assert "Complete</button>" in page and "Balance Teams" not in page

    page = admin.post(f"{centre(match_id)}/complete")
    assert ("success", "Match completed.") in flashes(page)
    assert "Cancel match" not in page
    assert admin.app.get_match(match_id).state == "Completed"


def test_cancel_needs_confirming_then_tells_everyone(admin: Admin, match_id: UUID):
    admin.app.add_player_to_match(match_id, admin.player("Ana", 1))

    page = admin.post(f"{centre(match_id)}/cancel", reason="Pitch waterlogged")
    assert ("error", "Tick the box to confirm the cancellation.") in flashes(page)
    assert admin.app.get_match(match_id).state == "Draft"

    page = admin.post(f"{centre(match_id)}/cancel", reason="Waterlogged", confirm="yes")
    assert admin.app.get_match(match_id).state == "Cancelled"
    assert "Lock Pool" not in page

    ledger = text_of(admin.get(f"{centre(match_id)}/notifications"))
    assert "cancellation Ana" in ledger


def test_invite_mode_tiered_then_default_timings(admin: Admin, match_id: UUID):
    kickoff = admin.app.get_match(match_id).kickoff_at
    a = (kickoff - timedelta(hours=60)).astimezone(ZoneInfo("Europe/London"))
    b = a + timedelta(hours=6)
    typed = {"a_open_at": f"{a:%Y-%m-%dT%H:%M}", "b_open_at": f"{b:%Y-%m-%dT%H:%M}"}
    page = admin.post(
        f"{centre(match_id)}/invite-mode",
        invite_mode="tiered",
        **typed,
        c_open_at=typed["b_open_at"],
    )

    windows = admin.read(match_dashboard, match_id)["tier_windows"]
    assert windows["b_open_at"] == b.replace(second=0, microsecond=0).astimezone(UTC)
    assert 'value="tiered" checked' in page
    assert "Tiers B+C from" in html.unescape(page)
    assert "Set timed booking windows by tier (A/B/C)." in page
    assert "Everyone can book immediately." in page

    page = admin.post(
        f"{centre(match_id)}/invite-mode", a_open_at=typed["a_open_at"], use_defaults="1"
    )
    windows = admin.read(match_dashboard, match_id)["tier_windows"]
    assert windows["b_open_at"] - windows["a_open_at"] == timedelta(hours=24)
    assert "Restore global default offsets for tier windows." in page
    assert "Tier B from" in html.unescape(page)


def test_send_new_offers_and_last_call_answer_in_words(admin: Admin, match_id: UUID):
    page = admin.post(f"{centre(match_id)}/offers/reissue")
    assert ("error", "Booking isn't open for this match.") in flashes(page)

    admin.app.enable_booking(match_id)
    page = admin.post(f"{centre(match_id)}/offers/reissue")
    assert any(kind == "success" and "No new offers" in text for kind, text in flashes(page))

    admin.player("Ana", 1)
    page = admin.post(f"{centre(match_id)}/last-call")
    assert ("success", "Last call sent to 1 player.") in flashes(page)


def test_lists_badges_offer_log_activity_and_share(admin: Admin):
    match_id = admin.new_match(capacity=1)
    token = admin.app.enable_booking(match_id).value
    ana = admin.player("Ana", 1, tier="A")
    ben = admin.player("Ben", 2, is_ringer=True)
    admin.player("Cat", 3)
    admin.answer(match_id, token, 1)
    admin.answer(match_id, token, 3, action="WAITLIST")
    admin.answer(match_id, token, 1, action="OUT")
    # Ana's place is freed and offered to Cat; Ben added by hand fills it first.
    admin.app.release_spot(match_id, ana)
    admin.app.add_player_to_match(match_id, ben)

    page = html.unescape(admin.get(centre(match_id)))

    assert "Tier A" in page and "Ringer" in page
    assert re.search(r"#1</span>\s*<span class=\"name\">Cat", page)
    offer_log = page.split("Offer log")[1].split("</table>")[0]
    assert "Cat" in offer_log and "Superseded" in offer_log
    assert "Shows all RSVP changes, offers, and admin actions in real time." in page
    assert "Ana" in page.split("RSVP Activity")[1]
    assert "Book now for" in page and "1/1 confirmed → [booking link]" in page
    assert "https://wa.me/?text=" in page
    assert phone(1) not in page
    counts = admin.client.get(f"{centre(match_id)}/live").get_json()
    assert (counts["booked"], counts["capacity"], counts["waitlist"]) == (1, 1, 1)
    assert admin.client.get(centre(UUID(int=1))).status_code == 404
