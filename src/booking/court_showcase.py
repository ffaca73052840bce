"""The showcase's court club (seed 002): tomorrow's courts, with requests in every state.

Three padel courts, hourly slots from 09:00 to 13:00 (club time), £12 each:
Ana's request over two hours on Court 1 is pending with Ben and Cara waiting
behind its first hour; Dev's on Court 2 has Eli waiting; Fay's is approved;
Gus's was rejected with a reason; Kai's (Rosa looks after him) is pending.
An admin can decide them on Approvals; a member signs in to the portal to
book more and to see their requests and check-in codes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from booking_domain.application import BookingApp

CLUB_TIMEZONE = "Europe/London"
COURTS = ("Court 1", "Court 2", "Court 3")
HOURS = (9, 10, 11, 12)
PRICE = 1200


def fill_courts(app: BookingApp, phones: dict[str, str]) -> dict[tuple[str, int], UUID]:
    """Create tomorrow's slots and the requests on them; the slots by (court, hour)."""
    zone = ZoneInfo(CLUB_TIMEZONE)
    tomorrow = (app.clock.now().astimezone(zone) + timedelta(days=1)).date()
    slots: dict[tuple[str, int], UUID] = {}
    for hour in HOURS:
        starts = datetime.combine(tomorrow, datetime.min.time(), zone).replace(hour=hour)
        for court in COURTS:
            slots[(court, hour)] = app.schedule_slot(
                court=court,
                sport="padel",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                price_minor=PRICE,
                timezone=CLUB_TIMEZONE,
            ).value

    def ask(name: str, *picks: tuple[str, int]) -> UUID:
        answer = app.request_slots(
            phone=phones[name], slots=[{"match_id": slots[p]} for p in picks]
        ).value
        return answer.player_id

    ask("Ana", ("Court 1", 9), ("Court 1", 10))
    ask("Ben", ("Court 1", 9))
    ask("Cara", ("Court 1", 9))
    ask("Dev", ("Court 2", 9))
    ask("Eli", ("Court 2", 9))
    fay = ask("Fay", ("Court 3", 10))
    app.approve_request(slots[("Court 3", 10)], fay, actor="admin")
    gus = ask("Gus", ("Court 2", 11))
    app.reject_request(
        slots[("Court 2", 11)], gus, reason="Court 2 is booked for coaching", actor="admin"
    )
    ask("Kai", ("Court 3", 11))
    return slots
