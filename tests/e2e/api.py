"""Small helpers for API tests: a club set up through the API itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.e2e.conftest import ADMIN


def phone(n: int) -> str:
    """Fictional numbers (Ofcom's drama range, 020 7946 0xxx)."""
    return f"+44207946{n:04d}"


def data(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["success"] is True
    return body["data"]


def refused(response: Any, code: str, status: int) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == status, body
    assert body["success"] is False
    assert body["code"] == code, body
    assert body["error"]
    return body


@dataclass
class ApiClub:
    """A club driven through the HTTP API only."""

    client: FlaskClient

    def now(self) -> datetime:
        return datetime.fromisoformat(data(self.client.get("/api/test-clock"))["now"])

    def player(self, name: str, n: int, **extra: Any) -> str:
        body = {"name": name, "phone": phone(n), **extra}
        return data(self.client.post("/api/admin/players", json=body, headers=ADMIN), 201)[
            "player_id"
        ]

    def match(self, capacity: int = 2, *, in_days: float = 3, **extra: Any) -> str:
        kickoff = self.now() + timedelta(days=in_days)
        body = {
            "title": "Tuesday 5s",
            "kickoff_at": kickoff.astimezone(UTC).isoformat(),
            "location": "Hackney Marshes",
            "capacity": capacity,
            **extra,
        }
        return data(self.client.post("/api/admin/matches", json=body, headers=ADMIN), 201)[
            "match_id"
        ]

    def enable(self, match_id: str, **body: Any) -> str:
        answer = self.client.patch(
            f"/api/admin/matches/{match_id}/enable-booking", json=body, headers=ADMIN
        )
        return str(data(answer)["token"])

    def respond(self, match_id: str, token: str, n: int, action: str = "IN", **extra: Any) -> Any:
        body = {"match_id": match_id, "token": token, "phone": phone(n), "action": action, **extra}
        return self.client.post("/api/booking/respond", json=body)

    def board(self, match_id: str) -> dict[str, Any]:
        return dict(data(self.client.get(f"/api/admin/matches/{match_id}", headers=ADMIN)))

    def advance(self, seconds: float) -> dict[str, Any]:
        return dict(data(self.client.post("/api/test-clock", json={"advance_seconds": seconds})))
