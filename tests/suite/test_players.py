"""Players: one phone = one player, unique names, tiers and ringers (seed 004 §3.1, §7)."""

from __future__ import annotations

import pytest

from booking_domain.application import BookingApp
from booking_domain.errors import (
    InvalidPhone,
    NameTaken,
    NameTooLong,
    NotFound,
    PhoneTaken,
    ValidationError,
)
from booking_domain.values import ClubPolicy, Tier


def test_a_registered_player_is_found_by_any_spelling_of_their_phone(app: BookingApp) -> None:
    pid = app.register_player(name="Sam", phone="020 7946 0123").value
    player = app.find_player_by_phone("+442079460123")
    assert player is not None and player.id == pid
    assert player.phone == "+442079460123"
    assert player.tier == Tier.C and not player.is_ringer and not player.muted


def test_one_phone_is_one_player(app: BookingApp) -> None:
    app.register_player(name="Sam", phone="02079460123")
    with pytest.raises(PhoneTaken, match="already linked to another player"):
        app.register_player(name="Samuel", phone="+44 20 7946 0123")


def test_names_are_unique_whatever_their_case_and_spacing(app: BookingApp) -> None:
    app.register_player(name="Sam B", phone="02079460123")
    with pytest.raises(NameTaken, match="That name's already taken — try another"):
        app.register_player(name="sam  b", phone="02079460124")


def test_a_refused_registration_leaves_nothing_behind(app: BookingApp) -> None:
    app.register_player(name="Sam", phone="02079460123")
    before = app.recorder.max_notification_id()
    with pytest.raises(NameTaken):
        app.register_player(name="SAM", phone="02079460124")
    assert app.recorder.max_notification_id() == before
    # The phone of the refused attempt is still free.
    app.register_player(name="Alex", phone="02079460124")


@pytest.mark.parametrize(
    ("name", "phone", "error"),
    [
        ("A" * 15, "02079460123", NameTooLong),
        ("", "02079460123", ValidationError),
        ("Sam", "not a phone", InvalidPhone),
    ],
)
def test_bad_player_details_are_refused(
    app: BookingApp, name: str, phone: str, error: type
) -> None:
    with pytest.raises(error):
        app.register_player(name=name, phone=phone)
    assert app.recorder.max_notification_id() in (None, 0)


def test_renaming_frees_the_old_name(app: BookingApp) -> None:
    sam = app.register_player(name="Sam", phone="02079460123").value
    app.update_player(sam, name="Samuel")
    assert app.get_player(sam).name == "Samuel"
    other = app.register_player(name="Sam", phone="02079460124").value
    assert app.get_player(other).name == "Sam"
    with pytest.raises(NameTaken):
        app.update_player(other, name="samuel")


def test_a_ringer_who_becomes_a_regular_keeps_their_record(app: BookingApp) -> None:
    pid = app.register_player(name="Guest", phone="02079460123", is_ringer=True).value
    app.update_player(pid, is_ringer=False, tier="B", muted=True)
    player = app.get_player(pid)
    assert (player.is_ringer, player.tier, player.muted) == (False, Tier.B, True)


def test_ringers_are_always_tier_c(app: BookingApp) -> None:
    pid = app.register_player(name="Guest", phone="02079460123", tier="A", is_ringer=True).value
    assert app.get_player(pid).tier == Tier.C


def test_unknown_player_and_unknown_tier(app: BookingApp) -> None:
    import uuid

    with pytest.raises(NotFound):
        app.update_player(uuid.uuid4(), tier="A")
    pid = app.register_player(name="Sam", phone="02079460123").value
    with pytest.raises(ValidationError, match="tier"):
        app.update_player(pid, tier="D")


def test_club_settings_start_off_and_change_only_as_asked(app: BookingApp) -> None:
    assert app.club_policy() == ClubPolicy()
    app.change_settings({"enable_ringer_self_book": True, "tier_b_offset_hours": 12})
    policy = app.club_policy()
    assert policy.enable_ringer_self_book and policy.tier_b_offset_hours == 12
    assert not policy.block_unknown_players
    with pytest.raises(ValidationError, match="unknown setting"):
        app.change_settings({"free_beer": True})
    with pytest.raises(ValidationError, match="true or false"):
        app.change_settings({"block_unknown_players": "yes"})
    assert app.club_policy() == policy
