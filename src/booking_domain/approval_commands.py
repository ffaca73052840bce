"""The commands of court slots that need approval (seed 002; api.md "Court slots").

Members request one or several slots at once; admins approve, reject or move
pending requests; the slot's start expires what nobody decided; a booking's
check-in code is scanned once at the door.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from booking_domain import approvals, limits, rsvp
from booking_domain.approvals import SlotAnswer
from booking_domain.carts import PendingBooking
from booking_domain.errors import (
    InvalidTransition,
    MatchFull,
    NotFound,
    NotRegistered,
    ValidationError,
)
from booking_domain.identity import PhoneNumber
from booking_domain.match import Match
from booking_domain.offers import catch_up
from booking_domain.tokens import new_invite_token, token_digest
from booking_domain.transacting import ADMIN, Done, Transacting, parse_enum
from booking_domain.unit import Unit
from booking_domain.values import Action, Admission, InviteMode, Money, Source, Status
from booking_domain.waitlist import Waitlist


@dataclass(frozen=True)
class RequestAnswer:
    """What a member sees after asking: each slot HELD (awaiting approval) or WAITLIST."""

    request_id: UUID
    player_id: UUID
    slots: list[SlotAnswer]


@dataclass(frozen=True)
class Decision:
    """An admin's (or the clock's) decision on a request, and the slots it covered."""

    request_id: UUID
    player_id: UUID
    slots: list[UUID]


@dataclass(frozen=True)
class CheckIn:
    """A scanned check-in code, recorded."""

    match_id: UUID
    player_id: UUID
    player_name: str
    title: str
    checked_in_at: datetime


def _decision(player_id: UUID, pending: PendingBooking) -> Decision:
    return Decision(pending.request_id, player_id, list(pending.slots))


class ApprovalCommands(Transacting):
    """Court slots (domain.md "Approval mode")."""

    @staticmethod
    def _loader(unit: Unit) -> approvals.Load:
        return lambda match_id: (unit.match(match_id), unit.waitlist(match_id))

    def schedule_slot(
        self,
        *,
        court: str,
        sport: str,
        starts_at: datetime,
        ends_at: datetime,
        capacity: int = 1,
        price_minor: int = 0,
        currency: str = "GBP",
        timezone: str = "Europe/London",
        title: str | None = None,
        open_for_requests: bool = True,
        actor: str = ADMIN,
    ) -> Done[UUID]:
        """A court slot that members request and an admin approves (seed 002)."""
        if not (court or "").strip():
            raise ValidationError("court", "name the court")
        court = limits.text("court", court, limits.COURT, required=True)
        sport = limits.text("sport", sport or "", limits.SPORT)
        limits.instant("starts_at", starts_at)
        limits.instant("ends_at", ends_at)
        if not starts_at < ends_at <= starts_at + limits.LONGEST_SLOT:
            raise ValidationError("ends_at", "must be after starts_at, within 24 hours")
        if not title:
            # Made from the court and the sport, cut to fit a title.
            made = f"{court} · {sport}" if sport else court
            title = made if len(made) <= limits.TITLE else made[: limits.TITLE - 1] + "…"
        digest = token_digest(new_invite_token())  # the link's token is made again on demand

        def work(unit: Unit, now: datetime) -> UUID:
            match = Match.schedule(
                title=title,
                kickoff_at=starts_at,
                location=court,
                capacity=capacity,
                price=Money(price_minor, currency),
                timezone=timezone,
                admission=Admission.APPROVAL,
                offer_mode=None,
                payment_window_minutes=60,
                auto_promote=True,
                offer_fanout=3,
                actor=actor,
                now=now,
            )
            match.describe_slot(court=court, sport=sport, ends_at=ends_at, now=now)
            if open_for_requests:
                match.enable_booking(
                    invite_mode=InviteMode.ALL,
                    windows=None,
                    token_digest=digest,
                    actor=actor,
                    now=now,
                )
            unit.add(match)
            unit.add(Waitlist.open_for(match.id, now))
            return match.id

        return self._transact(work)

    def request_slots(
        self,
        *,
        phone: str,
        slots: Sequence[Mapping[str, Any]],
        request_id: UUID | None = None,
        source: str = "web",
    ) -> Done[RequestAnswer]:
        """A member asks for one or more slots as one request (seed 002 cart checkout).

        ``slots``: ``{"match_id": UUID, "cart": {...}?}`` each. Held slots are
        queued for with the member's own cart. Idempotent on ``request_id``.
        """
        caller = PhoneNumber.parse(phone)
        parts = [(UUID(str(s["match_id"])), s.get("cart")) for s in slots]
        rid = request_id or uuid4()
        parsed_source = parse_enum(Source, source, "source")

        def work(unit: Unit, now: datetime) -> RequestAnswer:
            player = unit.player_by_phone(caller)
            if player is None:
                raise NotRegistered()
            answers = approvals.request(
                self._loader(unit), player.as_booker(), parts, rid, str(parsed_source), now
            )
            return RequestAnswer(rid, player.id, answers)

        return self._transact(work)

    def approve_request(
        self, match_id: UUID, player_id: UUID, *, reason: str = "", actor: str = ADMIN
    ) -> Done[Decision]:
        """Approve the member's pending request on this slot, and its other slots with it."""

        def work(unit: Unit, now: datetime) -> Decision:
            pending = approvals.approve(
                self._loader(unit), match_id, player_id, reason.strip(), actor, now
            )
            return _decision(player_id, pending)

        return self._transact(work)

    def reject_request(
        self, match_id: UUID, player_id: UUID, *, reason: str = "", actor: str = ADMIN
    ) -> Done[Decision]:
        """Reject it as a whole; each freed slot goes to the head of its queue."""

        def work(unit: Unit, now: datetime) -> Decision:
            pending = approvals.reject(
                self._loader(unit), match_id, player_id, reason.strip(), actor, now
            )
            return _decision(player_id, pending)

        return self._transact(work)

    def withdraw_request(
        self, match_id: UUID, *, phone: str, player_id: UUID | None = None
    ) -> Done[UUID]:
        """The member (or a guardian for them) takes back a request or a waiting cart."""
        caller = PhoneNumber.parse(phone)

        def work(unit: Unit, now: datetime) -> UUID:
            player = unit.player(player_id) if player_id else unit.player_by_phone(caller)
            by = player.answers_to(caller) if player is not None else None
            if player is None or by is None:
                raise NotFound("No such request.")
            approvals.withdraw(self._loader(unit), match_id, player.id, by, now)
            return player.id

        return self._transact(work)

    def move_booking(
        self, match_id: UUID, player_id: UUID, *, to_match_id: UUID, actor: str = ADMIN
    ) -> Done[Decision]:
        """Move a pending booking to another court or time; its waiting carts follow."""

        def work(unit: Unit, now: datetime) -> Decision:
            pending = approvals.move(
                self._loader(unit), match_id, player_id, to_match_id, actor, now
            )
            return _decision(player_id, pending)

        return self._transact(work)

    def expire_requests(self, match_id: UUID) -> Done[UUID]:
        """The slot started: undecided requests lapse, waiting carts end (a timer)."""

        def work(unit: Unit, now: datetime) -> UUID:
            approvals.expire_started(self._loader(unit), match_id, now)
            return match_id

        return self._transact(work)

    def check_in(
        self, match_id: UUID, player_id: UUID, placed_seq: int, *, actor: str = ADMIN
    ) -> Done[CheckIn]:
        """A scanned check-in code: once per booking; a cancelled booking is refused."""

        def work(unit: Unit, now: datetime) -> CheckIn:
            match = unit.match(match_id)
            match.check_in(player_id=player_id, placed_seq=placed_seq, actor=actor, now=now)
            player = unit.player(player_id)
            return CheckIn(match_id, player_id, player.name, match.title, now)

        return self._transact(work)

    def respond_to_slot(
        self,
        unit: Unit,
        match: Match,
        player_id: UUID,
        action: Action,
        now: datetime,
        *,
        booker_of: Any,
        cart: Mapping[str, Any] | None,
        request_id: UUID | None,
        source: str,
        policy_of: Any,
    ) -> None:
        """The shared link on a court slot: IN requests it (``match_full`` when it is
        held), WAITLIST queues with the member's cart, OUT withdraws (or, once
        approved, gives the slot up after the usual grace)."""
        waitlist = unit.waitlist(match.id)
        load = self._loader(unit)
        catch_up(match, waitlist, now)
        status = match.status_of(player_id)
        if action == Action.MAYBE:
            raise InvalidTransition("Court slots take IN or OUT.")
        entry = match.roster.get(player_id)
        if entry is not None and (entry.status == Status.IN or entry.in_grace):
            # Approved: giving the slot up (or taking it back) works as for any match.
            rsvp.respond(match, waitlist, booker_of(), action, now, policy_of=policy_of)
            return
        if action == Action.OUT:
            if match.pending_of(player_id) is not None or player_id in waitlist:
                approvals.withdraw(load, match.id, player_id, "player", now)
            else:
                match.mark_out(player_id=player_id, flexible=False, source=source, now=now)
            return
        if status in (Status.IN, Status.HELD):
            return  # asked again: nothing new
        if player_id in waitlist:
            if action == Action.IN:
                raise MatchFull(waitlist.position_of(player_id) or 1, already_queued=True)
            return
        if action == Action.WAITLIST and match.free_places > waitlist.size:
            raise InvalidTransition(f"{match.free_places} spots left — tap IN to secure yours.")
        approvals.request(
            load,
            booker_of(),
            [(match.id, cart)],
            request_id or uuid4(),
            source,
            now,
            queue_when_held=action == Action.WAITLIST,
        )
