"""The offer log read model: every offer, its batch, and how it ended (seed 004 §6).

Outcomes: ``open`` until the offer ends, then ``claimed``, ``expired``,
``superseded`` (the place went to someone else, the match filled, booking
closed …; ``reason`` says which), ``declined`` or, for a paid offer paid in
time, ``accepted`` (its payments are ``paid_places.py``'s).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection, case, insert, select, update

from projections.paid_places import paid_offers
from projections.tables import offer_log, utc, waitlists

OPEN, CLAIMED, EXPIRED, SUPERSEDED, DECLINED, ACCEPTED = (
    "open",
    "claimed",
    "expired",
    "superseded",
    "declined",
    "accepted",
)
_ENDINGS = {
    "OfferClaimed": CLAIMED,
    "OfferExpired": EXPIRED,
    "OfferSuperseded": SUPERSEDED,
    "OfferDeclined": DECLINED,
    "OfferAccepted": ACCEPTED,
}


class OfferLog:
    """Projects waitlist events into ``view_offer_log``."""

    name = "offer_log"
    tables = (offer_log, waitlists)

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        kind = type(event).__name__
        if kind == "WaitlistOpened":
            conn.execute(
                insert(waitlists).values(waitlist_id=event.originator_id, match_id=event.match_id)
            )
        elif kind in ("OfferIssued", "PaidOfferIssued"):
            conn.execute(
                insert(offer_log).values(
                    offer_id=event.offer_id,
                    match_id=self._match_of(conn, event.originator_id),
                    player_id=event.player_id,
                    batch=event.batch,
                    issued_at=event.timestamp,
                    expires_at=event.expires_at,
                    outcome=OPEN,
                )
            )
        elif kind in _ENDINGS:
            conn.execute(
                update(offer_log)
                .where(offer_log.c.offer_id == event.offer_id)
                .values(
                    outcome=_ENDINGS[kind],
                    reason=getattr(event, "reason", None),
                    # An expiry ends at the offer's deadline, however late it was recorded.
                    ended_at=getattr(event, "expired_at", event.timestamp),
                )
            )

    @staticmethod
    def _match_of(conn: Connection, waitlist_id: UUID) -> UUID:
        return conn.execute(
            select(waitlists.c.match_id).where(waitlists.c.waitlist_id == waitlist_id)
        ).scalar_one()


def offers_of(conn: Connection, match_id: UUID) -> list[dict[str, Any]]:
    """The offer log of one match, in the order offers were made; a paid offer says
    who promoted it ("system": auto-promote) and what kind it is."""
    rows = conn.execute(
        select(
            offer_log,
            paid_offers.c.promoted_by,
            case((paid_offers.c.offer_id.is_(None), "claim"), else_="paid").label("kind"),
        )
        .outerjoin(paid_offers, paid_offers.c.offer_id == offer_log.c.offer_id)
        .where(offer_log.c.match_id == match_id)
        .order_by(offer_log.c.issued_at, offer_log.c.batch, offer_log.c.offer_id)
    ).mappings()
    return [utc(row) for row in rows]
