"""What the payment provider calls, and the sandbox's buttons (api.md "Payments without
a provider account").

The webhook reads the raw body: its signature is over those exact bytes. A bad
signature is refused (400) and changes nothing; an event we do not act on is
answered 200 so the provider stops retrying; the same event twice is applied
once (``BookingApp.settle_payment`` remembers provider event ids). The sandbox
endpoint sends the very webhook a provider would, through the same code path;
it exists only while the sandbox is the provider, and acts only for the
signed-in payer or their guardian (``web.sandbox_payer``), from our own pages.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from apiflask import APIBlueprint
from flask import request

from payments import InvalidSignature
from processes.payment_service import WebhookResult
from web import sandbox_payer
from web import schemas_portal as s
from web.envelope import failure, ok
from web.security import PER_CLIENT, limiter, same_origin_only
from web.services import club

api_payments = APIBlueprint("api_payments", __name__, url_prefix="/api/payments", tag="Payments")
BAD_SIGNATURE = "The webhook's signature is missing or not valid."


def _answer(result: WebhookResult) -> dict[str, Any]:
    return ok({"payment_id": result.payment_id, "status": result.status}, result.position)


@api_payments.post("/webhook")
@api_payments.output(s.WebhookOut)
@api_payments.doc(responses={400: "Bad or missing signature", 409: "Try again later"})
def webhook() -> Any:
    """A provider event, signed (``Stripe-Signature``): confirms or fails a payment."""
    try:
        result = club().payments.handle_webhook(request.get_data(), dict(request.headers.items()))
    except InvalidSignature:
        return failure("invalid_signature", BAD_SIGNATURE, 400)
    return _answer(result)


@api_payments.post("/sandbox/<uuid:payment_id>")
@limiter.limit(PER_CLIENT)
@api_payments.input(s.SandboxIn, arg_name="body")
@api_payments.output(s.WebhookOut)
@api_payments.doc(responses=[400, 401, 403, 404, 409, 429])
def sandbox(payment_id: UUID, body: s.SandboxIn) -> Any:
    """The sandbox checkout's buttons: paid, failed or abandoned, for the signed-in payer
    or their guardian (404 when the sandbox is not the provider)."""
    # The portal's cookie signs this in, so the portal's lock against other sites too.
    stranger = same_origin_only()
    if stranger is not None:
        return stranger
    sandbox_payer.check(payment_id)
    return _answer(club().payments.sandbox_outcome(payment_id, body.outcome))
