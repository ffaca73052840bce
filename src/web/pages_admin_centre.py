"""What the Match Control Centre shows, gathered from the read models (seed 004 §6).

Top row, player lists by response, dropouts in grace, open offers, the offer
log, the activity feed and the quick-share messages: read, grouped and named
here so the template only lays them out. A paid match (seed 000) adds its
held places with their countdowns and payment state, and its payments.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from booking_domain.identity import PhoneNumber
from projections.activity import activity_of
from projections.match_views import match_dashboard
from projections.offer_log import offers_of
from projections.public_views import player_list
from web.pages_admin_share import share_messages
from web.paid_views import match_payments, with_holds, with_payments
from web.services import club

#: The player lists, in the order the seed names them (§6 "Player lists").
LISTS = (
    ("IN", "In"),
    ("OUT", "Out"),
    ("WAITLIST", "Waitlist"),
    ("PENDING", "Pending"),
    ("HELD", "Held"),
    ("MAYBE", "Maybe"),
)

#: Which lifecycle step each state offers (seed 004 §1: Draft → PoolLocked →
#: TeamsBalanced → Completed, Cancelled before Completed). Only the buttons
#: shown depend on this; the match itself refuses any other move.
NEXT_STEP = {"Draft": "lock", "PoolLocked": "balance", "TeamsBalanced": "complete"}
CANCELLABLE = ("Draft", "PoolLocked", "TeamsBalanced")

#: A payment's status as a treasurer reads it.
PAYMENT_STATES = {
    None: "Not started",
    "pending": "Paying…",
    "failed": "Failed",
    "abandoned": "Cancelled",
    "confirmed": "Paid",
    "refund_due": "Refund due",
    "refunded": "Refunded",
}

#: The offer log's outcomes as the seed names them (§6 "Offer log").
OUTCOMES = {
    "open": "Open",
    "claimed": "Claimed",
    "expired": "Expired",
    "superseded": "Superseded",
    "declined": "Declined",
    "accepted": "Accepted",
}


def centre(match_id: UUID, *, after: int | None, link: str | None) -> dict[str, Any] | None:
    """Everything the centre page shows, or None if there is no such match."""
    service = club()
    board = service.read(match_dashboard, match_id, after=after)
    if board is None:
        return None
    payments = match_payments(match_id)
    board = with_holds(board, payments)
    paid = board["offer_mode"] == "payment_window"
    roll = service.read(player_list)
    names = {p["player_id"]: p["name"] for p in roll}
    entries = board["players"]
    return {
        "board": board,
        "paid": paid,
        "court_slot": board["offer_mode"] == "approval",
        "holds": _holds(entries, {o["player_id"]: o for o in board["open_offers"]}),
        "payments": [
            {**p, "name": p.get("player_name") or names.get(p["player_id"], "?")} for p in payments
        ],
        "lists": [(key, label, [e for e in entries if e["status"] == key]) for key, label in LISTS],
        "in_grace": [e for e in entries if e["grace_until"] is not None],
        "open_offers": [
            {**o, "name": names.get(o["player_id"], "?")} for o in board["open_offers"]
        ],
        "offer_log": [
            {
                **o,
                "name": names.get(o["player_id"], "?"),
                "outcome_label": OUTCOMES[o["outcome"]],
                "payment_label": PAYMENT_STATES.get(o["payment_status"], o["payment_status"]),
            }
            for o in with_payments(service.read(offers_of, match_id), payments, paid_match=paid)
        ],
        "payment_states": PAYMENT_STATES,
        "activity": service.read(activity_of, match_id),
        "addable": _addable(roll, entries),
        "next_step": NEXT_STEP.get(board["state"]),
        "cancellable": board["state"] in CANCELLABLE,
        "editable": board["state"] in CANCELLABLE,
        "shares": share_messages(board, link),
        "link": link,
    }


def _holds(
    entries: list[dict[str, Any]], offers: dict[Any, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Held places: whose, until when, and how their payment stands."""
    held = []
    for e in entries:
        if e["status"] != "HELD":
            continue
        offer = offers.get(e["player_id"], {})
        until = e["hold_until"] or offer.get("expires_at")
        status = offer.get("payment_status")
        held.append({**e, "hold_until": until, "payment_label": PAYMENT_STATES.get(status, status)})
    return held


def _addable(roll: list[dict[str, Any]], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Players the admin may add by hand: everyone without a place already."""
    placed = {e["player_id"] for e in entries if e["status"] in ("IN", "HELD")}
    return [p for p in roll if p["player_id"] not in placed]


def ledger(match_id: UUID | None = None, player_id: UUID | None = None) -> list[dict[str, Any]]:
    """The notification ledger of one match (or one player's history), with each
    recipient's name and every try at a channel."""
    service = club()
    names = {p["player_id"]: p["name"] for p in service.read(player_list)}
    entries = service.outbox.ledger(match_id=match_id, player_id=player_id)
    tries = service.outbox.attempts_of([e.notice_id for e in entries])
    return [
        {**vars(e), "name": names.get(e.player_id, "?"), "tries": tries[e.notice_id]}
        for e in entries
    ]


def masked(phone: str) -> str:
    """A phone number as lists show it (``+44•••••••789``): the full one only when editing."""
    return PhoneNumber(phone).masked()
