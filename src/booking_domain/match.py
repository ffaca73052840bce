"""The Match aggregate: one bookable session and who holds its places.

Each public method checks its rule and then calls one ``@event`` method, which
*is* the state change (the library records it as an event of the same name).
Rules that also need the waitlist live in ``rsvp.py``, ``organiser.py``, ``offers.py``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from booking_domain import policies
from booking_domain.errors import GuardTripped
from booking_domain.match_schedule import check_capacity
from booking_domain.roster import RosterEntry
from booking_domain.slot_bookings import SlotBookings
from booking_domain.values import Source, Status


class Match(SlotBookings):
    """One bookable session (domain.md, "match"): schedule plus places."""

    # ----------------------------------------------------------------- places

    @property
    def _seq(self) -> int:
        """Inside a mutator: the version of the event being applied."""
        return self.version + 1

    @property
    def places_taken(self) -> int:
        """IN + HELD + places reserved for dropouts in grace."""
        return self.roster.places_taken

    @property
    def free_places(self) -> int:
        return max(0, self.capacity - self.places_taken)

    @property
    def booked(self) -> int:
        return self.roster.count(Status.IN)

    @property
    def held(self) -> int:
        return self.roster.count(Status.HELD)

    def status_of(self, player_id: UUID) -> Status:
        return self.roster.status(player_id)

    # ------------------------------------------------------------- responses

    def book(self, *, player_id: UUID, source: str, via: str, now: datetime) -> None:
        """Give a free place to a player (direct IN, a claimed offer, an instant claim)."""
        if self.status_of(player_id) == Status.IN:
            return
        if self.free_places <= 0:
            raise GuardTripped("There is no free place to book.")
        self._player_in(player_id=player_id, source=source, via=via, timestamp=now)

    @event("PlayerIn")
    def _player_in(self, *, player_id: UUID, source: str, via: str, timestamp: datetime) -> None:
        """A player took a free place: directly, by claiming an offer, or by first tap."""
        self.roster.put(RosterEntry(player_id, Status.IN, timestamp, source, placed_seq=self._seq))

    def admin_add(self, *, player_id: UUID, actor: str, now: datetime) -> None:
        """Manual add always works, even past capacity ("21/20") (seed 004 §7)."""
        self._ensure_admin_editable()
        if self.status_of(player_id) == Status.IN:
            return
        self._player_added_by_admin(
            player_id=player_id,
            over_capacity=self.free_places == 0,
            actor=actor,
            timestamp=now,
        )

    @event("PlayerAddedByAdmin")
    def _player_added_by_admin(
        self, *, player_id: UUID, over_capacity: bool, actor: str, timestamp: datetime
    ) -> None:
        """An admin added a player by hand, over capacity if need be (seed 004 §7)."""
        self.roster.put(
            RosterEntry(
                player_id,
                Status.IN,
                timestamp,
                Source.ADMIN,
                placed_seq=self._seq,
            )
        )

    def mark_out(self, *, player_id: UUID, flexible: bool, source: str, now: datetime) -> None:
        """OUT from anything but IN or HELD (a dropout in grace may change their answer)."""
        entry = self.roster.get(player_id)
        if entry and entry.status in (Status.IN, Status.HELD):
            raise GuardTripped("Use drop_out for a player who holds a place.")
        if entry and entry.status == Status.OUT and entry.out_flexible == flexible:
            return
        self._player_out(player_id=player_id, out_flexible=flexible, source=source, timestamp=now)

    @event("PlayerOut")
    def _player_out(
        self, *, player_id: UUID, out_flexible: bool, source: str, timestamp: datetime
    ) -> None:
        """A player without a place said OUT (``out_flexible``: might be available later)."""
        self._set_unplaced(player_id, Status.OUT, source, timestamp, out_flexible=out_flexible)

    def mark_maybe(self, *, player_id: UUID, source: str, now: datetime) -> None:
        """Soft interest; not counted against capacity (seed 004 §3.3)."""
        entry = self.roster.get(player_id)
        if entry and entry.status in (Status.IN, Status.HELD):
            raise GuardTripped("Use drop_out for a player who holds a place.")
        if entry and entry.status == Status.MAYBE:
            return
        self._player_maybe(player_id=player_id, source=source, timestamp=now)

    @event("PlayerMaybe")
    def _player_maybe(self, *, player_id: UUID, source: str, timestamp: datetime) -> None:
        """A player without a place said MAYBE."""
        self._set_unplaced(player_id, Status.MAYBE, source, timestamp)

    def mark_waitlisted(self, *, player_id: UUID, source: str, now: datetime) -> None:
        """The player queues for a place (the queue itself is the Waitlist's)."""
        entry = self.roster.get(player_id)
        if entry and entry.holds_place:
            raise GuardTripped("A player with a place cannot queue for one.")
        if entry and entry.status == Status.WAITLIST:
            return
        self._player_waitlisted(player_id=player_id, source=source, timestamp=now)

    @event("PlayerWaitlisted")
    def _player_waitlisted(self, *, player_id: UUID, source: str, timestamp: datetime) -> None:
        """A player joined the queue for a place (the Waitlist records the position)."""
        self._set_unplaced(player_id, Status.WAITLIST, source, timestamp)

    def _set_unplaced(
        self,
        player_id: UUID,
        status: Status,
        source: str,
        timestamp: datetime,
        *,
        out_flexible: bool = False,
    ) -> None:
        entry = self.roster.get(player_id)
        if entry and entry.in_grace:
            # Still in grace: the answer changes, the reserved place does not.
            self.roster.update(player_id, status=status, since=timestamp, out_flexible=out_flexible)
        else:
            self.roster.put(
                RosterEntry(player_id, status, timestamp, source, out_flexible=out_flexible)
            )

    # --------------------------------------------------------------- dropouts

    def drop_out(
        self, *, player_id: UUID, to_status: Status, flexible: bool, source: str, now: datetime
    ) -> None:
        """IN → OUT/MAYBE starts a grace period; the place stays theirs until it ends."""
        entry = self.roster.get(player_id)
        if entry is None or entry.status != Status.IN:
            raise GuardTripped("Only a player who is IN can drop out.")
        grace = policies.grace_period(self.kickoff_at, now)
        self._dropped_out(
            player_id=player_id,
            to_status=str(to_status),
            out_flexible=flexible,
            grace_until=now + grace,
            source=source,
            timestamp=now,
        )

    @event("DroppedOut")
    def _dropped_out(
        self,
        *,
        player_id: UUID,
        to_status: str,
        out_flexible: bool,
        grace_until: datetime,
        source: str,
        timestamp: datetime,
    ) -> None:
        """A player who was IN said OUT or MAYBE; their place is kept until ``grace_until``."""
        self.roster.update(
            player_id,
            status=Status(to_status),
            since=timestamp,
            out_flexible=out_flexible,
            grace_until=grace_until,
        )

    def retract_dropout(self, *, player_id: UUID, source: str, now: datetime) -> None:
        """Back to IN within grace: the reserved place and its seniority return."""
        entry = self.roster.get(player_id)
        if entry is None or not entry.in_grace:
            raise GuardTripped("There is no dropout in grace to retract.")
        self._dropout_retracted(player_id=player_id, source=source, timestamp=now)

    @event("DropoutRetracted")
    def _dropout_retracted(self, *, player_id: UUID, source: str, timestamp: datetime) -> None:
        """A dropout came back IN within grace, keeping their place and seniority."""
        self.roster.update(
            player_id, status=Status.IN, since=timestamp, out_flexible=False, grace_until=None
        )

    def finalise_dropout(self, *, player_id: UUID, reason: str, actor: str, now: datetime) -> bool:
        """End a grace period: the place is freed. False if there was none to end."""
        entry = self.roster.get(player_id)
        if entry is None or not entry.in_grace:
            return False
        self._dropout_finalised(player_id=player_id, reason=reason, actor=actor, timestamp=now)
        return True

    @event("DropoutFinalised")
    def _dropout_finalised(
        self, *, player_id: UUID, reason: str, actor: str, timestamp: datetime
    ) -> None:
        """A grace period ended (``reason``: grace over, released by admin, cut, lock…)."""
        self.roster.update(player_id, grace_until=None, placed_seq=0)

    # -------------------------------------------------------------- capacity

    def change_capacity(self, *, capacity: int, actor: str, now: datetime) -> bool:
        """Set the number of places; returns False when it is already that."""
        self._ensure_admin_editable()
        check_capacity(capacity)
        if capacity == self.capacity:
            return False
        self._capacity_changed(
            old_capacity=self.capacity, capacity=capacity, actor=actor, timestamp=now
        )
        return True

    @event("CapacityChanged")
    def _capacity_changed(
        self, *, old_capacity: int, capacity: int, actor: str, timestamp: datetime
    ) -> None:
        """An admin changed the number of places."""
        self.capacity = capacity

    def latest_placed(self, count: int) -> list[UUID]:
        """The ``count`` most recent INs, in the order they took their places."""
        placed = sorted(
            self.roster.with_status(Status.IN),
            key=lambda e: e.placed_seq,
        )
        chosen = placed[-count:] if count > 0 else []
        return [e.player_id for e in chosen]

    def demote(self, *, player_id: UUID, reason: str, now: datetime) -> None:
        """IN → WAITLIST because capacity fell below the number IN (seed 004 §1)."""
        if self.status_of(player_id) != Status.IN:
            raise GuardTripped("Only a player who is IN can be demoted.")
        self._player_demoted(player_id=player_id, reason=reason, timestamp=now)

    @event("PlayerDemoted")
    def _player_demoted(self, *, player_id: UUID, reason: str, timestamp: datetime) -> None:
        """A player lost their place to a capacity cut and went to the head of the queue."""
        self.roster.put(RosterEntry(player_id, Status.WAITLIST, timestamp, Source.SYSTEM))

    def reinstate(self, *, player_id: UUID, now: datetime) -> None:
        """A bumped player gets their place back when capacity rises (seed 004 §7)."""
        if self.status_of(player_id) != Status.WAITLIST:
            raise GuardTripped("Only a waitlisted player can be reinstated.")
        if self.free_places <= 0:
            raise GuardTripped("There is no free place to reinstate into.")
        self._player_reinstated(player_id=player_id, timestamp=now)

    @event("PlayerReinstated")
    def _player_reinstated(self, *, player_id: UUID, timestamp: datetime) -> None:
        """A bumped player got their place back when capacity rose."""
        self.roster.put(
            RosterEntry(player_id, Status.IN, timestamp, Source.SYSTEM, placed_seq=self._seq)
        )

    # ------------------------------------------------------------------ holds

    def hold_place(
        self, *, player_id: UUID, offer_id: UUID, until: datetime, now: datetime
    ) -> None:
        """A paid offer holds a free place for a waiting player while they pay (seed 000)."""
        if self.status_of(player_id) != Status.WAITLIST:
            raise GuardTripped("Only a waiting player can have a place held.")
        if self.free_places <= 0:
            raise GuardTripped("There is no free place to hold.")
        self._place_held(player_id=player_id, offer_id=offer_id, until=until, timestamp=now)

    @event("PlaceHeld")
    def _place_held(
        self, *, player_id: UUID, offer_id: UUID, until: datetime, timestamp: datetime
    ) -> None:
        """A place is held for a player until ``until``, theirs once they pay (seed 000)."""
        self.roster.put(
            RosterEntry(player_id, Status.HELD, timestamp, Source.SYSTEM, placed_seq=self._seq)
        )

    def confirm_hold(self, *, player_id: UUID, payment_id: UUID, now: datetime) -> None:
        """Payment confirmed: the held place becomes the player's (HELD → IN)."""
        if self.status_of(player_id) != Status.HELD:
            raise GuardTripped("Only a held place can be confirmed.")
        self._hold_confirmed(player_id=player_id, payment_id=payment_id, timestamp=now)

    @event("HoldConfirmed")
    def _hold_confirmed(self, *, player_id: UUID, payment_id: UUID, timestamp: datetime) -> None:
        """The player paid: their held place is confirmed, keeping its seniority."""
        self.roster.update(player_id, status=Status.IN, since=timestamp)

    def release_hold(
        self, *, player_id: UUID, reason: str, to_status: Status, now: datetime
    ) -> None:
        """The offer ended unpaid: the place is free again. The player is back to
        WAITLIST (expired, superseded: they keep their queue place) or OUT (declined)."""
        if self.status_of(player_id) != Status.HELD:
            raise GuardTripped("Only a held place can be released.")
        self._hold_released(
            player_id=player_id, reason=reason, to_status=str(to_status), timestamp=now
        )

    @event("HoldReleased")
    def _hold_released(
        self, *, player_id: UUID, reason: str, to_status: str, timestamp: datetime
    ) -> None:
        """A held place was let go (``reason``: expired, declined, capacity cut, locked…)."""
        self.roster.put(RosterEntry(player_id, Status(to_status), timestamp, Source.SYSTEM))

    def held_players(self) -> list[UUID]:
        return [e.player_id for e in self.roster.with_status(Status.HELD)]
