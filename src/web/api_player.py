"""The player portal's API (api.md "Player portal"; seed 000).

Sign in with a phone and the one-time code sent to it; the session cookie
then names a server-side session for that phone (``web.sessions``: checked on
every request, ended by sign-out), which acts for its own player and for the
players it is a guardian of. Writes are refused from other sites' pages
(``security.same_origin_only``); every answer carries the server's time in
``X-Server-Now`` (countdowns follow it, and a test clock).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from apiflask import APIBlueprint
from flask import Response

from booking_domain.errors import NotFound
from booking_domain.identity import PhoneNumber
from processes.login_codes import VALID_FOR
from web import links, notify_prefs, portal
from web import schemas_portal as s
from web.envelope import ok
from web.security import (
    CODES_PER_PHONE,
    PER_CLIENT,
    READS,
    TRIES_PER_PHONE,
    body_phone,
    limit_sign_in,
    limiter,
    same_origin_only,
)
from web.services import club

api_player = APIBlueprint("api_player", __name__, url_prefix="/api/player", tag="Player portal")
api_player.before_request(same_origin_only)
ERRORS = [400, 401, 403, 404, 409, 429]


@api_player.after_request
def server_now(response: Response) -> Response:
    response.headers["X-Server-Now"] = club().app.clock.now().isoformat()
    return response


@api_player.post("/login")
@limit_sign_in(body_phone, per_phone=CODES_PER_PHONE)
@api_player.input(s.LoginIn, arg_name="body")
@api_player.output(s.LoginOut, status_code=202)
@api_player.doc(responses=[400, 403, 429])
def login(body: s.LoginIn) -> Any:
    """Send a sign-in code; the same answer whether or not the number is registered."""
    portal.request_code(body.phone)
    seconds = int(VALID_FOR.total_seconds())
    return ok({"message": portal.CODE_SENT, "expires_in_seconds": seconds}), 202


@api_player.post("/login/verify")
@limit_sign_in(body_phone, per_phone=TRIES_PER_PHONE)
@api_player.input(s.VerifyIn, arg_name="body")
@api_player.output(s.SessionOut)
@api_player.doc(responses=[400, 401, 403, 429])
def verify(body: s.VerifyIn) -> Any:
    """Check the code: the session cookie is set, and the players it acts for answered."""
    players = portal.sign_in(body.phone, body.code)
    return ok({"phone": PhoneNumber.parse(body.phone).masked(), "players": players})


@api_player.post("/logout")
@api_player.output(s.SignedOutOut)
@api_player.doc(responses=[403])
def logout() -> Any:
    """End the portal session (an admin session in the same cookie stays)."""
    portal.sign_out()
    return ok({"signed_out": True})


@api_player.get("/offers")
@limiter.limit(READS)
@api_player.output(list[s.PortalOfferOut])
@api_player.doc(responses=[401, 429])
def offers() -> Any:
    """The "Available Sessions": places held for the caller's players, soonest deadline first."""
    return ok(portal.offers_for(portal.caller()))


@api_player.post("/offers/<uuid:offer_id>/accept")
@limiter.limit(PER_CLIENT)
@api_player.output(s.AcceptOut)
@api_player.doc(responses=ERRORS)
def accept(offer_id: UUID) -> Any:
    """Pay Now: the offer and its hold are checked again, then the checkout's address."""
    url = portal.pay_now(portal.caller(), offer_id)
    # The sandbox's page is ours: absolute on BOOKING_BASE_URL, never on the Host header.
    return ok({"payment_url": links.absolute(url)})


@api_player.post("/offers/<uuid:offer_id>/decline")
@limiter.limit(PER_CLIENT)
@api_player.output(s.DeclineOut)
@api_player.doc(responses=ERRORS)
def decline(offer_id: UUID) -> Any:
    """Decline offer: the hold goes, the player leaves the waitlist, the next is offered."""
    position = portal.decline(portal.caller(), offer_id)
    return ok({"offer_id": offer_id, "declined": True}, position)


@api_player.get("/bookings")
@limiter.limit(READS)
@api_player.output(list[s.PortalBookingOut])
@api_player.doc(responses=[401, 429])
def bookings() -> Any:
    """The caller's bookings and those of the players they are guardian of."""
    return ok(portal.bookings_for(portal.caller()))


# ------------------------------------------------------------ notifications


@api_player.get("/notifications")
@limiter.limit(READS)
@api_player.output(s.NotificationsOut)
@api_player.doc(responses=[401, 404, 429])
def notifications() -> Any:
    """How the signed-in player is told: channel order, email, mute, their devices."""
    return ok(notify_prefs.preferences(portal.caller()))


@api_player.patch("/notifications")
@limiter.limit(PER_CLIENT)
@api_player.input(s.NotificationsPatch, arg_name="body")
@api_player.output(s.NotificationsOut)
@api_player.doc(responses=ERRORS)
def change_notifications(body: s.NotificationsPatch) -> Any:
    """Change the channel order, the email address ("" removes it) or mute."""
    prefs, position = notify_prefs.change(
        portal.caller(),
        channels=body.channels,
        email=body.email or None,
        clear_email=body.email == "",
        muted=body.muted,
    )
    return ok(prefs, position)


@api_player.post("/push-subscriptions")
@limiter.limit(PER_CLIENT)
@api_player.input(s.PushSubscriptionIn, arg_name="body")
@api_player.output(s.PushSubscriptionOut, status_code=201)
@api_player.doc(responses=ERRORS)
def add_push_subscription(body: s.PushSubscriptionIn) -> Any:
    """Keep this browser's Web Push subscription, or this app's FCM token (again: refreshed)."""
    device = notify_prefs.subscribe(portal.caller(), body.model_dump(exclude_none=True))
    return ok({"device_id": device}), 201


@api_player.delete("/push-subscriptions")
@limiter.limit(PER_CLIENT)
@api_player.input(s.PushRemoveIn, arg_name="body")
@api_player.doc(responses=ERRORS)
def remove_push_subscription(body: s.PushRemoveIn) -> Any:
    """Forget a subscription or a token of the signed-in player."""
    if not notify_prefs.unsubscribe(portal.caller(), body.model_dump(exclude_none=True)):
        raise NotFound("No such subscription for this player.")
    return Response(status=204)
