"""Who the sandbox checkout works for, and where it runs at all (report item 5; api.md
"Payments without a provider account").

The sandbox acts only for the signed-in payer or their guardian: a payment's id is
derivable (``uuid5(offer_id, "payment:1")``), so knowing it is not enough. On a
shared store (``DATABASE_URL``) without the test clock it is not the provider unless
``BOOKING_PAYMENTS=sandbox`` says so; without a provider, Pay Now on a priced offer
is refused in words the payer can act on, and start-up warns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from booking_domain.payment import Payment
from tests.e2e.api import data, phone, refused
from tests.e2e.conftest import web_config
from tests.e2e.portal import BEN, CODE, PARENT, SAM, PaidClub, sign_in
from tests.support import pg_schema, pg_url
from web import create_app


@pytest.fixture
def club(client: FlaskClient) -> PaidClub:
    return PaidClub(client).set_up()


def _payment_of_sam(club: PaidClub) -> str:
    """Sam's place held; the parent pressed Pay Now (in a client of their own)."""
    club.free_a_place()
    parent = club.client.application.test_client()
    sign_in(parent, phone(PARENT))
    (offer,) = data(parent.get("/api/player/offers"))
    url = data(parent.post(f"/api/player/offers/{offer['offer_id']}/accept"))["payment_url"]
    return str(url.rsplit("/", 1)[1])


def test_a_stranger_cannot_pay_with_the_sandbox(club: PaidClub) -> None:
    payment_id = _payment_of_sam(club)
    path = f"/api/payments/sandbox/{payment_id}"
    stranger = club.client.application.test_client()
    refused(stranger.post(path, json={"outcome": "paid"}), "unauthorized", 401)
    page = stranger.get(f"/pay/sandbox/{payment_id}")
    assert page.status_code == 302 and page.headers["Location"].endswith("/portal/login")
    # Ben is signed in, but the payment is Sam's: refused, and the page shows nothing.
    sign_in(stranger, phone(BEN))
    refused(stranger.post(path, json={"outcome": "paid"}), "forbidden", 403)
    assert stranger.get(f"/pay/sandbox/{payment_id}").status_code == 404
    assert club.status(club.sam) == "HELD"


def test_the_payer_and_their_guardian_can(club: PaidClub) -> None:
    payment_id = _payment_of_sam(club)
    path = f"/api/payments/sandbox/{payment_id}"
    sam = club.client.application.test_client()
    sign_in(sam, phone(SAM))
    assert sam.get(f"/pay/sandbox/{payment_id}").status_code == 200
    assert data(sam.post(path, json={"outcome": "abandoned"}))["status"] == "abandoned"
    from_another_site = sam.post(
        path, json={"outcome": "paid"}, headers={"Origin": "https://evil.example"}
    )
    refused(from_another_site, "forbidden", 403)
    assert club.status(club.sam) == "HELD"


# ------------------------------------------------------- on a shared store


class WallClockClub(PaidClub):
    """A paid club on an app without the test clock (production's own settings)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def _sign_in(app: Any, client: FlaskClient, number: str) -> None:
    """Sign in by code, the code read from the dev inbox (no test clock to ask)."""
    assert client.post("/api/player/login", json={"phone": number}).status_code == 202
    outbox = app.extensions["booking"].outbox
    (message,) = [m for m in outbox.inbox(number) if m.kind == "login_code"][-1:]
    found = CODE.fullmatch(message.text)
    assert found, message.text
    data(client.post("/api/player/login/verify", json={"phone": number, "code": found.group(1)}))


def _held_offer(app: Any) -> tuple[WallClockClub, FlaskClient, str]:
    club = WallClockClub(app.test_client()).set_up()
    club.free_a_place()
    parent = app.test_client()
    _sign_in(app, parent, phone(PARENT))
    for _ in range(50):  # the read models follow in a thread of their own here
        offers = data(parent.get("/api/player/offers"))
        if offers:
            return club, parent, str(offers[0]["offer_id"])
        time.sleep(0.1)
    raise AssertionError("no offer for Sam")


@pytest.fixture
def shared_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[Any]:
    """``shared_store(**settings)``: the app on PostgreSQL without the test clock."""
    monkeypatch.delenv("BOOKING_TEST_CLOCK", raising=False)
    monkeypatch.delenv("BOOKING_PAYMENTS", raising=False)
    made: list[Any] = []
    with pg_schema() as schema:

        def make(**extra: Any) -> Any:
            config = web_config(tmp_path, DATABASE_URL=pg_url(schema), **extra)
            del config["BOOKING_TEST_CLOCK"]
            with caplog.at_level(logging.INFO, logger="booking"):
                app = create_app(config)
            made.append(app)
            return app

        yield make
        for app in made:
            app.extensions["booking"].close()


@pytest.mark.pg
def test_on_a_shared_store_the_sandbox_is_off_by_default(
    shared_store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = shared_store()
    club, parent, offer_id = _held_offer(app)
    answer = parent.post(f"/api/player/offers/{offer_id}/accept")
    body = refused(answer, "payment_unavailable", 503)
    assert "isn't set up" in body["error"] and "Retry-After" not in answer.headers
    # The id the report derived is no door: no sandbox to send it to.
    payment_id = Payment.id_for(UUID(offer_id), 1)
    stranger = app.test_client()
    answer = stranger.post(f"/api/payments/sandbox/{payment_id}", json={"outcome": "paid"})
    refused(answer, "not_found", 404)
    answer = parent.post(f"/api/payments/sandbox/{payment_id}", json={"outcome": "paid"})
    refused(answer, "not_found", 404)
    assert parent.get(f"/pay/sandbox/{payment_id}").status_code == 404
    assert club.status(club.sam) == "HELD"
    assert "payments: no provider" in caplog.text  # said at start-up
    # Refused before anything began: no payment was started that nothing could finish.
    store = app.extensions["booking"].app
    topics = [n.topic for n in store.recorder.select_notifications(start=1, limit=10_000)]
    assert not any("Payment" in t.rsplit(":", 1)[-1].split(".")[0] for t in topics), topics


@pytest.mark.pg
def test_booking_payments_sandbox_turns_it_on_for_the_payer_only(
    shared_store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = shared_store(BOOKING_PAYMENTS="sandbox", BOOKING_BASE_URL="https://club.example")
    _, parent, offer_id = _held_offer(app)
    url = data(parent.post(f"/api/player/offers/{offer_id}/accept"))["payment_url"]
    assert url.startswith("https://club.example/pay/sandbox/")
    path = f"/api/payments/sandbox/{url.rsplit('/', 1)[1]}"
    refused(app.test_client().post(path, json={"outcome": "paid"}), "unauthorized", 401)
    assert data(parent.post(path, json={"outcome": "paid"}))["status"] == "confirmed"
    assert "payments: the sandbox on a shared store" in caplog.text
