"""The booking application: every command of the club, and what it reads back.

``BookingApp`` is the one class callers use; the organiser's commands are in
``admin_commands.py``, the way each command runs in ``transacting.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import MutableOrImmutableAggregate

from booking_domain import offers, registry, rsvp, timed
from booking_domain.admin_commands import AdminCommands
from booking_domain.approval_commands import ApprovalCommands
from booking_domain.errors import BookingClosed, ConcurrencyConflict, NotFound
from booking_domain.identity import PhoneNumber
from booking_domain.match import Match
from booking_domain.paid_commands import PaidPlaces, PaymentStarted
from booking_domain.player import Player
from booking_domain.rsvp import PlayerStanding
from booking_domain.timers import TimerKind
from booking_domain.transacting import ADMIN, READ_VERSIONS, Done, parse_enum
from booking_domain.unit import Unit
from booking_domain.values import Action, Admission, ClubPolicy, Source, Tier
from booking_domain.waitlist import Waitlist

__all__ = [
    "ADMIN",
    "READ_VERSIONS",
    "BookingApp",
    "BookingWindow",
    "ConcurrencyConflict",
    "Done",
    "PaymentStarted",
    "Response",
    "TierOpening",
]


@dataclass(frozen=True)
class Response:
    """What a player sees after responding or claiming."""

    player_id: UUID
    standing: PlayerStanding


@dataclass(frozen=True)
class TierOpening:
    """A tier window still to open, as the booking page words it (seed 004 §18).

    ``caller_waits``: the caller may not book before ``opens_at`` (their own
    tier's window; for a caller without a phone, no tier is open yet).
    ``b_and_c_together``: the two-window flow, worded "Tiers B+C".
    ``ringer``: the caller is, or would book as, a ringer ("your tier").
    """

    tier: Tier
    opens_at: datetime
    caller_waits: bool
    b_and_c_together: bool
    ringer: bool


@dataclass(frozen=True)
class BookingWindow:
    """Whether and from when a caller may answer through the shared link.

    ``closed``: why no one may answer now, in the domain's words (booking off,
    locked, cancelled, kicked off), else None. ``opening``: the tier window
    the page counts down to, if one is still to open (seed 004 §3, §18).
    """

    closed: str | None
    opening: TierOpening | None


class BookingApp(ApprovalCommands, PaidPlaces, AdminCommands):
    """Matches, waitlists and players for one club (seed 004, domain.md)."""

    name = "Booking"
    snapshotting_intervals: ClassVar[dict[type[MutableOrImmutableAggregate[Any]], int]] = {
        Match: 200,
        Waitlist: 200,
    }
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "2000"}

    # ---------------------------------------------------------- player actions

    def respond(
        self,
        *,
        match_id: UUID,
        token: str | None,
        phone: str,
        action: str,
        out_flexible: bool = False,
        name: str | None = None,
        source: str = "web",
        cart: Mapping[str, Any] | None = None,
        request_id: UUID | None = None,
    ) -> Done[Response]:
        """IN / OUT / WAITLIST / MAYBE through the shared link (seed 004 §5.2).

        On a court slot (approval admission) IN is a request awaiting approval,
        carrying ``cart`` (seed 002); see ``respond_to_slot``.
        """
        parsed_phone = PhoneNumber.parse(phone)
        parsed_action = parse_enum(Action, str(action).upper(), "action")
        parsed_source = parse_enum(Source, source, "source")

        def work(unit: Unit, now: datetime) -> Response:
            match = unit.match(match_id)
            match.check_invite_token(token, now)
            match.ensure_open_for_players(now)
            player = unit.player_by_phone(parsed_phone) or registry.enrol_ringer(
                unit, phone=parsed_phone, name=name, policy=unit.policy(), now=now
            )
            waitlist = unit.waitlist(match_id)
            if match.admission == Admission.APPROVAL:
                policy = unit.policy()
                if player.as_booker().is_ringer:
                    rsvp.check_self_booking(player.as_booker(), policy, match, parsed_action)
                self.respond_to_slot(
                    unit,
                    match,
                    player.id,
                    parsed_action,
                    now,
                    booker_of=player.as_booker,
                    cart=cart,
                    request_id=request_id,
                    source=str(parsed_source),
                    policy_of=unit.policy,
                )
                return Response(player.id, rsvp.standing(match, waitlist, player.id, now))
            rsvp.respond(
                match,
                waitlist,
                player.as_booker(),
                parsed_action,
                now,
                policy_of=unit.policy,
                source=str(parsed_source),
                out_flexible=out_flexible,
            )
            return Response(player.id, rsvp.standing(match, waitlist, player.id, now))

        return self._transact(work)

    def claim_offer(self, *, match_id: UUID, token: str | None, phone: str) -> Done[Response]:
        """Claim a freed place: first claim wins, the rest keep their places (seed 004 §7)."""
        parsed_phone = PhoneNumber.parse(phone)

        def work(unit: Unit, now: datetime) -> Response:
            match = unit.match(match_id)
            match.check_invite_token(token, now)
            player = unit.player_by_phone(parsed_phone)
            if player is None:
                raise NotFound("This number isn't on the waitlist.")
            waitlist = unit.waitlist(match_id)
            rsvp.claim(match, waitlist, player.id, now)
            return Response(player.id, rsvp.standing(match, waitlist, player.id, now))

        return self._transact(work)

    # ------------------------------------------------ commands timers call

    def process_deadlines(self, match_id: UUID) -> Done[UUID]:
        """Apply everything due on this match by now, in the order it fell due.

        What every timer of a match calls — a grace period ending, an offer
        expiring. Idempotent: early, late and repeated calls are all safe,
        because any command on the match applies what is due anyway.
        """
        return self._on_match(match_id, offers.catch_up)

    #: The timer for a grace period's end (seed 004 "dropout_grace_processor").
    finalise_dropouts = process_deadlines
    #: The timer for an offer's expiry (seed 004 "waitlist_offer_processor").
    expire_offers = process_deadlines

    def fire_timer(self, match_id: UUID, kind: str) -> Done[UUID]:
        """Run the command a durable timer stands for (``timers.py``).

        Idempotent like every timer command: a stale or repeated timer finds
        nothing left to do and writes nothing.
        """
        timer_kind = parse_enum(TimerKind, kind, "kind")
        if timer_kind in (TimerKind.GRACE_END, TimerKind.OFFER_EXPIRY, TimerKind.PAYMENT_WINDOW):
            return self.process_deadlines(match_id)
        if timer_kind == TimerKind.APPROVAL_DEADLINE:
            return self.expire_requests(match_id)
        if timer_kind == TimerKind.INSTANT_CLAIM:
            return self._on_match(match_id, timed.start_instant_claim)

        def work(unit: Unit, now: datetime) -> UUID:
            match, waitlist = unit.match(match_id), unit.waitlist(match_id)
            roll = unit.club_roll()
            if timer_kind == TimerKind.TIER_OPEN:
                timed.open_tiers(match, waitlist, roll, unit.policy(), now)
            else:
                timed.scheduled_last_calls(match, waitlist, roll, unit.policy(), now)
            return match_id

        return self._transact(work)

    def send_last_call(self, match_id: UUID, *, actor: str = ADMIN) -> Done[list[UUID]]:
        """The admin's "Send last-call" (seed 004 §5.1): who was asked, if anyone."""

        def work(unit: Unit, now: datetime) -> list[UUID]:
            roll = unit.club_roll()
            return timed.manual_last_call(
                unit.match(match_id), unit.waitlist(match_id), roll, unit.policy(), actor, now
            )

        return self._transact(work)

    # ----------------------------------------------------------------- queries

    def get_match(self, match_id: UUID) -> Match:
        return Unit(self).match(match_id)

    def get_waitlist(self, match_id: UUID) -> Waitlist:
        return Unit(self).waitlist(match_id)

    def get_player(self, player_id: UUID) -> Player:
        return Unit(self).player(player_id)

    def find_player_by_phone(self, phone: str) -> Player | None:
        return Unit(self).player_by_phone(PhoneNumber.parse(phone))

    def club_policy(self) -> ClubPolicy:
        return Unit(self).policy()

    def standing(self, match_id: UUID, player_id: UUID) -> PlayerStanding:
        return rsvp.standing(
            self.get_match(match_id), self.get_waitlist(match_id), player_id, self.clock.now()
        )

    def next_deadline(self, match_id: UUID) -> datetime | None:
        return offers.next_deadline(self.get_match(match_id), self.get_waitlist(match_id))

    def booking_window(self, match_id: UUID, phone: str | None = None) -> BookingWindow:
        """What the shared link's page shows before anyone taps (seed 004 §18).

        With a phone: that player's tier window, if it has not opened; a phone
        the club does not know would book as a ringer of tier C (§7). Without
        one: the next tier window to open, which the caller waits for only
        when no tier may book yet.
        """
        match, now = self.get_match(match_id), self.clock.now()
        try:
            match.ensure_open_for_players(now)
            closed = None
        except BookingClosed as refusal:
            closed = refusal.message
        player = self.find_player_by_phone(phone) if phone else None
        ringer = bool(phone) and (player is None or player.is_ringer)
        tiers = [player.tier if player else Tier.C] if phone else list(Tier)
        waiting = [t for t in tiers if not match.tier_is_open(t, now)]
        if not waiting or match.tier_windows is None or (ringer and not self._self_books(player)):
            # Nothing to wait for — or a ringer who may not book at all, whose
            # tap is refused in the domain's words rather than counted down to.
            return BookingWindow(closed=closed, opening=None)
        windows = match.tier_windows
        tier = min(waiting, key=windows.opens_at)
        opening = TierOpening(
            tier=tier,
            opens_at=windows.opens_at(tier),
            caller_waits=bool(phone) or len(waiting) == len(tiers),
            b_and_c_together=windows.b_and_c_together and tier != Tier.A,
            ringer=ringer,
        )
        return BookingWindow(closed=closed, opening=opening)

    def _self_books(self, player: Player | None) -> bool:
        """May this ringer (None: a phone the club does not know) book themselves (§7)?"""
        policy = self.club_policy()
        known_or_welcome = player is not None or not policy.block_unknown_players
        return policy.enable_ringer_self_book and known_or_welcome
