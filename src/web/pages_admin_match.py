"""The Match Control Centre and its actions (seed 004 §6, §8.1, §18 "Admin UI Copy").

Each button is a small form posting to one route here, which runs one
command and redirects back to the centre (Post/Redirect/Get).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from flask import abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from booking_domain.errors import ValidationError
from booking_domain.transacting import Done
from booking_domain.wording import local_time
from projections.match_views import match_dashboard
from projections.public_views import match_header
from web import links
from web.pages_admin import admin_pages, form_int, parse_local, perform, read_after
from web.pages_admin_centre import centre, ledger
from web.security import actor, require_admin_session
from web.services import club

#: The counts refresh this often (seed 004 §6 "real time"); ``?refresh=`` overrides it.
REFRESH_SECONDS = 15
#: Where the link made by the last enable waits to be shown, once.
FRESH_LINK = "fresh_link"


def _back(match_id: UUID) -> str:
    return url_for("admin_pages.match_centre", match_id=match_id)


def _board(match_id: UUID) -> dict[str, Any]:
    board = club().read(match_dashboard, match_id, after=read_after())
    if board is None:
        abort(404)
    return board


# --------------------------------------------------------------------- reads


@admin_pages.get("/matches/<uuid:match_id>")
@require_admin_session
def match_centre(match_id: UUID) -> str:
    """The Match Control Centre; a link just made is shown here once, then forgotten."""
    fresh = session.get(FRESH_LINK)
    link = None
    if fresh and fresh.get("match_id") == str(match_id):
        link = session.pop(FRESH_LINK)["link"]
    shown = centre(match_id, after=read_after(), link=link)
    if shown is None:
        abort(404)
    return render_template(
        "admin/match.html",
        **shown,
        refresh_seconds=_refresh_seconds(),
        server_now=club().app.clock.now(),
    )


def _refresh_seconds() -> int:
    """15 s, or what ``?refresh=`` asks (1–300 s: tests and slow connections)."""
    asked = request.args.get("refresh", type=int)
    return REFRESH_SECONDS if asked is None else min(300, max(1, asked))


@admin_pages.get("/matches/<uuid:match_id>/live")
@require_admin_session
def match_live(match_id: UUID) -> dict[str, Any]:
    """The top row's counts, for the page's live refresh (two indexed reads)."""
    header = club().read(match_header, match_id)
    if header is None:
        abort(404)
    keys = ("booked", "capacity", "waitlist", "held", "spots_left", "state", "booking_enabled")
    return {key: header[key] for key in keys}


@admin_pages.get("/matches/<uuid:match_id>/notifications")
@require_admin_session
def match_notifications(match_id: UUID) -> str:
    """The notification ledger of one match: who was told what, and how it went."""
    return render_template(
        "admin/notifications.html", board=_board(match_id), entries=ledger(match_id)
    )


# -------------------------------------------------------------- booking link


@admin_pages.post("/matches/<uuid:match_id>/booking/enable")
@require_admin_session
def enable_booking(match_id: UUID) -> Response:
    """Enable self-serve booking, or make a new link: a fresh token each time.

    The token is known only now (the match keeps its digest), so the link goes
    into the session until the centre has shown it once.
    """
    board = _board(match_id)
    windows = board["tier_windows"] if board["invite_mode"] == "tiered" else None

    def run() -> Done[str]:
        return club().app.enable_booking(
            match_id, invite_mode=board["invite_mode"], tier_windows=windows, actor=actor()
        )

    def keep_link(token: str) -> str:
        link = links.absolute(url_for("public_pages.booking_page", match_id=match_id, token=token))
        session[FRESH_LINK] = {"match_id": str(match_id), "link": link}
        return "Self-serve booking is on. Copy the link now: it is shown only once."

    return perform(run, back=_back(match_id), success=keep_link)


@admin_pages.post("/matches/<uuid:match_id>/booking/disable")
@require_admin_session
def disable_booking(match_id: UUID) -> Response:
    return perform(
        lambda: club().app.disable_booking(match_id, actor=actor()),
        back=_back(match_id),
        success="Self-serve booking is off. The link no longer works.",
    )


@admin_pages.post("/matches/<uuid:match_id>/invite-mode")
@require_admin_session
def change_invite_mode(match_id: UUID) -> Response:
    """ "All at once" | "Tiered", the tier windows, and "Use default timings"."""
    board = _board(match_id)
    tz = board["timezone"]

    def run() -> Done[UUID]:
        mode = request.form.get("invite_mode", "all")
        given = {
            key: parse_local(request.form.get(key), tz, f"Tier {key[0].upper()}")
            for key in ("a_open_at", "b_open_at", "c_open_at")
        }
        windows: dict[str, datetime | None] = {k: v for k, v in given.items() if v}
        if "use_defaults" in request.form:
            # Keep Tier A; B and C go back to A + the club's offsets.
            mode, windows = "tiered", {"a_open_at": given["a_open_at"]}
        return club().app.change_invite_mode(
            match_id, invite_mode=mode, tier_windows=windows or None, actor=actor()
        )

    return perform(run, back=_back(match_id), success="Invite mode saved.")


# ------------------------------------------------------------------ controls


@admin_pages.post("/matches/<uuid:match_id>/capacity")
@require_admin_session
def change_capacity(match_id: UUID) -> Response:
    return perform(
        lambda: club().app.change_capacity(
            match_id, form_int("capacity", "Capacity"), actor=actor()
        ),
        back=_back(match_id),
        success="Capacity changed.",
    )


@admin_pages.post("/matches/<uuid:match_id>/players")
@require_admin_session
def add_to_match(match_id: UUID) -> Response:
    """Manual add: always works, even over capacity (seed 004 §7)."""

    def run() -> Done[UUID]:
        try:
            player_id = UUID(request.form.get("player_id", ""))
        except ValueError:
            raise ValidationError("Player", "choose a player to add") from None
        return club().app.add_player_to_match(match_id, player_id, actor=actor())

    return perform(run, back=_back(match_id), success="Player added.")


@admin_pages.post("/matches/<uuid:match_id>/waitlist/<uuid:player_id>/promote")
@require_admin_session
def promote(match_id: UUID, player_id: UUID) -> Response:
    """ "Promote": offer this waiting player a place, held while they pay (seed 000)."""
    tz = _board(match_id)["timezone"]
    return perform(
        lambda: club().app.promote(match_id, player_id, actor=actor()),
        back=_back(match_id),
        success=lambda offer: (
            f"Offer sent: the place is held until {local_time(offer.expires_at, tz)}"
            " while they pay. They were told to log in to the portal."
        ),
    )


@admin_pages.post("/matches/<uuid:match_id>/dropouts/<uuid:player_id>/release")
@require_admin_session
def release_spot(match_id: UUID, player_id: UUID) -> Response:
    """ "Release spot now": skip the grace period and free the place at once."""
    return perform(
        lambda: club().app.release_spot(match_id, player_id, actor=actor()),
        back=_back(match_id),
        success="Spot released.",
    )


@admin_pages.post("/matches/<uuid:match_id>/offers/reissue")
@require_admin_session
def reissue_offers(match_id: UUID) -> Response:
    """ "Send new waitlist offers"."""
    return perform(
        lambda: club().app.reissue_offers(match_id, actor=actor()),
        back=_back(match_id),
        success=lambda offers: (
            f"Sent {len(offers)} new waitlist offer{'s' if len(offers) != 1 else ''}."
            if offers
            else "No new offers sent: no free place, nobody waiting, or the offers are fresh."
        ),
    )


@admin_pages.post("/matches/<uuid:match_id>/last-call")
@require_admin_session
def last_call(match_id: UUID) -> Response:
    """ "Send last-call" to PENDING and OUT-but-flexible players."""
    return perform(
        lambda: club().app.send_last_call(match_id, actor=actor()),
        back=_back(match_id),
        success=lambda asked: (
            f"Last call sent to {len(asked)} player{'s' if len(asked) != 1 else ''}."
            if asked
            else "Last call: nobody to ask right now."
        ),
    )


# ----------------------------------------------------------------- lifecycle

_STEPS = {
    "lock": ("lock_pool", "Pool locked."),
    "balance": ("balance_teams", "Teams balanced."),
    "complete": ("complete_match", "Match completed."),
}


@admin_pages.post("/matches/<uuid:match_id>/<any(lock, balance, complete):step>")
@require_admin_session
def lifecycle(match_id: UUID, step: str) -> Response:
    """Lock Pool → Balance Teams → Complete (seed 004 §1)."""
    command, done_text = _STEPS[step]
    return perform(
        lambda: getattr(club().app, command)(match_id, actor=actor()),
        back=_back(match_id),
        success=done_text,
    )


@admin_pages.post("/matches/<uuid:match_id>/cancel")
@require_admin_session
def cancel_match(match_id: UUID) -> Response:
    """Cancel before Completed; IN, HELD and the waitlist are told."""
    reason = request.form.get("reason", "").strip()[:500]
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm the cancellation.", "error")
        return redirect(_back(match_id))
    return perform(
        lambda: club().app.cancel_match(match_id, reason=reason, actor=actor()),
        back=_back(match_id),
        success="Match cancelled. Everyone booked or waiting is told.",
    )
