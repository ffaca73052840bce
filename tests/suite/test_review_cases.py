"""Edge cases where the seeds are silent, decided as docs/rules.md says."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking_domain.errors import MatchFull, OfferExpired, RingerBlocked, ValidationError
from booking_domain.values import Status, Tier
from tests.suite.test_offers import full_game
from tests.support import Club

M = timedelta(minutes=1)
H = timedelta(hours=1)


def test_a_place_freed_after_a_lapsed_round_is_offered_again(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=3, waiting=2, kickoff_in=10 * H)
    game.say(ins[0], "OUT")
    club.app.release_spot(game.match_id, ins[0].player_id)
    club.clock.advance(60 * M)
    game.tick()
    assert game.offered() == []  # both let their offers lapse: open to anyone
    game.say(ins[1], "OUT")
    club.app.release_spot(game.match_id, ins[1].player_id)
    # A new place came free: a new round, the queue is offered first again.
    assert game.offered() == [p.player_id for p in queue]


def test_near_kickoff_the_queue_still_comes_first(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=2, kickoff_in=25 * M)
    stranger = club.player("Stranger")
    game.say(ins[0], "OUT")
    club.clock.advance(1 * M)
    game.tick()
    with pytest.raises(MatchFull):
        game.say(stranger, "IN")
    game.say(queue[1], "IN")  # anyone in the queue: first tap wins
    assert game.status(queue[1]) == "IN"


def test_an_old_expiry_does_not_explain_a_full_match(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=4, kickoff_in=72 * H)
    game.say(ins[0], "OUT")
    club.app.release_spot(game.match_id, ins[0].player_id)
    club.clock.advance(240 * M)
    game.tick()
    with pytest.raises(OfferExpired):
        game.claim(queue[0])
    game.claim(queue[3])  # the cascade's offer is taken: full again
    club.clock.advance(24 * H)
    with pytest.raises(MatchFull) as full:
        game.claim(queue[0])
    assert "you're #1 on the waitlist" in full.value.message


def test_staying_tiered_keeps_the_windows(club: Club) -> None:
    game = club.match(invite_mode="tiered", tier_windows={})
    windows = game.match.tier_windows
    club.clock.advance(1 * M)
    before = club.app.recorder.max_notification_id()
    club.app.change_invite_mode(game.match_id, invite_mode="tiered")
    assert game.match.tier_windows == windows
    assert club.app.recorder.max_notification_id() == before
    now = club.clock.now()
    club.app.change_invite_mode(
        game.match_id, invite_mode="tiered", tier_windows={"a_open_at": now - H}
    )
    before = club.app.recorder.max_notification_id()
    club.clock.advance(1 * M)
    club.app.change_invite_mode(
        game.match_id, invite_mode="tiered", tier_windows={"a_open_at": now - H}
    )
    assert club.app.recorder.max_notification_id() == before


def test_ringers_stay_in_tier_c(club: Club) -> None:
    gus = club.player("Gus", ringer=True)
    with pytest.raises(ValidationError, match="Tier C"):
        club.app.update_player(gus.player_id, tier="A")
    ava = club.player("Ava", tier="A")
    club.app.update_player(ava.player_id, is_ringer=True)
    assert club.app.get_player(ava.player_id).tier == Tier.C


def test_a_manual_add_overtakes_an_offer_rather_than_declining_it(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=2, waiting=3)
    game.say(ins[0], "OUT")
    club.app.release_spot(game.match_id, ins[0].player_id)
    club.app.add_player_to_match(game.match_id, queue[1].player_id)
    notifications = club.app.recorder.select_notifications(start=1, limit=1000)
    kinds = [n.topic.rsplit(".", 1)[-1] for n in notifications]
    assert "OfferDeclined" not in kinds
    assert game.status(queue[1]) == "IN"


def test_a_capacity_cut_leaves_no_more_offers_than_the_places_allow(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=5, waiting=6)
    game.say(ins[0], "OUT")
    game.say(ins[1], "OUT")
    club.clock.advance(5 * M)
    game.tick()
    assert game.offered() == [p.player_id for p in queue[:4]]  # two places: top four
    club.app.change_capacity(game.match_id, 4)
    # One place: the top three keep their offers; the one furthest back loses it.
    assert game.offered() == [p.player_id for p in queue[:3]]


def test_a_ringer_added_by_the_organiser_can_take_back_their_out(club: Club) -> None:
    gus = club.player("Gus", ringer=True)
    game = club.match()
    club.app.add_player_to_match(game.match_id, gus.player_id)
    game.say(gus, "OUT")
    game.say(gus, "IN")  # within grace
    assert game.status(gus) == "IN"
    club.clock.advance(10 * M)
    game.say(gus, "OUT")
    club.clock.advance(10 * M)
    game.tick()
    with pytest.raises(RingerBlocked):
        game.say(gus, "IN")  # grace over: that would be booking themselves


def test_a_claim_after_grace_ran_out_unnoticed_gets_the_place(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=3, kickoff_in=10 * H)
    game.say(ins[0], "OUT")
    club.clock.advance(5 * M)  # grace (2 min) over, no timer has run: no offer exists yet
    assert game.claim(queue[0]).value.standing.status == Status.IN


def test_raising_capacity_after_a_lapsed_round_offers_the_queue_again(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=2, kickoff_in=10 * H)
    game.say(ins[0], "OUT")
    club.app.release_spot(game.match_id, ins[0].player_id)
    club.clock.advance(60 * M)
    game.tick()
    assert game.offered() == []
    club.app.change_capacity(game.match_id, 2)
    assert game.offered() == [p.player_id for p in queue]


def test_grace_ended_by_the_timer_starts_a_new_round(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=3, waiting=2, kickoff_in=10 * H)
    game.say(ins[0], "OUT")
    club.app.release_spot(game.match_id, ins[0].player_id)
    club.clock.advance(60 * M)
    game.tick()
    game.say(ins[1], "OUT")
    club.clock.advance(2 * M)
    game.tick()
    assert game.offered() == [p.player_id for p in queue]


def test_a_match_with_fanout_one_offers_only_the_head(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=2, waiting=3, offer_fanout=1)
    game.say(ins[0], "OUT")
    club.app.release_spot(game.match_id, ins[0].player_id)
    assert game.offered() == [queue[0].player_id]


def test_a_ringer_on_the_waitlist_gets_offers_like_anyone(club: Club) -> None:
    club.app.change_settings({"enable_ringer_self_book": True})
    ana = club.player("Ana")
    gus = club.player("Gus", ringer=True)
    game = club.match(capacity=1)
    game.say(ana, "IN")
    game.say(gus, "WAITLIST")
    club.app.change_settings({"enable_ringer_self_book": False})
    game.say(ana, "OUT")
    club.app.release_spot(game.match_id, ana.player_id)
    assert game.offered() == [gus.player_id]
    game.claim(gus)
    assert game.status(gus) == "IN"
