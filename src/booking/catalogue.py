"""The events catalogue (docs/events.md), generated from the aggregates themselves.

Every event class the ``@event`` decorator makes is listed with the docstring of
the method that applies it and the fields it carries, so the catalogue cannot
drift from the code (a test compares it with the committed file).
"""

from __future__ import annotations

import inspect
from typing import Any

from eventsourcing.domain import Aggregate, CanInitAggregate, decorated_funcs

from booking_domain.club import ClubSettings
from booking_domain.match import Match
from booking_domain.payment import Payment
from booking_domain.player import NameIndex, PhoneIndex, Player
from booking_domain.waitlist import Waitlist

AGGREGATES: list[type[Aggregate]] = [
    Match,
    Waitlist,
    Payment,
    Player,
    PhoneIndex,
    NameIndex,
    ClubSettings,
]
_COMMON = {"originator_id", "originator_version", "timestamp", "originator_topic"}

HEADER = """# Events catalogue

Generated from the code by `make docs` (`python -m booking.catalogue`); do not edit.
Every event also carries `originator_id` (the aggregate), `originator_version`
and `timestamp` — the moment it happened, from the application's clock.
"""


def _events_of(aggregate: type[Aggregate]) -> list[tuple[type[Any], Any]]:
    """The aggregate's events in the order their methods are written, with those methods."""
    found: dict[str, tuple[type[Any], Any]] = {}
    for klass in reversed(aggregate.__mro__):
        if not issubclass(klass, Aggregate) or klass is Aggregate:
            continue
        for name, value in vars(klass).items():
            if not (inspect.isclass(value) and issubclass(value, Aggregate.Event)):
                continue
            if issubclass(value, CanInitAggregate):
                init = vars(klass).get("__init__")
                func = getattr(init, "decorated_func", init)
            else:
                func = decorated_funcs.get(value)
            if name in found:  # redefined for a subclass: keep the method that applies it
                func = found[name][1]
            if func is not None:
                found[name] = (getattr(aggregate, name), func)
    return list(found.values())


def _fields(event_class: type[Any]) -> list[str]:
    hints: dict[str, Any] = {}
    for klass in reversed(event_class.__mro__):
        hints.update(getattr(klass, "__annotations__", {}))
    pipe = "\\|"  # a type union inside a Markdown table cell
    return [
        f"`{name}`: {str(kind).replace('|', pipe)}"
        for name, kind in hints.items()
        if name not in _COMMON and "ClassVar" not in str(kind)
    ]


def render() -> str:
    parts = [HEADER]
    for aggregate in AGGREGATES:
        doc = inspect.getdoc(aggregate) or ""
        parts.append(f"\n## {aggregate.__name__}\n\n{doc.splitlines()[0] if doc else ''}\n")
        parts.append("| event | what happened | fields |\n|---|---|---|")
        for event_class, func in _events_of(aggregate):
            what = (inspect.getdoc(func) or "").replace("\n", " ")
            fields = "<br>".join(_fields(event_class)) or "—"
            parts.append(f"| `{event_class.__name__}` | {what} | {fields} |")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render(), end="")
