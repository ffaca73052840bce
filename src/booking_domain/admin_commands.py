"""The organiser's commands: players, club settings, matches, booking link, overrides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from booking_domain import limits, organiser, policies, registry
from booking_domain.club import ClubSettings
from booking_domain.errors import ValidationError
from booking_domain.identity import PhoneNumber, PlayerName
from booking_domain.match import Match
from booking_domain.queue_entries import Offer
from booking_domain.tokens import new_invite_token, token_digest
from booking_domain.transacting import ADMIN, Done, Transacting, parse_enum
from booking_domain.unit import Unit
from booking_domain.values import (
    Admission,
    ClubPolicy,
    InviteMode,
    Money,
    OfferMode,
    Tier,
    TierWindows,
)
from booking_domain.waitlist import Waitlist


class AdminCommands(Transacting):
    """What an admin can do (seed 004 §5.1, §22.4; api.md "Admin")."""

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
        parsed_tier = parse_enum(Tier, tier, "tier")
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
        guardian_phones: Iterable[str] | None = None,
        email: str | None = None,
        clear_email: bool = False,
        actor: str = ADMIN,
    ) -> Done[UUID]:
        """Rename, change tier, flip the ringer flag, mute (seed 004 §22.4), set guardians,
        set the email address (``clear_email``: remove it)."""
        parsed_name = PlayerName.parse(name) if name is not None else None
        guardians = (
            [PhoneNumber.parse(g) for g in guardian_phones] if guardian_phones is not None else None
        )
        parsed_tier = parse_enum(Tier, tier, "tier") if tier is not None else None

        def work(unit: Unit, now: datetime) -> UUID:
            player = unit.player(player_id)
            if parsed_name is not None:
                registry.rename(unit, player, parsed_name, actor, now)
            if is_ringer is not None:
                player.set_ringer(is_ringer=is_ringer, actor=actor, now=now)
            if parsed_tier is not None:
                player.change_tier(tier=parsed_tier, actor=actor, now=now)
            if muted is not None:
                player.set_muted(muted=muted, actor=actor, now=now)
            if guardians is not None:
                player.set_guardians(phones=guardians, actor=actor, now=now)
            if email is not None or clear_email:
                player.change_email(email=None if clear_email else email, actor=actor, now=now)
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
        parsed_admission = parse_enum(Admission, admission, "admission")
        mode = parse_enum(OfferMode, offer_mode, "offer_mode") if offer_mode else None

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
            if match.admission == Admission.APPROVAL:
                # A session that needs approval is a court slot (seed 002): its
                # place is the court; an hour long unless ``schedule_slot`` says.
                court = match.location or match.title
                match.describe_slot(
                    court=court, sport="", ends_at=match.kickoff_at + timedelta(hours=1), now=now
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
        mode = parse_enum(InviteMode, invite_mode, "invite_mode")
        token = new_invite_token()

        def work(unit: Unit, now: datetime) -> str:
            match = unit.match(match_id)
            windows = self._plan_windows(unit, match, mode, tier_windows, now)
            organiser.enable_booking(
                match,
                unit.waitlist(match_id),
                invite_mode=mode,
                windows=windows,
                token_digest=token_digest(token),
                actor=actor,
                now=now,
            )
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
        mode = parse_enum(InviteMode, invite_mode, "invite_mode")

        def work(unit: Unit, now: datetime) -> UUID:
            match = unit.match(match_id)
            if mode == match.invite_mode == InviteMode.TIERED and not tier_windows:
                windows = match.tier_windows  # staying tiered: keep the windows there are
            else:
                windows = self._plan_windows(unit, match, mode, tier_windows, now)
            organiser.change_invite_mode(
                match, unit.waitlist(match_id), mode=mode, windows=windows, actor=actor, now=now
            )
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
        for key, given_at in given.items():
            if given_at is not None:
                limits.moment(f"tier_windows.{key}", given_at, now)
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
        return self._on_match(
            match_id, lambda m, w, now: organiser.disable_booking(m, w, actor, now)
        )

    # ----------------------------------------------------------- admin actions

    def add_player_to_match(
        self, match_id: UUID, player_id: UUID, *, actor: str = ADMIN
    ) -> Done[UUID]:
        """Manual add: always works, even over capacity (seed 004 §7)."""

        def work(unit: Unit, now: datetime) -> UUID:
            unit.player(player_id)
            organiser.admin_add(
                unit.match(match_id),
                unit.waitlist(match_id),
                player_id,
                actor,
                now,
                load=lambda mid: (unit.match(mid), unit.waitlist(mid)),
            )
            return match_id

        return self._transact(work)

    def change_capacity(self, match_id: UUID, capacity: int, *, actor: str = ADMIN) -> Done[UUID]:
        """Down demotes the latest INs to the head of the queue; up brings them back."""
        return self._on_match(
            match_id, lambda m, w, now: organiser.change_capacity(m, w, capacity, actor, now)
        )

    def release_spot(self, match_id: UUID, player_id: UUID, *, actor: str = ADMIN) -> Done[UUID]:
        """ "Release spot now": skip the rest of a dropout's grace period."""
        return self._on_match(
            match_id, lambda m, w, now: organiser.release_dropout(m, w, player_id, actor, now)
        )

    def reissue_offers(self, match_id: UUID, *, actor: str = ADMIN) -> Done[list[Offer]]:
        """ "Send new waitlist offers": a new batch to the top of the queue."""

        def work(unit: Unit, now: datetime) -> list[Offer]:
            return organiser.reissue_offers(
                unit.match(match_id), unit.waitlist(match_id), actor, now
            )

        return self._transact(work)

    def lock_pool(self, match_id: UUID, *, actor: str = ADMIN) -> Done[UUID]:
        return self._on_match(match_id, lambda m, w, now: organiser.lock_pool(m, w, actor, now))

    def balance_teams(self, match_id: UUID, *, actor: str = ADMIN) -> Done[UUID]:
        return self._on_match(match_id, lambda m, w, now: organiser.balance_teams(m, w, actor, now))

    def complete_match(self, match_id: UUID, *, actor: str = ADMIN) -> Done[UUID]:
        return self._on_match(match_id, lambda m, w, now: organiser.complete(m, w, actor, now))

    def cancel_match(self, match_id: UUID, *, reason: str = "", actor: str = ADMIN) -> Done[UUID]:
        def work(unit: Unit, now: datetime) -> UUID:
            organiser.cancel(
                unit.match(match_id),
                unit.waitlist(match_id),
                reason,
                actor,
                now,
                load=lambda mid: (unit.match(mid), unit.waitlist(mid)),
            )
            return match_id

        return self._transact(work)
