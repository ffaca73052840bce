"""Projectors and their runner: read models updated exactly once per event.

A projector turns events into rows of its tables. The runner feeds it the
notification log in batches; each batch is one transaction of the views
database holding the projector's rows *and* its tracked position, so a crash
loses both together and the next run resumes where the last commit ended:
no gaps, no doubles. Several runners may run at once (on PostgreSQL the
position row is locked; on SQLite a transaction is the one writer).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from eventsourcing.application import Application
from sqlalchemy import (
    CompoundSelect,
    Connection,
    Engine,
    Table,
    bindparam,
    delete,
    false,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, ProgrammingError

from projections import stalls
from projections.stalls import Stall
from projections.tables import metadata, tracking

_log = logging.getLogger("booking.projections")


class CannotApply(Exception):
    """A rebuild met an event a projector cannot apply (``stall`` names it)."""

    def __init__(self, stall: Stall) -> None:
        super().__init__(stall.describe())
        self.stall = stall


class Projector(Protocol):
    """One read model: its name, and what each event does to its rows."""

    name: str
    #: The tables it alone writes (a rebuild empties them).
    tables: tuple[Table, ...]

    def apply(self, conn: Connection, event: Any, position: int) -> None: ...


def every_projector() -> list[Projector]:
    """Every read model, in the order a rebuild runs them."""
    from projections.activity import ActivityFeed
    from projections.analytics import Analytics
    from projections.court_views import Courts
    from projections.dashboard import Dashboard
    from projections.offer_log import OfferLog
    from projections.paid_places import PaidPlaces

    return [Dashboard(), OfferLog(), PaidPlaces(), Courts(), ActivityFeed(), Analytics()]


def create_tables(engine: Engine, *, tries: int = 4) -> None:
    """The read models' tables, made once however many processes start together.

    SQLAlchemy looks, then says CREATE TABLE; two processes doing so at the
    same moment on a new PostgreSQL database collide ("duplicate key …
    pg_type", "already exists"). The loser tries again and finds them made.
    """
    import projections.court_views
    import projections.paid_places
    import projections.stalls  # noqa: F401

    for attempt in range(1, tries + 1):
        try:
            metadata.create_all(engine)
            return
        except (IntegrityError, ProgrammingError):
            if attempt == tries:
                raise
            time.sleep(0.2 * attempt)


def _marks_query(named: bool) -> CompoundSelect:
    """Positions and stalls together (built once: this runs before every batch)."""
    marks = stalls.stall_table
    positions = select(tracking.c.name, tracking.c.position, false(), false())
    stopped = select(marks.c.name, marks.c.position, ~marks.c.skipped, marks.c.skipped)
    if named:
        positions = positions.where(tracking.c.name == bindparam("name"))
        stopped = stopped.where(marks.c.name == bindparam("name"))
    return union_all(positions, stopped)


_EVERY_MARK = _marks_query(named=False)
_MARKS_OF = _marks_query(named=True)


class ProjectionRunner:
    """Keeps projectors up to date with the notification log of one application."""

    def __init__(
        self,
        app: Application[Any],
        engine: Engine,
        projectors: Sequence[Projector],
        *,
        batch: int = 500,
    ) -> None:
        self.app = app
        self.engine = engine
        self.projectors = list(projectors)
        self.batch = batch
        create_tables(engine)

    def positions(self) -> dict[str, int]:
        """How far each projector has read the notification log."""
        with self.engine.connect() as conn:
            found = dict(conn.execute(select(tracking.c.name, tracking.c.position)).tuples().all())
        return {p.name: int(found.get(p.name, 0)) for p in self.projectors}

    def stalls(self, *, skipped: bool = False) -> list[Stall]:
        """The events projectors are stopped at (and, if asked, those passed over)."""
        with self.engine.connect() as conn:
            found = stalls.listed(conn, [p.name for p in self.projectors])
        return [s for s in found if skipped or not s.skipped]

    def current_to(self) -> int:
        """The position every read model has reached (a read reflects at least this)."""
        return min(self.positions().values(), default=0)

    def wait_for(self, position: int, *, timeout: float = 2.0, help_out: bool = True) -> bool:
        """Block until every read model has reached ``position`` (a command's
        ``Done.position``), at most ``timeout`` seconds; False if it did not.

        A projector stopped at an event it cannot apply is not waited for (it
        will not move until an operator acts): False at once, and ``stalls()``
        says which. ``help_out`` catches up in this process while waiting (safe
        beside other runners: a projector's batch is claimed by one of them at
        a time).
        """
        deadline = time.monotonic() + timeout
        pause = 0.005
        while True:
            if help_out:
                self.catch_up(stop=position)
            reached, stalled = self._progress()
            if not stalled and reached >= position:
                return True
            if stalled and reached >= position:
                return False
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    def _progress(self) -> tuple[int, bool]:
        """The position every projector not stalled has reached, and whether one is."""
        found: dict[str, int] = {}
        stopped: set[str] = set()
        for name, position, stalled, _ in self._marks(None):
            if stalled:
                stopped.add(name)
            elif position is not None:
                found[name] = position
        going = [found.get(p.name, 0) for p in self.projectors if p.name not in stopped]
        return min(going, default=2**62), bool(stopped)

    def position(self, projector: Projector) -> int:
        return self._state(projector)[0]

    def _state(self, projector: Projector) -> tuple[int, bool, set[int]]:
        """Where ``projector`` is, whether it is stalled, and the events it passes over."""
        position, stalled, passed_over = 0, False, set()
        for _, at, open_, passed in self._marks(projector.name):
            if open_:
                stalled = True
            elif passed:
                passed_over.add(at)
            else:
                position = at
        return position, stalled, passed_over

    def _marks(self, name: str | None) -> list[tuple[str, int, bool, bool]]:
        """In one round trip (this runs before every batch): each projector's
        position as ``(name, position, False, False)`` and each stall as ``(name,
        event, open, skipped)``."""
        with self.engine.connect() as conn:
            if name is None:
                rows = conn.execute(_EVERY_MARK).tuples().all()
            else:
                rows = conn.execute(_MARKS_OF, {"name": name}).tuples().all()
        return [(n, int(at), bool(open_), bool(passed)) for n, at, open_, passed in rows]

    def run_once(self, projector: Projector, *, stop: int | None = None) -> int:
        """Project the next batch for one projector; how many events (0: caught up,
        busy, or stalled at an event it cannot apply)."""
        start, stalled, passed_over = self._state(projector)
        if stalled:
            return 0
        found = self.app.recorder.select_notifications(start=start + 1, limit=self.batch, stop=stop)
        if not found:
            return 0
        try:
            return self._apply(projector, start, found, passed_over)
        except Exception as error:
            if stalls.is_outage(error):
                raise
            if len(found) == 1:
                return self._stall(projector, found[0], error)
        return self._one_by_one(projector, start, found, passed_over)

    def _one_by_one(
        self, projector: Projector, start: int, found: Sequence[Any], passed_over: set[int]
    ) -> int:
        """A batch failed: apply its events one at a time, up to the bad one."""
        done = 0
        for notification in found:
            try:
                if not self._apply(projector, start, [notification], passed_over):
                    return done  # another runner moved it on meanwhile
            except Exception as error:
                if stalls.is_outage(error):
                    raise
                self._stall(projector, notification, error)
                return done
            done += 1
            start = notification.id
        return done

    def _apply(
        self, projector: Projector, start: int, found: Sequence[Any], passed_over: set[int]
    ) -> int:
        with self.engine.begin() as conn:
            if self._lock(conn, projector) != start:
                return 0  # another runner has moved it on, or holds it now
            for notification in found:
                if notification.id in passed_over:
                    continue
                event = self.app.mapper.to_domain_event(notification)
                projector.apply(conn, event, notification.id)
            conn.execute(
                update(tracking)
                .where(tracking.c.name == projector.name)
                .values(position=found[-1].id)
            )
        return len(found)

    def _stall(self, projector: Projector, notification: Any, error: BaseException) -> int:
        """Stop ``projector`` at this event, and say so once (not once per try)."""
        stall = stalls.stall_of(projector.name, notification, error, datetime.now(UTC))
        with self.engine.begin() as conn:
            first = stalls.record(conn, stall)
        if first:
            _log.error("read model %s; the others go on", stall.describe())
        return 0

    def catch_up(self, *, stop: int | None = None) -> int:
        """Bring every projector up to the end of the log (or to ``stop``)."""
        total = 0
        for projector in self.projectors:
            while handled := self.run_once(projector, stop=stop):
                total += handled
        return total

    def rebuild(
        self,
        *,
        stop: int | None = None,
        progress: Callable[[int], object] | None = None,
        page: int = 2000,
        passed_over: Mapping[str, set[int]] | None = None,
    ) -> int:
        """Replace every read model of this runner with a replay of the log (up to
        ``stop``); the position reached.

        One transaction: on PostgreSQL readers see the old rows until it commits,
        and other runners skip these projectors meanwhile; a crash leaves the old
        read models as they were. An event a projector cannot apply ends the
        rebuild with ``CannotApply`` naming it, and the old read models stay;
        events an operator passed over (``passed_over``, else this database's
        own record of them) are passed over here too.
        """
        position = 0
        names = [p.name for p in self.projectors]
        with self.engine.begin() as conn:
            skipped = (
                {n: set(passed_over.get(n, set())) for n in names}
                if passed_over is not None
                else stalls.skipped_positions(conn, names)
            )
            for projector in self.projectors:
                self._lock(conn, projector, wait=True)
                for table in projector.tables:
                    conn.execute(delete(table))
            while found := self.app.recorder.select_notifications(
                start=position + 1, limit=page, stop=stop
            ):
                for notification in found:
                    event = self.app.mapper.to_domain_event(notification)
                    for projector in self.projectors:
                        if notification.id in skipped[projector.name]:
                            continue
                        try:
                            projector.apply(conn, event, notification.id)
                        except Exception as error:
                            if stalls.is_outage(error):
                                raise
                            stall = stalls.stall_of(
                                projector.name, notification, error, datetime.now(UTC)
                            )
                            raise CannotApply(stall) from error
                position = found[-1].id
                if progress is not None:
                    progress(len(found))
            conn.execute(
                update(tracking).where(tracking.c.name.in_(names)).values(position=position)
            )
            stalls.clear_open(conn, names)
        return position

    def _lock(self, conn: Connection, projector: Projector, *, wait: bool = False) -> int | None:
        values = {"name": projector.name, "position": 0}
        if conn.dialect.name == "postgresql":
            conn.execute(postgresql.insert(tracking).values(values).on_conflict_do_nothing())
            query = (
                select(tracking.c.position)
                .where(tracking.c.name == projector.name)
                .with_for_update(skip_locked=not wait)
            )
        else:
            conn.execute(sqlite.insert(tracking).values(values).on_conflict_do_nothing())
            query = select(tracking.c.position).where(tracking.c.name == projector.name)
        found = conn.execute(query).scalar()
        return None if found is None else int(found)
