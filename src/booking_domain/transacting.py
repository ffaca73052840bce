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
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import EnvType

from booking_domain.clock import Clock
from booking_domain.errors import BookingError, ValidationError
from booking_domain.match import Match
from booking_domain.tokens import new_invite_token
from booking_domain.transcodings import register_value_objects
from booking_domain.unit import Unit
from booking_domain.waitlist import Waitlist

T = TypeVar("T")
ADMIN = "admin"
#: The keyword the event store's recorder is given the versions of read-only aggregates by.
READ_VERSIONS = "read_versions"


class ConcurrencyConflict(BookingError):
    """A command kept losing the race for the same aggregates."""

    code = "conflict"
    default_message = "Too many people are changing this match at once — please try again."


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


class Transacting(Application[UUID]):
    """An application whose commands run as atomic, retried writes."""

    MAX_ATTEMPTS = 200

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        clock: Clock,
        new_token: Callable[[], str] = new_invite_token,
    ) -> None:
        super().__init__(env)
        if not getattr(self.recorder, "checks_read_versions", False):
            # Without this check two commands could each change one half of a
            # match/waitlist pair on a stale read of the other (write skew).
            raise TypeError(f"{type(self).__name__} needs a recorder that checks read versions")
        self.clock = clock
        self._new_token = new_token

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_objects(transcoder)

    def _transact(self, work: Callable[[Unit, datetime], T]) -> Done[T]:
        for attempt in range(1, self.MAX_ATTEMPTS + 1):
            unit = Unit(self)
            value = work(unit, self.clock.now())
            touched = unit.touched()
            if not touched:
                return Done(value, None)
            try:
                recordings = self.save(*touched, **{READ_VERSIONS: unit.read_versions()})
            except IntegrityError:
                # Someone else wrote first: decide again on the state they left.
                time.sleep(random.uniform(0, 0.002 * min(attempt, 10)))  # noqa: S311
                continue
            return Done(value, recordings[-1].notification.id if recordings else None)
        raise ConcurrencyConflict()

    def _on_match(
        self, match_id: UUID, decide: Callable[[Match, Waitlist, datetime], object]
    ) -> Done[UUID]:
        def work(unit: Unit, now: datetime) -> UUID:
            decide(unit.match(match_id), unit.waitlist(match_id), now)
            return match_id

        return self._transact(work)
