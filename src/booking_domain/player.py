"""The Player aggregate and the uniqueness guards for phone and name.

Uniqueness across aggregates is kept the event-sourcing way: an index aggregate
whose id is derived from the normalised value. Registering a player creates the
player and both index aggregates in one atomic write; a second player with the
same phone (or name) would create an index aggregate with the same id and
version, which the event store refuses.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from booking_domain.errors import NameTaken, PhoneTaken, ValidationError
from booking_domain.identity import EmailAddress, PhoneNumber, PlayerName
from booking_domain.limits import unaccepted_character
from booking_domain.values import Booker, CopiesContainersOnly, PlayerId, Tier

_INDEX_NAMESPACE = UUID("3f1d3c0e-52a4-4b8e-9a55-6e0f5d1a7b21")
MAX_GUARDIANS = 4


class Player(CopiesContainersOnly, Aggregate):
    """A person identified by one E.164 phone number (domain.md, "player")."""

    @event("PlayerRegistered")
    def __init__(
        self,
        *,
        name: str,
        phone: str,
        tier: str,
        is_ringer: bool,
        email: str | None,
        guardian_phones: list[str],
        actor: str,
        timestamp: datetime,
    ) -> None:
        """A player joined the club: unique name, E.164 phone, tier, ringer or not."""
        self.name = name
        self.phone = phone
        self._tier = tier
        self.is_ringer = is_ringer
        self.muted = False
        self.email = email
        self.guardian_phones = list(guardian_phones)

    @classmethod
    def register(
        cls,
        *,
        name: PlayerName,
        phone: PhoneNumber,
        tier: Tier,
        is_ringer: bool,
        email: str | None,
        guardian_phones: list[PhoneNumber],
        actor: str,
        now: datetime,
    ) -> Player:
        """New players default to tier C (seed 004 §22.4); ringers are always C."""
        email = _check_email(email)
        if len(guardian_phones) > MAX_GUARDIANS:
            raise ValidationError("guardian_phones", f"at most {MAX_GUARDIANS}")
        if phone in guardian_phones:
            raise ValidationError("guardian_phones", "a player cannot be their own guardian")
        return cls(
            name=name.text,
            phone=phone.e164,
            tier=str(Tier.C if is_ringer and tier != Tier.C else tier),
            is_ringer=is_ringer,
            email=email,
            guardian_phones=sorted({g.e164 for g in guardian_phones}),
            actor=actor,
            timestamp=now,
        )

    @property
    def player_id(self) -> PlayerId:
        return PlayerId(self.id)

    @property
    def tier(self) -> Tier:
        return Tier(self._tier)

    def as_booker(self) -> Booker:
        return Booker(self.player_id, self.name, self.tier, self.is_ringer)

    def rename(self, *, name: PlayerName, actor: str, now: datetime) -> None:
        if name.text != self.name:
            self._renamed(old_name=self.name, name=name.text, actor=actor, timestamp=now)

    @event("PlayerRenamed")
    def _renamed(self, *, old_name: str, name: str, actor: str, timestamp: datetime) -> None:
        """A player's display name changed."""
        self.name = name

    def change_tier(self, *, tier: Tier, actor: str, now: datetime) -> None:
        """Changing tier affects future bookings only (seed 004 §22.4); ringers stay C."""
        if self.is_ringer and tier != Tier.C:
            raise ValidationError("tier", "ringers are always Tier C")
        if tier != self.tier:
            self._tier_changed(tier=str(tier), actor=actor, timestamp=now)

    @event("TierChanged")
    def _tier_changed(self, *, tier: str, actor: str, timestamp: datetime) -> None:
        """A player's booking tier changed (future bookings only)."""
        self._tier = tier

    def set_ringer(self, *, is_ringer: bool, actor: str, now: datetime) -> None:
        """A ringer who becomes a regular keeps their history (seed 004 §7).

        A regular who becomes a ringer moves to Tier C: ringers never book early.
        """
        if is_ringer and self.tier != Tier.C:
            self._tier_changed(tier=str(Tier.C), actor=actor, timestamp=now)
        if is_ringer != self.is_ringer:
            self._ringer_status_changed(is_ringer=is_ringer, actor=actor, timestamp=now)

    @event("RingerStatusChanged")
    def _ringer_status_changed(self, *, is_ringer: bool, actor: str, timestamp: datetime) -> None:
        """A player became a ringer or a regular."""
        self.is_ringer = is_ringer

    def set_muted(self, *, muted: bool, actor: str, now: datetime) -> None:
        """Muted players get no notices (seed 004 §6.2)."""
        if muted != self.muted:
            self._mute_changed(muted=muted, actor=actor, timestamp=now)

    @event("MuteChanged")
    def _mute_changed(self, *, muted: bool, actor: str, timestamp: datetime) -> None:
        """A player was muted or unmuted for notices."""
        self.muted = muted

    def change_email(self, *, email: str | None, actor: str, now: datetime) -> None:
        """Where the player is emailed (none: not by email); checked like at registration."""
        email = _check_email(email)
        if email != self.email:
            self._email_changed(email=email, actor=actor, timestamp=now)

    @event("EmailChanged")
    def _email_changed(self, *, email: str | None, actor: str, timestamp: datetime) -> None:
        """The player's email address was set, changed or removed (by them or an admin)."""
        self.email = email

    def set_guardians(self, *, phones: list[PhoneNumber], actor: str, now: datetime) -> None:
        """The parents or carers who may see, pay and decline this player's offers."""
        if len(phones) > MAX_GUARDIANS:
            raise ValidationError("guardian_phones", f"at most {MAX_GUARDIANS}")
        if any(p.e164 == self.phone for p in phones):
            raise ValidationError("guardian_phones", "a player cannot be their own guardian")
        wanted = sorted({p.e164 for p in phones})
        if wanted != sorted(self.guardian_phones):
            self._guardians_changed(guardian_phones=wanted, actor=actor, timestamp=now)

    @event("GuardiansChanged")
    def _guardians_changed(
        self, *, guardian_phones: list[str], actor: str, timestamp: datetime
    ) -> None:
        """The player's guardians (their phones) were set by an admin."""
        self.guardian_phones = list(guardian_phones)

    def answers_to(self, phone: PhoneNumber) -> str | None:
        """Who this phone is to the player: "player", "guardian", or None (a stranger)."""
        if phone.e164 == self.phone:
            return "player"
        return "guardian" if phone.e164 in self.guardian_phones else None


def _check_email(email: str | None) -> str | None:
    """None or blank: no address; else one valid address, normalised (``EmailAddress``)."""
    if email is None:
        return None
    blank = isinstance(email, str) and not email.strip()
    if blank and unaccepted_character(email) is None:
        return None
    return EmailAddress.parse(email).address


class UniqueIndex(CopiesContainersOnly, Aggregate):
    """Reserves one normalised value for one player."""

    @staticmethod
    def create_id(key: str) -> UUID:
        raise NotImplementedError("each kind of index derives its own ids")

    @classmethod
    def reserve_new(cls, *, key: str, player_id: UUID, now: datetime) -> UniqueIndex:
        index: UniqueIndex = cls(key=key, player_id=player_id, timestamp=now)
        return index

    @event("Reserved")
    def __init__(self, *, key: str, player_id: UUID, timestamp: datetime) -> None:
        """A phone or name was reserved for a player."""
        self.key = key
        self.player_id: UUID | None = player_id

    def reserve(self, *, player_id: UUID, now: datetime) -> None:
        if self.player_id == player_id:
            return
        if self.player_id is not None:
            self._refuse()
        self._reassigned(player_id=player_id, timestamp=now)

    @event("Reassigned")
    def _reassigned(self, *, player_id: UUID, timestamp: datetime) -> None:
        """A released phone or name was reserved for another player."""
        self.player_id = player_id

    def release(self, *, now: datetime) -> None:
        if self.player_id is not None:
            self._released(timestamp=now)

    @event("Released")
    def _released(self, *, timestamp: datetime) -> None:
        """A phone or name was given up (e.g. after a rename)."""
        self.player_id = None

    def _refuse(self) -> None:
        raise NotImplementedError


class PhoneIndex(UniqueIndex):
    """One phone = one player (seed 004 §3.1)."""

    @staticmethod
    def create_id(key: str) -> UUID:
        return uuid5(_INDEX_NAMESPACE, f"phone:{key}")

    def _refuse(self) -> None:
        raise PhoneTaken()


class NameIndex(UniqueIndex):
    """Display names are unique, ignoring case and spacing (seed 004 §7)."""

    @staticmethod
    def create_id(key: str) -> UUID:
        return uuid5(_INDEX_NAMESPACE, f"name:{key}")

    def _refuse(self) -> None:
        raise NameTaken()
