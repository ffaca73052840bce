"""Registering players and keeping phone and name unique (seed 004 §3.1, §7)."""

from __future__ import annotations

from datetime import datetime

from booking_domain.errors import NameRequired, NameTaken, NotRegistered, PhoneTaken, RingerBlocked
from booking_domain.identity import PhoneNumber, PlayerName
from booking_domain.player import NameIndex, PhoneIndex, Player, UniqueIndex
from booking_domain.unit import Unit
from booking_domain.values import ClubPolicy, Tier


def register(
    unit: Unit,
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
    """A new player with their phone and name reserved, all saved together."""
    phone_index = unit.find(PhoneIndex, PhoneIndex.create_id(phone.e164))
    if phone_index is not None and phone_index.player_id is not None:
        raise PhoneTaken()
    name_index = unit.find(NameIndex, NameIndex.create_id(name.key))
    if name_index is not None and name_index.player_id is not None:
        raise NameTaken()
    player = Player.register(
        name=name,
        phone=phone,
        tier=tier,
        is_ringer=is_ringer,
        email=email,
        guardian_phones=guardian_phones,
        actor=actor,
        now=now,
    )
    unit.add(player)
    _reserve(unit, PhoneIndex, phone.e164, player, phone_index, now)
    _reserve(unit, NameIndex, name.key, player, name_index, now)
    return player


def _reserve(
    unit: Unit,
    cls: type[UniqueIndex],
    key: str,
    player: Player,
    existing: UniqueIndex | None,
    now: datetime,
) -> None:
    if existing is None:
        unit.add(cls.reserve_new(key=key, player_id=player.id, now=now))
    else:
        existing.reserve(player_id=player.id, now=now)


def rename(unit: Unit, player: Player, name: PlayerName, actor: str, now: datetime) -> None:
    """Take the new name, give up the old one (same atomic write)."""
    old = PlayerName.parse(player.name)
    if name.text == old.text:
        return
    if name.key != old.key:
        new_index = unit.find(NameIndex, NameIndex.create_id(name.key))
        _reserve(unit, NameIndex, name.key, player, new_index, now)
        old_index = unit.find(NameIndex, NameIndex.create_id(old.key))
        if old_index is not None:
            old_index.release(now=now)
    player.rename(name=name, actor=actor, now=now)


def enrol_ringer(
    unit: Unit,
    *,
    phone: PhoneNumber,
    name: str | None,
    policy: ClubPolicy,
    now: datetime,
) -> Player:
    """An unknown phone books: refuse, ask for a name, or make a ringer (seed 004 §5.2)."""
    if policy.block_unknown_players:
        raise NotRegistered()
    if not policy.enable_ringer_self_book:
        raise RingerBlocked()
    if not (name or "").strip():
        raise NameRequired()
    return register(
        unit,
        name=PlayerName.parse(name or ""),
        phone=phone,
        tier=Tier.C,
        is_ringer=True,
        email=None,
        guardian_phones=[],
        actor="self",
        now=now,
    )
