"""How far every follower of the log has got, and which are stopped at an event.

One report for ``booking projections status``, the web's ``/api/health`` and
``booking audit``: the read models (``projections.runner``) and the process
managers (``processes.follower``) each follow the notification log; a follower
that cannot apply an event stops there (``projections.stalls``) while the
others go on, and this is where an operator sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eventsourcing.application import Application

from processes.follower import retry_side, side_positions, side_stalls, skip_side
from processes.sidestore import SideStore
from projections import stalls as view_stalls
from projections.runner import ProjectionRunner
from projections.stalls import Stall

#: The process managers that follow the log (``processes.engine.Engine``).
PROCESS_MANAGERS = ("notices", "payment_effects")


@dataclass(frozen=True)
class Follower:
    """One follower of the log as the operator sees it."""

    name: str
    kind: str  # "read model" | "process manager"
    position: int
    stalled: Stall | None = None
    skipped: list[Stall] = field(default_factory=list)

    def as_json(self, head: int) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "position": self.position,
            "behind": max(0, head - self.position),
            "stalled": _stall_json(self.stalled) if self.stalled else None,
            "skipped": [_stall_json(s) for s in self.skipped],
        }


@dataclass(frozen=True)
class Health:
    """The log's head and every follower's place in it."""

    head: int
    followers: list[Follower]

    @property
    def stalled(self) -> list[Follower]:
        return [f for f in self.followers if f.stalled is not None]

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "degraded" if self.stalled else "ok",
            "head": self.head,
            "followers": [f.as_json(self.head) for f in self.followers],
        }

    def lines(self) -> list[str]:
        """The report as text, a follower a line, stalls under it."""
        out = [f"event log head: {self.head}"]
        for f in self.followers:
            state = "STALLED" if f.stalled else "ok"
            out.append(
                f"  {f.name:<16} {f.kind:<16} at {f.position:>9}"
                f"  ({max(0, self.head - f.position)} behind)  {state}"
            )
            if f.stalled:
                out.append(f"      {f.stalled.describe()}")
            out += [f"      {s.describe()}" for s in f.skipped]
        return out


def health(app: Application[Any], views: ProjectionRunner) -> Health:
    """Every follower of ``app``'s log: its read models and its process managers."""
    side: SideStore = app.recorder.side  # type: ignore[attr-defined]
    head = int(app.recorder.max_notification_id() or 0)
    found: list[Follower] = []
    positions = views.positions()
    marks = views.stalls(skipped=True)
    for name, position in positions.items():
        found.append(_follower(name, "read model", position, marks))
    side_marks = side_stalls(side)
    done = side_positions(side)
    for name in PROCESS_MANAGERS:
        found.append(_follower(name, "process manager", done.get(name, 0), side_marks))
    return Health(head, found)


def retry(app: Application[Any], views: ProjectionRunner, name: str) -> int:
    """Let follower ``name`` try its stalled event again; how many stalls were open."""
    if name in PROCESS_MANAGERS:
        return retry_side(app.recorder.side, name)  # type: ignore[attr-defined]
    _known(views, name)
    with views.engine.begin() as conn:
        return view_stalls.retry(conn, name)


def skip(app: Application[Any], views: ProjectionRunner, name: str) -> Stall | None:
    """Pass over the event follower ``name`` is stopped at (kept on record); which."""
    if name in PROCESS_MANAGERS:
        return skip_side(app.recorder.side, name)  # type: ignore[attr-defined]
    _known(views, name)
    with views.engine.begin() as conn:
        return view_stalls.skip(conn, name)


def _known(views: ProjectionRunner, name: str) -> None:
    names = [p.name for p in views.projectors] + list(PROCESS_MANAGERS)
    if name not in names:
        raise KeyError(f"no follower called {name!r}; there are: {', '.join(names)}")


def _follower(name: str, kind: str, position: int, marks: list[Stall]) -> Follower:
    mine = [s for s in marks if s.name == name]
    open_ = [s for s in mine if not s.skipped]
    return Follower(
        name, kind, position, open_[0] if open_ else None, [s for s in mine if s.skipped]
    )


def _stall_json(stall: Stall) -> dict[str, Any]:
    return {
        "position": stall.position,
        "event_type": stall.event_type,
        "stream_id": stall.stream_id,
        "version": stall.version,
        "error": stall.error,
        "at": stall.at.isoformat(),
    }
