"""What the organiser does to a match and its waitlist (seed 004 §5.1, §7, §21).

Like ``rsvp.py``: each function is one command's decision over both aggregates,
catching up with the clock first and, where places or the queue can change,
bringing the offers in line last.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from booking_domain import approvals, payment_window, policies
from booking_domain.carts import APPROVED_REASON
from booking_domain.errors import InvalidTransition
from booking_domain.match import Match
from booking_domain.offers import SYSTEM, catch_up, fill_free_places, place_freed
from booking_domain.queue_entries import Offer
from booking_domain.values import InviteMode, OfferMode, Source, Status, TierWindows
from booking_domain.waitlist import Waitlist


def admin_add(
    match: Match,
    waitlist: Waitlist,
    player_id: UUID,
    actor: str,
    now: datetime,
    load: approvals.Load | None = None,
) -> None:
    """Manual add always works and consumes a place (seed 004 §7).

    On a court slot the member asked for, the add approves their request (all of
    it: ``load`` gives its other slots).
    """
    catch_up(match, waitlist, now)
    entry = match.roster.get(player_id)
    if match.pending_of(player_id) is not None:
        found = load or (lambda _: (match, waitlist))
        approvals.approve(found, match.id, player_id, "added by admin", actor, now)
    elif entry is not None and entry.in_grace:
        match.retract_dropout(player_id=player_id, source=Source.ADMIN, now=now)
    else:
        if entry is not None and entry.status == Status.HELD:
            # A held place the admin confirms by hand: the hold is let go first,
            # so the add takes that place rather than going over capacity.
            match.release_hold(
                player_id=player_id, reason="admin_added", to_status=Status.WAITLIST, now=now
            )
        if match.offer_mode == OfferMode.APPROVAL:
            # A waiting cart ends as one: the member got the slot by the admin's hand.
            waitlist.cancel_cart(player_id=player_id, reason="admin_added", actor=actor, now=now)
        # Their open offer, if any, was overtaken by the admin, not turned down.
        waitlist.leave(
            player_id=player_id, reason="admin_added", actor=actor, now=now, declined=False
        )
        match.admin_add(player_id=player_id, actor=actor, now=now)
    if match.offer_mode == OfferMode.APPROVAL and match.free_places <= 0:
        approvals.cancel_waiting(match, waitlist, APPROVED_REASON, actor, now)
    fill_free_places(match, waitlist, now, when_full="admin_added")


def change_capacity(
    match: Match, waitlist: Waitlist, capacity: int, actor: str, now: datetime
) -> None:
    """Capacity down demotes the latest INs to the head; up reinstates them first."""
    catch_up(match, waitlist, now)
    old_capacity = match.capacity
    if match.offer_mode == OfferMode.APPROVAL and capacity < match.places_taken:
        # A request decided as a whole cannot lose one slot to a cut: decide first.
        raise InvalidTransition(
            "Decide or move the requests on this slot before cutting its places."
        )
    if not match.change_capacity(capacity=capacity, actor=actor, now=now):
        return
    if capacity < old_capacity:
        excess = match.places_taken - capacity
        if excess > 0:
            _shrink(match, waitlist, excess, now)
        fill_free_places(match, waitlist, now, when_full="capacity_reduced")
        return
    payment_window.reinstate_bumped(match, waitlist, now)
    place_freed(match, waitlist, now, reason="capacity_raised")


def _shrink(match: Match, waitlist: Waitlist, excess: int, now: datetime) -> None:
    # Places reserved for dropouts in grace go first: those players said OUT.
    # The one whose grace would end last goes first.
    graced = sorted(match.roster.in_grace(), key=lambda e: e.grace_until or now, reverse=True)
    for entry in graced[:excess]:
        match.finalise_dropout(
            player_id=entry.player_id, reason="capacity_reduced", actor=SYSTEM, now=now
        )
        excess -= 1
    # Then held places, latest first: nobody has paid for them yet.
    if excess > 0:
        latest_holds = sorted(waitlist.holding_offers(), key=lambda o: o.issued_at)[-excess:]
        for offer in latest_holds:
            waitlist.supersede_offer(offer=offer, reason="capacity_reduced", now=now)
        payment_window.release_ended_holds(match, waitlist, now)
        excess -= len(latest_holds)
    victims = match.latest_placed(excess)
    for pid in victims:
        match.demote(player_id=pid, reason="capacity_reduced", now=now)
    waitlist.bump_to_head(player_ids=victims, reason="capacity_reduced", now=now)


def release_dropout(
    match: Match, waitlist: Waitlist, player_id: UUID, actor: str, now: datetime
) -> None:
    """ "Release spot now": end the grace period at once (seed 004 §5.1)."""
    catch_up(match, waitlist, now)
    if match.finalise_dropout(
        player_id=player_id, reason="released_by_admin", actor=actor, now=now
    ):
        place_freed(match, waitlist, now, reason="dropout")
    elif match.status_of(player_id) not in (Status.OUT, Status.MAYBE):
        raise InvalidTransition("That player has no place in grace to release.")


def reissue_offers(match: Match, waitlist: Waitlist, actor: str, now: datetime) -> list[Offer]:
    """ "Send new waitlist offers": a fresh batch to the head of the queue (seed 004 §5.1).

    A second press while that fresh batch is still open changes nothing.
    """
    match.ensure_open_for_players(now)
    catch_up(match, waitlist, now)
    if match.offer_mode == OfferMode.PAYMENT_WINDOW:
        # Paid offers under way keep their time; the free places go to the queue
        # again, to those who let an offer lapse too.
        waitlist.close_round(reason="reissued", now=now)
        return payment_window.fill_paid_places(
            match, waitlist, now, reason="reissued", promoted_by=actor, force=True
        )
    if _fresh_batch_open(match, waitlist):
        return []
    waitlist.supersede_all(reason="reissued", now=now)
    waitlist.close_round(reason="reissued", now=now)
    return fill_free_places(match, waitlist, now, reason="reissued")


def _fresh_batch_open(match: Match, waitlist: Waitlist) -> bool:
    wanted = policies.offers_to_issue(match.free_places, match.offer_fanout)
    head = {e.player_id for e in waitlist.queue[:wanted]}
    offered = {o.player_id for o in waitlist.offers}
    return bool(offered) and offered == head and not any(e.passed for e in waitlist.queue)


def enable_booking(
    match: Match,
    waitlist: Waitlist,
    *,
    invite_mode: InviteMode,
    windows: TierWindows | None,
    token_digest: str,
    actor: str,
    now: datetime,
) -> None:
    """Turn the shared link on with a fresh token; free places go to the queue again."""
    catch_up(match, waitlist, now)
    match.enable_booking(
        invite_mode=invite_mode, windows=windows, token_digest=token_digest, actor=actor, now=now
    )
    fill_free_places(match, waitlist, now)


def change_invite_mode(
    match: Match,
    waitlist: Waitlist,
    *,
    mode: InviteMode,
    windows: TierWindows | None,
    actor: str,
    now: datetime,
) -> None:
    """All at once ↔ tiered, keeping the link (seed 004 §3)."""
    catch_up(match, waitlist, now)
    match.change_invite_mode(invite_mode=mode, windows=windows, actor=actor, now=now)


def lock_pool(match: Match, waitlist: Waitlist, actor: str, now: datetime) -> None:
    """Lock Pool ends self-serve booking: grace ends and open offers lapse."""
    catch_up(match, waitlist, now, offer=False)
    match.lock_pool(actor=actor, now=now)
    _wind_down(match, waitlist, "pool_locked", now)


def balance_teams(match: Match, waitlist: Waitlist, actor: str, now: datetime) -> None:
    """PoolLocked → TeamsBalanced."""
    catch_up(match, waitlist, now, offer=False)
    match.balance_teams(actor=actor, now=now)


def complete(match: Match, waitlist: Waitlist, actor: str, now: datetime) -> None:
    """TeamsBalanced → Completed."""
    catch_up(match, waitlist, now, offer=False)
    match.complete(actor=actor, now=now)


def cancel(
    match: Match,
    waitlist: Waitlist,
    reason: str,
    actor: str,
    now: datetime,
    load: approvals.Load | None = None,
) -> None:
    """Cancel from any state before Completed (a court slot's requests end as wholes:
    ``load`` gives their other slots)."""
    catch_up(match, waitlist, now, offer=False)
    match.cancel(reason=reason, actor=actor, now=now)
    approvals.close_slot(load or (lambda _: (match, waitlist)), match.id, actor, now)
    _wind_down(match, waitlist, "match_cancelled", now)


def disable_booking(match: Match, waitlist: Waitlist, actor: str, now: datetime) -> None:
    """Switch the link off; open offers could no longer be claimed, so they end."""
    catch_up(match, waitlist, now, offer=False)
    match.disable_booking(actor=actor, now=now)
    fill_free_places(match, waitlist, now)


def _wind_down(match: Match, waitlist: Waitlist, reason: str, now: datetime) -> None:
    for entry in match.roster.in_grace():
        match.finalise_dropout(player_id=entry.player_id, reason=reason, actor=SYSTEM, now=now)
    waitlist.supersede_all(reason=reason, now=now)
    payment_window.release_ended_holds(match, waitlist, now)
