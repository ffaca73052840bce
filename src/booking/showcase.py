"""A club to click through: what ``make run`` serves on a fresh machine.

Seventeen players (tiers A, B and C, two ringers, Rosa the parent of two) and
a match in every state a newcomer should see: open with answers, full with a
queue and a dropout in its grace period, a paid session whose freed place is
held for a waiting child while their parent pays, tiered with windows still to
open, booking off, locked, balanced, completed and cancelled — and tomorrow's
courts, with requests waiting for approval (``court_showcase.py``). Kick-offs are
days from now, so the timers behave as they would for real. Only an empty
store is filled; a restart keeps the club.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from booking.fictional import fictional_phone
from booking_domain.application import BookingApp

#: (name, tier, ringer): the phones are fictional (Ofcom's drama ranges).
PLAYERS = [
    ("Ana", "A", False), ("Ben", "A", False), ("Cara", "A", False), ("Dev", "A", False),
    ("Eli", "B", False), ("Fay", "B", False), ("Gus", "B", False), ("Hana", "B", False),
    ("Ike", "C", False), ("Jo", "C", False), ("Kai", "C", False), ("Lea", "C", False),
    ("Max", "C", False), ("Nia", "C", False), ("Oz", "C", True), ("Pip", "C", True),
]  # fmt: skip
DAY = timedelta(days=1)
#: A parent who plays too, and looks after Kai and Lea (seed 000: a guardian logs in and pays).
PARENT = "Rosa"


@dataclass
class Showcase:
    """What was made: the player phones by name and the matches by title."""

    phones: dict[str, str] = field(default_factory=dict)
    matches: dict[str, UUID] = field(default_factory=dict)


def phone_of(name: str) -> str:
    if name == PARENT:
        return fictional_phone(len(PLAYERS) + 1)
    return fictional_phone([p[0] for p in PLAYERS].index(name))


def is_empty(app: BookingApp) -> bool:
    return not app.recorder.max_notification_id()


def fill(app: BookingApp) -> Showcase:
    """Create the club's players and matches (on an empty store)."""
    made = Showcase()
    ids: dict[str, UUID] = {}
    for name, tier, ringer in PLAYERS:
        made.phones[name] = phone_of(name)
        ids[name] = app.register_player(
            name=name, phone=made.phones[name], tier=tier, is_ringer=ringer
        ).value
    now = app.clock.now().replace(minute=0, second=0, microsecond=0)

    def match(title: str, days: float, capacity: int, location: str, **kw: object) -> UUID:
        kickoff = (now + days * DAY).replace(hour=19)
        made.matches[title] = app.schedule_match(
            title=title,
            kickoff_at=kickoff,
            location=location,
            capacity=capacity,
            **kw,  # type: ignore[arg-type]
        ).value
        return made.matches[title]

    def answer(match_id: UUID, token: str, names: str, action: str = "IN", **kw: object) -> None:
        for name in names.split():
            app.respond(
                match_id=match_id, token=token, phone=made.phones[name], action=action, **kw
            )

    open_match = match("Tuesday 5-a-side", 3, 10, "Powerleague Shoreditch")
    token = app.enable_booking(open_match).value
    answer(open_match, token, "Ana Ben Cara Dev Eli Fay")
    answer(open_match, token, "Gus", "OUT", out_flexible=True)
    answer(open_match, token, "Hana", "MAYBE")

    full = match("Thursday 7s", 5, 6, "Hackney Marshes")
    token = app.enable_booking(full).value
    answer(full, token, "Ana Ben Cara Dev Eli Fay")
    answer(full, token, "Ike Jo Kai", "WAITLIST")
    answer(full, token, "Cara", "OUT")  # in grace now; the queue is offered the place after

    # A paid session (seed 000): a place freed, Kai's parent has an hour to pay for it.
    made.phones[PARENT] = phone_of(PARENT)
    ids[PARENT] = app.register_player(name=PARENT, phone=made.phones[PARENT], tier="B").value
    for child in ("Kai", "Lea"):
        app.update_player(ids[child], guardian_phones=[made.phones[PARENT]])
    paid = match(
        "Saturday coached session",
        4,
        6,
        "Haggerston Park",
        price_minor=600,
        payment_window_minutes=60,
    )
    token = app.enable_booking(paid).value
    answer(paid, token, "Ana Ben Cara Dev Eli Fay")
    answer(paid, token, "Kai Lea Max", "WAITLIST")
    answer(paid, token, "Fay", "OUT")
    app.release_spot(paid, ids["Fay"])  # the organiser lets the place go at once

    tiered = match("Sunday league", 6, 14, "Regent's Park pitch 3")
    app.enable_booking(tiered, invite_mode="tiered")

    match("Friday social", 10, 12, "Victoria Park")  # booking not switched on yet

    for title, days, steps in (
        ("Locked match", 2, ("lock_pool",)),
        ("Balanced match", 1, ("lock_pool", "balance_teams")),
        ("Last week's match", 0.5, ("lock_pool", "balance_teams", "complete_match")),
        ("Rained-off match", 4, ("cancel_match",)),
    ):
        match_id = match(title, days, 10, "Mile End Stadium")
        token = app.enable_booking(match_id).value
        answer(match_id, token, "Ana Ben Dev Eli Ike Jo Max Nia")
        for step in steps:
            getattr(app, step)(match_id)

    # A court club (seed 002): tomorrow's slots, requests awaiting approval.
    from booking.court_showcase import fill_courts

    made.matches.update(
        {
            f"{court} {hour:02d}:00": mid
            for (court, hour), mid in fill_courts(app, made.phones).items()
        }
    )
    return made
