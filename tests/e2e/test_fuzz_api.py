"""Random JSON to every API route: no answer is a 5xx, and the read models always catch up.

Every route of the app's url_map under ``/api/`` is sent bodies and query strings
made of the field names its OpenAPI document gives, filled with awkward values
(control characters, lone surrogates, huge and negative numbers, strings for
numbers, years 1 and 9999, deep and wide nesting, odd types) or with good ones (a
real match, player, invite token…) so that the commands behind the parsing are
reached too. An admin bearer token goes with every request and a player is signed
in. After each request every projector must reach the store's last event: a value
that slipped through and cannot be kept would stop one for good (report item 1).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.e2e.api import data, phone
from tests.e2e.conftest import ADMIN
from tests.e2e.courts import CourtClub, ask
from tests.e2e.portal import sign_in

pytestmark = pytest.mark.slow

PAT, BEN = 1, 2
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
#: Routes whose answers are not JSON commands (the docs page) or that sign the player out.
SKIPPED = {"/api/docs", "/api/player/logout"}
#: What a request's body is made of, by weight.
SHAPES = ["mutant"] * 4 + ["fields"] * 2 + ["any", "none", "deep", "wide"]

# --------------------------------------------------------------- awkward values

#: Any character at all, lone surrogates and controls included.
ANY_CHARACTER = st.characters(exclude_categories=())
NASTY_TEXT = st.text(ANY_CHARACTER, max_size=40) | st.sampled_from(
    [
        "",
        " ",
        "\u0000",
        "a\u0000b",
        "\r\nBcc: evil@x.test",
        "\ud800",
        "\u202eevil",
        "x" * 5000,
        "5",
        "-1",
        "1e309",
        "NaN",
        "Infinity",
        "2147483648",
        "9999-12-31T23:59:59+00:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01",
        "9999-12-31",
        "٢٠٢٦-١٢-٠١",
        "24:00",
        "99:99",
        "a@x.test,evil@x.test",
        "pat@example.test\u0000",
        "Mars/Olympus",
        "../../etc/passwd",
        "00000000-0000-0000-0000-000000000000",
    ]
)
NASTY_NUMBER = (
    st.sampled_from(
        [0, -1, 1, 2**31 - 1, 2**31, 2**53 + 1, 2**63, 2**64, -(2**63), 10**30, -(10**30)]
    )
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
)
SCALAR = st.none() | st.booleans() | NASTY_NUMBER | NASTY_TEXT | st.uuids().map(str)


def nested(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        SCALAR,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=12,
    )


def deep(depth: int) -> str:
    """JSON nested ``depth`` deep, as text (json.dumps would hit Python's recursion limit)."""
    return '{"a":' * depth + "1" + "}" * depth


# ------------------------------------------------------------------ the club


class FuzzClub:
    """A club with something of everything for the routes to find, and the routes."""

    def __init__(self, web: Any) -> None:
        self.web = web
        self.admin = CourtClub(web.test_client())
        self.player = web.test_client()
        self.service = web.extensions["booking"]
        club = self.admin
        self.pat = club.player("Pat", PAT)
        self.ben = club.player("Ben", BEN)
        self.match_id = club.match(capacity=1)
        self.token = club.enable(self.match_id)
        data(club.respond(self.match_id, self.token, BEN, "IN"))
        self.paid = club.match(capacity=1, price_minor=500)
        self.slot = club.slot()
        sign_in(self.player, phone(PAT))
        self.request_id = data(ask(self.player, self.slot), 201)["request_id"]
        self.doc = club.client.get("/api/openapi.json").get_json()
        self.routes = self._routes()
        self.vocabulary = self._vocabulary()

    def _routes(self) -> list[tuple[str, str]]:
        found = []
        for rule in self.web.url_map.iter_rules():
            if rule.rule.startswith("/api/") and rule.rule not in SKIPPED:
                found += [(m, rule.rule) for m in sorted(rule.methods) if m in METHODS]
        return sorted(found)

    @property
    def ids(self) -> list[str]:
        return [self.match_id, self.paid, self.slot, self.pat, self.ben, self.request_id]

    def good(self) -> dict[str, list[Any]]:
        """Values that get a request past parsing into the commands behind it."""
        now = self.admin.now()
        soon = (now + timedelta(days=2)).astimezone(UTC)
        return {
            "match_id": [self.match_id, self.paid, self.slot],
            "to_match_id": [self.slot],
            "player_id": [self.pat, self.ben],
            "request_id": [self.request_id],
            "request_ids": [[self.request_id]],
            "token": [self.token],
            "phone": [phone(PAT), phone(BEN), phone(3)],
            "guardian_phones": [[phone(9)]],
            "action": ["IN", "OUT", "WAITLIST", "MAYBE"],
            "name": ["Zed"],
            "email": ["zed@example.org", ""],
            "title": ["Fuzz 5s"],
            "location": ["Park"],
            "court": ["Court 9"],
            "courts": [["Court 8", "Court 9"]],
            "sport": ["padel"],
            "kickoff_at": [soon.isoformat()],
            "starts_at": [soon.isoformat()],
            "ends_at": [(soon + timedelta(hours=1)).isoformat()],
            "a_open_at": [now.isoformat()],
            "now": [(now + timedelta(minutes=5)).isoformat()],
            "advance_seconds": [0, 60],
            "date": [soon.date().isoformat()],
            "first_start": ["09:00"],
            "last_start": ["10:00"],
            "capacity": [1, 3],
            "price_minor": [0, 500],
            "invite_mode": ["all", "tiered"],
            "channels": [["email", "sms"]],
            "decision": ["approve", "reject"],
            "reason": ["Sorry", "Two\nlines"],
            "outcome": ["paid", "failed"],
            "slots": [[{"match_id": self.slot}]],
            "cart": [{"court": "Court 1", "sport": "tennis"}],
            "tier_windows": [{"a_open_at": now.isoformat()}],
            "timezone": ["Europe/London"],
            "currency": ["GBP"],
            "length_minutes": [60],
            "payment_window_minutes": [30],
            "offer_fanout": [2],
            "tier_b_offset_hours": [24],
            "quiet_hours_start": [22],
            "tier": ["A", "C"],
            "muted": [True, False],
            "code": ["123456"],
        }

    # ------------------------------------------------------------- requests

    def fields(self, method: str, rule: str) -> tuple[list[str], list[str]]:
        """The body's and the query's field names, from the OpenAPI document."""
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)
        op = self.doc["paths"].get(path, {}).get(method.lower(), {})
        query = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        ref = schema.get("schema", {}).get("$ref", "")
        body = self.doc["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
        return list(body.get("properties", {})), query

    def _vocabulary(self) -> list[str]:
        """Every field name the API knows: the keys of nested objects are drawn from it."""
        names: set[str] = set()
        for schema in self.doc["components"]["schemas"].values():
            names |= set(schema.get("properties", {}))
        return sorted(names)

    def caught_up(self, after: str) -> None:
        views = self.service.views
        views.catch_up()
        last = self.service.app.recorder.max_notification_id() or 0
        assert views.current_to() == last, (after, views.positions(), last)


@pytest.fixture
def fuzz(web: Any) -> FuzzClub:
    return FuzzClub(web)


def awkward(like: Any, keys: list[str]) -> st.SearchStrategy[Any]:
    """An awkward value, most often of the type a good one has (so it passes the type)."""
    if isinstance(like, bool):
        return SCALAR
    if isinstance(like, int):
        return NASTY_NUMBER | SCALAR
    if isinstance(like, str):
        return NASTY_TEXT | NASTY_TEXT.map(lambda bad: like + bad) | SCALAR
    return SCALAR | nested(st.sampled_from(keys))


def a_value(draw: Any, name: str, good: dict[str, list[Any]], keys: list[str]) -> Any:
    like = draw(st.sampled_from(good.get(name, [None])))
    return like if name in good and draw(st.booleans()) else draw(awkward(like, keys))


def a_request(
    draw: Any, fuzz: FuzzClub, method: str, rule: str
) -> tuple[str, dict[str, str], str | None]:
    """The path, query string and body of one request to this route."""
    fields, query_fields = fuzz.fields(method, rule)
    good, keys = fuzz.good(), fuzz.vocabulary
    ids = st.sampled_from(fuzz.ids) | st.uuids().map(str)
    path = re.sub(r"<uuid:[a-z_]+>", lambda _: draw(ids), rule)
    part = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
    path = re.sub(r"<[^>]+>", lambda _: draw(part), path)

    query = {}
    for name in draw(st.lists(st.sampled_from(query_fields or ["q"]), max_size=3)):
        value = a_value(draw, name, good, keys)
        text = value if isinstance(value, str) else json.dumps(value)
        query[name] = text.encode("utf-8", "replace").decode()  # a URL holds no lone surrogate
    if "after" in query:
        # A read waits (up to 5 s) for the read models to reach ``after``: a position
        # the store has not reached would only slow the run down.
        query["after"] = draw(st.sampled_from(["0", "1", "-1", "x", "1.5", str(2**63)]))

    shape = draw(st.sampled_from(SHAPES))
    if shape == "mutant":
        # A body that would pass but for one or two awkward values: it reaches the commands.
        whole = {n: draw(st.sampled_from(good[n])) for n in fields if n in good}
        for name in draw(st.lists(st.sampled_from(fields or keys), min_size=1, max_size=2)):
            whole[name] = draw(awkward(whole.get(name, good.get(name, [None])[0]), keys))
        return path, query, json.dumps(whole)
    if shape == "fields":
        names = draw(st.lists(st.sampled_from(fields or keys), max_size=len(fields) + 2))
        return path, query, json.dumps({n: a_value(draw, n, good, keys) for n in names})
    if shape == "any":
        return path, query, json.dumps(draw(nested(st.sampled_from(keys))))
    if shape == "deep":
        return path, query, deep(draw(st.sampled_from([40, 1_000, 100_000])))
    if shape == "wide":
        width = draw(st.sampled_from([1_000, 50_000]))
        return path, query, json.dumps({f"k{i}": i for i in range(width)})
    return path, query, None


@settings(
    max_examples=25,
    deadline=None,
    # No shrinking: an example is a request to every route, and the failing one is named.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_request_makes_a_5xx_or_stops_a_read_model(fuzz: FuzzClub, data: st.DataObject) -> None:
    """Each example sends one request to every route, in turn."""
    for method, rule in data.draw(st.permutations(fuzz.routes)):
        path, query, body = a_request(data.draw, fuzz, method, rule)
        sent = f"{method} {path} {query} {(body or '')[:300]}"
        client = fuzz.player if data.draw(st.booleans()) else fuzz.admin.client
        answer = client.open(
            path,
            method=method,
            query_string=query,
            data=body,
            headers={**ADMIN, "Content-Type": "application/json"} if body is not None else ADMIN,
        )
        assert answer.status_code < 500, (sent, answer.get_data(as_text=True)[:300])
        fuzz.caught_up(sent)


def test_every_api_route_is_fuzzed(fuzz: FuzzClub) -> None:
    """The routes come from the app itself: a new one is fuzzed without a change here."""
    assert len(fuzz.routes) > 50
    assert {("POST", "/api/admin/matches"), ("PATCH", "/api/player/notifications")} <= set(
        fuzz.routes
    )
    assert fuzz.fields("POST", "/api/admin/matches")[0][:2] == ["admission", "auto_promote"]
