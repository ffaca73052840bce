"""The payment provider's side (api.md "Payments without a provider account"): the
signed webhook, the sandbox's buttons, and the admin's promotions and payments.

A bad signature is refused and changes nothing; the same event delivered five
times confirms once; an event we do not act on is answered 200. With Stripe
configured the sandbox is gone (404) — no call leaves the test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from flask.testing import FlaskClient

from payments.sandbox import sign
from tests.e2e.api import data, phone, refused
from tests.e2e.conftest import ADMIN, web_config
from tests.e2e.portal import PARENT, PaidClub, sign_in
from web import create_app

SIGNATURE = "Stripe-Signature"


@pytest.fixture
def club(client: FlaskClient) -> PaidClub:
    return PaidClub(client).set_up()


def started_payment(club: PaidClub) -> str:
    """Sam's place held, the parent pressed Pay Now: the payment's id."""
    club.free_a_place()
    sign_in(club.client, phone(PARENT))
    (offer,) = data(club.client.get("/api/player/offers"))
    url = data(club.client.post(f"/api/player/offers/{offer['offer_id']}/accept"))["payment_url"]
    return str(url.rsplit("/", 1)[1])


def signed(web: Any, payment_id: str, outcome: str = "paid") -> tuple[bytes, dict[str, str]]:
    """The webhook the sandbox provider would send (signed as Stripe signs)."""
    service = web.extensions["booking"].payments
    return service.provider.signed_webhook(
        UUID(payment_id),
        f"sbx_{UUID(payment_id).hex}",
        outcome,
        750,
        "GBP",
        now=service.app.clock.now(),
    )


def post_webhook(client: FlaskClient, body: bytes, headers: dict[str, str]) -> Any:
    return client.post("/api/payments/webhook", data=body, headers=headers)


def match_events(club: PaidClub, kind: str) -> int:
    answer = club.client.get(f"/api/admin/matches/{club.match_id}/events", headers=ADMIN)
    return sum(e["type"].endswith(kind) for e in data(answer))


# ------------------------------------------------------------------ webhook


def test_the_same_webhook_five_times_confirms_once(club: PaidClub, web: Any) -> None:
    payment_id = started_payment(club)
    body, headers = signed(web, payment_id)
    for _ in range(5):
        answer = post_webhook(club.client, body, headers)
        assert data(answer) == {"payment_id": payment_id, "status": "confirmed"}
    assert club.status(club.sam) == "IN"
    assert match_events(club, "HoldConfirmed") == 1
    payment = web.extensions["booking"].app.get_payment(UUID(payment_id))
    assert len(payment.seen_events) == 1
    ledger = data(
        club.client.get(f"/api/admin/notifications?match_id={club.match_id}", headers=ADMIN)
    )
    assert sum(n["kind"] == "booking_confirmed" and n["player_id"] == club.sam for n in ledger) <= 1


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, headers: (body.replace(b'"amount_minor":750', b'"amount_minor":1'), headers),
        lambda body, headers: (body, {**headers, SIGNATURE: "t=1,v1=" + "0" * 64}),
        lambda body, headers: (body, {k: v for k, v in headers.items() if k != SIGNATURE}),
        lambda body, headers: (b"not json at all", headers),
    ],
    ids=["body-changed", "wrong-signature", "no-signature", "garbage"],
)
def test_a_bad_signature_is_refused_and_changes_nothing(
    club: PaidClub, web: Any, tamper: Any
) -> None:
    payment_id = started_payment(club)
    before = data(club.client.get(f"/api/admin/matches/{club.match_id}/events", headers=ADMIN))
    body, headers = tamper(*signed(web, payment_id))
    answer = post_webhook(club.client, body, headers)
    assert answer.status_code == 400
    assert answer.get_json()["code"] in ("invalid_signature", "validation_error")
    assert club.status(club.sam) == "HELD"
    after = data(club.client.get(f"/api/admin/matches/{club.match_id}/events", headers=ADMIN))
    assert after == before
    assert str(web.extensions["booking"].app.get_payment(UUID(payment_id)).status) == "pending"


def test_a_stale_signature_is_refused(club: PaidClub, web: Any) -> None:
    payment_id = started_payment(club)
    body, headers = signed(web, payment_id)
    club.advance(6 * 60)  # beyond the five minutes' tolerance, as Stripe's
    refused(post_webhook(club.client, body, headers), "invalid_signature", 400)
    assert club.status(club.sam) == "HELD"


def test_an_event_we_do_not_act_on_is_answered_200(club: PaidClub, web: Any) -> None:
    payment_id = started_payment(club)
    body, _ = signed(web, payment_id)
    event = {**json.loads(body), "type": "sandbox.payment.disputed"}
    raw = json.dumps(event).encode()
    service = web.extensions["booking"].payments
    # Signed with the sandbox's own key: well signed, but not an event we act on.
    header = sign(service.provider._secret, raw, int(service.app.clock.now().timestamp()))
    answer = post_webhook(club.client, raw, {SIGNATURE: header, "Content-Type": "application/json"})
    assert data(answer) == {"payment_id": None, "status": "ignored"}
    assert club.status(club.sam) == "HELD"


# ------------------------------------------------------------------ sandbox


def test_the_sandbox_buttons(club: PaidClub) -> None:
    payment_id = started_payment(club)
    path = f"/api/payments/sandbox/{payment_id}"
    refused(club.client.post(path, json={"outcome": "refunded"}), "validation_error", 400)
    refused(club.client.post(path, json={}), "validation_error", 400)
    assert data(club.client.post(path, json={"outcome": "abandoned"}))["status"] == "abandoned"
    assert club.status(club.sam) == "HELD"
    refused(
        club.client.post(f"/api/payments/sandbox/{uuid4()}", json={"outcome": "paid"}),
        "not_found",
        404,
    )


def test_with_stripe_configured_the_sandbox_is_gone(tmp_path: Path) -> None:
    app = create_app(
        web_config(
            tmp_path,
            STRIPE_SECRET_KEY="sk_test_dummy_not_used",
            STRIPE_WEBHOOK_SECRET="whsec_dummy_not_used",
            BOOKING_BASE_URL="https://club.example",
        )
    )
    try:
        client = app.test_client()
        answer = client.post(f"/api/payments/sandbox/{uuid4()}", json={"outcome": "paid"})
        refused(answer, "not_found", 404)
        assert client.get(f"/pay/sandbox/{uuid4()}").status_code == 404
        body = b'{"id": "evt_1", "type": "checkout.session.completed"}'
        refused(post_webhook(client, body, {SIGNATURE: "t=1,v1=00"}), "invalid_signature", 400)
    finally:
        app.extensions["booking"].close()


def test_stripe_without_a_base_url_is_refused_at_start(tmp_path: Path) -> None:
    config = web_config(
        tmp_path, STRIPE_SECRET_KEY="sk_test_dummy", STRIPE_WEBHOOK_SECRET="whsec_dummy"
    )
    with pytest.raises(ValueError, match="BOOKING_BASE_URL"):
        create_app(config)


# -------------------------------------------------------------------- admin


def test_the_admin_promotes_a_waiting_player(client: FlaskClient) -> None:
    club = PaidClub(client).set_up(auto_promote=False)
    club.free_a_place()
    assert club.status(club.sam) == "WAITLIST"  # nobody offered: auto-promote is off
    offer = data(club.promote(club.ben))
    assert offer["player_id"] == club.ben
    assert club.status(club.ben) == "HELD"
    board = club.board(club.match_id)
    assert board["open_offers"][0]["offer_id"] == offer["offer_id"]
    assert board["open_offers"][0]["expires_at"] == offer["expires_at"]
    refused(club.promote(club.ben), "invalid_transition", 409)  # already held
    refused(club.promote(club.sam), "invalid_transition", 409)  # no place free
    refused(club.promote(club.ana), "not_found", 404)  # not waiting
    answer = client.post(f"/api/admin/matches/{club.match_id}/waitlist/{club.sam}/promote")
    refused(answer, "unauthorized", 401)


def test_promotion_is_for_paid_matches(client: FlaskClient) -> None:
    club = PaidClub(client)
    ana = club.player("Ana", 5)
    match_id = club.match(capacity=1)
    token = club.enable(match_id)
    data(club.respond(match_id, token, 5, "IN"))
    answer = client.post(f"/api/admin/matches/{match_id}/waitlist/{ana}/promote", headers=ADMIN)
    refused(answer, "invalid_transition", 409)


def test_the_admin_sets_a_players_guardians(client: FlaskClient) -> None:
    club = PaidClub(client)
    sam = club.player("Sam", 3)
    path = f"/api/admin/players/{sam}"
    answer = client.patch(path, json={"guardian_phones": ["020 7946 0009"]}, headers=ADMIN)
    assert data(answer)["guardian_phones"] == [phone(PARENT)]
    refused(
        client.patch(path, json={"guardian_phones": ["nope"]}, headers=ADMIN), "invalid_phone", 400
    )
    refused(
        client.patch(path, json={"guardian_phones": "x"}, headers=ADMIN), "validation_error", 400
    )
    assert sign_in(client, phone(PARENT)) == [
        {"player_id": sam, "name": "Sam", "relation": "guardian"}
    ]


def test_the_payments_of_a_match(club: PaidClub) -> None:
    path = f"/api/admin/matches/{club.match_id}/payments"
    assert data(club.client.get(path, headers=ADMIN)) == []
    payment_id = started_payment(club)
    (row,) = data(club.client.get(path, headers=ADMIN))
    assert (row["payment_id"], row["player_id"], row["status"]) == (payment_id, club.sam, "pending")
    refused(club.client.get(path), "unauthorized", 401)
    refused(
        club.client.get(f"/api/admin/matches/{uuid4()}/payments", headers=ADMIN), "not_found", 404
    )


def test_the_match_shows_its_holds_and_the_offer_log_its_payments(club: PaidClub) -> None:
    payment_id = started_payment(club)
    board = club.board(club.match_id)
    (offer,) = board["open_offers"]
    (sam,) = [p for p in board["players"] if p["player_id"] == club.sam]
    assert (sam["status"], sam["hold_until"]) == ("HELD", offer["expires_at"])
    assert (board["held"], offer["holds"], offer["payment_status"]) == (1, True, "pending")
    path = f"/api/admin/matches/{club.match_id}/offers"
    (row,) = data(club.client.get(path, headers=ADMIN))
    assert (row["kind"], row["outcome"], row["payment_status"], row["attempts"]) == (
        "paid",
        "open",
        "pending",
        1,
    )
    data(club.client.post(f"/api/payments/sandbox/{payment_id}", json={"outcome": "paid"}))
    (row,) = data(club.client.get(path, headers=ADMIN))
    assert (row["outcome"], row["payment_status"], row["late"]) == ("accepted", "confirmed", False)
    assert club.board(club.match_id)["open_offers"] == []
