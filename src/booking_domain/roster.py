"""Who has answered what in one match: the roster a Match aggregate keeps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from booking_domain.values import Immutable, Status


@dataclass(frozen=True)
class RosterEntry(Immutable):
    """One player's response, and whether they hold a place.

    ``placed_seq`` is the match version that gave the player their place (IN or
    HELD), so it orders places by when they were taken; capacity cuts demote
    the latest first, and a dropout who comes back in grace keeps theirs.
    ``grace_until`` is set while a dropout is in grace: the player has said OUT
    but the place is still theirs.
    """

    player_id: UUID
    status: Status
    since: datetime
    source: str
    placed_seq: int = 0
    out_flexible: bool = False
    grace_until: datetime | None = None

    def __post_init__(self) -> None:
        # Stored events and snapshots give plain strings back; keep the enum.
        object.__setattr__(self, "status", Status(self.status))

    @property
    def in_grace(self) -> bool:
        return self.grace_until is not None

    @property
    def holds_place(self) -> bool:
        """IN, HELD, or a dropout whose place is still reserved in grace."""
        return self.status in (Status.IN, Status.HELD) or self.in_grace

    def evolve(self, **changes: Any) -> RosterEntry:
        return replace(self, **changes)


class Roster:
    """The responses of one match, keyed by player."""

    def __init__(self, entries: Iterable[RosterEntry] = ()) -> None:
        self._entries: dict[UUID, RosterEntry] = {e.player_id: e for e in entries}

    def get(self, player_id: UUID) -> RosterEntry | None:
        return self._entries.get(player_id)

    def status(self, player_id: UUID) -> Status:
        entry = self._entries.get(player_id)
        return entry.status if entry else Status.PENDING

    def put(self, entry: RosterEntry) -> None:
        self._entries[entry.player_id] = entry

    def update(self, player_id: UUID, **changes: Any) -> None:
        self._entries[player_id] = self._entries[player_id].evolve(**changes)

    def with_status(self, *statuses: Status) -> list[RosterEntry]:
        return [e for e in self._entries.values() if e.status in statuses]

    def in_grace(self) -> list[RosterEntry]:
        return [e for e in self._entries.values() if e.in_grace]

    def count(self, status: Status) -> int:
        return sum(1 for e in self._entries.values() if e.status == status)

    @property
    def places_taken(self) -> int:
        return sum(1 for e in self._entries.values() if e.holds_place)

    def __iter__(self) -> Iterator[RosterEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __deepcopy__(self, memo: dict[int, Any]) -> Roster:
        return Roster(self._entries.values())  # a new dict; the entries are immutable

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Roster) and self._entries == other._entries

    def __repr__(self) -> str:
        return f"Roster({list(self._entries.values())!r})"
