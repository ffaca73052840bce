"""Paid places on the organiser's screens (seed 000): holds and payments beside the dashboard.

The dashboard read model knows who is HELD and their open offer; the payments
read model (``portal_views.payments_of_match``) how each payment attempt went.
Put together here, once, for the admin API and the Match Control Centre: each
held entry's ``hold_until``, each open offer's ``holds`` and
``payment_status``, and each offer log row's ``kind`` and payment outcome —
where the read models already give a field, theirs is kept.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from projections.portal_views import payments_of_match
from web.services import club


def by_offer(payments: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Per offer: its latest payment's status, how many attempts, whether one came late."""
    found: dict[Any, dict[str, Any]] = {}
    for p in sorted(payments, key=lambda p: p["started_at"]):
        seen = found.get(p["offer_id"], {"attempts": 0, "late": False})
        found[p["offer_id"]] = {
            "payment_status": p["status"],
            "attempts": seen["attempts"] + 1,
            "late": seen["late"] or bool(p.get("late")),
        }
    return found


def with_holds(board: dict[str, Any], payments: list[dict[str, Any]]) -> dict[str, Any]:
    """The dashboard with ``hold_until`` on HELD entries, ``holds``/``payment_status`` on offers."""
    paid = by_offer(payments)
    held = {e["player_id"] for e in board["players"] if e["status"] == "HELD"}
    players = [
        {
            **e,
            "hold_until": e.get("hold_until")
            or (e.get("offer_expires_at") if e["status"] == "HELD" else None),
        }
        for e in board["players"]
    ]
    offers = [
        {
            **o,
            "holds": o.get("holds", o["player_id"] in held),
            "payment_status": o.get("payment_status")
            or paid.get(o["offer_id"], {}).get("payment_status"),
        }
        for o in board["open_offers"]
    ]
    return {**board, "players": players, "open_offers": offers}


def with_payments(
    log: list[dict[str, Any]], payments: list[dict[str, Any]], *, paid_match: bool
) -> list[dict[str, Any]]:
    """The offer log with each paid offer's payment outcome (``kind``, status, attempts, late)."""
    paid = by_offer(payments)
    rows = []
    for row in log:
        payment = paid.get(row["offer_id"], {"payment_status": None, "attempts": 0, "late": False})
        kind = row.get("kind") or ("paid" if paid_match or row["offer_id"] in paid else "claim")
        merged = {**row, "kind": kind}
        for key, value in payment.items():
            if merged.get(key) is None:
                merged[key] = value
        rows.append(merged)
    return rows


def match_payments(match_id: UUID, after: int | None = None) -> list[dict[str, Any]]:
    return list(club().read(payments_of_match, match_id, after=after))
