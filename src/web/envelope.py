"""The API's envelope (api.md "Envelope and errors").

Success: ``{"success": true, "data": ...}``; failure: ``{"success": false,
"error": <message>, "code": <code>}`` (plus ``data`` where the client needs it
to recover) with the matching HTTP status. Never a stack trace, never an HTML
page under ``/api``. A command's answer carries the event position it wrote in
the ``X-Event-Position`` header; read endpoints take it back as ``?after=``.

Bodies are checked before anything else reads them (``web.bodies``); a store
that cannot be reached answers ``503 unavailable`` with ``Retry-After``
(``web.outages``), as does a payment provider that cannot be.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import Response, current_app, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from pydantic import BaseModel, ConfigDict
from werkzeug.exceptions import HTTPException

from booking_domain.errors import BookingError
from payments import PaymentsNotConfigured, ProviderError
from web import bodies, outages
from web.services import NotYetVisible

_log = logging.getLogger(__name__)

#: HTTP status by machine code; every other refusal is a 409 conflict.
STATUS = {
    "validation_error": 400,
    "invalid_phone": 400,
    "invalid_signature": 400,
    "name_too_long": 400,
    "unauthorized": 401,
    "invalid_token": 403,
    "not_registered": 403,
    "ringer_blocked": 403,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "internal_error": 500,
    "unavailable": 503,
    "payment_unavailable": 503,
}

#: The codes of plain HTTP errors (not from the domain).
_HTTP_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}

POSITION_HEADER = "X-Event-Position"


class Success(BaseModel):
    """What every success is wrapped in (``data`` is filled per endpoint).

    A command whose read models could not show its write in time adds a
    ``warning`` (a string) beside ``data``; nothing else is ever added.
    """

    model_config = ConfigDict(extra="allow")

    success: Literal[True] = True
    data: Any


#: The JSON schema of every failure.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {"type": "string"},
        "code": {"type": "string"},
        "data": {"type": "object"},
    },
    "required": ["success", "error", "code"],
}


def ok(data: Any, position: int | None = None) -> dict[str, Any]:
    """The body of a success; views return it (with a status, if not 200)."""
    if position is not None:
        request.environ["booking.position"] = position
    body: dict[str, Any] = {"success": True, "data": data}
    # A read that could not wait for its position says so (``services.Club.reading``).
    if warning := request.environ.get("booking.warning"):
        body["warning"] = warning
    return body


def failure(code: str, message: str, status: int | None = None, **data: Any) -> Response:
    body: dict[str, Any] = {"success": False, "error": message, "code": code}
    if data:
        body["data"] = data
    response = jsonify(body)
    response.status_code = status or STATUS.get(code, 409)
    return response


def install(app: APIFlask) -> None:
    """Register the error handlers and the position header."""

    outage_log = outages.OutageLog()

    @app.errorhandler(NotYetVisible)
    def written_not_shown(error: NotYetVisible) -> Response:
        """The write is done (its position), the read models have not caught up."""
        body = {"success": True, "data": {"position": error.position}, "warning": error.warning}
        response = jsonify(body)
        response.status_code = 202
        response.headers[POSITION_HEADER] = str(error.position)
        return response

    @app.errorhandler(BookingError)
    def refused(error: BookingError) -> Response:
        response = failure(error.code, error.message, **_jsonable(error.data))
        if response.status_code == 503:  # the store was busy or away (StoreBusy)
            response.headers["Retry-After"] = str(outages.RETRY_AFTER)
        return response

    @app.errorhandler(ProviderError)
    def provider_refused(error: ProviderError) -> Any:
        # The adapters' messages are safe to show (no keys); Stripe away is passing,
        # no provider configured is not, so only the first asks to retry.
        response = _unavailable("payment_unavailable", str(error))
        if isinstance(error, PaymentsNotConfigured):
            del response.headers["Retry-After"]
        return response

    @app.errorhandler(RateLimitExceeded)
    def too_many(error: RateLimitExceeded) -> Any:
        message = "Too many requests — please wait a moment."
        if _wants_json():
            response = failure("rate_limited", message)
        else:
            response = app.make_response(_page(429, message))
        response.headers["Retry-After"] = str(_retry_after(error))
        return response

    @app.errorhandler(CSRFError)
    def stale_form(error: CSRFError) -> Any:
        message = "This form has expired — reload the page and try again."
        if _wants_json():
            return failure("validation_error", message, 400)
        return _page(400, message)

    @app.error_processor
    def http_error(error: HTTPError) -> Any:
        code = _HTTP_CODES.get(error.status_code, "validation_error")
        if error.status_code >= 500:
            code = "internal_error"
        message = _message(error)
        if not _wants_json():
            return _page(error.status_code, message)
        response = failure(code, message, error.status_code)
        response.headers.extend(error.headers or {})
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return error
        cause = outages.unreachable(error)
        if cause is not None:
            outage_log.refused(cause)
            return _unavailable("unavailable", outages.MESSAGE)
        _log.exception("unhandled error on %s %s", request.method, request.path)
        message = "Something went wrong on our side — please try again."
        if not _wants_json():
            return _page(500, message)
        return failure("internal_error", message, 500)

    @app.before_request
    def bodies_are_objects() -> Any:
        """Size, type and depth first (``web.bodies``); then a JSON body is an object:
        ``null`` or a list is not an empty one. Registered before every other hook."""
        refusal = bodies.too_large()
        if refusal is None and request.path.startswith("/api/"):
            refusal = bodies.api_body_refusal()
        if refusal is not None:
            if not _wants_json():
                return _page(refusal.status, refusal.message)
            return failure(refusal.code, refusal.message, refusal.status)
        wanted = request.path.startswith("/api/") and request.path not in bodies.RAW_BODY_PATHS
        # A malformed body raises here: a 400 of its own ("not valid JSON").
        if wanted and request.data and not isinstance(request.get_json(), dict):
            return failure("validation_error", "body: must be a JSON object", 400)
        return None

    @app.after_request
    def position_header(response: Response) -> Response:
        position = request.environ.get("booking.position")
        if position is not None:
            response.headers[POSITION_HEADER] = str(position)
        return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json


def _unavailable(code: str, message: str) -> Any:
    """503 with ``Retry-After``, in the envelope or as a page."""
    if _wants_json():
        response = failure(code, message, 503)
    else:
        response = current_app.make_response(_page(503, message))
    response.headers["Retry-After"] = str(outages.RETRY_AFTER)
    return response


def _page(status: int, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, message=message), status


def _message(error: HTTPError) -> str:
    detail = error.detail
    if isinstance(detail, dict) and detail:
        # apiflask: {"json": {"capacity": ["Input should be a valid integer"]}}
        for fields in detail.values():
            if isinstance(fields, dict):
                for field, problems in fields.items():
                    problem = problems[0] if isinstance(problems, list) and problems else problems
                    name = "body" if field in ("", "_schema") else field
                    return f"{name}: {problem}"
    if error.status_code == 400:
        return "The request body is not valid JSON." if _wants_json() else "Bad request."
    if error.status_code == 404:
        return "Not found."
    if error.status_code == 401:
        return "Sign in as an admin to do that."
    if error.status_code == 413:
        return bodies.too_large_message()
    return str(error.message)


def _retry_after(error: RateLimitExceeded) -> int:
    """Seconds until the limit that was hit resets (Flask-Limiter knows)."""
    limit = error.limit
    try:
        window = limit.limit.get_expiry()
    except AttributeError:
        return 60
    return max(1, int(window))


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out
