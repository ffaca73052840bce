"""Paid places read model (seed 000): paid offers, holds and payments, per match.

``view_paid_offers`` keeps each paid offer with its promotion, its deadline,
the latest payment attempt and how it ended; ``view_payments`` every payment
with its amount and outcome (confirmed, failed, refund due, refunded, late).
The player portal and the admin's Match Control Centre read them
(``portal_views.py``); the offer log keeps the outcome of every offer.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    Uuid,
    insert,
    select,
    update,
)

from projections.tables import metadata, waitlists

paid_offers = Table(
    "view_paid_offers",
    metadata,
    Column("offer_id", Uuid, primary_key=True),
    Column("match_id", Uuid, nullable=False, index=True),
    Column("player_id", Uuid, nullable=False, index=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("promoted_by", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),  # open, accepted, expired, declined, superseded
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("payment_id", Uuid, nullable=True),  # the latest attempt
    Column("attempts", Integer, nullable=False),
    Column("payment_status", String(16), nullable=True),
)

payments = Table(
    "view_payments",
    metadata,
    Column("payment_id", Uuid, primary_key=True),
    Column("offer_id", Uuid, nullable=False, index=True),
    Column("match_id", Uuid, nullable=False, index=True),
    Column("player_id", Uuid, nullable=False, index=True),
    Column("amount_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("by", String(16), nullable=False),
    Column("provider", String(16), nullable=True),
    Column("status", String(16), nullable=False),
    Column("late", Boolean, nullable=False),
    Column("reason", String(32), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

_OFFER_ENDINGS = {
    "OfferAccepted": "accepted",
    "OfferExpired": "expired",
    "OfferDeclined": "declined",
    "OfferSuperseded": "superseded",
}
_PAYMENT_OUTCOMES = {
    "PaymentConfirmed": "confirmed",
    "RefundDue": "refund_due",
    "PaymentRefunded": "refunded",
}


class PaidPlaces:
    """Projects paid offers and Payment events."""

    name = "paid_places"
    tables = (paid_offers, payments)

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        kind = type(event).__name__
        if kind == "PaidOfferIssued":
            self._issued(conn, event)
        elif kind == "OfferPaymentStarted":
            conn.execute(
                update(paid_offers)
                .where(paid_offers.c.offer_id == event.offer_id)
                .values(
                    payment_id=event.payment_id, attempts=event.attempt, payment_status="pending"
                )
            )
        elif kind in _OFFER_ENDINGS:
            conn.execute(
                update(paid_offers)
                .where(paid_offers.c.offer_id == event.offer_id)
                .values(
                    outcome=_OFFER_ENDINGS[kind],
                    ended_at=getattr(event, "expired_at", event.timestamp),
                )
            )
        elif kind == "PaymentStarted":
            self._payment_started(conn, event)
        elif kind == "CheckoutCreated":
            self._payment(conn, event, provider=event.provider)
        elif kind == "PaymentFailed":
            self._payment(conn, event, status=event.outcome)
        elif kind in _PAYMENT_OUTCOMES:
            extra: dict[str, Any] = {"status": _PAYMENT_OUTCOMES[kind]}
            if kind == "PaymentConfirmed":
                extra["late"] = event.late
            if kind == "RefundDue":
                extra["reason"] = event.reason
            self._payment(conn, event, **extra)

    @staticmethod
    def _issued(conn: Connection, e: Any) -> None:
        match_id = conn.execute(
            select(waitlists.c.match_id).where(waitlists.c.waitlist_id == e.originator_id)
        ).scalar_one()
        conn.execute(
            insert(paid_offers).values(
                offer_id=e.offer_id,
                match_id=match_id,
                player_id=e.player_id,
                issued_at=e.timestamp,
                expires_at=e.expires_at,
                promoted_by=e.promoted_by,
                outcome="open",
                attempts=0,
            )
        )

    @staticmethod
    def _payment_started(conn: Connection, e: Any) -> None:
        conn.execute(
            insert(payments).values(
                payment_id=e.originator_id,
                offer_id=e.offer_id,
                match_id=e.match_id,
                player_id=e.player_id,
                amount_minor=e.amount_minor,
                currency=e.currency,
                by=e.by,
                status="pending",
                late=False,
                started_at=e.timestamp,
                updated_at=e.timestamp,
            )
        )

    @staticmethod
    def _payment(conn: Connection, e: Any, **values: Any) -> None:
        payment_id: UUID = e.originator_id
        conn.execute(
            update(payments)
            .where(payments.c.payment_id == payment_id)
            .values(updated_at=e.timestamp, **values)
        )
        if "status" in values:
            conn.execute(
                update(paid_offers)
                .where(paid_offers.c.payment_id == payment_id)
                .values(payment_status=values["status"])
            )
