"""How each player is reached: their channel order and their push addresses.

Side tables, not events: a Web Push subscription or a device token is a
delivery detail that changes on its own (a browser renews it, a provider
drops it), not a booking decision an auditor replays. The player's email
and mute switch stay on the player (events); this keeps the order in which
they want to be told (``push``, ``email``, ``sms``) and the registry of the
seed's ``push_tokens`` — register, refresh ("last seen"), prune.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from booking_domain.errors import ValidationError
from processes.sidestore import SideStore, Tx, from_us, to_us

CHANNELS = ("push", "email", "sms")
DEFAULT_ORDER = CHANNELS
WEBPUSH, FCM = "webpush", "fcm"
PLATFORMS = ("web", "android", "ios")


@dataclass(frozen=True)
class PushAddress:
    """One device a player can be pushed to."""

    id: str
    player_id: UUID
    kind: str  #: webpush or fcm
    platform: str
    address: str  #: the subscription's JSON, or the FCM token
    created_at: datetime
    last_seen_at: datetime


def address_id(kind: str, key: str) -> str:
    """A stable id for an address that never shows the address itself."""
    return hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()[:32]


class Contacts:
    """Channel preferences and the push registry."""

    def __init__(self, side: SideStore) -> None:
        self.side = side
        self.prefs = side.t["booking_contact_prefs"]
        self.push = side.t["booking_push_addresses"]

    # ------------------------------------------------------------ preferences

    def reach(self, player_id: UUID) -> tuple[tuple[str, ...], list[PushAddress]]:
        """The player's order of channels and their push addresses, in one read."""
        with self.side.reading() as tx:
            row = tx.execute(
                f"SELECT channels FROM {self.prefs} WHERE player_id = %s",  # noqa: S608
                [player_id.hex],
            ).one()
            rows = tx.execute(
                f"SELECT * FROM {self.push} WHERE player_id = %s ORDER BY created_us, id",  # noqa: S608
                [player_id.hex],
            ).rows()
        order = tuple(c for c in row["channels"].split(",") if c) if row else DEFAULT_ORDER
        return order, [_address(r) for r in rows]

    def order(self, player_id: UUID) -> tuple[str, ...]:
        """The channels a player wants, in order (the default: push, email, sms)."""
        return self.reach(player_id)[0]

    def set_order(self, player_id: UUID, channels: Sequence[str], now: datetime) -> None:
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise ValidationError(
                "channels", f"unknown channel {unknown[0]!r}: use push, email, sms"
            )
        if len(set(channels)) != len(channels):
            raise ValidationError("channels", "name each channel once")
        with self.side.transaction() as tx:
            tx.execute(
                f"INSERT INTO {self.prefs} (player_id, channels, updated_us) VALUES (%s, %s, %s)"  # noqa: S608
                " ON CONFLICT (player_id) DO UPDATE SET channels = EXCLUDED.channels,"
                " updated_us = EXCLUDED.updated_us",
                [player_id.hex, ",".join(channels), to_us(now)],
            )

    # ---------------------------------------------------------- push registry

    def subscribe_web(self, player_id: UUID, subscription: dict[str, Any], now: datetime) -> str:
        """Keep a browser's Web Push subscription (the same endpoint again: refreshed)."""
        endpoint = subscription.get("endpoint")
        keys = subscription.get("keys") or {}
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            raise ValidationError("endpoint", "must be the subscription's push service URL")
        if not isinstance(keys.get("p256dh"), str) or not isinstance(keys.get("auth"), str):
            raise ValidationError("keys", "must hold the subscription's p256dh and auth keys")
        clean = {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}
        return self._register(player_id, WEBPUSH, "web", endpoint, json.dumps(clean), now)

    def register_token(self, player_id: UUID, platform: str, token: str, now: datetime) -> str:
        """Keep a native app's FCM token (register or refresh)."""
        if platform not in ("android", "ios"):
            raise ValidationError("platform", "must be android or ios")
        if not token or len(token) > 4096:
            raise ValidationError("token", "must be the device's FCM registration token")
        return self._register(player_id, FCM, platform, token, token, now)

    def _register(
        self, player_id: UUID, kind: str, platform: str, key: str, address: str, now: datetime
    ) -> str:
        found = address_id(kind, key)
        with self.side.transaction() as tx:
            tx.execute(
                f"INSERT INTO {self.push} (id, player_id, kind, platform, address, created_us,"  # noqa: S608
                " last_seen_us) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE"
                " SET player_id = EXCLUDED.player_id, address = EXCLUDED.address,"
                " last_seen_us = EXCLUDED.last_seen_us",
                [found, player_id.hex, kind, platform, address, to_us(now), to_us(now)],
            )
        return found

    def unsubscribe(self, player_id: UUID, kind: str, key: str) -> bool:
        """Forget one address of this player (the browser turned notifications off)."""
        with self.side.transaction() as tx:
            row = tx.execute(
                f"DELETE FROM {self.push} WHERE id = %s AND player_id = %s RETURNING id",  # noqa: S608
                [address_id(kind, key), player_id.hex],
            ).one()
        return row is not None

    def addresses(self, player_id: UUID) -> list[PushAddress]:
        with self.side.reading() as tx:
            rows = tx.execute(
                f"SELECT * FROM {self.push} WHERE player_id = %s ORDER BY created_us, id",  # noqa: S608
                [player_id.hex],
            ).rows()
        return [_address(r) for r in rows]

    def prune(self, tx: Tx, ids: Sequence[str]) -> None:
        """Forget addresses a provider said are gone (in the delivery's transaction)."""
        for found in ids:
            tx.execute(f"DELETE FROM {self.push} WHERE id = %s", [found])  # noqa: S608


def _address(row: dict[str, Any]) -> PushAddress:
    return PushAddress(
        id=row["id"],
        player_id=UUID(row["player_id"]),
        kind=row["kind"],
        platform=row["platform"],
        address=row["address"],
        created_at=from_us(int(row["created_us"])),
        last_seen_at=from_us(int(row["last_seen_us"])),
    )
