"""The match dashboard read model: header, roster, queue and players (seed 004 §6).

Each event changes a few rows the way its aggregate's mutator changes its
state: Match events the header and the roster, Waitlist events the queue
and its open offers, Player events the badges. ``tests/projections`` holds
it to the aggregates after every step of random command sequences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, delete, insert, select, update

from booking_domain.queue_state import WaitlistState
from booking_domain.waitlist import Waitlist
from projections.tables import matches, players, queue, roster

_Apply = Callable[[Connection, Any], None]


class Dashboard:
    """Projects Match, Waitlist and Player events into the dashboard's tables."""

    name = "dashboard"
    tables = (matches, roster, queue, players)

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        kind = type(event).__name__
        handler = _HANDLERS.get(kind)
        if handler is None:
            return
        handler(conn, event)


# ------------------------------------------------------------------ match


def _scheduled(conn: Connection, e: Any) -> None:
    conn.execute(
        insert(matches).values(
            match_id=e.originator_id,
            waitlist_id=Waitlist.create_id(e.originator_id),
            title=e.title,
            kickoff_at=e.kickoff_at,
            location=e.location,
            timezone=e.timezone,
            capacity=e.capacity,
            price_minor=e.price_minor,
            currency=e.currency,
            admission=e.admission,
            offer_mode=e.offer_mode,
            state="Draft",
            booking_enabled=False,
            invite_mode="all",
        )
    )


def _header(**values: Any) -> _Apply:
    def apply(conn: Connection, e: Any) -> None:
        resolved = {k: v(e) if callable(v) else v for k, v in values.items()}
        conn.execute(update(matches).where(matches.c.match_id == e.originator_id).values(resolved))

    return apply


_NO_WINDOWS = {"a_open_at": None, "b_open_at": None, "c_open_at": None}


def _invite_mode(conn: Connection, e: Any) -> None:
    values: dict[str, Any] = {"invite_mode": e.invite_mode}
    if e.invite_mode == "all":
        values |= _NO_WINDOWS
    conn.execute(update(matches).where(matches.c.match_id == e.originator_id).values(values))


def _booking_enabled(conn: Connection, e: Any) -> None:
    _invite_mode(conn, e)
    _header(booking_enabled=True)(conn, e)


# ----------------------------------------------------------------- roster


def _entry(e: Any) -> Any:
    return (roster.c.match_id == e.originator_id) & (roster.c.player_id == e.player_id)


def _put(status: str, *, source: Callable[[Any], str] | str | None = None) -> _Apply:
    """A fresh roster entry, as ``Roster.put`` makes it."""

    def apply(conn: Connection, e: Any) -> None:
        conn.execute(delete(roster).where(_entry(e)))
        conn.execute(
            insert(roster).values(
                match_id=e.originator_id,
                player_id=e.player_id,
                status=status,
                since=e.timestamp,
                source=source(e) if callable(source) else (source or e.source),
                out_flexible=getattr(e, "out_flexible", False) and status == "OUT",
                grace_until=None,
            )
        )

    return apply


def _unplaced(status: str) -> _Apply:
    """OUT / MAYBE / WAITLIST: a dropout in grace keeps their reserved place."""
    fresh = _put(status)

    def apply(conn: Connection, e: Any) -> None:
        grace = conn.execute(select(roster.c.grace_until).where(_entry(e))).first()
        if grace is None or grace.grace_until is None:
            fresh(conn, e)
            return
        conn.execute(
            update(roster)
            .where(_entry(e))
            .values(
                status=status,
                since=e.timestamp,
                out_flexible=getattr(e, "out_flexible", False),
            )
        )

    return apply


def _dropped_out(conn: Connection, e: Any) -> None:
    conn.execute(
        update(roster)
        .where(_entry(e))
        .values(
            status=e.to_status,
            since=e.timestamp,
            out_flexible=e.out_flexible,
            grace_until=e.grace_until,
        )
    )


def _retracted(conn: Connection, e: Any) -> None:
    conn.execute(
        update(roster)
        .where(_entry(e))
        .values(status="IN", since=e.timestamp, out_flexible=False, grace_until=None)
    )


def _finalised(conn: Connection, e: Any) -> None:
    conn.execute(update(roster).where(_entry(e)).values(grace_until=None))


# ------------------------------------------------------------------ queue


def _match_id(conn: Connection, e: Any) -> UUID:
    if not isinstance(e, WaitlistState.Event):  # paid-offer events are its too
        return e.originator_id  # type: ignore[no-any-return]
    # A waitlist's match never changes, so what any transaction read stays true.
    if (known := _MATCH_OF_WAITLIST.get(e.originator_id)) is None:
        known = conn.execute(
            select(matches.c.match_id).where(matches.c.waitlist_id == e.originator_id)
        ).scalar_one()
        if len(_MATCH_OF_WAITLIST) > 100_000:
            _MATCH_OF_WAITLIST.clear()
        _MATCH_OF_WAITLIST[e.originator_id] = known
    return known  # type: ignore[no-any-return]


_MATCH_OF_WAITLIST: dict[UUID, UUID] = {}


def _waiting(conn: Connection, e: Any) -> Any:
    return (queue.c.match_id == _match_id(conn, e)) & (queue.c.player_id == e.player_id)


def _joined(conn: Connection, e: Any) -> None:
    conn.execute(
        insert(queue).values(
            match_id=_match_id(conn, e),
            player_id=e.player_id,
            position=e.position,
            bumped=False,
            joined_at=e.timestamp,
        )
    )


def _left(conn: Connection, e: Any) -> None:
    """Out of the queue; everyone behind moves up one."""
    match_id = _match_id(conn, e)
    where = _waiting(conn, e)
    gone = conn.execute(select(queue.c.position).where(where)).scalar_one()
    conn.execute(delete(queue).where(where))
    conn.execute(
        update(queue)
        .where((queue.c.match_id == match_id) & (queue.c.position > gone))
        .values(position=queue.c.position - 1)
    )


def _bumped(conn: Connection, e: Any) -> None:
    match_id = _match_id(conn, e)
    conn.execute(
        update(queue)
        .where(queue.c.match_id == match_id)
        .values(position=queue.c.position + len(e.player_ids))
    )
    for place, player_id in enumerate(e.player_ids, start=1):
        conn.execute(
            insert(queue).values(
                match_id=match_id,
                player_id=player_id,
                position=place,
                bumped=True,
                joined_at=e.timestamp,
            )
        )


def _offer_issued(conn: Connection, e: Any) -> None:
    conn.execute(
        update(queue)
        .where(_waiting(conn, e))
        .values(offer_id=e.offer_id, offer_batch=e.batch, offer_expires_at=e.expires_at)
    )


def _offer_ended(conn: Connection, e: Any) -> None:
    conn.execute(
        update(queue)
        .where(_waiting(conn, e) & (queue.c.offer_id == e.offer_id))
        .values(offer_id=None, offer_batch=None, offer_expires_at=None)
    )


def _hold_released(conn: Connection, e: Any) -> None:
    _put(e.to_status, source="system")(conn, e)


def _hold_confirmed(conn: Connection, e: Any) -> None:
    conn.execute(update(roster).where(_entry(e)).values(status="IN", since=e.timestamp))


# ---------------------------------------------------------------- players


def _registered(conn: Connection, e: Any) -> None:
    conn.execute(
        insert(players).values(
            player_id=e.originator_id,
            name=e.name,
            phone=e.phone,
            tier=e.tier,
            is_ringer=e.is_ringer,
            muted=False,
            email=e.email,
            guardian_phones=list(e.guardian_phones),
            registered_at=e.timestamp,
        )
    )


def _player(**fields: str) -> _Apply:
    def apply(conn: Connection, e: Any) -> None:
        values = {column: getattr(e, attr) for column, attr in fields.items()}
        conn.execute(update(players).where(players.c.player_id == e.originator_id).values(values))

    return apply


# Event class names are unique across Match, Waitlist and Player (the catalogue
# in docs/events.md lists them), so the name alone says what an event does.
_HANDLERS: dict[str, _Apply] = {
    "MatchScheduled": _scheduled,
    "BookingEnabled": _booking_enabled,
    "InviteModeChanged": _invite_mode,
    "TierWindowsSet": _header(
        a_open_at=lambda e: e.a_open_at,
        b_open_at=lambda e: e.b_open_at,
        c_open_at=lambda e: e.c_open_at,
    ),
    "BookingDisabled": _header(booking_enabled=False),
    "PoolLocked": _header(state="PoolLocked"),
    "TeamsBalanced": _header(state="TeamsBalanced"),
    "MatchCompleted": _header(state="Completed"),
    "MatchCancelled": _header(state="Cancelled"),
    "CapacityChanged": _header(capacity=lambda e: e.capacity),
    "InstantClaimStarted": _header(instant_claim_at=lambda e: e.timestamp),
    "PlayerIn": _put("IN"),
    "PlayerAddedByAdmin": _put("IN", source="admin"),
    "PlayerReinstated": _put("IN", source="system"),
    "PlayerDemoted": _put("WAITLIST", source="system"),
    "PlayerOut": _unplaced("OUT"),
    "PlayerMaybe": _unplaced("MAYBE"),
    "PlayerWaitlisted": _unplaced("WAITLIST"),
    "DroppedOut": _dropped_out,
    "DropoutRetracted": _retracted,
    "DropoutFinalised": _finalised,
    "JoinedWaitlist": _joined,
    "LeftWaitlist": _left,
    "BumpedPlayerReinstated": _left,
    "OfferClaimed": _left,
    "ClaimedWithoutOffer": _left,
    "PlayersBumped": _bumped,
    "OfferIssued": _offer_issued,
    "OfferExpired": _offer_ended,
    "OfferSuperseded": _offer_ended,
    "OfferDeclined": _offer_ended,
    "PlayerRegistered": _registered,
    "PlayerRenamed": _player(name="name"),
    "TierChanged": _player(tier="tier"),
    "RingerStatusChanged": _player(is_ringer="is_ringer"),
    "MuteChanged": _player(muted="muted"),
    "GuardiansChanged": _player(guardian_phones="guardian_phones"),
    "EmailChanged": _player(email="email"),
    # Paid places (seed 000): a held place is a roster entry; a paid offer a queue offer.
    "PlaceHeld": _put("HELD", source="system"),
    "HoldConfirmed": _hold_confirmed,
    "HoldReleased": _hold_released,
    "PaidOfferIssued": _offer_issued,
    "OfferAccepted": _left,
    # Court slots (seed 002): a pending request holds the slot; a waiting cart queues.
    "BookingRequested": _put("HELD"),
    "BookingApproved": _hold_confirmed,
    "BookingRejected": _put("OUT", source="system"),
    "BookingWithdrawn": _put("OUT", source="system"),
    "BookingRequestExpired": _put("OUT", source="system"),
    "PendingBookingMoved": _put("OUT", source="system"),
    "CartQueued": _joined,
    "WaitingCartConverted": _left,
    "WaitingCartCancelled": _left,
    "WaitingCartMoved": _left,
}
