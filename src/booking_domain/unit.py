"""One attempt at one command: the aggregates it loaded and the ones it created.

The application runs a command's decision against a fresh ``Unit``, then saves
every aggregate the unit touched in one atomic write. If another writer got
there first (a version conflict), the attempt is thrown away and the command
runs again on the new state: a conflict is retried, never lost, never doubled.
"""

from __future__ import annotations

from dataclasses import replace
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
from booking_domain.values import Booker, ClubPolicy, PlayerId, Tier
from booking_domain.waitlist import Waitlist

if TYPE_CHECKING:
    from eventsourcing.application import Application

A = TypeVar("A", bound=Aggregate)
_ROLL_EVENTS = ("PlayerRegistered", "PlayerRenamed", "TierChanged", "RingerStatusChanged")


def _fold(roll: dict[UUID, Booker], event: Any) -> None:
    player_id = UUID(str(event.originator_id))
    kind = type(event).__name__
    if kind == "PlayerRegistered":
        roll[player_id] = Booker(PlayerId(player_id), event.name, Tier(event.tier), event.is_ringer)
        return
    known = roll.get(player_id)
    if known is None:
        return
    if kind == "PlayerRenamed":
        roll[player_id] = replace(known, name=event.name)
    elif kind == "TierChanged":
        roll[player_id] = replace(known, tier=Tier(event.tier))
    elif kind == "RingerStatusChanged":
        roll[player_id] = replace(known, is_ringer=event.is_ringer)


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

    def club_roll(self) -> list[Booker]:
        """Every registered player as the booking rules see them, in order of registration.

        Folded from the players' events in the notification log in one pass
        (not loaded one by one, and not from a view, so a decision never waits
        for a projection). Only decisions that tell people use it (tier open,
        last call); a player who registers or changes meanwhile simply misses
        this one, so these reads are not part of the write's concurrency check.
        """
        topics = [get_topic(getattr(Player, name)) for name in _ROLL_EVENTS]
        roll: dict[UUID, Booker] = {}
        start, page = 1, 1000
        while True:
            try:
                found = self._app.recorder.select_notifications(
                    start=start, limit=page, topics=topics
                )
            except (OperationalError, InterfaceError) as unreachable:
                raise StoreBusy() from unreachable
            for notification in found:
                _fold(roll, self._app.mapper.to_domain_event(notification))
            if len(found) < page:
                return list(roll.values())
            start = found[-1].id + 1

    def settings(self) -> ClubSettings | None:
        return self.find(ClubSettings, CLUB_SETTINGS_ID)

    def policy(self) -> ClubPolicy:
        settings = self.settings()
        return settings.policy if settings else ClubPolicy()

    def touched(self) -> list[Aggregate]:
        """The aggregates this attempt changed or created: what it will write.

        Created ones first, so that in the log a newcomer (a ringer who books
        themselves) is registered before the events that name them.
        """
        changed = [a for a in self._loaded.values() if a is not None and a.pending_events]
        return sorted(changed, key=lambda a: a.version > len(a.pending_events))

    def read_versions(self) -> dict[UUID, int]:
        """The aggregates it only read, at the versions it read them.

        The write is refused if any of them has moved on since, so a decision
        is never made on a stale read of a part it does not change.
        """
        return {
            a.id: a.version for a in self._loaded.values() if a is not None and not a.pending_events
        }
