"""The admin API (api.md "Admin"): players, club settings, matches and their controls.

Each view parses, calls one command of the application and answers from the
read models once they include that command's events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from apiflask import APIBlueprint, HTTPTokenAuth
from flask import g, url_for

from booking.audit_cli import match_events
from booking_domain.errors import NotFound
from projections.activity import activity_of
from projections.match_views import match_dashboard, match_list
from projections.offer_log import offers_of
from projections.public_views import player_list, player_row
from web import links
from web import schemas as s
from web import schemas_portal as sp
from web.envelope import ok
from web.paid_views import match_payments, with_holds, with_payments
from web.security import actor
from web.services import club

api_admin = APIBlueprint("api_admin", __name__, url_prefix="/api/admin", tag="Admin")
auth = HTTPTokenAuth(scheme="Bearer", description="An admin token (api.md)")
ERRORS = [400, 401, 404, 409]


@auth.verify_token
def _verify(token: str) -> str | None:
    label = club().admin_tokens.check(token)
    if label is not None:
        g.admin = label
    return label


def admin_route(
    method: str,
    rule: str,
    output: Any,
    *,
    body: type | None = None,
    query: type | None = None,
    status: int = 200,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An admin endpoint: bearer auth, the body or query it parses, what it answers."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        decorated = api_admin.doc(responses=ERRORS)(view)
        decorated = api_admin.output(output, status_code=status)(decorated)
        if body is not None:
            decorated = api_admin.input(body, arg_name="body")(decorated)
        if query is not None:
            decorated = api_admin.input(query, location="query", arg_name="query")(decorated)
        decorated = api_admin.auth_required(auth)(decorated)
        getattr(api_admin, method)(rule)(decorated)
        return view

    return register


def _match(match_id: UUID, after: int | None) -> dict[str, Any]:
    board = club().read(match_dashboard, match_id, after=after)
    if board is None:
        raise NotFound("No such match.")
    return with_holds(board, match_payments(match_id))


def _player(player_id: UUID, after: int | None) -> dict[str, Any]:
    found = club().read(player_row, player_id, after=after)
    if found is None:
        raise NotFound("No such player.")
    return found


# ---------------------------------------------------------------- players


@admin_route("post", "/players", s.PlayerOut, body=s.PlayerIn, status=201)
def register_player(body: s.PlayerIn) -> Any:
    """Add a player (phone and name unique)."""
    done = club().app.register_player(**body.model_dump(), actor=actor())
    return ok(_player(done.value, done.position), done.position), 201


@admin_route("get", "/players", list[s.PlayerOut], query=s.AfterQuery)
def list_players(query: s.AfterQuery) -> Any:
    """Every player of the club."""
    return ok(club().read(player_list, after=query.after))


@admin_route("patch", "/players/<uuid:player_id>", s.PlayerOut, body=s.PlayerPatch)
def update_player(player_id: UUID, body: s.PlayerPatch) -> Any:
    """Rename, change tier, flip the ringer flag, mute, set the guardians' phones."""
    done = club().app.update_player(player_id, **body.model_dump(), actor=actor())
    return ok(_player(player_id, done.position), done.position)


# --------------------------------------------------------------- settings


@admin_route("get", "/settings", s.SettingsOut)
def get_settings() -> Any:
    """The club-wide settings."""
    return ok(vars(club().app.club_policy()))


@admin_route("patch", "/settings", s.SettingsOut, body=s.SettingsPatch)
def change_settings(body: s.SettingsPatch) -> Any:
    """Change some of the club-wide settings."""
    changes = body.model_dump(exclude_none=True)
    done = club().app.change_settings(changes, actor=actor())
    return ok(vars(done.value), done.position)


# ---------------------------------------------------------------- matches


@admin_route("post", "/matches", s.MatchOut, body=s.MatchIn, status=201)
def schedule_match(body: s.MatchIn) -> Any:
    """Create a match in Draft."""
    done = club().app.schedule_match(**body.model_dump(), actor=actor())
    return ok(_match(done.value, done.position), done.position), 201


@admin_route("get", "/matches", list[s.MatchSummaryOut], query=s.AfterQuery)
def list_matches(query: s.AfterQuery) -> Any:
    """Every match with its counts, soonest first."""
    return ok(club().read(match_list, after=query.after))


@admin_route("get", "/matches/<uuid:match_id>", s.MatchOut, query=s.AfterQuery)
def get_match(match_id: UUID, query: s.AfterQuery) -> Any:
    """The Match Control Centre's data: counts, roster, open offers."""
    return ok(_match(match_id, query.after))


@admin_route(
    "patch", "/matches/<uuid:match_id>/enable-booking", s.BookingLinkOut, body=s.EnableBookingIn
)
def enable_booking(match_id: UUID, body: s.EnableBookingIn) -> Any:
    """Turn the shared link on; a fresh token each time, shown only here."""
    windows = body.tier_windows.model_dump() if body.tier_windows else None
    done = club().app.enable_booking(
        match_id, invite_mode=body.invite_mode, tier_windows=windows, actor=actor()
    )
    # From the configured address, never the request's Host header (``web.links``).
    link = links.absolute(url_for("public_pages.booking_page", match_id=match_id, token=done.value))
    return ok({"booking_link": link, "token": done.value}, done.position)


@admin_route("patch", "/matches/<uuid:match_id>/invite-mode", s.MatchOut, body=s.InviteModeIn)
def change_invite_mode(match_id: UUID, body: s.InviteModeIn) -> Any:
    """All at once ↔ tiered, keeping the link."""
    windows = body.tier_windows.model_dump() if body.tier_windows else None
    done = club().app.change_invite_mode(
        match_id, invite_mode=body.invite_mode, tier_windows=windows, actor=actor()
    )
    return ok(_match(match_id, done.position), done.position)


def _match_command(name: str, summary: str, command: str, *, body: type | None = None) -> None:
    """Register ``POST|PATCH /matches/<id>/<name>`` running one app command."""

    def view(match_id: UUID, **parsed: Any) -> Any:
        given = parsed.get("body")
        kwargs = given.model_dump(exclude_none=True) if given is not None else {}
        done = getattr(club().app, command)(match_id, **kwargs, actor=actor())
        return ok(_match(match_id, done.position), done.position)

    view.__name__ = command
    view.__doc__ = summary
    method = "patch" if name in ("disable-booking", "capacity") else "post"
    admin_route(method, f"/matches/<uuid:match_id>/{name}", s.MatchOut, body=body)(view)


_match_command("disable-booking", "Switch the shared link off.", "disable_booking")
_match_command(
    "capacity",
    "Change capacity (down demotes the latest INs).",
    "change_capacity",
    body=s.CapacityIn,
)
_match_command("lock", "Lock Pool: ends self-serve booking.", "lock_pool")
_match_command("balance", "Balance Teams.", "balance_teams")
_match_command("complete", "Complete the match.", "complete_match")
_match_command("cancel", "Cancel the match; everyone is told.", "cancel_match", body=s.ReasonIn)


@admin_route("post", "/matches/<uuid:match_id>/players", s.MatchOut, body=s.AddPlayerIn)
def add_player(match_id: UUID, body: s.AddPlayerIn) -> Any:
    """Manual add: always works, even over capacity."""
    done = club().app.add_player_to_match(match_id, body.player_id, actor=actor())
    return ok(_match(match_id, done.position), done.position)


@admin_route("post", "/matches/<uuid:match_id>/waitlist/reissue", list[s.OfferOut])
def reissue_offers(match_id: UUID) -> Any:
    """ "Send new waitlist offers"."""
    done = club().app.reissue_offers(match_id, actor=actor())
    offers = [
        {
            "offer_id": o.offer_id,
            "player_id": o.player_id,
            "batch": o.batch,
            "expires_at": o.expires_at,
        }
        for o in done.value
    ]
    return ok(offers, done.position)


@admin_route("post", "/matches/<uuid:match_id>/waitlist/<uuid:player_id>/promote", sp.PromotedOut)
def promote(match_id: UUID, player_id: UUID) -> Any:
    """Offer a free place to this waiting player: held while they pay (seed 000)."""
    done = club().app.promote(match_id, player_id, actor=actor())
    offer = done.value
    keys = ("offer_id", "player_id", "batch", "expires_at")
    return ok({key: getattr(offer, key) for key in keys}, done.position)


@admin_route("post", "/matches/<uuid:match_id>/dropouts/<uuid:player_id>/release", s.MatchOut)
def release_spot(match_id: UUID, player_id: UUID) -> Any:
    """ "Release spot now": skip the rest of a dropout's grace period."""
    done = club().app.release_spot(match_id, player_id, actor=actor())
    return ok(_match(match_id, done.position), done.position)


@admin_route("post", "/matches/<uuid:match_id>/last-call", s.LastCallOut)
def last_call(match_id: UUID) -> Any:
    """ "Send last-call" to PENDING and OUT-but-flexible players."""
    done = club().app.send_last_call(match_id, actor=actor())
    return ok({"queued": len(done.value), "player_ids": done.value}, done.position)


# ------------------------------------------------------------------ reads


@admin_route("get", "/matches/<uuid:match_id>/activity", list[s.ActivityOut], query=s.AfterQuery)
def activity(match_id: UUID, query: s.AfterQuery) -> Any:
    """The activity feed, newest first."""
    _match(match_id, query.after)
    return ok(club().read(activity_of, match_id))


@admin_route("get", "/matches/<uuid:match_id>/offers", list[s.OfferLogOut], query=s.AfterQuery)
def offer_log(match_id: UUID, query: s.AfterQuery) -> Any:
    """Every offer of the match and how it ended (a paid offer: and how its payment went)."""
    board = _match(match_id, query.after)
    paid = board["offer_mode"] == "payment_window"
    log = club().read(offers_of, match_id)
    return ok(with_payments(log, match_payments(match_id), paid_match=paid))


@admin_route(
    "get", "/matches/<uuid:match_id>/payments", list[sp.MatchPaymentOut], query=s.AfterQuery
)
def payments(match_id: UUID, query: s.AfterQuery) -> Any:
    """Every payment attempt of the match: who, how much, how it went (the treasurer's view)."""
    _match(match_id, query.after)
    return ok(match_payments(match_id))


@admin_route("get", "/matches/<uuid:match_id>/events", list[s.EventOut])
def events(match_id: UUID) -> Any:
    """The raw event streams of the match, in order."""
    found = match_events(club().app, match_id)
    if not found:
        raise NotFound("No such match.")
    return ok(found)


@admin_route("get", "/notifications", list[s.LedgerOut], query=s.LedgerQuery)
def notifications(query: s.LedgerQuery) -> Any:
    """The notification ledger: who was told what, and what became of it."""
    outbox = club().outbox
    entries = outbox.ledger(match_id=query.match_id, player_id=query.player_id)
    tries = outbox.attempts_of([e.notice_id for e in entries])
    return ok([{**vars(e), "tries": tries[e.notice_id]} for e in entries])


__all__ = ["api_admin", "auth"]
