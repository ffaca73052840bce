"""Who may do what, and how hard they may push (seed 004 §4.7, §16; api.md).

- Admin API: ``Authorization: Bearer <token>``; admin pages: a server-side
  session made by signing in with the same token, checked on every request
  (``web.sessions``): it ends on sign-out, on revoking its token, after its
  lifetime and when idle. Tokens are checked as digests in constant time.
- Forms carry a CSRF token (Flask-WTF); the JSON API is exempt, because its
  writes need a bearer token or the match's invite token in the body.
- Rate limits (Flask-Limiter, Redis when ``REDIS_URL`` is set): 10 writes a
  minute per IP, per device and per player per match; the per-match burst guard
  (50 writes in 10 s) when the club turns it on.
- Security headers on every response; no referrer, so a booking link's token
  never leaves in a ``Referer``.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast

from apiflask import APIFlask
from flask import Response, current_app, g, redirect, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from booking_domain.errors import BookingError
from booking_domain.identity import PhoneNumber
from web import sessions
from web.envelope import failure
from web.services import club

F = TypeVar("F", bound=Callable[..., Any])

DEVICE_COOKIE = "booking_device"
PER_CLIENT = "10 per minute"
BURST = "50 per 10 seconds"
READS = "120 per minute"
#: Portal sign-in, per phone: a few codes sent, a few codes tried (SMS costs, guesses).
CODES_PER_PHONE = "5 per 15 minutes"
TRIES_PER_PHONE = "10 per 15 minutes"

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def require_admin_session(view: F) -> F:
    """Admin pages: a session from the sign-in page that still stands, else off to sign in.

    Checked on every request, reads and form posts alike: a revoked token, a
    sign-out, the lifetime or the idle timeout ends it, whatever the cookie says.
    """

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        signed_in = sessions.current(sessions.ADMIN)
        if signed_in is None or not signed_in.label:
            return redirect(url_for("admin_pages.sign_in", next=request.path))
        g.admin = signed_in.label
        return view(*args, **kwargs)

    return cast(F, checked)


def actor() -> str:
    """Who the activity feed says did it: ``admin`` or ``admin:<label>``."""
    label = getattr(g, "admin", None)
    return "admin" if label in (None, "settings") else f"admin:{label}"


# ------------------------------------------------------------- rate limits


def device_key() -> str:
    return (
        request.headers.get("X-Device-Id")
        or request.cookies.get(DEVICE_COOKIE)
        or ("ip:" + get_remote_address())
    )


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _phone_key(phone: Any) -> str:
    try:
        normal = PhoneNumber.parse(str(phone)).e164
    except BookingError:
        normal = str(phone)
    # Keys live in Redis: a digest, never the number.
    return hashlib.sha256(normal.encode()).hexdigest()[:20]


def player_match_key() -> str:
    body = _body() or request.form.to_dict()
    return f"{body.get('match_id')}:{_phone_key(body.get('phone', ''))}"


def match_key() -> str:
    body = _body() or request.form.to_dict()
    return f"burst:{body.get('match_id') or request.view_args}"


def burst_guard_off() -> bool:
    try:
        return not club().app.club_policy().rsvp_burst_guard_enabled
    except Exception:
        return True


def _per_client() -> str:
    return str(current_app.config.get("BOOKING_RATE_LIMIT", PER_CLIENT))


def _burst() -> str:
    return str(current_app.config.get("BOOKING_BURST_LIMIT", BURST))


def limit_writes(view: F) -> F:
    """The four limits of seed 004 §4.7 on a booking write (app config may retune them)."""
    for limit in (
        limiter.limit(_per_client, key_func=lambda: "ip:" + get_remote_address()),
        limiter.limit(_per_client, key_func=lambda: "dev:" + device_key()),
        limiter.limit(_per_client, key_func=lambda: "pm:" + player_match_key()),
        limiter.limit(_burst, key_func=match_key, exempt_when=burst_guard_off),
    ):
        view = limit(view)
    return view


def body_phone() -> str:
    """The ``phone`` of a JSON body or a form."""
    body = _body() or request.form.to_dict()
    return str(body.get("phone", ""))


def limit_sign_in(phone_of: Callable[[], str], *, per_phone: str) -> Callable[[F], F]:
    """Portal sign-in: 10 a minute per IP, and ``per_phone`` (shared by the API and the
    page, so two doors do not double it). App config ``BOOKING_SIGN_IN_LIMIT`` retunes
    the per-phone limit."""

    def per_phone_limit() -> str:
        return str(current_app.config.get("BOOKING_SIGN_IN_LIMIT", per_phone))

    def wrap(view: F) -> F:
        per_phone_view = limiter.shared_limit(
            per_phone_limit,
            scope=f"sign-in:{per_phone}",
            key_func=lambda: "phone:" + _phone_key(phone_of()),
        )(view)
        per_ip = limiter.limit(_per_client, key_func=lambda: "ip:" + get_remote_address())
        return cast(F, per_ip(per_phone_view))

    return wrap


def same_origin_only() -> Response | None:
    """Cookie-signed-in JSON writes come from our own pages, never another site's.

    The session cookie is ``SameSite=Lax`` (not sent on another site's POST);
    this is the second lock: a browser names the page that sent a request
    (``Origin``, ``Sec-Fetch-Site``), and a stranger's is refused. Clients that
    are not browsers send neither.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    ours = request.host_url.rstrip("/")
    # Behind a TLS proxy that is not trusted, ``host_url`` says http:// while the
    # browser says https://: the configured address is ours too.
    known = {ours, club().settings.booking.base_url, club().settings.public_url} - {""}
    if site in ("cross-site", "same-site") or (origin and origin not in known):
        return failure("forbidden", "Requests from other sites are not accepted here.", 403)
    return None


# ----------------------------------------------------------------- headers

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def install(app: APIFlask) -> None:
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", club_storage(app))
    limiter.init_app(app)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Permissions-Policy", "camera=(), geolocation=()")
        if not request.path.startswith(("/api/docs", "/docs")):
            response.headers.setdefault("Content-Security-Policy", _CSP)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if DEVICE_COOKIE not in request.cookies and not request.path.startswith("/api/"):
            response.set_cookie(
                DEVICE_COOKIE,
                secrets.token_urlsafe(16),
                max_age=400 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=app.config["SESSION_COOKIE_SECURE"],
            )
        return response


def club_storage(app: APIFlask) -> str:
    return str(app.extensions["booking"].settings.ratelimit_storage)
