"""Projectors and their runner: read models updated exactly once per event.

A projector turns events into rows of its tables. The runner feeds it the
notification log in batches; each batch is one transaction of the views
database holding the projector's rows *and* its tracked position, so a crash
loses both together and the next run resumes where the last commit ended:
no gaps, no doubles. Several runners may run at once (on PostgreSQL the
position row is locked; on SQLite a transaction is the one writer).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from eventsourcing.application import Application
from sqlalchemy import Connection, Engine, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, ProgrammingError

from projections.tables import metadata, tracking


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
    import projections.paid_places  # noqa: F401

    for attempt in range(1, tries + 1):
        try:
            metadata.create_all(engine)
            return
        except (IntegrityError, ProgrammingError):
            if attempt == tries:
                raise
            time.sleep(0.2 * attempt)


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

    def current_to(self) -> int:
        """The position every read model has reached (a read reflects at least this)."""
        return min(self.positions().values(), default=0)

    def wait_for(self, position: int, *, timeout: float = 2.0, help_out: bool = True) -> bool:
        """Block until every read model has reached ``position`` (a command's
        ``Done.position``), at most ``timeout`` seconds; False if it did not.

        ``help_out`` catches up in this process while waiting (safe beside other
        runners: a projector's batch is claimed by one of them at a time).
        """
        deadline = time.monotonic() + timeout
        pause = 0.005
        while True:
            if help_out:
                self.catch_up(stop=position)
            if self.current_to() >= position:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    def position(self, projector: Projector) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(tracking.c.position).where(tracking.c.name == projector.name)
            ).scalar()
        return int(found or 0)

    def run_once(self, projector: Projector, *, stop: int | None = None) -> int:
        """Project the next batch for one projector; how many events (0: caught up or busy)."""
        start = self.position(projector)
        found = self.app.recorder.select_notifications(start=start + 1, limit=self.batch, stop=stop)
        if not found:
            return 0
        with self.engine.begin() as conn:
            if self._lock(conn, projector) != start:
                return 0  # another runner has moved it on, or holds it now
            for notification in found:
                event = self.app.mapper.to_domain_event(notification)
                projector.apply(conn, event, notification.id)
            conn.execute(
                update(tracking)
                .where(tracking.c.name == projector.name)
                .values(position=found[-1].id)
            )
        return len(found)

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
    ) -> int:
        """Replace every read model of this runner with a replay of the log (up to
        ``stop``); the position reached.

        One transaction: on PostgreSQL readers see the old rows until it commits,
        and other runners skip these projectors meanwhile; a crash leaves the old
        read models as they were.
        """
        position = 0
        with self.engine.begin() as conn:
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
                        projector.apply(conn, event, notification.id)
                position = found[-1].id
                if progress is not None:
                    progress(len(found))
            names = [p.name for p in self.projectors]
            conn.execute(
                update(tracking).where(tracking.c.name.in_(names)).values(position=position)
            )
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
