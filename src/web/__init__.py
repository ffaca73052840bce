"""The web app: the JSON API of api.md and the pages people use (Flask, thin).

``create_app(config=None)`` reads its settings from the environment
(``DATABASE_URL``, ``REDIS_URL``, ``BOOKING_DATA_DIR``, ``BOOKING_ADMIN_TOKEN``,
``BOOKING_TEST_CLOCK``, ``SECRET_KEY``); ``config`` overrides them, as in
Flask's tutorial. Views parse, call the application, render: no rules here.

Behind a proxy, ``BOOKING_TRUSTED_PROXIES`` says how many hops of
``X-Forwarded-For`` / ``-Proto`` to believe (werkzeug's ``ProxyFix``); links to
the app are built from ``BOOKING_BASE_URL`` (``web.links``), never ``Host``.
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Mapping
from typing import Any

from apiflask import APIFlask
from werkzeug.middleware.proxy_fix import ProxyFix

from booking.logs import install_filter
from web import bodies, envelope, openapi, outages, security
from web.config import WebSettings
from web.services import Club

__all__ = ["create_app"]
_log = logging.getLogger("booking.web")


def create_app(config: Mapping[str, Any] | None = None) -> APIFlask:
    """The app on the store the settings choose, with its timers and read models."""
    settings = WebSettings.read(config)
    app = APIFlask(
        __name__,
        title="Club booking API",
        version="1",
        spec_path="/api/openapi.json",
        docs_path="/api/docs",
    )
    app.request_class = bodies.BookingRequest
    app.config.update(
        SECRET_KEY=settings.secret_key,
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage,
        RATELIMIT_HEADERS_ENABLED=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
        OPENAPI_VERSION="3.0.3",
        VALIDATION_ERROR_STATUS_CODE=400,
        VALIDATION_ERROR_SCHEMA=envelope.ERROR_SCHEMA,
        HTTP_ERROR_SCHEMA=envelope.ERROR_SCHEMA,
        BASE_RESPONSE_SCHEMA=envelope.Success,
        SECURITY_SCHEMES=None,
        DOCS_FAVICON=None,
        INFO={"description": "The booking engine's HTTP contract (docs/api.md)."},
        MAX_CONTENT_LENGTH=settings.max_body_bytes or None,
    )
    app.config.update({k: v for k, v in (config or {}).items() if k.isupper()})
    storage = app.config.get("RATELIMIT_STORAGE_URI") or settings.ratelimit_storage
    for key, value in outages.limiter_settings(storage).items():
        app.config.setdefault(key, value)
    if settings.trusted_proxies:
        # Only the hops the operator vouches for: each appends to X-Forwarded-For and
        # sets X-Forwarded-Proto. X-Forwarded-Host is not taken; links never use Host.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    if not settings.public_url:
        _log.warning(
            "BOOKING_BASE_URL is not set: links to the app (calendar files, checkouts) "
            "are relative or left out"
        )
    club = Club.start(settings)
    app.extensions["booking"] = club
    atexit.register(club.close)

    envelope.install(app)
    openapi.install(app)
    security.install(app)
    outages.watch_limiter_storage(app, security.limiter)
    _register_blueprints(app, settings)
    install_filter("werkzeug", "gunicorn.access", "gunicorn.error")
    return app


def _register_blueprints(app: APIFlask, settings: WebSettings) -> None:
    from web.api_admin import api_admin
    from web.api_booking import api_booking
    from web.api_courts import api_courts  # also adds its admin routes to api_admin
    from web.api_health import api_health  # also adds /api/admin/health
    from web.api_payments import api_payments
    from web.api_player import api_player
    from web.pages_admin import admin_pages
    from web.pages_portal import portal_pages
    from web.pages_public import public_pages

    # The JSON API needs a bearer token, an invite token in the body, a provider's
    # signature, or (the portal) a SameSite session checked for its origin.
    for blueprint in (api_admin, api_booking, api_player, api_payments, api_courts, api_health):
        security.csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    app.register_blueprint(public_pages)
    app.register_blueprint(portal_pages)
    app.register_blueprint(admin_pages)
    if settings.booking.test_clock or settings.dev_inbox:
        from web.pages_public import dev_pages

        app.register_blueprint(dev_pages)
    if settings.booking.test_clock:
        from web.api_clock import api_clock

        security.csrf.exempt(api_clock)
        app.register_blueprint(api_clock)
