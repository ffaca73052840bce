"""The booking application: one method per command, each an atomic, retried write.

Commands load what they need into a ``Unit``, let the aggregates and the rules
of ``booking.py`` decide, and save every changed aggregate in one write with
optimistic concurrency on each. A version conflict reruns the command on the
new state. A command that changes nothing (a double click, a redelivered
message) writes nothing. Each answer carries the position of the last event it
wrote, so a reader can wait for its views to catch up.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import EnvType

from booking_domain import booking, policies, registry
from booking_domain.booking import PlayerStanding
from booking_domain.clock import Clock
from booking_domain.club import ClubSettings
from booking_domain.errors import BookingError, NotFound, ValidationError
from booking_domain.identity import PhoneNumber, PlayerName
from booking_domain.match import Match
from booking_domain.player import Player
from booking_domain.tokens import new_invite_token, token_digest
from booking_domain.transcodings import register_value_objects
from booking_domain.unit import Unit
from booking_domain.values import (
    Action,
    Admission,
    ClubPolicy,
    InviteMode,
    Money,
    OfferMode,
    Source,
    Tier,
    TierWindows,
)
from booking_domain.waitlist import Offer, Waitlist

T = TypeVar("T")
ADMIN = "admin"
TIMER = "system"


class ConcurrencyConflict(BookingError):
    """A command kept losing the race for the same aggregates."""

    code = "conflict"
    default_message = "Too many people are changing this match at once — please try again."


@dataclass(frozen=True)
class Done(Generic[T]):
    """A command's answer and the notification position of the last event it wrote."""

    value: T
    position: int | None


@dataclass(frozen=True)
class Response:
    """What a player sees after responding or claiming."""

    player_id: UUID
    standing: PlayerStanding


def _enum(cls: type[Any], value: Any, field: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(v) for v in cls)
        raise ValidationError(field, f"must be one of {allowed}") from None


class BookingApp(Application[UUID]):
    """Matches, waitlists and players for one club (seed 004, domain.md)."""

    name = "Booking"
    snapshotting_intervals: ClassVar[dict[type[MutableOrImmutableAggregate[Any]], int]] = {
        Match: 200,
        Waitlist: 200,
    }
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "2000"}
    MAX_ATTEMPTS = 200

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        clock: Clock,
        new_token: Callable[[], str] = new_invite_token,
    ) -> None:
        super().__init__(env)
        self.clock = clock
        self._new_token = new_token

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_objects(transcoder)

    # --------------------------------------------------------------- plumbing

    def _transact(self, work: Callable[[Unit, datetime], T]) -> Done[T]:
        for attempt in range(1, self.MAX_ATTEMPTS + 1):
            unit = Unit(self)
            value = work(unit, self.clock.now())
            touched = unit.touched()
            if not touched:
                return Done(value, None)
            try:
                recordings = self.save(*touched)
            except IntegrityError:
                # Someone else wrote first: decide again on the state they left.
                time.sleep(random.uniform(0, 0.002 * min(attempt, 10)))  # noqa: S311
                continue
            return Done(value, recordings[-1].notification.id if recordings else None)
        raise ConcurrencyConflict()

    # ---------------------------------------------------------------- players

    def register_player(
        self,
        *,
        name: str,
        phone: str,
        tier: str = "C",
        is_ringer: bool = False,
        email: str | None = None,
        guardian_phones: Iterable[str] = (),
        actor: str = ADMIN,
    ) -> Done[UUID]:
        """Admin adds a player; phone and name must be unique (seed 004 §3.1)."""
        parsed_name = PlayerName.parse(name)
        parsed_phone = PhoneNumber.parse(phone)
        parsed_tier = _enum(Tier, tier, "tier")
        guardians = [PhoneNumber.parse(g) for g in guardian_phones]

        def work(unit: Unit, now: datetime) -> UUID:
            player = registry.register(
                unit,
                name=parsed_name,
                phone=parsed_phone,
                tier=parsed_tier,
                is_ringer=is_ringer,
                email=email,
                guardian_phones=guardians,
                actor=actor,
                now=now,
            )
            return player.id

        return self._transact(work)

    def update_player(
        self,
        player_id: UUID,
        *,
        name: str | None = None,
        tier: str | None = None,
        is_ringer: bool | None = None,
        muted: bool | None = None,
        actor: str = ADMIN,
    ) -> Done[UUID]:
        """Rename, change tier, flip the ringer flag or mute (seed 004 §22.4)."""
        parsed_name = PlayerName.parse(name) if name is not None else None
        parsed_tier = _enum(Tier, tier, "tier") if tier is not None else None

        def work(unit: Unit, now: datetime) -> UUID:
            player = unit.player(player_id)
            if parsed_name is not None:
                registry.rename(unit, player, parsed_name, actor, now)
            if parsed_tier is not None:
                player.change_tier(tier=parsed_tier, actor=actor, now=now)
            if is_ringer is not None:
                player.set_ringer(is_ringer=is_ringer, actor=actor, now=now)
            if muted is not None:
                player.set_muted(muted=muted, actor=actor, now=now)
            return player.id

        return self._transact(work)

    def change_settings(
        self, changes: Mapping[str, Any], *, actor: str = ADMIN
    ) -> Done[ClubPolicy]:
        """Club-wide policies (seed 004 §3.4); unknown names are refused."""

        def work(unit: Unit, now: datetime) -> ClubPolicy:
            settings = unit.settings()
            if settings is None:
                settings = ClubSettings.create(now)
                unit.add(settings)
            settings.change(changes=dict(changes), actor=actor, now=now)
            return settings.policy

        return self._transact(work)

    # ---------------------------------------------------------------- matches

    def schedule_match(
        self,
        *,
        title: str,
        kickoff_at: datetime,
        location: str,
        capacity: int,
        price_minor: int = 0,
        currency: str = "GBP",
        timezone: str = "Europe/London",
        admission: str = "open",
        offer_mode: str | None = None,
        payment_window_minutes: int = 60,
        auto_promote: bool = True,
        offer_fanout: int = 3,
        actor: str = ADMIN,
    ) -> Done[UUID]:
        """Create a match in Draft with its (empty) waitlist."""
        price = Money(price_minor, currency)
        parsed_admission = _enum(Admission, admission, "admission")
        mode = _enum(OfferMode, offer_mode, "offer_mode") if offer_mode else None

        def work(unit: Unit, now: datetime) -> UUID:
            match = Match.schedule(
                title=title,
                kickoff_at=kickoff_at,
                location=location,
                capacity=capacity,
                price=price,
                timezone=timezone,
                admission=parsed_admission,
                offer_mode=mode,
                payment_window_minutes=payment_window_minutes,
                auto_promote=auto_promote,
                offer_fanout=offer_fanout,
                actor=actor,
                now=now,
            )
            unit.add(match)
            unit.add(Waitlist.open_for(match.id, now))
            return match.id

        return self._transact(work)

    def enable_booking(
        self,
        match_id: UUID,
        *,
        invite_mode: str = "all",
        tier_windows: Mapping[str, datetime | None] | None = None,
        actor: str = ADMIN,
    ) -> Done[str]:
        """Turn on the shared link; answers the new token, shown only here (seed 004 §5.1)."""
        mode = _enum(InviteMode, invite_mode, "invite_mode")
        token = self._new_token()

        def work(unit: Unit, now: datetime) -> str:
            match = unit.match(match_id)
            windows = self._plan_windows(unit, match, mode, tier_windows, now)
            match.enable_booking(
                invite_mode=mode,
                windows=windows,
                token_digest=token_digest(token),
                actor=actor,
                now=now,
            )
            booking.fill_free_places(match, unit.waitlist(match_id), now)
            return token

        return self._transact(work)

    def change_invite_mode(
        self,
        match_id: UUID,
        *,
        invite_mode: str,
        tier_windows: Mapping[str, datetime | None] | None = None,
        actor: str = ADMIN,
    ) -> Done[UUID]:
        """Switch between all-at-once and tiered without changing the link."""
        mode = _enum(InviteMode, invite_mode, "invite_mode")

        def work(unit: Unit, now: datetime) -> UUID:
            match = unit.match(match_id)
            windows = self._plan_windows(unit, match, mode, tier_windows, now)
            match.change_invite_mode(invite_mode=mode, windows=windows, actor=actor, now=now)
            return match.id

        return self._transact(work)

    @staticmethod
    def _plan_windows(
        unit: Unit,
        match: Match,
        mode: InviteMode,
        given: Mapping[str, datetime | None] | None,
        now: datetime,
    ) -> TierWindows | None:
        if mode != InviteMode.TIERED:
            return None
        given = given or {}
        unknown = set(given) - {"a_open_at", "b_open_at", "c_open_at"}
        if unknown:
            raise ValidationError("tier_windows", f"unknown window {sorted(unknown)[0]}")
        policy = unit.policy()
        return policies.plan_tier_windows(
            now=now,
            kickoff_at=match.kickoff_at,
            a_open_at=given.get("a_open_at"),
            b_open_at=given.get("b_open_at"),
            c_open_at=given.get("c_open_at"),
            b_offset=timedelta(hours=policy.tier_b_offset_hours),
            c_offset=timedelta(hours=policy.tier_c_offset_hours),
        )

    def disable_booking(self, match_id: UUID, *, actor: str = ADMIN) -> Done[UUID]:
        return self._on_match(match_id, lambda m, w, now: booking.disable_booking(m, w, actor, now))

    def _on_match(
        self, match_id: UUID, decide: Callable[[Match, Waitlist, datetime], object]
    ) -> Done[UUID]:
        def work(unit: Unit, now: datetime) -> UUID:
            decide(unit.match(match_id), unit.waitlist(match_id), now)
            return match_id

        return self._transact(work)

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
    ) -> Done[Response]:
        """IN / OUT / WAITLIST / MAYBE through the shared link (seed 004 §5.2)."""
        parsed_phone = PhoneNumber.parse(phone)
        parsed_action = _enum(Action, str(action).upper(), "action")
        parsed_source = _enum(Source, source, "source")

        def work(unit: Unit, now: datetime) -> Response:
            match = unit.match(match_id)
            match.check_invite_token(token, now)
            match.ensure_open_for_players(now)
            policy = unit.policy()
            player = unit.player_by_phone(parsed_phone) or registry.enrol_ringer(
                unit, phone=parsed_phone, name=name, policy=policy, now=now
            )
            booker = player.as_booker()
            booking.check_self_booking(booker, policy, match, parsed_action)
            waitlist = unit.waitlist(match_id)
            booking.respond(
                match,
                waitlist,
                booker,
                parsed_action,
                now,
                source=str(parsed_source),
                out_flexible=out_flexible,
            )
            return Response(player.id, booking.standing(match, waitlist, player.id, now))

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
            booking.claim(match, waitlist, player.id, now)
            return Response(player.id, booking.standing(match, waitlist, player.id, now))

        return self._transact(work)

    # ----------------------------------------------------------- admin actions

    def add_player_to_match(
        self, match_id: UUID, player_id: UUID, *, actor: str = ADMIN
    ) -> Done[UUID]:
        """Manual add: always works, even over capacity (seed 004 §7)."""

        def work(unit: Unit, now: datetime) -> UUID:
            unit.player(player_id)
            booking.admin_add(unit.match(match_id), unit.waitlist(match_id), player_id, actor, now)
            return match_id

        return self._transact(work)

    def change_capacity(self, match_id: UUID, capacity: int, *, actor: str = ADMIN) -> Done[UUID]:
        """Down demotes the latest INs to the head of the queue; up brings them back."""
        return self._on_match(
            match_id, lambda m, w, now: booking.change_capacity(m, w, capacity, actor, now)
        )

    def release_spot(self, match_id: UUID, player_id: UUID, *, actor: str = ADMIN) -> Done[UUID]:
        """ "Release spot now": skip the rest of a dropout's grace period."""
        return self._on_match(
            match_id, lambda m, w, now: booking.release_dropout(m, w, player_id, actor, now)
        )

    def reissue_offers(self, match_id: UUID, *, actor: str = ADMIN) -> Done[list[Offer]]:
        """ "Send new waitlist offers": a new batch to the top of the queue."""

        def work(unit: Unit, now: datetime) -> list[Offer]:
            return booking.reissue_offers(unit.match(match_id), unit.waitlist(match_id), actor, now)

        return self._transact(work)

    def lock_pool(self, match_id: UUID, *, actor: str = ADMIN) -> Done[UUID]:
        return self._on_match(match_id, lambda m, w, now: booking.lock_pool(m, w, actor, now))

    def balance_teams(self, match_id: UUID, *, actor: str = ADMIN) -> Done[UUID]:
        return self._on_match(match_id, lambda m, w, now: m.balance_teams(actor=actor, now=now))

    def complete_match(self, match_id: UUID, *, actor: str = ADMIN) -> Done[UUID]:
        return self._on_match(match_id, lambda m, w, now: m.complete(actor=actor, now=now))

    def cancel_match(self, match_id: UUID, *, reason: str = "", actor: str = ADMIN) -> Done[UUID]:
        return self._on_match(match_id, lambda m, w, now: booking.cancel(m, w, reason, actor, now))

    # ------------------------------------------------ commands timers call

    def finalise_dropouts(self, match_id: UUID) -> Done[UUID]:
        """End every grace period that is over (idempotent; early calls do nothing)."""
        return self._on_match(match_id, lambda m, w, now: booking.finalise_due_dropouts(m, w, now))

    def expire_offers(self, match_id: UUID) -> Done[UUID]:
        """Expire every offer past its time and cascade (idempotent)."""
        return self._on_match(match_id, lambda m, w, now: booking.expire_due_offers(m, w, now))

    def process_deadlines(self, match_id: UUID) -> Done[UUID]:
        """Everything due on this match by now: grace ends first, then expiries."""

        def decide(match: Match, waitlist: Waitlist, now: datetime) -> None:
            booking.finalise_due_dropouts(match, waitlist, now)
            booking.expire_due_offers(match, waitlist, now)

        return self._on_match(match_id, decide)

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
        return booking.standing(
            self.get_match(match_id), self.get_waitlist(match_id), player_id, self.clock.now()
        )

    def next_deadline(self, match_id: UUID) -> datetime | None:
        return booking.next_deadline(self.get_match(match_id), self.get_waitlist(match_id))
