"""The sandbox checkout acts only for the signed-in payer or their guardian (api.md).

A payment's id is no secret (``uuid5(offer_id, "payment:<n>")``), so knowing it
must not be enough to "pay": the sandbox's page and its buttons need the portal
session of a phone that answers for the payment's player — the player's own, or
a guardian's (``portal.players_of``). The API answers ``401``/``403`` so the page's
script can say why; the page sends a stranger to sign in, or shows ``404``.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from flask import abort, redirect, url_for

from booking_domain.errors import BookingError, NotFound
from web import portal
from web.services import club


class NotThePayer(BookingError):
    """Signed in, but not as this payment's player or one of their guardians."""

    code: ClassVar[str] = "forbidden"
    default_message: ClassVar[str] = (
        "This checkout is for another player. Sign in with the number of the player "
        "it is for, or of their parent."
    )


def check(payment_id: UUID) -> None:
    """For the API: ``not_found`` without the sandbox or the payment, ``unauthorized``
    without a portal session, ``forbidden`` for somebody else's payment."""
    service = club()
    if not service.payments.is_sandbox:
        raise NotFound("No such payment.")
    payment = service.app.get_payment(payment_id)
    phone = portal.caller()
    answering = {str(p["player_id"]) for p in portal.players_of(phone)}
    if str(payment.player_id) not in answering:
        raise NotThePayer()


def check_page(payment_id: UUID) -> None:
    """For the page: off to sign in without a session; ``404`` for what is not theirs."""
    try:
        check(payment_id)
    except portal.NotSignedIn:
        abort(redirect(url_for("portal_pages.login_page")))
    except (NotFound, NotThePayer):
        abort(404)
