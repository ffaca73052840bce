"""How value objects in aggregate state are written to the event store.

Events carry plain values; snapshots carry aggregate state, which holds these
value objects. Each is stored as a tagged JSON object and read back as itself.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from booking_domain.carts import CartSnapshot, PendingBooking, SlotDetails
from booking_domain.queue_entries import Offer, QueueEntry
from booking_domain.roster import Roster, RosterEntry
from booking_domain.values import ClubPolicy, Money, TierWindows


class DataclassAsDict(Transcoding):
    """A frozen dataclass as the dict of its fields (shallow; nested values recurse)."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = cls.__name__
        self._names = [f.name for f in fields(cls)]

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._names}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


class RosterAsList(Transcoding):
    """A roster as the list of its entries."""

    type = Roster
    name = "Roster"

    def encode(self, obj: Roster) -> list[RosterEntry]:
        return list(obj)

    def decode(self, data: list[RosterEntry]) -> Roster:
        return Roster(data)


VALUE_OBJECTS: tuple[type[Any], ...] = (
    Money,
    TierWindows,
    RosterEntry,
    QueueEntry,
    Offer,
    ClubPolicy,
    CartSnapshot,
    PendingBooking,
    SlotDetails,
)


def register_value_objects(transcoder: JSONTranscoder) -> None:
    for cls in VALUE_OBJECTS:
        transcoder.register(DataclassAsDict(cls))
    transcoder.register(RosterAsList())
