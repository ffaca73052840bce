"""A signed-in player's notification settings: channel order, email, mute, devices.

Shared by ``/api/player/notifications``, ``/api/player/push-subscriptions``
and the portal's Notifications page. The signed-in phone acts here for its
own player only: a guardian's phone is reached by SMS, and has no settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from booking_domain.errors import NotFound
from booking_domain.identity import EmailAddress
from booking_domain.player import Player
from processes.channels.setup import vapid_private_key
from processes.contacts import FCM, WEBPUSH, Contacts
from web.services import club


def own_player(phone: str) -> Player:
    player = club().app.find_player_by_phone(phone)
    if player is None:
        raise NotFound("This phone is a guardian's: only players have notification settings.")
    return player


def contacts() -> Contacts:
    return Contacts(club().outbox.side)


def push_key() -> str | None:
    """The application server key browsers subscribe with (None: Web Push is off)."""
    env = dict(club().settings.booking.channel_env)
    private = vapid_private_key(env)
    if not private or not env.get("VAPID_SUBJECT"):
        return None
    from processes.channels.webpush import vapid_public_key

    return vapid_public_key(private)


def available() -> list[str]:
    """The channels this club can use, in the usual order."""
    senders = club().system.engine.deliverer.senders
    found = []
    if WEBPUSH in senders or FCM in senders:
        found.append("push")
    found += [name for name in ("email", "sms") if name in senders]
    return found


def preferences(phone: str) -> dict[str, Any]:
    player = own_player(phone)
    order, devices = contacts().reach(player.id)
    return {
        "channels": list(order),
        "email": player.email,
        "muted": player.muted,
        "available": available(),
        "push_key": push_key(),
        "devices": [
            {
                "device_id": d.id,
                "kind": d.kind,
                "platform": d.platform,
                "last_seen_at": d.last_seen_at,
            }
            for d in devices
        ],
    }


def change(
    phone: str,
    *,
    channels: Sequence[str] | None = None,
    email: str | None = None,
    clear_email: bool = False,
    muted: bool | None = None,
) -> tuple[dict[str, Any], int | None]:
    """Apply what was given; the new preferences and the position written (if any).

    A refused email changes nothing: it is checked before the channel order is kept.
    """
    if email is not None and not clear_email:
        email = EmailAddress.parse(email).address
    player = own_player(phone)
    service = club()
    position = None
    if channels is not None:
        contacts().set_order(player.id, channels, service.app.clock.now())
    if email is not None or clear_email or muted is not None:
        done = service.app.update_player(
            player.id, email=email, clear_email=clear_email, muted=muted, actor="player"
        )
        position = done.position
    return preferences(phone), position


def subscribe(phone: str, body: dict[str, Any]) -> str:
    """Keep a browser subscription or a native token for the player; the device id."""
    player = own_player(phone)
    now = club().app.clock.now()
    if body.get("token") is not None or body.get("platform") is not None:
        return contacts().register_token(
            player.id, str(body.get("platform") or ""), str(body.get("token") or ""), now
        )
    return contacts().subscribe_web(player.id, body, now)


def unsubscribe(phone: str, body: dict[str, Any]) -> bool:
    player = own_player(phone)
    if body.get("token"):
        return contacts().unsubscribe(player.id, FCM, str(body["token"]))
    return contacts().unsubscribe(player.id, WEBPUSH, str(body.get("endpoint") or ""))
