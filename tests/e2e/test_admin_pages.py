"""The organiser's pages through Flask's test client (seed 004 §6, §18; api.md "Admin").

Strangers are sent to sign in; a wrong token signs nobody in; signed in, each
form does what it says and a refused action shows the domain's own words.
Forms carry their CSRF token here as a browser would (read from the page), and
one test checks that a form without it is refused. The Match Control Centre's
own actions are in ``test_admin_centre``, which shares the helpers here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from projections.match_views import match_dashboard, match_list
from projections.public_views import player_list
from tests.e2e.conftest import ADMIN_TOKEN, web_config
from web import create_app

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FLASH = re.compile(r'class="flash flash-(\w+)" role="status">([^<]*)<')


def phone(n: int) -> str:
    """A fictional number (Ofcom's drama range for Leeds), different for each n."""
    return f"+441134960{n:03d}"


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def text_of(page: str) -> str:
    """What a reader sees: the page without tags, spaces collapsed."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page)))


def flashes(page: str) -> list[tuple[str, str]]:
    return [(kind, html.unescape(text)) for kind, text in _FLASH.findall(page)]


@dataclass
class Admin:
    """A signed-in organiser: posts forms with the page's CSRF token and follows them."""

    client: FlaskClient
    club: Any
    csrf: str = ""

    def get(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        page = response.get_data(as_text=True)
        self.csrf = csrf_of(page)
        return page

    def post(self, path: str, **data: Any) -> str:
        """Submit a form; answer the page the redirect leads to (Post/Redirect/Get)."""
        response = self.client.post(path, data={"csrf_token": self.csrf, **data})
        assert response.status_code == 302, (path, response.status_code)
        return self.get(response.headers["Location"])

    @property
    def app(self) -> Any:
        return self.club.app

    def new_match(self, capacity: int = 10) -> UUID:
        kickoff = self.app.clock.now() + timedelta(days=3)
        return self.app.schedule_match(
            title="Thursday 5s", kickoff_at=kickoff, location="Hackney", capacity=capacity
        ).value

    def player(self, name: str, n: int, **extra: Any) -> UUID:
        return self.app.register_player(name=name, phone=phone(n), **extra).value

    def answer(self, match_id: UUID, token: str, n: int, action: str = "IN") -> None:
        self.app.respond(match_id=match_id, token=token, phone=phone(n), action=action)

    def read(self, query: Any, *args: Any) -> Any:
        return self.club.read(query, *args, after=self.club.views.current_to())


def sign_in(client: FlaskClient, token: str = ADMIN_TOKEN, next_: str | None = None) -> Any:
    page = client.get("/admin/sign-in").get_data(as_text=True)
    query = f"?next={next_}" if next_ else ""
    return client.post(f"/admin/sign-in{query}", data={"token": token, "csrf_token": csrf_of(page)})


@pytest.fixture
def admin(web: Any, client: FlaskClient) -> Admin:
    assert sign_in(client).status_code == 302
    signed_in = Admin(client, web.extensions["booking"])
    signed_in.get("/admin/")
    return signed_in


def centre(match_id: UUID) -> str:
    return f"/admin/matches/{match_id}"


# ------------------------------------------------------------------ sign in

_PAGES = ["", "players", "settings", "matches/{m}", "matches/{m}/notifications", "players/{p}"]
_ACTIONS = ["matches", "players", "settings", "matches/{m}/lock", "matches/{m}/cancel"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", p) for p in [*_PAGES, "matches/{m}/live"]] + [("POST", p) for p in _ACTIONS],
)
def test_a_stranger_is_sent_to_sign_in_and_changes_nothing(
    web: Any, client: FlaskClient, method: str, path: str
):
    stranger = Admin(client, web.extensions["booking"])
    match = stranger.new_match()
    target = "/admin/" + path.format(m=match, p=stranger.player("Ana", 1))
    stranger.get("/admin/sign-in")  # a CSRF token, so only the sign-in check is left

    response = client.open(
        target, method=method, data={"csrf_token": stranger.csrf, "confirm": "yes"}
    )

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/sign-in?next=")
    assert stranger.app.get_match(match).state == "Draft"


def test_a_wrong_token_signs_nobody_in(client: FlaskClient):
    response = sign_in(client, token="not-the-admin-token")

    assert response.headers["Location"].startswith("/admin/sign-in")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("error", "That admin token isn't right. Check it and try again.") in flashes(page)
    with client.session_transaction() as session:
        assert "admin" not in session
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("target", "lands"),
    [
        ("/admin/players", "/admin/players"),
        ("//evil.example/x", "/admin/"),
        ("https://evil.example/", "/admin/"),
        ("/\\evil.example", "/admin/"),
        ("/%09/evil.example", "/admin/"),
    ],
)
def test_signing_in_goes_on_only_within_the_site_then_out(
    web: Any, client: FlaskClient, target: str, lands: str
):
    assert sign_in(client, next_=target).headers["Location"] == lands
    admin = Admin(client, web.extensions["booking"])
    admin.get(lands)

    assert ("success", "Signed out.") in flashes(admin.post("/admin/sign-out"))
    assert client.get("/admin/").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(tmp_path: Path):
    app = create_app(web_config(tmp_path, WTF_CSRF_ENABLED=True))
    try:
        client = app.test_client()
        assert client.post("/admin/sign-in", data={"token": ADMIN_TOKEN}).status_code == 400
        with client.session_transaction() as session:
            assert "admin" not in session

        assert sign_in(client).status_code == 302
        club = app.extensions["booking"]
        match = Admin(client, club).new_match()
        refused = client.post(f"/admin/matches/{match}/lock")
        assert refused.status_code == 400
        assert "This form has expired" in refused.get_data(as_text=True)
        assert club.app.get_match(match).state == "Draft"
    finally:
        app.extensions["booking"].close()


# ------------------------------------------------------------------ matches


def test_new_match_reads_kickoff_in_london_time_and_lists_it(admin: Admin):
    year = admin.app.clock.now().year + 1
    form = {"title": "Summer 7s", "location": "Park", "capacity": "14", "price": "4.50"}
    form["offer_mode"] = "first_to_claim"  # the hidden field of the form
    page = admin.post("/admin/matches", **form, kickoff_at=f"{year}-07-02T19:30")

    assert ("success", "Match created.") in flashes(page)
    assert admin.client.get("/admin/").headers["Cache-Control"] == "no-store"
    assert "Booked 0/14" in text_of(page)
    (listed,) = admin.read(match_list)
    # 19:30 in London in July is 18:30 UTC (British Summer Time), shown as 19:30.
    assert listed["kickoff_at"] == datetime(year, 7, 2, 18, 30, tzinfo=UTC)
    assert "19:30" in page
    assert admin.read(match_dashboard, listed["match_id"])["price_minor"] == 450
    assert "Booked 0/14 Waitlist 0" in text_of(admin.get("/admin/"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("capacity", "lots", "Capacity: enter a whole number"),
        ("capacity", "0", "capacity: must be between 1 and"),
        ("price", "4.555", "Price: use pounds and pence, e.g. 5.50"),
        ("kickoff_at", "2001-01-01T10:00", "kickoff_at: must be in the future"),
        # Values that once overflowed into a 500 or a read model that could not hold them.
        ("price", "Infinity", "Price: use pounds and pence, e.g. 5.50"),
        ("price", "99999999999", "price_minor: must be between 0 and 10000000"),
        ("kickoff_at", "9999-12-31T23:59", "Kick-off: must be between 2000-01-01"),
        ("kickoff_at", "0001-01-01T00:00", "Kick-off: must be between 2000-01-01"),
        ("kickoff_at", "2200-01-01T00:00", "kickoff_at: must be within two years from now"),
        ("title", "Tue\x005s", "title: must not contain control characters"),
    ],
)
def test_a_refused_new_match_shows_why(admin: Admin, field: str, value: str, message: str):
    kickoff = (admin.app.clock.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    form = {"title": "5s", "kickoff_at": kickoff, "location": "Park", "capacity": "9"}
    page = admin.post("/admin/matches", **{**form, field: value})

    assert any(kind == "error" and text.startswith(message) for kind, text in flashes(page))
    assert admin.read(match_list) == []


# ------------------------------------------------------------------ players


def test_adding_a_player_lists_them_with_the_phone_masked(admin: Admin):
    page = admin.post("/admin/players", name="Dee", phone="0113 496 0123", tier="B")

    assert ("success", "Player added.") in flashes(page)
    assert "Dee" in page
    assert "+441134960123" not in page
    assert "+44" + "•" * 7 + "123" in page
    (dee,) = admin.read(player_list)
    assert dee["tier"] == "B"

    edit = admin.get(f"/admin/players/{dee['player_id']}")
    assert 'value="+441134960123"' in edit
    page = admin.post(f"/admin/players/{dee['player_id']}", name="Dee B", tier="B", back="edit")
    assert "<h1>Dee B</h1>" in page


@pytest.mark.parametrize(
    ("name", "number", "message"),
    [
        ("Maximilianowicz", phone(124), "Use 14 characters or fewer"),
        ("Eve", "12", "That doesn't look like a valid phone number."),
        ("ana", phone(125), "That name's already taken — try another"),
        ("Fay", phone(1), "This number is already linked to another player — each player needs"),
    ],
)
def test_a_refused_player_shows_the_domains_message(
    admin: Admin, name: str, number: str, message: str
):
    admin.player("Ana", 1)

    page = admin.post("/admin/players", name=name, phone=number)

    assert any(kind == "error" and text.startswith(message) for kind, text in flashes(page))


def test_tier_ringer_and_mute_change_from_the_list(admin: Admin):
    ana = admin.player("Ana", 1)

    page = admin.post(f"/admin/players/{ana}", tier="A", muted="on")

    assert ("success", "Player saved.") in flashes(page)
    assert "Tier C is the default for all players (casual tier)." in page
    saved = admin.app.get_player(ana)
    assert (saved.tier, saved.muted, saved.is_ringer) == ("A", True, False)

    page = admin.post(f"/admin/players/{ana}", tier="A", is_ringer="on")
    assert ("error", "tier: ringers are always Tier C") in flashes(page)


# ----------------------------------------------------------------- settings


def test_settings_are_saved_or_refused_in_words(admin: Admin):
    assert "Allow ringers to book" in admin.get("/admin/settings")
    page = admin.post("/admin/settings", tier_b_offset_hours="48", tier_c_offset_hours="24")
    message = "tier_c_offset_hours: must not be less than the Tier B offset"
    assert ("error", message) in flashes(page)

    switches = {"enable_ringer_self_book": "on", "rsvp_burst_guard_enabled": "on"}
    page = admin.post(
        "/admin/settings", **switches, tier_b_offset_hours="12", tier_c_offset_hours="36"
    )

    assert ("success", "Settings saved.") in flashes(page)
    policy = admin.app.club_policy()
    assert policy.enable_ringer_self_book and policy.rsvp_burst_guard_enabled
    assert not policy.block_unknown_players and not policy.include_ringers_in_invites
    assert (policy.tier_b_offset_hours, policy.tier_c_offset_hours) == (12, 36)
