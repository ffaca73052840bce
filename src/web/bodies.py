"""What a request body must be before anything reads it (api.md "Envelope and errors").

Checked first thing, before rate limits, sign-in and apiflask's parsing, so that no
caller — signed in or not — can make a worker hold a huge body or recurse through a
deeply nested one:

- **size**: at most ``MAX_CONTENT_LENGTH`` (``BOOKING_MAX_BODY_BYTES``, 64 KiB): a
  declared length over it is refused unread (413 ``payload_too_large``); a chunked one
  stops at the limit as werkzeug reads it.
- **type**: an API body is ``application/json`` (415 ``unsupported_media_type``); a
  request with no body at all is still welcome where api.md says so.
- **depth**: arrays and objects nested at most ``MAX_DEPTH`` deep, counted over the raw
  bytes without recursion, before the JSON parser (which recurses) sees them (400).

A provider's webhook is read raw and verified by its signature, so only its size is
checked here; the provider chooses its content type (Stripe: ``application/json;
charset=utf-8``).
"""

from __future__ import annotations

import re
from typing import Any, Final, NamedTuple

from flask import Request, current_app, request

MAX_DEPTH: Final = 32
JSON_TYPE: Final = "application/json"
#: Paths whose body is the sender's own, read raw (``api_payments.webhook``).
RAW_BODY_PATHS: Final = frozenset({"/api/payments/webhook"})

# A JSON string, escapes included; its alternatives cannot overlap, so no backtracking.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class Refusal(NamedTuple):
    """Why a body is refused: the envelope's code, its message and the status."""

    code: str
    message: str
    status: int


class BookingRequest(Request):
    """A request whose empty body reads as no JSON at all rather than as broken JSON.

    api.md: a command whose fields are all optional takes a request with no body
    (``curl -X POST`` sends none); apiflask parses ``get_json(force=True)`` and reads
    ``None`` as ``{}``, so the command runs with its defaults.
    """

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not self.get_data(cache=True):
            return None
        return super().get_json(force=force, silent=silent, cache=cache)


def too_large() -> Refusal | None:
    """A declared length over the limit: refused before a byte is read (any path)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    length = request.content_length
    if limit and length is not None and length > limit:
        return Refusal("payload_too_large", too_large_message(limit), 413)
    return None


def too_large_message(limit: int | None = None) -> str:
    limit = limit or current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"The request body is too large (at most {limit // 1024} KiB)."


def api_body_refusal() -> Refusal | None:
    """An API body that is not a JSON text of reasonable depth (``None``: fine)."""
    if request.path in RAW_BODY_PATHS:
        return None
    body = request.get_data(cache=True)  # werkzeug stops at MAX_CONTENT_LENGTH
    if not body:
        return None
    if not request.is_json:
        message = f"Send the body as {JSON_TYPE} (Content-Type: {JSON_TYPE})."
        return Refusal("unsupported_media_type", message, 415)
    if depth(body) > MAX_DEPTH:
        message = f"body: nested too deeply (at most {MAX_DEPTH} levels of arrays and objects)"
        return Refusal("validation_error", message, 400)
    return None


def depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, brackets in strings aside.

    A loop over the brackets, not a parser: it takes any bytes, valid JSON or not, in
    time linear in their length and constant stack.
    """
    deepest = level = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b'""', body)):
        if bracket.group() in (b"[", b"{"):
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest
