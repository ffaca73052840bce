"""Test support: building the application on each store, and a small club DSL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from hypothesis import HealthCheck, settings

from booking.fictional import fictional_phone
from booking_domain.application import BookingApp, Done, Response
from booking_domain.approval_commands import RequestAnswer
from processes.clock import ManualClock
from processes.store import scratch_schema, store_env

#: A Monday morning; Europe/London is on UTC in November, which keeps times readable.
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
STORES = ("memory", "sqlite", "postgres")


def phone(n: int) -> str:
    """A valid number from Ofcom's drama ranges, different for each n."""
    return fictional_phone(n)


def pg_schema() -> AbstractContextManager[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    return scratch_schema(PG_URL, prefix="t")


def pg_url(schema: str, **params: object) -> str:
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    return f"{PG_URL}?schema={schema}{extra}"


@contextmanager
def booking_app(
    store: str, clock: ManualClock, tmp_path: Path, **pg_params: object
) -> Iterator[BookingApp]:
    """The application on the named store: memory, sqlite or postgres."""
    if store == "memory":
        app = BookingApp(store_env("memory", None), clock=clock)
        yield app
        app.close()
    elif store == "sqlite":
        app = BookingApp(store_env(None, tmp_path / "data"), clock=clock)
        yield app
        app.close()
    elif store == "postgres":
        with pg_schema() as schema:
            app = BookingApp(store_env(pg_url(schema, **pg_params), None), clock=clock)
            try:
                yield app
            finally:
                app.close()
    else:  # pragma: no cover
        raise ValueError(store)


@dataclass
class Person:
    player_id: UUID
    name: str
    phone: str


@dataclass
class Club:
    """Makes players and matches with little ceremony, so tests read as stories."""

    app: BookingApp
    clock: ManualClock
    people: dict[str, Person] = field(default_factory=dict)

    def player(self, name: str, *, tier: str = "C", ringer: bool = False) -> Person:
        number = phone(len(self.people) + 1)
        pid = self.app.register_player(name=name, phone=number, tier=tier, is_ringer=ringer).value
        person = Person(pid, name, number)
        self.people[name] = person
        return person

    def players(self, *names: str, tier: str = "C") -> list[Person]:
        return [self.player(n, tier=tier) for n in names]

    def match(
        self,
        capacity: int = 10,
        *,
        kickoff_in: timedelta = timedelta(days=3),
        invite_mode: str = "all",
        tier_windows: dict[str, datetime | None] | None = None,
        **options: object,
    ) -> MatchHandle:
        mid = self.app.schedule_match(
            title="Tuesday 5-a-side",
            kickoff_at=self.clock.now() + kickoff_in,
            location="Hackney Marshes",
            capacity=capacity,
            **options,  # type: ignore[arg-type]
        ).value
        token = self.app.enable_booking(
            mid, invite_mode=invite_mode, tier_windows=tier_windows
        ).value
        return MatchHandle(self.app, mid, token)

    def slot(
        self,
        court: str = "Court 1",
        *,
        starts_in: timedelta = timedelta(days=2),
        length: timedelta = timedelta(hours=1),
        price_minor: int = 1200,
        sport: str = "tennis",
    ) -> UUID:
        """A court slot that needs approval (seed 002), open for requests."""
        starts_at = self.clock.now() + starts_in
        return self.app.schedule_slot(
            court=court,
            sport=sport,
            starts_at=starts_at,
            ends_at=starts_at + length,
            price_minor=price_minor,
        ).value

    def ask(self, who: Person, *slots: UUID, **kwargs: object) -> RequestAnswer:
        """``who`` requests these slots as one request."""
        return self.app.request_slots(
            phone=who.phone,
            slots=[{"match_id": s} for s in slots],
            **kwargs,  # type: ignore[arg-type]
        ).value


@dataclass
class MatchHandle:
    app: BookingApp
    match_id: UUID
    token: str

    def say(self, who: Person, action: str, **kwargs: object) -> Done[Response]:
        return self.app.respond(
            match_id=self.match_id,
            token=self.token,
            phone=who.phone,
            action=action,
            **kwargs,  # type: ignore[arg-type]
        )

    def drop_and_release(self, who: Person) -> None:
        """``who`` says OUT and the organiser presses "Release spot now" at once."""
        self.say(who, "OUT")
        self.app.release_spot(self.match_id, who.player_id)

    def claim(self, who: Person) -> Done[Response]:
        return self.app.claim_offer(match_id=self.match_id, token=self.token, phone=who.phone)

    @property
    def match(self):
        return self.app.get_match(self.match_id)

    @property
    def waitlist(self):
        return self.app.get_waitlist(self.match_id)

    def status(self, who: Person) -> str:
        return str(self.match.status_of(who.player_id))

    def queue(self) -> list[UUID]:
        return [e.player_id for e in self.waitlist.queue]

    def offered(self) -> list[UUID]:
        return [o.player_id for o in self.waitlist.offers]

    def tick(self) -> Done[UUID]:
        """What the timers will do: finalise due dropouts, expire due offers."""
        return self.app.process_deadlines(self.match_id)


def stateful_settings(examples: int, steps: int) -> settings:
    """How long a stateful property test runs: examples × steps, no deadline."""
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
