"""The activity lines the narrator writes for what admins most need to see."""

from __future__ import annotations

from datetime import timedelta

from booking_domain.application import BookingApp
from projections.narrative import Narrator
from tests.suite.test_offers import full_game
from tests.support import Club

M = timedelta(minutes=1)


def story(app: BookingApp) -> list[str]:
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    events = [app.mapper.to_domain_event(n) for n in notifications]
    return [line.text for line in Narrator().narrate(events)]


def test_expiry_cascade_capacity_cut_and_manual_add(memory_app: BookingApp, clock) -> None:
    club = Club(memory_app, clock)
    game, ins, _queue = full_game(club, capacity=2, waiting=4, kickoff_in=timedelta(hours=10))
    game.say(ins[0], "OUT", out_flexible=True)
    memory_app.release_spot(game.match_id, ins[0].player_id)
    clock.advance(60 * M)
    game.tick()
    extra = club.player("Extra")
    memory_app.add_player_to_match(game.match_id, extra.player_id)
    memory_app.change_capacity(game.match_id, 1)
    lines = story(memory_app)
    for expected in [
        "In0 dropped out — grace until 09:02.",
        "In0's place released now (admin).",
        "Spot offered to Wait0, Wait1 and Wait2 until 10:00 (batch 1).",
        "Offers to Wait0, Wait1 and Wait2 expired.",
        "Spot offered to Wait3 until 11:00 (batch 2).",
        "Extra added by hand (admin).",
        "Open offers to Wait3 ended (admin added).",
        "Capacity 2 → 1 (admin).",
        "Extra moved to the head of the waitlist (capacity cut).",
    ]:
        assert expected in lines, f"{expected!r} not in {lines}"
