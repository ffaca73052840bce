"""The player portal's services: who is signed in, whom they act for, their offers.

Seed 000: a promoted player — or their parent, with the guardian's own phone —
logs in to the portal to pay for the place held for them. Signing in is by
phone and a one-time code (``processes.login_codes``); the server-side session
then holds that phone (the cookie only the session's id, ``web.sessions``),
and the players it may act for are those who answer to it
(``portal_views.players_answering_to``: the player, or a guardian). The JSON
API (``api_player``) and the pages (``pages_portal``) both call these.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from booking_domain.errors import BookingError, NotFound
from booking_domain.identity import PhoneNumber
from projections.match_views import player_matches
from projections.offer_log import offers_of
from projections.portal_views import bookings_of, open_paid_offers, players_answering_to
from web import sessions
from web.api_booking import maps_url
from web.services import club

#: The same words for every number, registered or not: nobody learns who plays here.
CODE_SENT = (
    "If this number belongs to a player or a parent of one, a sign-in code is on its way. "
    "It expires in 10 minutes."
)
WRONG_CODE = "That code isn't right or has expired. Check it, or ask for a new one."


class NotSignedIn(BookingError):
    """The portal needs a signed-in phone (api.md ``unauthorized``)."""

    code: ClassVar[str] = "unauthorized"
    default_message: ClassVar[str] = "Sign in to your account first."


# ------------------------------------------------------------------ sign in


def request_code(raw_phone: str) -> str:
    """A code for a player's or a guardian's phone; the same answer, and the same
    work in the request, for a stranger's (``LoginCodes.request``)."""
    phone = PhoneNumber.parse(raw_phone).e164
    service = club()
    known = bool(service.read(players_answering_to, phone))
    service.login_codes.request(phone, deliver=known)
    return phone


def sign_in(raw_phone: str, code: str) -> list[dict[str, Any]]:
    """Check the code; on success a new server-side session holds the phone.
    The players it acts for."""
    phone = PhoneNumber.parse(raw_phone).e164
    if not club().login_codes.verify(phone, code):
        raise NotSignedIn(WRONG_CODE)
    sessions.begin_portal(phone)
    return players_of(phone)


def sign_out() -> None:
    """Ends the portal session server-side; an admin session in the same cookie stays."""
    sessions.end(sessions.PORTAL)


def signed_in() -> str | None:
    """The phone of the portal session, if it still stands (checked on every request)."""
    found = sessions.current(sessions.PORTAL)
    return found.phone if found else None


def caller() -> str:
    """The signed-in phone, or ``unauthorized``."""
    phone = signed_in()
    if phone is None:
        raise NotSignedIn()
    return phone


# -------------------------------------------------------------------- reads


def players_of(phone: str) -> list[dict[str, Any]]:
    return list(club().read(players_answering_to, phone))


def offers_for(phone: str) -> list[dict[str, Any]]:
    """The open paid offers of every player this phone acts for, soonest deadline first."""
    ids = [p["player_id"] for p in players_of(phone)]
    if not ids:
        return []
    service = club()
    found = service.read(open_paid_offers, ids, service.app.clock.now())
    rows = [{**o, "maps_url": o.get("maps_url") or maps_url(o["location"])} for o in found]
    return sorted(rows, key=lambda o: (o["offer_expires_at"], str(o["offer_id"])))


def bookings_for(phone: str) -> list[dict[str, Any]]:
    """Their bookings; each confirmed or held place with its check-in code (seed 002)."""
    from web.courts import booking_code  # the court pages build on this module

    ids = [p["player_id"] for p in players_of(phone)]
    found = list(club().read(bookings_of, ids)) if ids else []
    for row in found:
        if row["status"] in ("IN", "HELD"):
            coded = booking_code(row["match_id"], row["player_id"]) or {}
            row["checkin_code"] = coded.get("checkin_code")
            row["qr_url"] = coded.get("qr_url")
    return found


def match_of_offer(phone: str, offer_id: UUID) -> UUID:
    """The match of an offer made to a player this phone acts for, else ``not_found``.

    An open offer is found among the open ones; one that has ended (expired,
    declined, paid) in the offer logs of the players' matches, so that Pay Now
    on it is answered by the domain ("Offer expired"), not as a stranger's.
    """
    for offer in offers_for(phone):
        if str(offer["offer_id"]) == str(offer_id):
            return UUID(str(offer["match_id"]))
    ids = {p["player_id"] for p in players_of(phone)}
    with club().reading() as conn:
        for player_id in ids:
            for row in player_matches(conn, player_id):
                if any(
                    str(o["offer_id"]) == str(offer_id) and o["player_id"] in ids
                    for o in offers_of(conn, row["match_id"])
                ):
                    return UUID(str(row["match_id"]))
    raise NotFound("No such offer.")


# ----------------------------------------------------------------- commands


def pay_now(phone: str, offer_id: UUID) -> str:
    """Re-validate the offer and its hold, then the checkout's address (seed 000)."""
    match_id = match_of_offer(phone, offer_id)
    return club().payments.pay_now(match_id, offer_id, phone)


def decline(phone: str, offer_id: UUID) -> int | None:
    """Decline offer: the hold goes, the player leaves the waitlist. The event position."""
    match_id = match_of_offer(phone, offer_id)
    return club().app.decline_offer(match_id, offer_id, phone).position


def payment_note(phone: str, payment_id: UUID) -> tuple[str, str] | None:
    """What to tell a payer back from the checkout, if the payment is theirs."""
    service = club()
    try:
        payment = service.app.get_payment(payment_id)
    except NotFound:
        return None
    names = {p["player_id"]: p["name"] for p in players_of(phone)}
    if payment.player_id not in names:
        return None
    note = PAYMENT_NOTES.get(str(payment.status))
    if note is None:
        return None
    title = service.app.get_match(payment.match_id).title
    return note[0], note[1].format(name=names[payment.player_id], session=title)


#: The words after a checkout, by the payment's status (kind, text).
PAYMENT_NOTES = {
    "confirmed": ("success", "Payment received — {name}'s place in {session} is confirmed."),
    "pending": ("info", "We're waiting for the payment to come through. This page will show it."),
    "failed": ("error", "The payment didn't go through. You can try again before the offer ends."),
    "abandoned": ("info", "Payment cancelled. You can still pay before the offer ends."),
    "refund_due": (
        "error",
        "Your payment came after the offer had ended and the place had gone. "
        "It will be refunded in full.",
    ),
    "refunded": ("info", "Your payment has been refunded."),
}
