"""Club-wide settings (seed 004 §3.4 "RSVP policies"), one aggregate per club."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from booking_domain import limits
from booking_domain.errors import ValidationError
from booking_domain.values import ClubPolicy, CopiesContainersOnly

CLUB_SETTINGS_ID = UUID("8b6f4e59-2d1c-4d8e-b4a7-2f1f3c9d0e11")
_KINDS = {f.name: f.type for f in fields(ClubPolicy)}  # "bool" or "int" (annotations)


class ClubSettings(CopiesContainersOnly, Aggregate):
    """The settings every match of the club follows; all policies off by default."""

    @staticmethod
    def create_id() -> UUID:
        return CLUB_SETTINGS_ID

    @classmethod
    def create(cls, now: datetime) -> ClubSettings:
        settings: ClubSettings = cls(timestamp=now)
        return settings

    @event("ClubSettingsCreated")
    def __init__(self, *, timestamp: datetime) -> None:
        """The club's settings began, every policy off (seed 004 §3.4)."""
        self.policy = ClubPolicy()

    def change(self, *, changes: dict[str, Any], actor: str, now: datetime) -> None:
        """Apply the given settings; unknown names and wrong types are refused."""
        for name, value in changes.items():
            if name not in _KINDS:
                raise ValidationError(name, "unknown setting")
            if _KINDS[name] == "bool" and not isinstance(value, bool):
                raise ValidationError(name, "must be true or false")
            if _KINDS[name] == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValidationError(name, "must be a whole number")
            if name.startswith("quiet_hours_"):
                limits.HOUR_OF_DAY.check(name, value)
            if name.endswith("_offset_hours"):
                limits.TIER_OFFSET_HOURS.check(name, value)
        merged = replace(self.policy, **changes)
        if merged.tier_c_offset_hours < merged.tier_b_offset_hours:
            raise ValidationError("tier_c_offset_hours", "must not be less than the Tier B offset")
        actual = {k: v for k, v in changes.items() if asdict(self.policy)[k] != v}
        if actual:
            self._settings_changed(changes=actual, actor=actor, timestamp=now)

    @event("ClubSettingsChanged")
    def _settings_changed(
        self, *, changes: dict[str, Any], actor: str, timestamp: datetime
    ) -> None:
        """An admin changed club-wide settings; ``changes`` holds only what changed."""
        self.policy = replace(self.policy, **changes)
