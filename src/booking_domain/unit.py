"""One attempt at one command: the aggregates it loaded and the ones it created.

The application runs a command's decision against a fresh ``Unit``, then saves
every aggregate the unit touched in one atomic write. If another writer got
there first (a version conflict), the attempt is thrown away and the command
runs again on the new state: a conflict is retried, never lost, never doubled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.utils import get_topic

from booking_domain.club import CLUB_SETTINGS_ID, ClubSettings
from booking_domain.errors import NotFound, StoreBusy
from booking_domain.identity import PhoneNumber
from booking_domain.match import Match
from booking_domain.player import PhoneIndex, Player
from booking_domain.values import ClubPolicy
from booking_domain.waitlist import Waitlist

if TYPE_CHECKING:
    from eventsourcing.application import Application

A = TypeVar("A", bound=Aggregate)


class Unit:
    """The aggregates one command attempt works on, each loaded at most once."""

    def __init__(self, app: Application[UUID]) -> None:
        self._app = app
        self._loaded: dict[UUID, Aggregate | None] = {}

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id not in self._loaded:
            try:
                found: Any = self._app.repository.get(aggregate_id)
            except AggregateNotFoundError:
                found = None
            except (OperationalError, InterfaceError) as unreachable:
                raise StoreBusy() from unreachable
            self._loaded[aggregate_id] = found
        aggregate = self._loaded[aggregate_id]
        return aggregate if isinstance(aggregate, cls) else None

    def get(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        aggregate = self.find(cls, aggregate_id)
        if aggregate is None:
            raise NotFound(f"No such {what}.")
        return aggregate

    def add(self, aggregate: Aggregate) -> None:
        self._loaded[aggregate.id] = aggregate

    def match(self, match_id: UUID) -> Match:
        return self.get(Match, match_id, "match")

    def waitlist(self, match_id: UUID) -> Waitlist:
        return self.get(Waitlist, Waitlist.create_id(match_id), "waitlist")

    def player(self, player_id: UUID) -> Player:
        return self.get(Player, player_id, "player")

    def player_by_phone(self, phone: PhoneNumber) -> Player | None:
        index = self.find(PhoneIndex, PhoneIndex.create_id(phone.e164))
        if index is None or index.player_id is None:
            return None
        return self.find(Player, index.player_id)

    def club_players(self) -> list[Player]:
        """Every registered player, in order of registration.

        Read from the notification log (the registrations), not from a view,
        so a decision never waits for a projection; players who register
        meanwhile are simply not in this decision.
        """
        topic = get_topic(Player.PlayerRegistered)  # type: ignore[attr-defined]
        players: list[Player] = []
        start, page = 1, 1000
        while True:
            try:
                found = self._app.recorder.select_notifications(
                    start=start, limit=page, topics=[topic]
                )
            except (OperationalError, InterfaceError) as unreachable:
                raise StoreBusy() from unreachable
            players += [p for n in found if (p := self.find(Player, UUID(str(n.originator_id))))]
            if len(found) < page:
                return players
            start = found[-1].id + 1

    def settings(self) -> ClubSettings | None:
        return self.find(ClubSettings, CLUB_SETTINGS_ID)

    def policy(self) -> ClubPolicy:
        settings = self.settings()
        return settings.policy if settings else ClubPolicy()

    def touched(self) -> list[Aggregate]:
        """The aggregates this attempt changed or created: what it will write."""
        return [a for a in self._loaded.values() if a is not None and a.pending_events]

    def read_versions(self) -> dict[UUID, int]:
        """The aggregates it only read, at the versions it read them.

        The write is refused if any of them has moved on since, so a decision
        is never made on a stale read of a part it does not change.
        """
        return {
            a.id: a.version for a in self._loaded.values() if a is not None and not a.pending_events
        }
