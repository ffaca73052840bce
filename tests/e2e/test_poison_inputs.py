"""Values the engine cannot keep are refused where they enter (security report items 1,
7 and 8): through the HTTP API, on SQLite and on the real PostgreSQL, each poison value
answers 400 ``validation_error`` naming the field, writes no event, and the read models
go on catching up with the writes after it.

Before, a NUL byte in a title, location or email, a slot's ``price_minor`` of 2³¹, an
email carrying a header or a second address, or a kick-off in the year 9999 were all
accepted and recorded — and an event PostgreSQL (or an INTEGER column) cannot take
stops its projector for good.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

import pytest

from tests.e2e.api import ApiClub, data, phone, refused
from tests.e2e.conftest import ADMIN
from tests.e2e.courts import CourtClub, ask
from tests.e2e.portal import sign_in

PAT = 1
NUL_EMAIL = "pat@example.test\u0000"
HEADER_EMAIL = "x@y.test\r\nBcc:evil@x.test"
TWO_EMAILS = "a@x.test,evil@x.test"


@pytest.fixture(params=["web", pytest.param("pg_web", marks=pytest.mark.pg)])
def any_web(request: pytest.FixtureRequest) -> Any:
    """The app on SQLite, then on PostgreSQL."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def club(any_web: Any) -> ApiClub:
    return CourtClub(any_web.test_client())


def last_position(web: Any) -> int:
    return int(web.extensions["booking"].app.recorder.max_notification_id() or 0)


def assert_read_models_catch_up(web: Any, club: ApiClub) -> None:
    """A good write after the refusal, and every read model reaches the end of the store."""
    club.match()
    service = web.extensions["booking"]
    service.views.catch_up()
    assert service.views.current_to() == last_position(web)


def assert_refused_unrecorded(
    web: Any, club: ApiClub, send: Callable[[], Any], field: str
) -> dict[str, Any]:
    before = last_position(web)
    body = refused(send(), "validation_error", 400)
    assert body["error"].startswith(f"{field}: "), body
    assert last_position(web) == before, "a refused value was recorded"
    assert_read_models_catch_up(web, club)
    return body


def match_body(club: ApiClub, **change: Any) -> dict[str, Any]:
    kickoff = (club.now() + timedelta(days=3)).astimezone(UTC).isoformat()
    body = {"title": "Tuesday 5s", "kickoff_at": kickoff, "location": "Park", "capacity": 10}
    return {**body, **change}


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("title", {"title": "Tuesday\u00005s"}),
        ("location", {"location": "Hackney\u0000 Marshes"}),
        ("kickoff_at", {"kickoff_at": "9999-12-31T23:00:00+00:00"}),
        ("price_minor", {"price_minor": 2**31}),
        ("timezone", {"timezone": "Europe/" + "x" * 300}),
    ],
)
def test_a_poisoned_match_is_refused(
    any_web: Any, club: ApiClub, field: str, change: dict[str, Any]
) -> None:
    def send() -> Any:
        return club.client.post(
            "/api/admin/matches", json=match_body(club, **change), headers=ADMIN
        )

    assert_refused_unrecorded(any_web, club, send, field)


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("price_minor", {"price_minor": 2**31}),
        ("price_minor", {"price_minor": 2**63}),
        ("court", {"court": "Court\u00001"}),
        ("sport", {"sport": "tennis\r\n"}),
        ("starts_at", {"starts_at": "9999-12-31T23:00:00+00:00"}),
    ],
)
def test_a_poisoned_slot_is_refused(
    any_web: Any, club: ApiClub, field: str, change: dict[str, Any]
) -> None:
    starts = club.now() + timedelta(days=2)
    body = {
        "court": "Court 1",
        "sport": "tennis",
        "starts_at": starts.astimezone(UTC).isoformat(),
        "ends_at": (starts + timedelta(hours=1)).astimezone(UTC).isoformat(),
        "price_minor": 1200,
        **change,
    }

    def send() -> Any:
        return club.client.post("/api/admin/slots", json=body, headers=ADMIN)

    assert_refused_unrecorded(any_web, club, send, field)


@pytest.mark.parametrize("email", [NUL_EMAIL, HEADER_EMAIL, TWO_EMAILS])
def test_a_player_cannot_set_a_poisoned_email(any_web: Any, club: ApiClub, email: str) -> None:
    club.player("Pat", PAT)
    sign_in(club.client, phone(PAT))
    body = {"email": email, "channels": ["email", "sms"]}

    def send() -> Any:
        return club.client.patch("/api/player/notifications", json=body)

    assert_refused_unrecorded(any_web, club, send, "email")
    prefs = data(club.client.get("/api/player/notifications"))
    assert prefs["email"] is None
    assert prefs["channels"] == ["push", "email", "sms"], "a refused change changed nothing"
    # Sign-in still works (it used to answer 500 once such an address was kept).
    assert club.client.post("/api/player/login", json={"phone": phone(PAT)}).status_code == 202


@pytest.mark.parametrize("email", [NUL_EMAIL, HEADER_EMAIL, TWO_EMAILS])
def test_an_admin_cannot_register_a_poisoned_email(any_web: Any, club: ApiClub, email: str) -> None:
    body = {"name": "Pat", "phone": phone(PAT), "email": email}

    def send() -> Any:
        return club.client.post("/api/admin/players", json=body, headers=ADMIN)

    assert_refused_unrecorded(any_web, club, send, "email")


def test_an_email_is_kept_in_its_normalised_form(club: ApiClub) -> None:
    club.player("Pat", PAT)
    sign_in(club.client, phone(PAT))
    answer = club.client.patch("/api/player/notifications", json={"email": " Pat@Example.ORG "})
    assert data(answer)["email"] == "Pat@example.org"


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("name", {"name": "Pat\u0000", "phone": phone(PAT)}),
        ("guardian_phones.0", {"name": "Pat", "phone": phone(PAT), "guardian_phones": ["\u0000"]}),
    ],
)
def test_an_admin_cannot_register_a_poisoned_player(
    any_web: Any, club: ApiClub, field: str, body: dict[str, Any]
) -> None:
    def send() -> Any:
        return club.client.post("/api/admin/players", json=body, headers=ADMIN)

    assert_refused_unrecorded(any_web, club, send, field)


def test_poisoned_tier_windows_and_reasons_are_refused_and_leave_the_match_as_it_was(
    any_web: Any, club: ApiClub
) -> None:
    match_id = club.match()
    events = f"/api/admin/matches/{match_id}/events"
    before = data(club.client.get(events, headers=ADMIN))
    windows = {"a_open_at": "9999-01-01T00:00:00+00:00"}
    for field, path, method, body in (
        ("tier_windows.a_open_at", "enable-booking", "patch", {"invite_mode": "tiered",
                                                              "tier_windows": windows}),
        ("reason", "cancel", "post", {"reason": "rained off\u0000"}),
    ):  # fmt: skip
        url = f"/api/admin/matches/{match_id}/{path}"

        def send(url: str = url, method: str = method, body: dict[str, Any] = body) -> Any:
            return club.client.open(url, method=method.upper(), json=body, headers=ADMIN)

        assert_refused_unrecorded(any_web, club, send, field)
    assert data(club.client.get(events, headers=ADMIN)) == before


def test_a_poisoned_decision_reason_is_refused(any_web: Any, club: CourtClub) -> None:
    club.player("Pat", PAT)
    member = any_web.test_client()
    sign_in(member, phone(PAT))
    slot = club.slot()
    request = data(ask(member, slot), 201)
    url = f"/api/admin/matches/{slot}/bookings/{request['player_id']}/reject"

    def send() -> Any:
        return club.client.post(url, json={"reason": "no\u001b[2J"}, headers=ADMIN)

    assert_refused_unrecorded(any_web, club, send, "reason")


def test_a_reason_may_run_over_lines(club: ApiClub) -> None:
    match_id = club.match()
    reason = "Rained off.\nSee you next week."
    answer = club.client.post(
        f"/api/admin/matches/{match_id}/cancel", json={"reason": reason}, headers=ADMIN
    )
    assert data(answer)["state"] == "Cancelled"


def test_the_test_clock_moves_at_most_a_year_either_way(club: ApiClub) -> None:
    now = club.now()
    far = (now + timedelta(days=367)).isoformat()
    body = refused(club.client.post("/api/test-clock", json={"now": far}), "validation_error", 400)
    assert body["error"].startswith("now:")
    assert club.now() == now


def test_a_court_day_far_away_is_refused_on_the_admin_page(web: Any) -> None:
    from tests.e2e.test_admin_pages import sign_in as admin_sign_in

    client = web.test_client()
    admin_sign_in(client)
    for day in ("9999-12-31", "0001-01-01"):
        answer = client.get(f"/admin/slots?date={day}")
        assert answer.status_code < 500, day


def test_an_admin_token_label_is_ordinary_short_text(
    web: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The label is who the activity feed says acted: it reaches the read models."""
    from booking.cli import main as cli

    monkeypatch.setenv("BOOKING_DATA_DIR", str(web.extensions["booking"].settings.booking.data_dir))
    for label in ("tre\x00asurer", "x" * 41, " "):
        assert cli(["admin-token", "create", label]) == 2
        assert "label:" in capsys.readouterr().err
    assert cli(["admin-token", "create", "treasurer"]) == 0
    assert [t.label for t in web.extensions["booking"].admin_tokens.listed()] == ["treasurer"]
