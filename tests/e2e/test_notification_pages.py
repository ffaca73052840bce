"""The organiser's notification ledger pages: per match and per player, each notice
with its channel, its outcome and why — suppressed by the cap, coalesced into a
digest, retried — and the member's Notifications page in the portal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from processes.notices import LAST_CALL, TIER_OPEN, Notice
from processes.outbox import Outbox
from processes.sidestore import to_us
from tests.e2e.api import ApiClub, phone
from tests.e2e.portal import sign_in
from tests.e2e.test_admin_pages import Admin, text_of
from tests.e2e.test_admin_pages import admin as admin

H = timedelta(hours=1)


def _tell(outbox: Outbox, player: UUID, match: UUID, kind: str, key: str, at: Any, n: int) -> str:
    app_kickoff = at + 10 * H
    notice = Notice(n, player, match, kind, key, f"{kind} number {n}", at, kickoff=app_kickoff)
    with outbox.side.transaction() as tx:
        outbox.add(tx, [notice])
    return notice.id.hex


def test_the_match_ledger_says_why_a_fourth_last_call_was_not_sent(admin: Admin) -> None:
    match = admin.new_match()
    ana = admin.player("Ana", 1)
    outbox: Outbox = admin.club.outbox
    now = admin.app.clock.now()
    for n in range(4):
        _tell(outbox, ana, match, LAST_CALL, f"last_call:{n}", now + n * H, 100 + n)
    retried = _tell(outbox, ana, match, TIER_OPEN, "tier_open:C", now, 99)
    with outbox.side.transaction() as tx:
        outbox.attempt(tx, retried, to_us(now), "email", "temporary", "mail server answered 451")

    raw = admin.get(f"/admin/matches/{match}/notifications")
    assert f'<a href="/admin/players/{ana}/notifications">Ana</a>' in raw
    page = text_of(raw)
    assert "Suppressed" in page and "suppressed: cap" in page
    assert "1 try: email temporary (mail server answered 451)" in page

    history = text_of(admin.get(f"/admin/players/{ana}/notifications"))
    assert "Ana's notifications" in history
    assert history.count("last call") == 4 and "suppressed: cap" in history
    assert "Thursday 5s" in history


def test_a_coalesced_notice_names_its_digest(admin: Admin) -> None:
    match = admin.new_match()
    ana = admin.player("Ana", 1)
    outbox: Outbox = admin.club.outbox
    now = admin.app.clock.now()
    _tell(outbox, ana, match, TIER_OPEN, "tier_open:A", now, 1)
    _tell(outbox, ana, match, "spot_filled", "offer:1", now + timedelta(minutes=3), 2)
    (filled,) = [e for e in outbox.ledger(match_id=match) if e.kind == "spot_filled"]
    page = text_of(admin.get(f"/admin/matches/{match}/notifications"))
    assert f"coalesced into digest {filled.digest_id}" in page
    assert "Coalesced" in page and "digest" in page


def test_the_member_sees_how_they_are_told(client: Any) -> None:
    ApiClub(client).player("Ana", 5, email="ana@example.org")
    sign_in(client, phone(5))
    page = client.get("/portal/notifications").get_data(as_text=True)
    assert "How we tell you" in page and 'value="ana@example.org"' in page
    assert "has not set up push notifications" in page  # no VAPID key in tests
    assert client.get("/sw.js").headers["Content-Type"].startswith("text/javascript")
