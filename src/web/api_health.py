"""Is the engine well: ``GET /api/health`` for load balancers and monitors, and the
operator's detail at ``GET /api/admin/health``.

A read model or process manager stopped at an event it cannot apply
(``projections/stalls.py``) makes the engine *degraded*, not down: bookings
go on and the other followers keep up, so the public answer stays 200 and
names the followers that stopped; the admin answer says at which event and
why. The store being unreachable answers 503 ``unavailable``.
"""

from __future__ import annotations

from typing import Any, Literal

from apiflask import APIBlueprint
from pydantic import BaseModel

from booking import health as report
from web.api_admin import admin_route
from web.envelope import ok
from web.services import club

api_health = APIBlueprint("api_health", __name__, url_prefix="/api", tag="Health")


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    #: The event log's last position.
    head: int
    #: The followers of the log that are stopped at an event.
    stalled: list[str]


class StallOut(BaseModel):
    position: int
    event_type: str
    stream_id: str
    version: int
    error: str
    at: str


class FollowerOut(BaseModel):
    name: str
    kind: str
    position: int
    behind: int
    stalled: StallOut | None
    skipped: list[StallOut]


class HealthDetailOut(BaseModel):
    status: Literal["ok", "degraded"]
    head: int
    followers: list[FollowerOut]


@api_health.get("/health")
@api_health.output(HealthOut)
@api_health.doc(responses=[503])
def health() -> Any:
    """``ok``, or ``degraded`` with the followers of the log that stopped at an event."""
    found = _report()
    return ok(
        {
            "status": "degraded" if found.stalled else "ok",
            "head": found.head,
            "stalled": [f.name for f in found.stalled],
        }
    )


@admin_route("get", "/health", HealthDetailOut)
def health_detail() -> Any:
    """Every follower of the log: how far it is, and the event it is stopped at."""
    return ok(_report().as_json())


def _report() -> report.Health:
    service = club()
    return report.health(service.app, service.views)
