"""Court slots over HTTP (api.md "Court slots"; seed 002): members request and follow
their requests in the portal; admins decide, move and check in."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.e2e.api import data, phone, refused
from tests.e2e.conftest import ADMIN
from tests.e2e.courts import CourtClub, ask
from tests.e2e.portal import sign_in

ANA, BEN, CY = 1, 2, 3
NOBODY = "00000000-0000-4000-8000-000000000000"


def members(web: Any, club: CourtClub) -> tuple[FlaskClient, FlaskClient, FlaskClient]:
    club.player("Ana", ANA)
    club.player("Ben", BEN)
    club.player("Cy", CY)
    signed = []
    for n in (ANA, BEN, CY):
        member = web.test_client()
        sign_in(member, phone(n))
        signed.append(member)
    return signed[0], signed[1], signed[2]


def test_rejection_hands_the_slot_to_the_waiting_cart_with_a_qr_code(
    web: Any, client: FlaskClient
) -> None:
    club = CourtClub(client)
    ana, ben, cy = members(web, club)
    slot = club.slot("Court 1")
    first = data(ask(ana, slot), 201)
    assert first["slots"][0]["status"] == "HELD"
    assert first["slots"][0]["cart"]["court"] == "Court 1"
    second = data(ask(ben, slot), 201)
    assert (second["slots"][0]["status"], second["slots"][0]["waitlist_position"]) == (
        "WAITLIST",
        1,
    )
    data(ask(cy, slot), 201)

    (pending,) = data(client.get("/api/admin/approvals", headers=ADMIN))
    assert pending["request_id"] == first["request_id"]
    assert [w["player_name"] for w in pending["waitlist"]] == ["Ben", "Cy"]

    board = data(
        client.post(
            f"/api/admin/matches/{slot}/bookings/{first['player_id']}/reject",
            json={"reason": "Court closed"},
            headers=ADMIN,
        )
    )
    statuses = {p["name"]: p["status"] for p in board["players"]}
    assert statuses == {"Ana": "OUT", "Ben": "HELD", "Cy": "WAITLIST"}

    mine = data(ben.get("/api/player/requests"))
    booking = next(r for r in mine if r["kind"] == "booking")
    waiting = next(r for r in mine if r["kind"] == "waiting")
    assert (booking["status"], waiting["status"]) == ("pending", "converted")
    assert booking["checkin_code"] and booking["qr_url"]
    image = ben.get(booking["qr_url"])
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    assert b"<svg" in image.data
    rejected = next(r for r in data(ana.get("/api/player/requests")) if r["kind"] == "booking")
    assert (rejected["status"], rejected["reason"]) == ("rejected", "Court closed")
    assert rejected["checkin_code"] is None

    # By request id: approving Ben's converted request cancels Cy's cart.
    decided = data(
        client.post(f"/api/admin/requests/{booking['request_id']}/approve", json={}, headers=ADMIN)
    )
    assert decided["slots"] == [slot]
    (cy_cart,) = data(cy.get("/api/player/requests"))
    assert cy_cart["status"] == "cancelled"
    assert cy_cart["reason"] == "Original booking was approved - waitlist cancelled"
    refused(
        client.post(f"/api/admin/requests/{booking['request_id']}/reject", json={}, headers=ADMIN),
        "invalid_transition",
        409,
    )
    rate = data(client.get("/api/admin/analytics/conversion", headers=ADMIN))
    assert (rate["converted"], rate["cancelled"], rate["rate"]) == (1, 1, 0.5)


def test_check_in_once_and_refuse_codes_of_cancelled_bookings(
    web: Any, client: FlaskClient
) -> None:
    club = CourtClub(client)
    ana, ben, _ = members(web, club)
    one, two = club.slot("Court 1"), club.slot("Court 2")
    ana_request = data(ask(ana, one), 201)
    data(ask(ben, two), 201)
    code = next(r for r in data(ana.get("/api/player/requests")))["checkin_code"]
    ben_code = next(r for r in data(ben.get("/api/player/requests")))["checkin_code"]
    early = refused(
        client.post("/api/admin/checkin", json={"code": code}, headers=ADMIN),
        "invalid_transition",
        409,
    )
    assert "isn't confirmed" in early["error"]
    data(
        client.post(
            f"/api/admin/requests/{ana_request['request_id']}/approve", json={}, headers=ADMIN
        )
    )
    first = data(client.post("/api/admin/checkin", json={"code": code}, headers=ADMIN))
    assert (first["player"], first["match"]) == ("Ana", "Court 1 · tennis")
    again = refused(
        client.post("/api/admin/checkin", json={"code": code}, headers=ADMIN),
        "invalid_transition",
        409,
    )
    assert "Already checked in" in again["error"]
    assert again["data"]["checked_in_at"] == first["checked_in_at"]
    data(ben.post(f"/api/player/requests/{two}/withdraw", json={}))
    gone = refused(
        client.post("/api/admin/checkin", json={"code": ben_code}, headers=ADMIN),
        "invalid_transition",
        409,
    )
    assert "cancelled" in gone["error"]
    refused(
        client.post("/api/admin/checkin", json={"code": code[:-3] + "abc"}, headers=ADMIN),
        "validation_error",
        400,
    )
    assert ana.get(f"/api/bookings/{first['booking_id']}/qr.svg?code=CK1.nope").status_code == 404


def test_bulk_decisions_report_each_request(web: Any, client: FlaskClient) -> None:
    club = CourtClub(client)
    ana, ben, _ = members(web, club)
    one, two = club.slot("Court 1"), club.slot("Court 2")
    a = data(ask(ana, one), 201)["request_id"]
    b = data(ask(ben, two), 201)["request_id"]
    results = data(
        client.post(
            "/api/admin/approvals/bulk",
            json={
                "decision": "approve",
                "request_ids": [a, b, "00000000-0000-4000-8000-000000000000"],
            },
            headers=ADMIN,
        )
    )
    assert [(r["ok"], r.get("code")) for r in results] == [
        (True, None),
        (True, None),
        (False, "not_found"),
    ]
    assert data(client.get("/api/admin/approvals", headers=ADMIN)) == []


def test_a_multi_slot_request_and_a_move_with_carts_following(
    web: Any, client: FlaskClient
) -> None:
    club = CourtClub(client)
    ana, ben, _ = members(web, club)
    ten, eleven = club.slot("Court 1", hours_from_now=48), club.slot("Court 1", hours_from_now=49)
    spare = club.slot("Court 2", hours_from_now=48)
    both = data(ask(ana, ten, eleven), 201)
    assert [p["status"] for p in both["slots"]] == ["HELD", "HELD"]
    data(ask(ben, ten), 201)
    board = data(
        client.post(
            f"/api/admin/matches/{ten}/bookings/{both['player_id']}/move",
            json={"to_match_id": spare},
            headers=ADMIN,
        )
    )
    statuses = {p["name"]: p["status"] for p in board["players"] if p["status"] != "PENDING"}
    assert statuses == {"Ana": "HELD", "Ben": "WAITLIST"}
    day = both["slots"][0]["cart"]["date"]
    grid = data(client.get(f"/api/admin/slots?date={day}", headers=ADMIN))
    cells = {(row["start"], c["court"]): c for row in grid["rows"] for c in row["cells"]}
    start = both["slots"][0]["cart"]["start"]
    assert cells[(start, "Court 1")]["state"] == "free"
    assert (cells[(start, "Court 2")]["state"], cells[(start, "Court 2")]["waitlist"]) == (
        "pending",
        1,
    )
    assert cells[(start, "Court 2")]["names"] == ["Ana"]
    member_grid = data(ana.get(f"/api/slots?date={day}"))
    yours = {
        (row["start"], c["court"]): c.get("yours")
        for row in member_grid["rows"]
        for c in row["cells"]
    }
    assert yours[(start, "Court 2")] == "pending"  # Ana's own, moved there
    assert yours[(start, "Court 1")] is None
    ben_grid = data(ben.get(f"/api/slots?date={day}"))
    ben_cells = {(row["start"], c["court"]): c for row in ben_grid["rows"] for c in row["cells"]}
    assert ben_cells[(start, "Court 2")]["yours"] == "waiting #1"
    assert all(c.get("names") in (None, []) for row in member_grid["rows"] for c in row["cells"])


def test_bad_input_is_refused_and_changes_nothing(web: Any, client: FlaskClient) -> None:
    club = CourtClub(client)
    ana, _, _ = members(web, club)
    slot = club.slot()
    refused(ana.post("/api/player/requests", json={"slots": []}), "validation_error", 400)
    refused(
        ana.post("/api/player/requests", json={"slots": [{"match_id": "x"}]}),
        "validation_error",
        400,
    )
    refused(
        ask(ana, "00000000-0000-4000-8000-000000000000"),
        "not_found",
        404,
    )
    stale = ana.post(
        "/api/player/requests",
        json={"slots": [{"match_id": slot, "cart": {"price_minor": 1}}]},
    )
    assert "cart.price_minor" in refused(stale, "validation_error", 400)["error"]
    game = club.match(capacity=4)
    refused(ask(ana, game), "invalid_transition", 409)
    assert data(ana.get("/api/player/requests")) == []
    refused(web.test_client().get("/api/player/requests"), "unauthorized", 401)
    refused(client.get("/api/admin/approvals"), "unauthorized", 401)
