"""Edge cases where the seeds are silent, decided as docs/rules.md says."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking_domain.errors import (
    MatchFull,
    OfferExpired,
    RingerBlocked,
    SpotFilled,
    ValidationError,
)
from booking_domain.values import Status, Tier
from tests.suite.test_offers import full_game
from tests.support import Club

M = timedelta(minutes=1)
H = timedelta(hours=1)


def test_a_place_freed_after_a_lapsed_round_is_offered_again(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=3, waiting=2, kickoff_in=10 * H)
    game.drop_and_release(ins[0])
    club.clock.advance(60 * M)
    game.tick()
    assert game.offered() == []  # both let their offers lapse: open to anyone
    game.drop_and_release(ins[1])
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
    game.drop_and_release(ins[0])
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
    game.drop_and_release(ins[0])
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
    game.drop_and_release(ins[0])
    club.clock.advance(60 * M)
    game.tick()
    assert game.offered() == []
    club.app.change_capacity(game.match_id, 2)
    assert game.offered() == [p.player_id for p in queue]


def test_grace_ended_by_the_timer_starts_a_new_round(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=3, waiting=2, kickoff_in=10 * H)
    game.drop_and_release(ins[0])
    club.clock.advance(60 * M)
    game.tick()
    game.say(ins[1], "OUT")
    club.clock.advance(2 * M)
    game.tick()
    assert game.offered() == [p.player_id for p in queue]


def test_a_match_with_fanout_one_offers_only_the_head(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=2, waiting=3, offer_fanout=1)
    game.drop_and_release(ins[0])
    assert game.offered() == [queue[0].player_id]


def test_a_ringer_on_the_waitlist_gets_offers_like_anyone(club: Club) -> None:
    club.app.change_settings({"enable_ringer_self_book": True})
    ana = club.player("Ana")
    gus = club.player("Gus", ringer=True)
    game = club.match(capacity=1)
    game.say(ana, "IN")
    game.say(gus, "WAITLIST")
    club.app.change_settings({"enable_ringer_self_book": False})
    game.drop_and_release(ana)
    assert game.offered() == [gus.player_id]
    game.claim(gus)
    assert game.status(gus) == "IN"


def _timeline(club: Club, timers: bool) -> tuple[int, int, list[bool]]:
    """Offers expire at T, another dropout's grace ends at T + 3: with or without timers."""
    ins = club.players("A", "B")
    queue = club.players("W1", "W2", "W3", "W4")
    game = club.match(capacity=2, kickoff_in=72 * H)
    for p in ins:
        game.say(p, "IN")
    for p in queue:
        game.say(p, "WAITLIST")
    game.say(ins[0], "OUT")
    club.clock.advance(5 * M)
    game.tick()
    expiry = game.waitlist.offers[0].expires_at
    club.clock.set(expiry - 2 * M)
    game.say(ins[1], "OUT")  # grace ends at expiry + 3 min
    if timers:
        club.clock.advance(2 * M)
        game.tick()  # the offers expire
        club.clock.advance(3 * M)
        game.tick()  # the grace ends: a new round
    club.clock.set(expiry + 10 * M)
    game.tick()
    waitlist = game.waitlist
    return game.match.free_places, len(waitlist.offers), [e.passed for e in waitlist.queue]


def test_late_timers_leave_the_same_state_as_timers_on_time(club: Club, memory_app, clock) -> None:
    on_time = _timeline(club, timers=True)
    late = _timeline(Club(memory_app, clock), timers=False)
    assert on_time == late == (2, 4, [False, False, False, False])


def test_every_loser_of_a_claim_is_told_spot_filled(club: Club) -> None:
    ana = club.player("Ana")
    w1, w2, w3, w4 = club.players("W1", "W2", "W3", "W4")
    game = club.match(capacity=1)
    game.say(ana, "IN")
    for w in (w1, w2, w3, w4):
        game.say(w, "WAITLIST")
    game.say(ana, "OUT")
    club.clock.advance(5 * M)
    game.tick()
    game.say(w3, "OUT")  # passes on the offer: W4 is offered in a second batch
    assert {o.batch for o in game.waitlist.offers} == {1, 2}
    game.claim(w1)
    for loser in (w2, w4):
        with pytest.raises(SpotFilled):
            game.claim(loser)


def test_a_grace_ending_while_booking_is_switched_off_still_starts_a_round(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=2, waiting=1, kickoff_in=10 * H)
    game.drop_and_release(ins[0])
    club.clock.advance(60 * M)
    game.tick()  # the only offer lapses
    game.say(ins[1], "OUT")
    club.clock.advance(5 * M)  # its grace ends while...
    club.app.disable_booking(game.match_id)  # ...the organiser switches booking off
    game.token = club.app.enable_booking(game.match_id).value
    assert game.offered() == [queue[0].player_id]  # a new round: the queue is offered again


def test_places_beyond_the_waiting_players_are_open_to_anyone(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=3, waiting=1)
    stranger = club.player("Stranger")
    for p in ins[:2]:
        game.drop_and_release(p)
    assert game.offered() == [queue[0].player_id]  # first call on one of the two places
    assert game.say(stranger, "IN").value.standing.status == Status.IN
    with pytest.raises(MatchFull):
        game.say(club.player("Another"), "IN")  # the last place is W0's to claim


def test_a_players_view_never_shows_a_lapsed_offer(club: Club) -> None:
    game, ins, queue = full_game(club, capacity=1, waiting=1, kickoff_in=10 * H)
    game.drop_and_release(ins[0])
    assert club.app.standing(game.match_id, queue[0].player_id).offer is not None
    club.clock.advance(61 * M)  # no timer has run
    assert club.app.standing(game.match_id, queue[0].player_id).offer is None
