"""``booking demo``: seed 004's example flows told event by event (seed 004 §17).

Flow A, tiered fill: Tier A books first, Tier B a day later, the match fills and
the admin locks, balances and completes. Flow B, dropout and waitlist: the night
before, a player drops out; after the grace period the top three of the queue
are offered the place for an hour; the first to claim wins, the others are told
"spot filled" and keep their places.

It runs on the embedded store (SQLite in a scratch folder unless given one) with
a simulated clock; whatever is due when the clock moves runs at once, as the
timers will.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from booking.bootstrap import Settings, build_system
from booking.fictional import fictional_phone
from booking_domain.errors import BookingError
from booking_domain.wording import local_time
from processes.clock import ManualClock
from processes.engine import Engine
from projections.narrative import Narrator, and_list

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
TZ = "Europe/London"
H = timedelta(hours=1)
M = timedelta(minutes=1)


class Story:
    """Runs commands and prints what each one caused, in plain words."""

    def __init__(self, engine: Engine, clock: ManualClock, out: TextIO) -> None:
        self.engine = engine
        self.app = engine.app
        self.notices_seen: set[str] = set()
        self.clock = clock
        self.out = out
        self.narrator = Narrator()
        self.seen = self.app.recorder.max_notification_id() or 0
        self.phones: dict[str, str] = {}

    def heading(self, text: str) -> None:
        print(f"\n{text}\n{'=' * len(text)}", file=self.out)

    def say(self, text: str) -> None:
        print(f"\n  {text}", file=self.out)

    def do(self, command: Callable[[], Any]) -> Any:
        """Run a command; print its events, or the refusal the player would see."""
        try:
            result = command()
        except BookingError as refusal:
            print(f"    ✗ {refusal.message}", file=self.out)
            return None
        self.flush()
        return result

    def flush(self) -> None:
        events = []
        while True:
            batch = self.app.recorder.select_notifications(
                start=self.seen, limit=100, inclusive_of_start=False
            )
            if not batch:
                break
            self.seen = batch[-1].id
            events += [self.app.mapper.to_domain_event(n) for n in batch]
        for line in self.narrator.narrate(events):
            print(f"    [{local_time(line.at, TZ)}] {line.text}", file=self.out)
        self.show_notices()

    def show_notices(self) -> None:
        """What players were told (the dev inbox), one line per message text."""
        told: dict[str, list[str]] = {}
        for row in self.engine.outbox.rows():
            if row["id"] in self.notices_seen or row["status"] != "sent":
                continue
            self.notices_seen.add(row["id"])
            told.setdefault(row["text"], []).append(self.narrator.name(UUID(row["player_id"])))
        for text, names in told.items():
            print(f"      📱 {and_list(sorted(names))}: “{text}”", file=self.out)

    def wait_until(self, when: datetime, *_match_ids: UUID) -> None:
        """Move the test clock: every timer due on the way fires at its own time."""
        self.say(f"… the clock moves on to {local_time(when, TZ)}")
        self.engine.advance(to=when)
        self.flush()

    def register(self, names: list[str], tier: str) -> None:
        for name in names:
            number = fictional_phone(len(self.phones))
            self.phones[name] = number
            self.do(lambda n=name, p=number: self.app.register_player(name=n, phone=p, tier=tier))

    def count(self, match_id: UUID) -> None:
        match, waitlist = self.app.get_match(match_id), self.app.get_waitlist(match_id)
        queue = ", ".join(self.narrator.name(e.player_id) for e in waitlist.queue) or "empty"
        self.say(f"Booked {match.booked}/{match.capacity} • Waitlist {waitlist.size} ({queue})")


def flow_a(story: Story) -> None:
    app = story.app
    story.heading("Flow A — tiered fill (seed 004 §17 A)")
    story.say("The club: eight Tier A regulars, three Tier B.")
    story.register(["Ana", "Ben", "Cal", "Dan", "Eve", "Fay", "Gus", "Hal"], "A")
    story.register(["Ivy", "Jon", "Kim"], "B")
    story.say("The admin creates Thursday's match and turns on tiered booking.")
    match_id = story.do(
        lambda: app.schedule_match(
            title="Thursday 7-a-side",
            kickoff_at=START + 3 * 24 * H + 10 * H,
            location="Hackney Marshes",
            capacity=10,
        )
    ).value
    token = story.do(
        lambda: app.enable_booking(
            match_id,
            invite_mode="tiered",
            tier_windows={
                "a_open_at": START + H,
                "b_open_at": START + 25 * H,
                "c_open_at": START + 49 * H,
            },
        )
    ).value

    def respond(name: str, action: str) -> Any:
        return story.do(
            lambda: app.respond(
                match_id=match_id, token=token, phone=story.phones[name], action=action
            )
        )

    story.say("Ivy (Tier B) taps the link straight away:")
    respond("Ivy", "IN")
    story.wait_until(START + H, match_id)
    story.say("Tier A opens; the eight regulars book.")
    for name in ["Ana", "Ben", "Cal", "Dan", "Eve", "Fay", "Gus", "Hal"]:
        respond(name, "IN")
    story.count(match_id)
    story.wait_until(START + 25 * H, match_id)
    story.say("Tier B opens; Ivy and Jon book, and the match is full.")
    respond("Ivy", "IN")
    respond("Jon", "IN")
    story.say("Kim is one tap too late:")
    respond("Kim", "IN")
    respond("Kim", "WAITLIST")
    story.count(match_id)
    story.say("On match day the admin locks the pool and balances the teams.")
    story.wait_until(START + 3 * 24 * H + 8 * H, match_id)
    story.do(lambda: app.lock_pool(match_id))
    story.do(lambda: app.balance_teams(match_id))
    story.say("After the final whistle the admin completes the match.")
    story.wait_until(START + 3 * 24 * H + 12 * H, match_id)
    story.do(lambda: app.complete_match(match_id))


def flow_b(story: Story) -> None:
    app = story.app
    story.heading("Flow B — dropout and waitlist (seed 004 §17 B)")
    kickoff = START + 5 * 24 * H + 10 * H  # Saturday 19:00, two days after flow A
    story.say("Saturday's match is full, with four on the waitlist.")
    match_id = story.do(
        lambda: app.schedule_match(
            title="Saturday 5-a-side", kickoff_at=kickoff, location="Victoria Park", capacity=10
        )
    ).value
    token = story.do(lambda: app.enable_booking(match_id)).value

    def respond(name: str, action: str) -> Any:
        return story.do(
            lambda: app.respond(
                match_id=match_id, token=token, phone=story.phones[name], action=action
            )
        )

    for name in ["Ana", "Ben", "Cal", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon"]:
        respond(name, "IN")
    story.register(["Lou", "Max", "Ned", "Oli"], "C")
    for name in ["Kim", "Lou", "Max", "Ned"]:
        respond(name, "WAITLIST")
    story.count(match_id)
    story.wait_until(kickoff - 22 * H, match_id)
    story.say("The night before, Dan drops out. Under 24 hours to go: two minutes' grace.")
    respond("Dan", "OUT")
    story.say("Nobody can take the place while Dan might change his mind; Oli tries:")
    respond("Oli", "IN")
    story.say("Two minutes later the grace is over: the top three get the offer, for an hour.")
    story.wait_until(kickoff - 22 * H + 2 * M, match_id)
    story.count(match_id)
    story.wait_until(kickoff - 22 * H + 9 * M, match_id)
    story.say("Lou taps Claim first.")
    story.do(lambda: app.claim_offer(match_id=match_id, token=token, phone=story.phones["Lou"]))
    story.say("Kim taps a moment later:")
    story.do(lambda: app.claim_offer(match_id=match_id, token=token, phone=story.phones["Kim"]))
    story.count(match_id)


def run_demo(out: TextIO, data_dir: Path | None = None) -> None:
    """Tell both stories on a fresh embedded store."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = data_dir or Path(scratch)
        clock = ManualClock(START)
        system = build_system(Settings(data_dir=folder, test_clock=True), clock)
        try:
            story = Story(system.engine, clock, out)
            print(
                f"Booking demo — events stored in {folder}; the clock starts at "
                f"{local_time(START, TZ)}.",
                file=out,
            )
            flow_a(story)
            flow_b(story)
        finally:
            system.close()
