"""The club's players and settings (seed 004 §3.4, §7, §22.4; api.md "Admin").

Lists show phone numbers masked; the full number appears only on a player's
edit page, to the signed-in admin.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, render_template, request, url_for
from werkzeug.wrappers import Response

from projections.match_views import match_list
from projections.public_views import player_list, player_row
from web.pages_admin import admin_pages, form_bool, form_int, perform, read_after
from web.pages_admin_centre import ledger, masked
from web.security import actor, require_admin_session
from web.services import club

#: The club-wide settings as the seed names them (§3.4, §18), in api.md's order.
SWITCHES = (
    ("block_unknown_players", "Block unknown players", "Unknown numbers cannot book at all."),
    (
        "enable_ringer_self_book",
        "Allow ringers to book",
        "Ringers, and new numbers who give a name, may use the booking link.",
    ),
    (
        "include_ringers_in_invites",
        "Include ringers in invites",
        "Ringers get tier-open and last-call notifications.",
    ),
    (
        "rsvp_burst_guard_enabled",
        "Burst guard",
        "Refuse more than 50 booking writes in 10 seconds for one match.",
    ),
)
OFFSETS = (
    ("tier_b_offset_hours", "Tier B opens after Tier A (hours)"),
    ("tier_c_offset_hours", "Tier C opens after Tier A (hours)"),
)
QUIET_HOURS = (
    ("quiet_hours_start", "Quiet hours start (hour of the day, club time)"),
    ("quiet_hours_end", "Quiet hours end (the same hour as the start: none)"),
)
TIER_C_TIP = "Tier C is the default for all players (casual tier). Admins can upgrade to A or B."


# ------------------------------------------------------------------ players


@admin_pages.get("/players")
@require_admin_session
def players() -> str:
    """Every player with tier, ringer flag and mute; phones masked."""
    roll = [{**p, "masked_phone": masked(p["phone"])} for p in _roll()]
    return render_template("admin/players.html", players=roll, tier_c_tip=TIER_C_TIP)


def _roll() -> list[dict[str, Any]]:
    return club().read(player_list, after=read_after())


@admin_pages.post("/players")
@require_admin_session
def add_player() -> Response:
    """Add a player: name ≤ 14 characters and phone, both unique (seed 004 §7)."""
    return perform(
        lambda: club().app.register_player(
            name=request.form.get("name", ""),
            phone=request.form.get("phone", ""),
            tier=request.form.get("tier", "C"),
            is_ringer=form_bool("is_ringer"),
            actor=actor(),
        ),
        back=url_for("admin_pages.players"),
        success="Player added.",
    )


@admin_pages.get("/players/<uuid:player_id>")
@require_admin_session
def edit_player(player_id: UUID) -> str:
    """One player's edit form: the only page showing the full phone number."""
    found = club().read(player_row, player_id, after=read_after())
    if found is None:
        abort(404)
    return render_template("admin/player.html", player=found, tier_c_tip=TIER_C_TIP)


@admin_pages.get("/players/<uuid:player_id>/notifications")
@require_admin_session
def player_notifications(player_id: UUID) -> str:
    """One player's notification history across matches: each notice and how it went."""
    found = club().read(player_row, player_id, after=read_after())
    if found is None:
        abort(404)
    titles = {m["match_id"]: m for m in club().read(match_list)}
    entries = [{**e, "match": titles.get(e["match_id"])} for e in ledger(player_id=player_id)]
    return render_template("admin/player_notifications.html", player=found, entries=entries)


@admin_pages.post("/players/<uuid:player_id>")
@require_admin_session
def update_player(player_id: UUID) -> Response:
    """Tier, ringer flag and mute from the list; the name too from the edit form."""
    name = request.form.get("name")
    back = request.form.get("back") == "edit"
    return perform(
        lambda: club().app.update_player(
            player_id,
            name=name,
            tier=request.form.get("tier"),
            is_ringer=form_bool("is_ringer"),
            muted=form_bool("muted"),
            actor=actor(),
        ),
        back=url_for("admin_pages.edit_player", player_id=player_id)
        if back
        else url_for("admin_pages.players"),
        success="Player saved.",
    )


# ----------------------------------------------------------------- settings


@admin_pages.get("/settings")
@require_admin_session
def settings() -> str:
    """The club-wide settings of api.md, and quiet hours for notices."""
    return render_template(
        "admin/settings.html",
        policy=club().app.club_policy(),
        switches=SWITCHES,
        offsets=OFFSETS,
        quiet_hours=QUIET_HOURS,
    )


@admin_pages.post("/settings")
@require_admin_session
def save_settings() -> Response:
    def run() -> Any:
        changes: dict[str, Any] = {key: form_bool(key) for key, _, _ in SWITCHES}
        changes |= {key: form_int(key, label) for key, label in OFFSETS}
        changes |= {key: form_int(key, label) for key, label in QUIET_HOURS if key in request.form}
        return club().app.change_settings(changes, actor=actor())

    return perform(run, back=url_for("admin_pages.settings"), success="Settings saved.")
