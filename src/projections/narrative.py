"""Booking events in plain words: the lines of the activity feed and of ``booking demo``.

A ``Narrator`` reads events in store order and remembers what it needs to name
things (player names, each match's time zone). Offers issued, expired or ended
together are told as one line ("Spot offered to Ana, Ben and Cal until 23:00
(batch 2).").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from booking_domain.wording import clock_time, local_time
from projections.court_narrative import COURT_WORDS

DEFAULT_TIMEZONE = "Europe/London"


@dataclass(frozen=True)
class Line:
    """One line of the story: when, what kind of event, and the words."""

    at: datetime
    kind: str
    text: str
    match_id: UUID | None


def and_list(names: list[str]) -> str:
    """``Ana``, ``Ana and Ben``, ``Ana, Ben and Cal``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def event_kind(event: object) -> str:
    return type(event).__name__


class Narrator:
    """Turns events into lines; keeps just enough state to use names, not ids."""

    def __init__(self) -> None:
        self.names: dict[UUID, str] = {}
        self.timezones: dict[UUID, str] = {}
        self.match_of_waitlist: dict[UUID, UUID] = {}
        #: Payment id → the player whose place it pays for (payment events name neither).
        self.payer_of: dict[UUID, UUID] = {}

    # ------------------------------------------------------------------ API

    def narrate(self, events: Iterable[object]) -> list[Line]:
        """Lines for these events, with batch events of one kind told together."""
        lines: list[Line] = []
        group: list[Any] = []
        for event in events:
            if group and not self._same_group(group[-1], event):
                lines += self._flush(group)
                group = []
            self.learn(event)
            if event_kind(event) in _GROUPED:
                group.append(event)
            else:
                line = self.describe(event)
                if line is not None:
                    lines.append(line)
        lines += self._flush(group)
        return lines

    def learn(self, event: Any) -> None:
        kind = event_kind(event)
        if kind in ("PlayerRegistered", "PlayerRenamed"):
            self.names[event.originator_id] = event.name
        elif kind == "MatchScheduled":
            self.timezones[event.originator_id] = event.timezone
        elif kind == "WaitlistOpened":
            self.match_of_waitlist[event.originator_id] = event.match_id
        elif kind == "PaymentStarted":
            # A payment's lines belong to its match, like a waitlist's.
            self.match_of_waitlist[event.originator_id] = event.match_id
            self.payer_of[event.originator_id] = event.player_id

    def describe(self, event: Any) -> Line | None:
        words = _WORDS.get(event_kind(event))
        if words is None:
            return None
        text = words(self, event)
        if text is None:
            return None
        return Line(event.timestamp, event_kind(event), text, self.match_id(event))

    # -------------------------------------------------------------- helpers

    def match_id(self, event: Any) -> UUID | None:
        oid = event.originator_id
        if oid in self.timezones:
            return oid  # type: ignore[no-any-return]
        return self.match_of_waitlist.get(oid)

    def name(self, player_id: UUID) -> str:
        return self.names.get(player_id, "a player")

    def payer(self, event: Any) -> str:
        """The name of the player a payment event's money is for."""
        player_id = self.payer_of.get(event.originator_id)
        return self.name(player_id) if player_id else "a player"

    def names_of(self, player_ids: Iterable[UUID]) -> str:
        return and_list([self.name(p) for p in player_ids])

    def tz(self, event: Any) -> str:
        match_id = self.match_id(event)
        return self.timezones.get(match_id, DEFAULT_TIMEZONE) if match_id else DEFAULT_TIMEZONE

    def hhmm(self, event: Any, at: datetime) -> str:
        return clock_time(at, self.tz(event))

    def when(self, event: Any, at: datetime) -> str:
        return local_time(at, self.tz(event))

    @staticmethod
    def _same_group(previous: Any, event: Any) -> bool:
        return (
            event_kind(previous) == event_kind(event)
            and previous.originator_id == event.originator_id
            and getattr(previous, "batch", None) == getattr(event, "batch", None)
            and getattr(previous, "reason", None) == getattr(event, "reason", None)
        )

    def _flush(self, group: list[Any]) -> list[Line]:
        if not group:
            return []
        first = group[0]
        text = _GROUPED[event_kind(first)](self, group)
        return [Line(first.timestamp, event_kind(first), text, self.match_id(first))]


def _by(event: Any) -> str:
    actor = getattr(event, "actor", "")
    return "" if actor in ("", "system", "player", "self") else f" ({actor})"


def _player_in(n: Narrator, e: Any) -> str:
    name = n.name(e.player_id)
    if e.via == "offer":
        return f"{name} claimed the place — IN."
    if e.via == "instant_claim":
        return f"{name} tapped first and took the place — IN."
    if e.via == "open_place":
        return f"{name} took the open place — IN."
    if e.via == "late_payment":
        return f"{name} paid after their offer ended; a place was still free — IN."
    return f"{name} is IN."


def _finalised(n: Narrator, e: Any) -> str:
    name = n.name(e.player_id)
    reasons = {
        "grace_ended": f"Grace over: {name}'s place is free.",
        "released_by_admin": f"{name}'s place released now{_by(e)}.",
        "capacity_reduced": f"{name}'s held place went with the capacity cut.",
    }
    return reasons.get(e.reason, f"{name}'s held place ended ({e.reason.replace('_', ' ')}).")


def _tier_windows(n: Narrator, e: Any) -> str:
    a = n.when(e, e.a_open_at)
    if e.b_open_at == e.c_open_at:
        return f"Tier windows: A from {a}, Tiers B+C from {n.when(e, e.b_open_at)}."
    return (
        f"Tier windows: A from {a}, B from {n.when(e, e.b_open_at)}, "
        f"C from {n.when(e, e.c_open_at)}."
    )


def _promoted(e: Any) -> str:
    return "auto-promoted" if e.promoted_by == "system" else f"promoted by {e.promoted_by}"


_RELEASED = {
    "expired": "'s offer expired unpaid — held place released.",
    "declined": " declined the offer — held place released.",
    "capacity_reduced": "'s held place went with the capacity cut.",
    "admin_added": "'s held place became a place added by the organiser.",
}
_REFUND_WHY = {
    "place_gone": "the offer had ended and the place had gone",
    "already_booked": "they were already booked",
    "booking_closed": "booking had closed",
}

#: Paid places (seed 000): what a treasurer and an auditor read.
PAID_WORDS: dict[str, Callable[[Narrator, Any], str | None]] = {
    "PaidOfferIssued": lambda n, e: (
        f"{n.name(e.player_id)} was offered a held place — pay by "
        f"{n.hhmm(e, e.expires_at)} ({_promoted(e)})."
    ),
    "OfferPaymentStarted": lambda n, e: (
        f"{n.name(e.player_id)}{'’s guardian' if e.by == 'guardian' else ''} started paying"
        + (f" (attempt {e.attempt})." if e.attempt > 1 else ".")
    ),
    "OfferAccepted": lambda n, e: f"{n.name(e.player_id)} paid — place confirmed, IN.",
    "HoldReleased": lambda n, e: (
        n.name(e.player_id)
        + _RELEASED.get(e.reason, f"'s held place was released ({e.reason.replace('_', ' ')}).")
    ),
    "PaymentFailed": lambda n, e: (
        f"Payment for {n.payer(e)} {'failed' if e.outcome == 'failed' else 'was abandoned'} — "
        "the offer stays open until its deadline."
    ),
    "RefundDue": lambda n, e: (
        f"Payment for {n.payer(e)} arrived but {_REFUND_WHY.get(e.reason, e.reason)} — refund due."
    ),
    "PaymentRefunded": lambda n, e: f"Payment for {n.payer(e)} refunded.",
    "GuardiansChanged": lambda n, e: f"{n.name(e.originator_id)}'s guardians were updated{_by(e)}.",
    # Never the address itself: the activity feed is read by organisers, not mail clients.
    "EmailChanged": lambda n, e: f"{n.name(e.originator_id)}'s email address was updated{_by(e)}.",
}


_WORDS: dict[str, Callable[[Narrator, Any], str | None]] = {
    "PlayerRegistered": lambda n, e: (
        f"{e.name} joined the club as a ringer."
        if e.is_ringer
        else f"{e.name} joined the club (Tier {e.tier})."
    ),
    "PlayerRenamed": lambda n, e: f"{e.old_name} is now called {e.name}.",
    "TierChanged": lambda n, e: f"{n.name(e.originator_id)} moved to Tier {e.tier}{_by(e)}.",
    "RingerStatusChanged": lambda n, e: (
        f"{n.name(e.originator_id)} is {'a ringer' if e.is_ringer else 'a regular'} now."
    ),
    "ClubSettingsChanged": lambda n, e: (
        "Club settings changed: "
        + ", ".join(f"{k.replace('_', ' ')} = {v}" for k, v in e.changes.items())
        + "."
    ),
    "MatchScheduled": lambda n, e: (
        f'"{e.title}" scheduled for {n.when(e, e.kickoff_at)} at {e.location or "TBC"}, '
        f"{e.capacity} places{_by(e)}."
    ),
    "BookingEnabled": lambda n, e: (
        "Self-serve booking on: "
        + ("tiered windows." if e.invite_mode == "tiered" else "everyone can book now.")
    ),
    "InviteTokenRotated": lambda n, e: "A fresh booking link was made; older links stop working.",
    "TierWindowsSet": _tier_windows,
    "InviteModeChanged": lambda n, e: (
        "Invite mode: "
        + ("tiered." if e.invite_mode == "tiered" else "all at once — open to everyone now.")
    ),
    "BookingDisabled": lambda n, e: f"Self-serve booking off{_by(e)}.",
    "PlayerIn": _player_in,
    "PlayerAddedByAdmin": lambda n, e: (
        f"{n.name(e.player_id)} added by hand{_by(e)}"
        + (" — over capacity." if e.over_capacity else ".")
    ),
    "PlayerOut": lambda n, e: (
        None  # a court slot's waiting cart ended: the waitlist's line says why
        if e.source == "system"
        else f"{n.name(e.player_id)} is OUT"
        + (" (might be available later)." if e.out_flexible else ".")
    ),
    "PlayerMaybe": lambda n, e: f"{n.name(e.player_id)} is a maybe.",
    "DroppedOut": lambda n, e: (
        f"{n.name(e.player_id)} dropped out — grace until {n.hhmm(e, e.grace_until)}."
    ),
    "DropoutRetracted": lambda n, e: f"{n.name(e.player_id)} changed their mind — back IN.",
    "DropoutFinalised": _finalised,
    "CapacityChanged": lambda n, e: f"Capacity {e.old_capacity} → {e.capacity}{_by(e)}.",
    "PlayerDemoted": lambda n, e: (
        f"{n.name(e.player_id)} moved to the head of the waitlist (capacity cut)."
    ),
    "PlayerReinstated": lambda n, e: f"{n.name(e.player_id)} is back IN (capacity raised).",
    "PoolLocked": lambda n, e: f"Pool locked{_by(e)}.",
    "TeamsBalanced": lambda n, e: f"Teams balanced{_by(e)}.",
    "MatchCompleted": lambda n, e: f"Match completed{_by(e)}.",
    "MatchCancelled": lambda n, e: "Match cancelled" + (f": {e.reason}." if e.reason else "."),
    "JoinedWaitlist": lambda n, e: f"{n.name(e.player_id)} joined the waitlist as #{e.position}.",
    "LeftWaitlist": lambda n, e: f"{n.name(e.player_id)} left the waitlist.",
    "OfferDeclined": lambda n, e: f"{n.name(e.player_id)} passed on the offer.",
    "TierOpened": lambda n, e: f"{_tiers(e.tiers)} can book now — {_told(n, e.player_ids)}.",
    "LastCallSent": lambda n, e: (
        f"Last call ({e.which}): {e.short_by} short — {_told(n, e.player_ids)}{_by(e)}."
        if e.short_by
        else f"Last call ({e.which}) not needed: the match is full."
    ),
    "InstantClaimStarted": lambda n, e: (
        "Under 30 minutes to go: free places go to the first tap"
        + (f" — {_told(n, e.player_ids)}." if e.player_ids else ".")
    ),
    "PlaceUpForGrabs": lambda n, e: f"A place is up for grabs — {_told(n, e.player_ids)}.",
    **PAID_WORDS,
    **COURT_WORDS,
}


def _tiers(tiers: list[str]) -> str:
    return (
        "Everyone"
        if len(tiers) == 3
        else "Tier" + ("s " if len(tiers) > 1 else " ") + "+".join(tiers)
    )


def _told(n: Narrator, player_ids: list[UUID]) -> str:
    return f"told {n.names_of(player_ids)}" if player_ids else "nobody to tell"


_GROUPED: dict[str, Callable[[Narrator, list[Any]], str]] = {
    "OfferIssued": lambda n, g: (
        f"Spot offered to {n.names_of(e.player_id for e in g)} "
        f"until {n.hhmm(g[0], g[0].expires_at)} (batch {g[0].batch})."
    ),
    "OfferExpired": lambda n, g: (
        f"Offer{'s' if len(g) > 1 else ''} to {n.names_of(e.player_id for e in g)} expired."
    ),
    "OfferSuperseded": lambda n, g: (
        f"Spot filled — {n.names_of(e.player_id for e in g)} keep their places in the queue."
        if g[0].reason == "spot_filled"
        else f"Open offers to {n.names_of(e.player_id for e in g)} ended "
        f"({g[0].reason.replace('_', ' ')})."
    ),
}
