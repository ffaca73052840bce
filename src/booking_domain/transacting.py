"""Running a command: one atomic, retried write of everything it changed.

Commands load what they need into a ``Unit``, let the aggregates and the rules
decide, and save every changed aggregate in one write, with optimistic
concurrency on each aggregate changed *and* on each one only read (the
recorder checks ``read_versions``). A conflict reruns the command on the new
state. A command that changes nothing (a double click, a redelivered message)
writes nothing. Each answer carries the position of the last event it wrote,
so a reader can wait for its views to catch up.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import Application, Repository
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    OperationalError,
    ProgrammingError,
)
from eventsourcing.utils import EnvType

from booking_domain.clock import Clock
from booking_domain.errors import ConcurrencyConflict, StoreBusy, ValidationError
from booking_domain.match import Match
from booking_domain.timers import TIMERS, Timer, timers_for
from booking_domain.transcodings import register_value_objects
from booking_domain.unit import Unit
from booking_domain.waitlist import Waitlist

T = TypeVar("T")
ADMIN = "admin"
#: The keyword the event store's recorder is given the versions of read-only aggregates by.
READ_VERSIONS = "read_versions"


@dataclass(frozen=True)
class Done(Generic[T]):
    """A command's answer and the notification position of the last event it wrote."""

    value: T
    position: int | None


def parse_enum(cls: type[Any], value: Any, field: str) -> Any:
    """``cls(value)``, or a validation error naming the field and the choices."""
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(v) for v in cls)
        raise ValidationError(field, f"must be one of {allowed}") from None


class SerialisedRepository(Repository[UUID]):
    """The library's repository, with one aggregate read at a time per aggregate.

    With a cache, the library brings a cached aggregate up to date in place
    and then copies it for the caller; the copy is taken outside its lock, so
    another thread updating the same cached aggregate can change it mid-copy
    ("dictionary changed size during iteration"). Striped locks around the
    whole read keep reads of one aggregate apart; reads of others run freely.
    """

    STRIPES = 64

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stripes = [threading.Lock() for _ in range(self.STRIPES)]

    def get(self, aggregate_id: UUID, **kwargs: Any) -> Any:
        if self.cache is None or kwargs.get("version") is not None:
            return super().get(aggregate_id, **kwargs)
        with self._stripes[hash(aggregate_id) % self.STRIPES]:
            return super().get(aggregate_id, **kwargs)


def _timers_of(unit: Unit, touched: list[Any], now: datetime) -> dict[UUID, list[Timer]]:
    """The full set of timers of every match this write changes (``timers.py``)."""
    match_ids = {
        a.id if isinstance(a, Match) else a.match_id
        for a in touched
        if isinstance(a, Match | Waitlist)
    }
    return {mid: timers_for(unit.match(mid), unit.waitlist(mid), now) for mid in match_ids}


class Transacting(Application[UUID]):
    """An application whose commands run as atomic, retried writes."""

    MAX_ATTEMPTS = 200

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        clock: Clock,
    ) -> None:
        super().__init__(env)
        #: Called with the position of each write (runners use it to look again at once).
        self.after_write: list[Callable[[int], None]] = []
        if not getattr(self.recorder, "checks_read_versions", False):
            # Without this check two commands could each change one half of a
            # match/waitlist pair on a stale read of the other (write skew).
            raise TypeError(f"{type(self).__name__} needs a recorder that checks read versions")
        self.clock = clock

    def construct_snapshot_store(self) -> EventStore[UUID]:
        # Several processes starting at once on a new database (gunicorn's
        # workers) each create the snapshots table; two CREATE TABLE IF NOT
        # EXISTS at the same moment collide ("relation … already exists", or
        # "duplicate key … pg_type"), and the loser's worker would fail to
        # boot. A later try finds the table made.
        for attempt in range(1, 3):
            try:
                return super().construct_snapshot_store()
            except (IntegrityError, ProgrammingError):
                time.sleep(0.2 * attempt)
        return super().construct_snapshot_store()

    def construct_repository(self) -> Repository[UUID]:
        library = super().construct_repository()  # reads the cache settings from env
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return SerialisedRepository(
            event_store=library.event_store,
            snapshot_store=library.snapshot_store,
            cache_maxsize=int(maxsize) if maxsize else None,
            fastforward=library.fastforward,
            fastforward_skipping=library.fastforward_skipping,
            deepcopy_from_cache=library.deepcopy_from_cache,
        )

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_objects(transcoder)

    def _transact(self, work: Callable[[Unit, datetime], T]) -> Done[T]:
        done = self._decide_and_save(work)
        # Outside the error mapping above: once the events are written the
        # command has happened, and nothing a listener meets (read models
        # behind, a database blip) may make it look as if it had not.
        if done.position is not None:
            for listener in self.after_write:
                listener(done.position)
        return done

    def _decide_and_save(self, work: Callable[[Unit, datetime], T]) -> Done[T]:
        try:
            for attempt in range(1, self.MAX_ATTEMPTS + 1):
                unit = Unit(self)
                now = self.clock.now()
                value = work(unit, now)
                touched = unit.touched()
                if not touched:
                    return Done(value, None)
                timers = _timers_of(unit, touched, now)
                try:
                    recordings = self.save(
                        *touched, **{READ_VERSIONS: unit.read_versions(), TIMERS: timers}
                    )
                except IntegrityError:
                    # Someone else wrote first: decide again on the state they left.
                    time.sleep(random.uniform(0, 0.002 * min(attempt, 10)))  # noqa: S311
                    continue
                position = recordings[-1].notification.id if recordings else None
                return Done(value, position)
        except (OperationalError, InterfaceError) as unreachable:
            # Locked past the timeout, or the database went away (after the
            # library's own retries): nothing was written; say so plainly.
            # (Reads map the same errors in Unit.find.)
            raise StoreBusy() from unreachable
        raise ConcurrencyConflict()

    def _on_match(
        self, match_id: UUID, decide: Callable[[Match, Waitlist, datetime], object]
    ) -> Done[UUID]:
        def work(unit: Unit, now: datetime) -> UUID:
            decide(unit.match(match_id), unit.waitlist(match_id), now)
            return match_id

        return self._transact(work)
