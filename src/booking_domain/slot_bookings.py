"""A court slot's side of approval bookings (seed 002; domain.md "Approval mode").

A request holds the slot (HELD) until an admin approves it (IN) or it ends
unapproved: rejected, withdrawn, expired at the slot's start, or moved to
another slot. Check-in, once per booking, is recorded here too. Rules that
also need the waitlist or other slots live in ``approvals.py``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from booking_domain import limits
from booking_domain.announcements import MatchAnnouncements
from booking_domain.carts import CartSnapshot, PendingBooking, SlotDetails
from booking_domain.errors import GuardTripped, InvalidTransition
from booking_domain.roster import RosterEntry
from booking_domain.values import Admission, MatchState, Source, Status
from booking_domain.wording import local_time


class SlotBookings(MatchAnnouncements):
    """Pending bookings and check-ins of a match (``Match`` builds on this)."""

    # Kept in attributes set by the events below; a match whose stream began
    # before they existed reads the empty default. Containers are replaced,
    # never changed in place.

    @property
    def slot(self) -> SlotDetails | None:
        """Court, sport and end time: set for court slots (approval admission)."""
        slot: SlotDetails | None = self.__dict__.get("_slot")
        return slot

    def _pending(self) -> dict[str, PendingBooking]:
        return dict(self.__dict__.get("_pending_bookings", {}))

    def pending_of(self, player_id: UUID) -> PendingBooking | None:
        return self._pending().get(player_id.hex)

    def pending_bookings(self) -> list[tuple[UUID, PendingBooking]]:
        """Undecided requests on this slot, oldest first."""
        found = [(UUID(hex_id), p) for hex_id, p in self._pending().items()]
        return sorted(found, key=lambda item: item[1].requested_at)

    def checked_in_at(self, player_id: UUID, placed_seq: int) -> datetime | None:
        at: datetime | None = self.__dict__.get("_checked_in", {}).get(
            f"{player_id.hex}:{placed_seq}"
        )
        return at

    def cart_snapshot(self) -> CartSnapshot:
        """The cart a request for this slot carries, as the slot is now."""
        if self.slot is None:
            raise InvalidTransition("This session isn't a court slot.")
        return CartSnapshot.of_slot(self.slot, self.kickoff_at, self.timezone, self.price)

    def _free(self) -> int:
        return max(0, self.capacity - self.roster.places_taken)

    # ------------------------------------------------------------------ slot

    def describe_slot(self, *, court: str, sport: str, ends_at: datetime, now: datetime) -> None:
        """Make an approval match a court slot (seed 002's court, sport, start, end)."""
        if self.admission != Admission.APPROVAL:
            raise GuardTripped("Only approval sessions are court slots.")
        if ends_at <= self.kickoff_at:
            raise GuardTripped("A slot ends after it starts.")
        court = limits.text("court", court, limits.COURT, required=True)
        sport = limits.text("sport", sport, limits.SPORT)
        self._slot_described(court=court, sport=sport, ends_at=ends_at, timestamp=now)

    @event("SlotDescribed")
    def _slot_described(
        self, *, court: str, sport: str, ends_at: datetime, timestamp: datetime
    ) -> None:
        """The match is a slot on ``court`` for ``sport``, ending at ``ends_at``."""
        self._slot = SlotDetails(court, sport, ends_at)

    # -------------------------------------------------------------- requests

    def request_booking(
        self,
        *,
        player_id: UUID,
        request_id: UUID,
        cart: CartSnapshot,
        slots: list[UUID],
        source: str,
        now: datetime,
        converted_from: UUID | None = None,
        moved_from: UUID | None = None,
    ) -> None:
        """Hold a free slot for a request awaiting approval (seed 002 "pending")."""
        if self.status_of_player(player_id) in (Status.IN, Status.HELD):
            raise GuardTripped("This player already has this slot.")
        if self._free() <= 0:
            raise GuardTripped("There is no free place to hold for a request.")
        self._booking_requested(
            player_id=player_id,
            request_id=request_id,
            cart=cart,
            request_slots=list(slots),
            converted_from=converted_from,
            moved_from=moved_from,
            source=source,
            timestamp=now,
        )

    def status_of_player(self, player_id: UUID) -> Status:
        return self.roster.status(player_id)

    @event("BookingRequested")
    def _booking_requested(
        self,
        *,
        player_id: UUID,
        request_id: UUID,
        cart: CartSnapshot,
        request_slots: list[UUID],
        converted_from: UUID | None,
        moved_from: UUID | None,
        source: str,
        timestamp: datetime,
    ) -> None:
        """A request holds the slot until an admin decides (``converted_from``: it was
        a waiting cart; ``moved_from``: an admin moved it here from that slot)."""
        seq = self.version + 1
        self.roster.put(RosterEntry(player_id, Status.HELD, timestamp, source, placed_seq=seq))
        pending = PendingBooking(request_id, cart, request_slots, timestamp, converted_from)
        self._pending_bookings = {**self._pending(), player_id.hex: pending}

    def _pending_for(self, player_id: UUID, request_id: UUID) -> PendingBooking:
        pending = self.pending_of(player_id)
        if pending is None or pending.request_id != request_id:
            raise GuardTripped("That request isn't pending on this slot.")
        return pending

    def approve_booking(
        self, *, player_id: UUID, request_id: UUID, reason: str, actor: str, now: datetime
    ) -> None:
        """The admin approved: the held slot is the player's (HELD → IN)."""
        reason = limits.text("reason", reason, limits.REASON, lines=True)
        self._pending_for(player_id, request_id)
        self._booking_approved(
            player_id=player_id, request_id=request_id, reason=reason, actor=actor, timestamp=now
        )

    @event("BookingApproved")
    def _booking_approved(
        self, *, player_id: UUID, request_id: UUID, reason: str, actor: str, timestamp: datetime
    ) -> None:
        """An admin approved the request: the slot is booked, keeping its seniority."""
        self.roster.update(player_id, status=Status.IN, since=timestamp)
        self._drop_pending(player_id)

    def end_pending(
        self,
        *,
        player_id: UUID,
        request_id: UUID,
        outcome: str,
        reason: str,
        actor: str,
        now: datetime,
    ) -> None:
        """The request lets the slot go unapproved (``outcome``: rejected, withdrawn,
        expired, moved); the player is OUT of this slot."""
        reason = limits.text("reason", reason, limits.REASON, lines=True)
        self._pending_for(player_id, request_id)
        mutator = {
            "rejected": self._booking_rejected,
            "withdrawn": self._booking_withdrawn,
            "expired": self._booking_request_expired,
        }.get(outcome)
        if mutator is None:
            raise GuardTripped(f"Unknown outcome {outcome!r}.")
        mutator(
            player_id=player_id, request_id=request_id, reason=reason, actor=actor, timestamp=now
        )

    @event("BookingRejected")
    def _booking_rejected(
        self, *, player_id: UUID, request_id: UUID, reason: str, actor: str, timestamp: datetime
    ) -> None:
        """An admin rejected the request (``reason`` as they gave it); the slot is free."""
        self._let_go(player_id, timestamp)

    @event("BookingWithdrawn")
    def _booking_withdrawn(
        self, *, player_id: UUID, request_id: UUID, reason: str, actor: str, timestamp: datetime
    ) -> None:
        """The member (or a guardian) withdrew the request; the slot is free."""
        self._let_go(player_id, timestamp)

    @event("BookingRequestExpired")
    def _booking_request_expired(
        self, *, player_id: UUID, request_id: UUID, reason: str, actor: str, timestamp: datetime
    ) -> None:
        """No admin decided before the slot started; the request lapsed."""
        self._let_go(player_id, timestamp)

    def move_away(
        self, *, player_id: UUID, request_id: UUID, to_match_id: UUID, actor: str, now: datetime
    ) -> PendingBooking:
        """The admin moves this pending booking to another slot; this one is let go."""
        pending = self._pending_for(player_id, request_id)
        self._pending_booking_moved(
            player_id=player_id,
            request_id=request_id,
            to_match_id=to_match_id,
            actor=actor,
            timestamp=now,
        )
        return pending

    @event("PendingBookingMoved")
    def _pending_booking_moved(
        self,
        *,
        player_id: UUID,
        request_id: UUID,
        to_match_id: UUID,
        actor: str,
        timestamp: datetime,
    ) -> None:
        """An admin moved the pending booking to slot ``to_match_id``; this slot is free."""
        self._let_go(player_id, timestamp)

    def note_slot_moved(
        self, *, player_id: UUID, request_id: UUID, from_match_id: UUID, to_match_id: UUID,
        now: datetime,
    ) -> None:  # fmt: skip
        """Another slot of this request moved: the request's slot list follows."""
        pending = self._pending_for(player_id, request_id)
        if from_match_id not in pending.slots:
            return
        self._request_slot_moved(
            player_id=player_id,
            request_id=request_id,
            from_match_id=from_match_id,
            to_match_id=to_match_id,
            timestamp=now,
        )

    @event("RequestSlotMoved")
    def _request_slot_moved(
        self,
        *,
        player_id: UUID,
        request_id: UUID,
        from_match_id: UUID,
        to_match_id: UUID,
        timestamp: datetime,
    ) -> None:
        """One of the request's other slots was moved by an admin."""
        old = self._pending()[player_id.hex]
        slots = [to_match_id if s == from_match_id else s for s in old.slots]
        moved = replace(old, slots=slots)
        self._pending_bookings = {**self._pending(), player_id.hex: moved}

    def _let_go(self, player_id: UUID, timestamp: datetime) -> None:
        self.roster.put(RosterEntry(player_id, Status.OUT, timestamp, Source.SYSTEM))
        self._drop_pending(player_id)

    def _drop_pending(self, player_id: UUID) -> None:
        pending = self._pending()
        pending.pop(player_id.hex, None)
        self._pending_bookings = pending

    # --------------------------------------------------------------- check-in

    def check_in(self, *, player_id: UUID, placed_seq: int, actor: str, now: datetime) -> None:
        """A booking's check-in code was scanned: once only (seed 002 QR codes)."""
        entry = self.roster.get(player_id)
        if self.state == MatchState.CANCELLED:
            raise InvalidTransition("This session was cancelled.")
        if entry is None or entry.placed_seq != placed_seq or not entry.holds_place:
            raise InvalidTransition("This booking was cancelled.")
        if entry.status == Status.HELD:
            raise InvalidTransition("This booking isn't confirmed yet.")
        if entry.status != Status.IN:
            raise InvalidTransition("This booking was cancelled.")
        first = self.checked_in_at(player_id, placed_seq)
        if first is not None:
            raise InvalidTransition(
                f"Already checked in at {local_time(first, self.timezone)}.",
                checked_in_at=first.isoformat(),
            )
        self._checked_in_event(
            player_id=player_id, placed_seq=placed_seq, actor=actor, timestamp=now
        )

    @event("CheckedIn")
    def _checked_in_event(
        self, *, player_id: UUID, placed_seq: int, actor: str, timestamp: datetime
    ) -> None:
        """The booking's check-in code was scanned at the door."""
        self._checked_in = {
            **self.__dict__.get("_checked_in", {}),
            f"{player_id.hex}:{placed_seq}": timestamp,
        }
