"""What the engine accepts (booking_domain/limits.py, docs/rules.md): text without
control characters and of bounded length, whole numbers every store holds, times in a
sane window, one real email address — checked by the domain's commands themselves, so
every caller (API, pages, CLI, showcase, process managers) gets the same refusals and
nothing refused is ever recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError

from booking_domain import limits
from booking_domain.application import BookingApp
from booking_domain.errors import InvalidPhone, ValidationError
from booking_domain.identity import EmailAddress, PhoneNumber, PlayerName
from processes.clock import ManualClock
from tests.support import Club, phone
from web.schemas_values import Location, Reason, Title

REFUSED = (
    [chr(c) for c in range(0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\ud800", "\udfff", "\u2028", "\u2029", "\u202e", "\u2066", "\u2069"]
)
#: Ordinary text: anything but what ``REFUSED`` stands for.
ORDINARY = st.characters(
    exclude_categories=("Cc", "Cs", "Zl", "Zp"),
    exclude_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)
EXAMPLES = settings(max_examples=150, deadline=None)


# ------------------------------------------------------------------- text


@EXAMPLES
@given(
    before=st.text(ORDINARY, max_size=20),
    bad=st.sampled_from(REFUSED),
    after=st.text(ORDINARY, max_size=20),
)
def test_any_text_with_a_control_character_is_refused(before: str, bad: str, after: str) -> None:
    value = before + bad + after
    with pytest.raises(ValidationError, match=r"^title: must not contain control characters"):
        limits.text("title", value, limits.TITLE)
    if bad != "\n":
        with pytest.raises(ValidationError, match="control characters"):
            limits.text("reason", value, limits.REASON, lines=True)


@EXAMPLES
@given(value=st.text(ORDINARY, max_size=limits.TITLE))
def test_any_ordinary_text_within_the_length_is_accepted_trimmed(value: str) -> None:
    assert limits.text("title", value, limits.TITLE) == value.strip()


@EXAMPLES
@given(value=st.text(ORDINARY, min_size=1, max_size=30).filter(lambda v: v.strip()))
def test_text_longer_than_its_limit_is_refused(value: str) -> None:
    longest = len(value.strip()) - 1
    with pytest.raises(ValidationError, match=f"use {longest} characters or fewer"):
        limits.text("location", value, longest)


@EXAMPLES
@given(lines=st.lists(st.text(ORDINARY, max_size=10), min_size=2, max_size=5))
def test_a_reason_may_run_over_lines_and_crlf_becomes_a_newline(lines: list[str]) -> None:
    typed = "\r\n".join(lines)
    assert limits.text("reason", typed, limits.REASON, lines=True) == "\n".join(lines).strip()
    with pytest.raises(ValidationError, match="control characters"):
        limits.text("title", "\n".join(["a", *lines]), limits.TITLE)


def test_blank_required_text_and_non_text_are_refused() -> None:
    with pytest.raises(ValidationError, match="title: must not be empty"):
        limits.text("title", "   ", limits.TITLE, required=True)
    with pytest.raises(ValidationError, match="title: must be text"):
        limits.text("title", 5, limits.TITLE)


@pytest.mark.parametrize("name", ["Mars/Olympus", "a" * 300, "Europe/London\x00", "../etc", ""])
def test_only_known_time_zones_are_accepted(name: str) -> None:
    with pytest.raises(ValidationError, match=r"^timezone: "):
        limits.time_zone("timezone", name)
    assert limits.time_zone("timezone", "Europe/London") == "Europe/London"


# ---------------------------------------------------------- whole numbers

RANGES = [
    limits.CAPACITY,
    limits.PRICE_MINOR,
    limits.PAYMENT_WINDOW_MINUTES,
    limits.OFFER_FANOUT,
    limits.TIER_OFFSET_HOURS,
    limits.HOUR_OF_DAY,
    limits.SLOT_MINUTES,
]


def test_every_range_fits_a_32_bit_integer_column() -> None:
    assert all(-(2**31) < r.lowest <= r.highest < 2**31 for r in RANGES)


@EXAMPLES
@given(allowed=st.sampled_from(RANGES), data=st.data())
def test_any_whole_number_outside_its_range_is_refused(
    allowed: limits.Range, data: st.DataObject
) -> None:
    outside = data.draw(
        st.integers(max_value=allowed.lowest - 1) | st.integers(min_value=allowed.highest + 1)
    )
    with pytest.raises(ValidationError, match=f"between {allowed.lowest} and {allowed.highest}"):
        allowed.check("n", outside)
    inside = data.draw(st.integers(allowed.lowest, allowed.highest))
    assert allowed.check("n", inside) == inside


@pytest.mark.parametrize("value", [True, 2.0, "2", None])
def test_only_whole_numbers_are_numbers(value: object) -> None:
    with pytest.raises(ValidationError, match="must be a whole number"):
        limits.CAPACITY.check("capacity", value)


# ------------------------------------------------------------------ times

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@EXAMPLES
@given(
    at=st.datetimes(timezones=st.just(UTC)).filter(
        lambda t: not limits.EARLIEST <= t <= limits.LATEST
    )
)
def test_times_outside_2000_to_2200_are_refused(at: datetime) -> None:
    with pytest.raises(ValidationError, match="kickoff_at: must be between"):
        limits.instant("kickoff_at", at)


@pytest.mark.parametrize(
    "at",
    [
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-14))),  # overflows UTC
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(2030, 1, 1),  # no offset
    ],
)
def test_times_that_cannot_be_read_in_utc_are_refused(at: datetime) -> None:
    with pytest.raises(ValidationError, match=r"^kickoff_at: "):
        limits.instant("kickoff_at", at)


@EXAMPLES
@given(ahead=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3000)))
def test_a_moment_is_at_most_two_years_ahead_of_now(ahead: timedelta) -> None:
    if ahead <= limits.HORIZON:
        assert limits.moment("kickoff_at", NOW + ahead, NOW) == NOW + ahead
    else:
        with pytest.raises(ValidationError, match="within two years"):
            limits.moment("kickoff_at", NOW + ahead, NOW)


# ------------------------------------------------------- names and phones


@EXAMPLES
@given(bad=st.sampled_from(REFUSED))
def test_names_and_phones_with_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"^name: "):
        PlayerName.parse(f"Sam{bad}")
    with pytest.raises(InvalidPhone):
        PhoneNumber.parse(f"{phone(1)}{bad}")


# ------------------------------------------------------------------ email

BAD_EMAILS = [
    "pat@example.test\x00",
    "x@y.test\r\nBcc:evil@x.test",
    "a@x.test,evil@x.test",
    "a@x.test;evil@x.test",
    "a@x.test evil@x.test",
    "Pat <pat@example.org>",
    '"a,b"@example.org',
    "a@[127.0.0.1]",
    "a@localhost",
    "not an address",
    "@example.org",
    "a@",
    "a" * 250 + "@example.org",
]


@pytest.mark.parametrize("raw", BAD_EMAILS)
def test_only_one_plain_email_address_is_an_address(raw: str) -> None:
    with pytest.raises(ValidationError, match=r"^email: "):
        EmailAddress.parse(raw)


@EXAMPLES
@given(
    local=st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True),
    bad=st.sampled_from(["\r", "\n", ",", ";", " ", "\x00", "<", ">"]),
    where=st.booleans(),
)
def test_no_address_with_a_line_break_or_a_second_address_passes(
    local: str, bad: str, where: bool
) -> None:
    raw = f"{local}{bad}x@example.org" if where else f"{local}@example.org{bad}evil@x.test"
    with pytest.raises(ValidationError, match=r"^email: "):
        EmailAddress.parse(raw)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("ana@example.org", "ana@example.org"),
        ("  Ana@Example.ORG ", "Ana@example.org"),
        ("pat@example.test", "pat@example.test"),
        ("ana@bücher.example", "ana@xn--bcher-kva.example"),
    ],
)
def test_an_address_is_kept_in_its_normalised_form(raw: str, kept: str) -> None:
    assert EmailAddress.parse(raw).address == kept


# ------------------------------------- the domain's commands check, too


@pytest.fixture
def memory_club(memory_app: BookingApp, clock: ManualClock) -> Club:
    return Club(memory_app, clock)


def _position(app: BookingApp) -> int:
    return app.recorder.max_notification_id() or 0


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("title", {"title": "Tuesday\x00"}),
        ("location", {"location": "Hackney\x00 Marshes"}),
        ("location", {"location": "x" * 201}),
        ("title", {"title": "x" * 121}),
        ("price_minor", {"price_minor": 2**31}),
        ("capacity", {"capacity": 2**31}),
        ("payment_window_minutes", {"payment_window_minutes": 2**31}),
        ("offer_fanout", {"offer_fanout": 2**63}),
        ("timezone", {"timezone": "x" * 300}),
        ("kickoff_at", {"kickoff_at": datetime(9999, 12, 31, 23, 0, tzinfo=UTC)}),
        ("kickoff_at", {"kickoff_in": timedelta(days=800)}),
    ],
)
def test_a_match_with_a_value_the_engine_cannot_keep_is_refused_and_not_recorded(
    memory_club: Club, field: str, change: dict[str, object]
) -> None:
    app, now = memory_club.app, memory_club.clock.now()
    values: dict[str, object] = {
        "title": "Tuesday",
        "kickoff_at": now + timedelta(days=3),
        "location": "Park",
        "capacity": 10,
    }
    change = dict(change)
    if "kickoff_in" in change:
        values["kickoff_at"] = now + change.pop("kickoff_in")  # type: ignore[operator]
    values.update(change)
    before = _position(app)
    with pytest.raises(ValidationError, match=f"^{field}: "):
        app.schedule_match(**values)  # type: ignore[arg-type]
    assert _position(app) == before


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("court", {"court": "Court\x001"}),
        ("sport", {"sport": "tennis\n"}),
        ("price_minor", {"price_minor": 2**31}),
        ("ends_at", {"length": timedelta(days=2)}),
        ("ends_at", {"length": -timedelta(hours=1)}),
    ],
)
def test_a_slot_with_a_value_the_engine_cannot_keep_is_refused(
    memory_club: Club, field: str, change: dict[str, object]
) -> None:
    before = _position(memory_club.app)
    with pytest.raises(ValidationError, match=f"^{field}: "):
        memory_club.slot(**change)  # type: ignore[arg-type]
    assert _position(memory_club.app) == before


def test_a_slot_named_at_length_gets_a_title_cut_to_fit(memory_club: Club) -> None:
    slot = memory_club.slot("C" * limits.COURT, sport="s" * limits.SPORT)
    title = memory_club.app.get_match(slot).title
    assert len(title) == limits.TITLE and title.endswith("…")


def test_a_players_email_is_checked_and_normalised_by_the_player(memory_club: Club) -> None:
    app = memory_club.app
    with pytest.raises(ValidationError, match=r"^email: "):
        app.register_player(name="Pat", phone=phone(1), email="x@y.test\r\nBcc:evil@x.test")
    pid = app.register_player(name="Pat", phone=phone(1), email="Pat@Example.ORG").value
    assert app.get_player(pid).email == "Pat@example.org"
    before = _position(app)
    for bad in ("pat@example.test\x00", "a@x.test,evil@x.test"):
        with pytest.raises(ValidationError, match=r"^email: "):
            app.update_player(pid, email=bad, actor="player")
    assert _position(app) == before
    assert app.get_player(pid).email == "Pat@example.org"


def test_reasons_and_tier_windows_are_checked_by_the_commands(memory_club: Club) -> None:
    app, now = memory_club.app, memory_club.clock.now()
    game = memory_club.match()
    before = _position(app)
    with pytest.raises(ValidationError, match=r"^reason: "):
        app.cancel_match(game.match_id, reason="rained off\x00")
    far = {"a_open_at": now + timedelta(days=1), "b_open_at": datetime(9999, 1, 1, tzinfo=UTC)}
    with pytest.raises(ValidationError, match=r"^tier_windows.b_open_at: "):
        app.change_invite_mode(game.match_id, invite_mode="tiered", tier_windows=far)
    assert _position(app) == before
    app.cancel_match(game.match_id, reason="Rained off.\r\nSee you next week.")
    assert app.get_match(game.match_id).state == "Cancelled"


def test_an_approval_reason_is_checked(memory_club: Club) -> None:
    app = memory_club.app
    sam = memory_club.player("Sam")
    slot: UUID = memory_club.slot()
    memory_club.ask(sam, slot)
    before = _position(app)
    for command in (app.approve_request, app.reject_request):
        with pytest.raises(ValidationError, match=r"^reason: "):
            command(slot, sam.player_id, reason="ok\x1b[31m")
    assert _position(app) == before


# ------------------------------------------ the API's schemas, the same rules

SCHEMA_TEXT = [
    (Title, limits.TITLE, True, False),
    (Location, limits.LOCATION, False, False),
    (Reason, limits.REASON, False, True),
]


@EXAMPLES
@given(
    which=st.sampled_from(SCHEMA_TEXT),
    value=st.text(ORDINARY, max_size=130) | st.text(max_size=20) | st.sampled_from(REFUSED),
)
def test_the_schemas_refuse_exactly_what_the_domain_refuses(
    which: tuple[Any, int, bool, bool], value: str
) -> None:
    kind, longest, required, lines = which
    try:
        expected: str | None = limits.text("text", value, longest, required=required, lines=lines)
    except ValidationError:
        expected = None
    try:
        got: str | None = TypeAdapter(kind).validate_python(value)
    except PydanticError:
        got = None
    if len(value) > longest:  # the schema also bounds the untrimmed text
        assert got is None
    else:
        assert got == expected
