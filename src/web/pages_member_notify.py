"""The member's Notifications page in the portal, and the service worker.

``/portal/notifications``: the order of channels the player wants to be told
through, their email address, mute, the devices that get pushes, and the
"Turn on notifications" button (``static/push.js``) that subscribes this
browser with the club's VAPID key. ``/sw.js`` is the service worker, served
from the site's root so its scope covers every page. Emails' List-Unsubscribe
points here.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from booking_domain.errors import BookingError
from web import notify_prefs, portal
from web.pages_portal import portal_pages

CHANNEL_WORDS = {"push": "Push notifications", "email": "Email", "sms": "Text message (SMS)"}


@portal_pages.get("/portal/notifications")
def notifications_page() -> Any:
    phone = portal.signed_in()
    if phone is None:
        return redirect(url_for("portal_pages.login_page", next=request.path))
    try:
        prefs = notify_prefs.preferences(phone)
    except BookingError as error:
        flash(error.message, "error")
        return redirect(url_for("portal_pages.dashboard"))
    return render_template("portal/notifications.html", prefs=prefs, words=CHANNEL_WORDS)


@portal_pages.post("/portal/notifications")
def save_notifications() -> Response:
    phone = portal.signed_in()
    if phone is None:
        return redirect(url_for("portal_pages.login_page"))
    picked = [request.form.get(f"choice{n}", "") for n in (1, 2, 3)]
    channels = list(dict.fromkeys(c for c in picked if c))
    email = request.form.get("email", "").strip()
    try:
        notify_prefs.change(
            phone,
            channels=channels,
            email=email or None,
            clear_email=not email,
            muted=request.form.get("muted") == "on",
        )
    except BookingError as error:
        flash(error.message, "error")
    else:
        flash("Notification settings saved.", "success")
    return redirect(url_for("portal_pages.notifications_page"))


@portal_pages.get("/sw.js")
def service_worker() -> Response:
    """The service worker, from the root: its scope is the whole site."""
    response = current_app.send_static_file("sw.js")
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response
