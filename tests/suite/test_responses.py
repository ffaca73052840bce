"""IN / OUT / WAITLIST / MAYBE through the shared link (seed 004 §2–§5, §18)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking_domain.errors import (
    BookingClosed,
    InvalidToken,
    InvalidTransition,
    MatchFull,
    NameRequired,
    NameTaken,
    NotFound,
    NotRegistered,
    RingerBlocked,
    TooEarly,
    ValidationError,
)
from booking_domain.values import InviteMode, Status
from tests.support import Club, phone

H = timedelta(hours=1)


def test_players_book_until_the_match_is_full(club: Club) -> None:
    ana, ben, cal = club.players("Ana", "Ben", "Cal")
    game = club.match(capacity=2)
    assert game.say(ana, "IN").value.standing.status == Status.IN
    game.say(ben, "IN")
    with pytest.raises(MatchFull) as refused:
        game.say(cal, "IN")
    assert refused.value.data == {"waitlist_position_if_joined": 1}
    assert "Join the waitlist as #1" in refused.value.message
    assert game.match.booked == 2 and game.match.free_places == 0
    assert game.status(cal) == "PENDING"


def test_joining_the_waitlist_gives_fifo_positions(club: Club) -> None:
    ana, ben, cal, dan = club.players("Ana", "Ben", "Cal", "Dan")
    game = club.match(capacity=1)
    game.say(ana, "IN")
    assert game.say(ben, "WAITLIST").value.standing.waitlist_position == 1
    assert game.say(cal, "WAITLIST").value.standing.waitlist_position == 2
    with pytest.raises(MatchFull) as refused:
        game.say(dan, "IN")
    assert refused.value.data["waitlist_position_if_joined"] == 3
    assert game.queue() == [ben.player_id, cal.player_id]
    assert game.status(ben) == "WAITLIST"


def test_leaving_the_waitlist_closes_the_gap(club: Club) -> None:
    ana, ben, cal, dan = club.players("Ana", "Ben", "Cal", "Dan")
    game = club.match(capacity=1)
    game.say(ana, "IN")
    for p in (ben, cal, dan):
        game.say(p, "WAITLIST")
    game.say(cal, "OUT")
    assert game.queue() == [ben.player_id, dan.player_id]
    assert game.app.standing(game.match_id, dan.player_id).waitlist_position == 2
    assert game.status(cal) == "OUT"


def test_waitlist_is_refused_while_places_are_free(club: Club) -> None:
    ana = club.player("Ana")
    game = club.match(capacity=3)
    with pytest.raises(InvalidTransition, match=r"3 spots left — tap IN to secure yours\."):
        game.say(ana, "WAITLIST")


def test_out_with_might_be_available_later(club: Club) -> None:
    ana = club.player("Ana")
    game = club.match()
    standing = game.say(ana, "OUT", out_flexible=True).value.standing
    assert (standing.status, standing.out_flexible) == (Status.OUT, True)
    game.say(ana, "OUT")
    assert game.app.standing(game.match_id, ana.player_id).out_flexible is False


def test_maybe_does_not_count_against_capacity(club: Club) -> None:
    ana, ben = club.players("Ana", "Ben")
    game = club.match(capacity=1)
    game.say(ana, "MAYBE")
    assert game.status(ana) == "MAYBE"
    game.say(ben, "IN")
    assert game.match.booked == 1


def test_an_unknown_action_is_a_validation_error(club: Club) -> None:
    ana = club.player("Ana")
    game = club.match()
    with pytest.raises(ValidationError, match="action"):
        game.say(ana, "PERHAPS")


def test_wrong_or_rotated_tokens_are_refused(club: Club) -> None:
    ana = club.player("Ana")
    game = club.match()
    with pytest.raises(InvalidToken, match="This link isn't valid anymore"):
        club.app.respond(match_id=game.match_id, token="guess", phone=ana.phone, action="IN")
    old = game.token
    club.app.disable_booking(game.match_id)
    game.token = club.app.enable_booking(game.match_id).value
    assert game.token != old
    with pytest.raises(InvalidToken):
        club.app.respond(match_id=game.match_id, token=old, phone=ana.phone, action="IN")
    game.say(ana, "IN")


def test_the_token_is_stored_only_as_a_digest(club: Club) -> None:
    game = club.match()
    for notification in club.app.recorder.select_notifications(start=1, limit=1000):
        assert game.token.encode() not in notification.state


def test_a_link_is_dead_after_the_match(club: Club) -> None:
    ana = club.player("Ana")
    game = club.match(kickoff_in=2 * H)
    club.clock.advance(27 * H)
    with pytest.raises(InvalidToken):
        game.say(ana, "IN")


@pytest.mark.parametrize(
    ("close", "message"),
    [
        (lambda app, mid: app.disable_booking(mid), "Booking isn't open"),
        (lambda app, mid: app.lock_pool(mid), "locked"),
        (lambda app, mid: app.cancel_match(mid), "cancelled"),
    ],
)
def test_responses_stop_when_booking_closes(club: Club, close, message: str) -> None:
    ana = club.player("Ana")
    game = club.match()
    close(club.app, game.match_id)
    with pytest.raises(BookingClosed, match=message):
        game.say(ana, "IN")


def test_no_booking_after_kickoff(club: Club) -> None:
    ana = club.player("Ana")
    game = club.match(kickoff_in=2 * H)
    club.clock.advance(2 * H)
    with pytest.raises(BookingClosed, match="kicked off"):
        game.say(ana, "IN")


def test_no_such_match(club: Club) -> None:
    import uuid

    ana = club.player("Ana")
    with pytest.raises(NotFound):
        club.app.respond(match_id=uuid.uuid4(), token="x", phone=ana.phone, action="IN")


# ------------------------------------------------------------- unknown phones


def test_unknown_number_when_the_club_blocks_them(club: Club) -> None:
    game = club.match()
    club.app.change_settings({"block_unknown_players": True, "enable_ringer_self_book": True})
    with pytest.raises(NotRegistered, match="This number isn't registered"):
        club.app.respond(
            match_id=game.match_id, token=game.token, phone=phone(99), action="IN", name="Zed"
        )


def test_unknown_number_when_ringers_may_not_book(club: Club) -> None:
    game = club.match()
    with pytest.raises(
        RingerBlocked, match=r"Please ask the organiser to add you for this match\."
    ):
        club.app.respond(
            match_id=game.match_id, token=game.token, phone=phone(99), action="IN", name="Zed"
        )


def test_unknown_number_becomes_a_ringer_with_a_unique_name(club: Club) -> None:
    club.player("Zed")
    game = club.match()
    club.app.change_settings({"enable_ringer_self_book": True})
    respond = club.app.respond
    with pytest.raises(NameRequired, match="Enter your name to join the list:"):
        respond(match_id=game.match_id, token=game.token, phone=phone(99), action="IN")
    with pytest.raises(NameTaken):
        respond(match_id=game.match_id, token=game.token, phone=phone(99), action="IN", name="zed")
    answer = respond(
        match_id=game.match_id, token=game.token, phone=phone(99), action="IN", name="Guest Gus"
    )
    ringer = club.app.get_player(answer.value.player_id)
    assert (ringer.name, ringer.is_ringer, str(ringer.tier)) == ("Guest Gus", True, "C")
    assert answer.value.standing.status == Status.IN


def test_a_refused_unknown_number_is_not_registered(club: Club) -> None:
    game = club.match(capacity=1)
    club.app.change_settings({"enable_ringer_self_book": True})
    club.app.lock_pool(game.match_id)
    with pytest.raises(BookingClosed):
        club.app.respond(
            match_id=game.match_id, token=game.token, phone=phone(99), action="IN", name="Gus"
        )
    assert club.app.find_player_by_phone(phone(99)) is None


def test_a_ringer_cannot_self_book_unless_the_club_allows(club: Club) -> None:
    gus = club.player("Gus", ringer=True)
    game = club.match()
    with pytest.raises(RingerBlocked):
        game.say(gus, "IN")
    club.app.change_settings({"enable_ringer_self_book": True})
    assert game.say(gus, "IN").value.standing.status == Status.IN


def test_a_ringer_the_organiser_added_can_still_say_out(club: Club) -> None:
    gus = club.player("Gus", ringer=True)
    game = club.match()
    club.app.add_player_to_match(game.match_id, gus.player_id)
    game.say(gus, "OUT")
    assert game.status(gus) == "OUT"


# ---------------------------------------------------------------- tier windows


def test_tiered_booking_opens_tier_by_tier(club: Club) -> None:
    ava = club.player("Ava", tier="A")
    bob = club.player("Bob", tier="B")
    cy = club.player("Cy")
    now = club.clock.now()
    game = club.match(
        kickoff_in=72 * H,
        invite_mode="tiered",
        tier_windows={"a_open_at": now, "b_open_at": now + 2 * H, "c_open_at": now + 4 * H},
    )
    game.say(ava, "IN")
    with pytest.raises(TooEarly) as early:
        game.say(bob, "IN")
    assert early.value.data["opens_at"] == now + 2 * H
    assert early.value.message == "Too early — Tier B opens at Mon 23 Nov 11:00."
    with pytest.raises(TooEarly):
        game.say(cy, "WAITLIST")
    game.say(cy, "OUT")  # saying OUT early is always fine
    club.clock.advance(2 * H)
    game.say(bob, "IN")
    with pytest.raises(TooEarly, match="Tier C"):
        game.say(cy, "IN")
    club.clock.advance(2 * H)
    assert game.say(cy, "IN").value.standing.status == Status.IN


def test_switching_tiered_to_all_opens_to_everyone_now(club: Club) -> None:
    cy = club.player("Cy")
    now = club.clock.now()
    game = club.match(invite_mode="tiered", tier_windows={"a_open_at": now})
    with pytest.raises(TooEarly):
        game.say(cy, "IN")
    club.app.change_invite_mode(game.match_id, invite_mode="all")
    game.say(cy, "IN")
    match = game.match
    assert match.invite_mode == InviteMode.ALL and match.tier_windows is None


def test_switching_all_to_tiered_only_gates_new_bookings(club: Club) -> None:
    cy, dee = club.players("Cy", "Dee")
    game = club.match()
    game.say(cy, "IN")
    club.app.change_invite_mode(game.match_id, invite_mode="tiered", tier_windows={})
    assert game.status(cy) == "IN"
    with pytest.raises(TooEarly):
        game.say(dee, "IN")


def test_tier_windows_use_the_club_offsets(club: Club) -> None:
    club.app.change_settings({"tier_b_offset_hours": 6, "tier_c_offset_hours": 12})
    game = club.match(invite_mode="tiered", tier_windows={})
    windows = game.match.tier_windows
    now = club.clock.now()
    assert windows is not None
    assert (windows.a_open_at, windows.b_open_at, windows.c_open_at) == (
        now,
        now + 6 * H,
        now + 12 * H,
    )


def test_enabling_rotates_the_token_every_time(club: Club) -> None:
    game = club.match()
    first = game.match.invite_token_digest
    club.app.enable_booking(game.match_id)
    assert game.match.invite_token_digest != first


def test_tiers_b_and_c_can_open_together(club: Club) -> None:
    bob = club.player("Bob", tier="B")
    cy = club.player("Cy")
    now = club.clock.now()
    game = club.match(
        invite_mode="tiered",
        tier_windows={"a_open_at": now, "b_open_at": now + 2 * H, "c_open_at": now + 2 * H},
    )
    windows = game.match.tier_windows
    assert windows is not None
    assert windows.b_and_c_together
    with pytest.raises(TooEarly, match="Tier C opens at Mon 23 Nov 11:00"):
        game.say(cy, "IN")
    club.clock.advance(2 * H)
    game.say(bob, "IN")
    game.say(cy, "IN")
    assert (game.status(bob), game.status(cy)) == ("IN", "IN")
