"""Helpers for the court tests: slots made through the admin API, members signed in."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.e2e.api import ApiClub, data
from tests.e2e.conftest import ADMIN


class CourtClub(ApiClub):
    """A court club driven through the HTTP API."""

    def slot(self, court: str = "Court 1", *, hours_from_now: float = 48, price: int = 1200) -> str:
        starts = self.now() + timedelta(hours=hours_from_now)
        body = {
            "court": court,
            "sport": "tennis",
            "starts_at": starts.astimezone(UTC).isoformat(),
            "ends_at": (starts + timedelta(hours=1)).astimezone(UTC).isoformat(),
            "price_minor": price,
        }
        answer = self.client.post("/api/admin/slots", json=body, headers=ADMIN)
        return str(data(answer, 201)["match_id"])


def ask(member: FlaskClient, *slots: str, **extra: Any) -> Any:
    return member.post(
        "/api/player/requests", json={"slots": [{"match_id": s} for s in slots], **extra}
    )
