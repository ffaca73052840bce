"""Audit by replay: rebuild every read model beside the live ones and compare them.

domain.md invariant 5: rebuilding every read model from the store reproduces
the live read models exactly. ``audit`` brings the live read models to one
position, rebuilds them up to that same position into a scratch database
(a scratch schema on PostgreSQL, a scratch file on SQLite) and lists every row
that differs, keyed by its primary key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table, select

from projections.runner import CannotApply, ProjectionRunner
from projections.stalls import Stall
from projections.tables import utc


@dataclass(frozen=True)
class Difference:
    """One row that is not the same in the live and the rebuilt read model."""

    table: str
    key: tuple[Any, ...]
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None

    def describe(self) -> str:
        key = ", ".join(str(k) for k in self.key)
        if self.live is None:
            return f"{self.table} [{key}]: missing from the live read model"
        if self.rebuilt is None:
            return f"{self.table} [{key}]: in the live read model but not in the rebuild"
        changed = [
            f"{column}: live {self.live[column]!r}, rebuilt {self.rebuilt[column]!r}"
            for column in self.live
            if self.live[column] != self.rebuilt.get(column)
        ]
        return f"{self.table} [{key}]: " + "; ".join(changed)


@dataclass(frozen=True)
class AuditReport:
    """What the audit compared and what it found."""

    position: int
    rows: int
    differences: list[Difference]
    #: Live read models stopped at an event they cannot apply (not compared).
    stalled: list[Stall] = field(default_factory=list)
    #: An event the rebuild itself could not apply.
    unreplayable: Stall | None = None

    @property
    def clean(self) -> bool:
        return not self.differences and not self.stalled and self.unreplayable is None


def audit(
    live: ProjectionRunner,
    scratch: Engine,
    *,
    progress: Callable[[int], object] | None = None,
    attempts: int = 5,
) -> AuditReport:
    """Rebuild ``live``'s read models into ``scratch`` and compare them row by row.

    A live read model stopped at an event is reported, not compared (it is
    behind by design); events an operator passed over are passed over by the
    rebuild too; an event the rebuild cannot apply is named, not raised.
    """
    position, stalled = _quiet_position(live, attempts)
    stopped = {s.name for s in stalled}
    checked = [p for p in live.projectors if p.name not in stopped]
    passed_over: dict[str, set[int]] = {p.name: set() for p in checked}
    for mark in live.stalls(skipped=True):
        if mark.skipped and mark.name in passed_over:
            passed_over[mark.name].add(mark.position)
    rebuilt = ProjectionRunner(live.app, scratch, [type(p)() for p in checked])
    try:
        rebuilt.rebuild(stop=position, progress=progress, passed_over=passed_over)
    except CannotApply as error:
        return AuditReport(position, 0, [], stalled, error.stall)
    differences: list[Difference] = []
    rows = 0
    for projector in checked:
        for table in projector.tables:
            mine, theirs = _rows(live.engine, table), _rows(scratch, table)
            rows += len(theirs)
            differences += [
                Difference(table.name, key, mine.get(key), theirs.get(key))
                for key in sorted(mine.keys() | theirs.keys(), key=repr)
                if mine.get(key) != theirs.get(key)
            ]
    return AuditReport(position, rows, differences, stalled)


def _quiet_position(live: ProjectionRunner, attempts: int) -> tuple[int, list[Stall]]:
    """Catch every live read model up to one and the same position (those stopped at
    an event aside)."""
    for _ in range(attempts):
        live.catch_up()
        stalled = live.stalls()
        stopped = {s.name for s in stalled}
        positions = {v for k, v in live.positions().items() if k not in stopped}
        if len(positions) <= 1:
            return (positions.pop() if positions else 0), stalled
    raise RuntimeError("the event log kept moving: the live read models never stood still")


def _rows(engine: Engine, table: Table) -> dict[tuple[Any, ...], dict[str, Any]]:
    key_columns = [c.name for c in table.primary_key.columns]
    with engine.connect() as conn:
        found = conn.execute(select(table)).mappings().all()
    # SQLite hands back naive UTC datetimes; compare instants, not representations.
    return {tuple(row[c] for c in key_columns): utc(row) for row in found}
