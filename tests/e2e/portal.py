"""Helpers for the portal's tests: a paid match with a held place, signing in by code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from tests.e2e.api import ApiClub, data, phone
from tests.e2e.conftest import ADMIN

PRICE = 750  # £7.50
SAM, BEN, ANA, PARENT, STRANGER = 3, 4, 5, 9, 77
CODE = re.compile(r"Your sign-in code is (\d{6})\. It expires in 10 minutes\.")


def codes_sent_to(client: FlaskClient, number: str) -> list[dict[str, Any]]:
    """The sign-in codes the dev inbox holds for this phone, oldest first."""
    messages = data(client.get(f"/api/test-clock/inbox?phone={number}"))
    return [m for m in messages if m["kind"] == "login_code"]


def code_sent_to(client: FlaskClient, number: str) -> str:
    """The last sign-in code the dev inbox holds for this phone."""
    codes = codes_sent_to(client, number)
    assert codes, "no sign-in code was sent"
    found = CODE.fullmatch(codes[-1]["text"])
    assert found, codes[-1]
    return found.group(1)


def sign_in(client: FlaskClient, number: str) -> list[dict[str, Any]]:
    """Ask for a code, read it from the dev inbox, verify it: the session is set."""
    assert client.post("/api/player/login", json={"phone": number}).status_code == 202
    code = code_sent_to(client, number)
    answer = client.post("/api/player/login/verify", json={"phone": number, "code": code})
    return list(data(answer)["players"])


@dataclass
class PaidClub(ApiClub):
    """A priced match, full: Ana IN; Sam (whose parent has their own phone) and Ben waiting."""

    match_id: str = ""
    token: str = ""

    def set_up(self, *, auto_promote: bool = True, capacity: int = 1) -> PaidClub:
        self.ana = self.player("Ana", ANA)
        self.sam = self.player("Sam", SAM, guardian_phones=[phone(PARENT)])
        self.ben = self.player("Ben", BEN)
        self.match_id = self.match(capacity=capacity, price_minor=PRICE, auto_promote=auto_promote)
        self.token = self.enable(self.match_id)
        for n, action in ((ANA, "IN"), (SAM, "WAITLIST"), (BEN, "WAITLIST")):
            data(self.respond(self.match_id, self.token, n, action))
        return self

    def free_a_place(self) -> None:
        """Capacity up by one: with auto-promote, Sam (the head) is offered it."""
        board = self.board(self.match_id)
        body = {"capacity": board["capacity"] + 1}
        data(
            self.client.patch(
                f"/api/admin/matches/{self.match_id}/capacity", json=body, headers=ADMIN
            )
        )

    def promote(self, player_id: str) -> Any:
        return self.client.post(
            f"/api/admin/matches/{self.match_id}/waitlist/{player_id}/promote", headers=ADMIN
        )

    def status(self, player_id: str) -> str:
        found = [p for p in self.board(self.match_id)["players"] if p["player_id"] == player_id]
        return str(found[0]["status"])
