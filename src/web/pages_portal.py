"""The player portal's pages (seed 000) and the sandbox checkout (api.md).

``/portal/login``: a phone, then the code sent to it. ``/portal``: the
"Available Sessions" widget at the top — each place held for one of the
caller's players, with a live countdown, Pay Now and Decline offer — then
"My bookings". Forms post here with their CSRF token (Post/Redirect/Get);
``static/portal.js`` ticks the countdowns on the server's clock, turns Pay
Now into "Offer expired" when time is up, and works the sandbox's buttons.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from booking_domain.errors import BookingError, NotFound
from booking_domain.identity import PhoneNumber
from booking_domain.wording import local_time
from processes.payment_service import SandboxCheckout
from web import portal, sandbox_payer, sessions
from web.pages_public import poll_seconds, price_text
from web.security import CODES_PER_PHONE, TRIES_PER_PHONE, body_phone, limit_sign_in
from web.services import club

portal_pages = Blueprint("portal_pages", __name__)
#: How often the dashboard asks whether its offers still stand (``?poll=`` overrides).
POLL_SECONDS = 30


def _pending_phone() -> str:
    """The phone a code was just sent to, between the two steps of signing in: kept
    server-side (a ``sign_in`` session, the code's ten minutes), never in the cookie."""
    pending = sessions.current(sessions.SIGN_IN)
    return str(pending.phone) if pending and pending.phone else ""


@portal_pages.context_processor
def helpers() -> dict[str, Any]:
    return {
        "when": lambda at, tz: local_time(at, tz) if at else "",
        "money": lambda minor, currency: price_text(minor, currency) or "Free",
        "iso": lambda at: at.astimezone(UTC).isoformat() if at else "",
        "portal_phone": portal.signed_in(),
    }


@portal_pages.after_request
def not_cached(response: Response) -> Response:
    """Who pays for what is nobody else's business: never kept by a cache."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# ------------------------------------------------------------------ sign in


@portal_pages.get("/portal/login")
def login_page() -> Any:
    """Step one: the phone; step two (a code was sent): the code."""
    if portal.signed_in():
        return redirect(url_for("portal_pages.dashboard"))
    pending = _pending_phone()
    masked = PhoneNumber(pending).masked() if pending else None
    return render_template("portal/login.html", pending=masked)


@portal_pages.post("/portal/login")
@limit_sign_in(body_phone, per_phone=CODES_PER_PHONE)
def login_post() -> Response:
    try:
        sessions.begin_sign_in(portal.request_code(request.form.get("phone", "")))
    except BookingError as refusal:
        flash(refusal.message, "error")
    else:
        flash(portal.CODE_SENT, "info")
    return redirect(url_for("portal_pages.login_page"))


@portal_pages.post("/portal/login/verify")
@limit_sign_in(_pending_phone, per_phone=TRIES_PER_PHONE)
def verify_post() -> Response:
    code = "".join(request.form.get("code", "").split())
    try:
        portal.sign_in(_pending_phone() or "-", code)
    except BookingError:
        flash(portal.WRONG_CODE, "error")
        return redirect(url_for("portal_pages.login_page"))
    sessions.end(sessions.SIGN_IN)
    return redirect(url_for("portal_pages.dashboard"))


@portal_pages.post("/portal/login/again")
def login_again() -> Response:
    """ "Use another number": back to step one."""
    sessions.end(sessions.SIGN_IN)
    return redirect(url_for("portal_pages.login_page"))


@portal_pages.post("/portal/logout")
def logout() -> Response:
    portal.sign_out()
    flash("Signed out.", "success")
    return redirect(url_for("portal_pages.login_page"))


# ---------------------------------------------------------------- dashboard


@portal_pages.get("/portal")
def dashboard() -> Any:
    """ "Available Sessions" at the top, then "My bookings" (seed 000)."""
    phone = portal.signed_in()
    if phone is None:
        return redirect(url_for("portal_pages.login_page"))
    return render_template(
        "portal/dashboard.html",
        offers=portal.offers_for(phone),
        bookings=portal.bookings_for(phone),
        players=portal.players_of(phone),
        phone=PhoneNumber(phone).masked(),
        note=_payment_note(phone),
        server_now=club().app.clock.now(),
        poll_seconds=poll_seconds() if request.args.get("poll") else POLL_SECONDS,
    )


def _payment_note(phone: str) -> tuple[str, str] | None:
    """Back from a checkout (``?paid=<payment_id>``): how that payment went."""
    try:
        payment_id = UUID(request.args.get("paid", ""))
    except ValueError:
        return None
    return portal.payment_note(phone, payment_id)


@portal_pages.post("/portal/offers/<uuid:offer_id>/pay")
def pay(offer_id: UUID) -> Response:
    """Pay Now: the offer is checked again, then off to the checkout."""
    phone = portal.signed_in()
    if phone is None:
        return redirect(url_for("portal_pages.login_page"))
    try:
        return redirect(portal.pay_now(phone, offer_id))
    except BookingError as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("portal_pages.dashboard"))


@portal_pages.post("/portal/offers/<uuid:offer_id>/decline")
def decline(offer_id: UUID) -> Response:
    """Decline offer, once confirmed: the place goes to the next person."""
    phone = portal.signed_in()
    if phone is None:
        return redirect(url_for("portal_pages.login_page"))
    if request.form.get("confirm") != "yes":
        flash("Confirm that you want to decline the offer.", "error")
        return redirect(url_for("portal_pages.dashboard"))
    try:
        portal.decline(phone, offer_id)
        flash("Offer declined. The place goes to the next person waiting.", "success")
    except BookingError as refusal:
        flash(refusal.message, "error")
    return redirect(url_for("portal_pages.dashboard"))


# ------------------------------------------------------------------ sandbox


def _checkout(payment_id: UUID) -> SandboxCheckout:
    sandbox_payer.check_page(payment_id)  # the payer or their guardian only
    try:
        return club().payments.sandbox_checkout(payment_id)
    except NotFound:
        abort(404)


@portal_pages.get("/pay/sandbox/<uuid:payment_id>")
def sandbox_page(payment_id: UUID) -> str:
    """The sandbox checkout: no money moves; its buttons send the provider's webhook."""
    checkout = _checkout(payment_id)
    return render_template(
        "portal/sandbox.html",
        checkout=checkout,
        kickoff=local_time(checkout.kickoff_at, _timezone(checkout)),
        back=url_for("portal_pages.dashboard", paid=payment_id),
    )


@portal_pages.post("/pay/sandbox/<uuid:payment_id>")
def sandbox_post(payment_id: UUID) -> Response:
    """The same buttons without JavaScript: one form, the same service call."""
    _checkout(payment_id)
    outcome = request.form.get("outcome", "")
    try:
        club().payments.sandbox_outcome(payment_id, outcome)
    except BookingError as refusal:
        flash(refusal.message, "error")
    except ValueError:
        abort(400)
    return redirect(url_for("portal_pages.dashboard", paid=payment_id))


def _timezone(checkout: SandboxCheckout) -> str:
    payment = club().app.get_payment(checkout.payment_id)
    return str(club().app.get_match(payment.match_id).timezone)


# The court and notification pages register their routes on this blueprint when imported.
from web import pages_member_courts, pages_member_notify  # noqa: E402, F401
