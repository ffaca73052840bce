"""Server-side sessions (``processes.sessions``) and the sign-in code courier
(``processes.login_codes.Courier``) on an in-memory side store and a test clock."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from processes.admin_tokens import AdminTokens
from processes.clock import ManualClock
from processes.login_codes import Courier, LoginCodes
from processes.sessions import ADMIN, PORTAL, SIGN_IN, SessionPolicy, Sessions
from processes.sidestore import MemorySideStore, Tx

START = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)
ANA = "+442079460101"
POLICY = SessionPolicy(lifetime=timedelta(hours=12), idle=timedelta(hours=1))


class Store:
    """Sessions and admin tokens over one in-memory side store, counting writes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.side = MemorySideStore(threading.RLock())
        self.clock = ManualClock(START)
        self.tokens = AdminTokens(self.side)
        policies = {ADMIN: POLICY, PORTAL: POLICY, SIGN_IN: POLICY}
        self.sessions = Sessions(self.side, self.clock, policies, token_live=self.tokens.live)
        self.updates: list[str] = []
        execute = Tx.execute

        def counting(tx: Tx, sql: str, params: object = ()) -> Tx:
            if sql.lstrip().startswith("UPDATE") and "booking_sessions" in sql:
                self.updates.append(sql)
            return execute(tx, sql, params)  # type: ignore[arg-type]

        monkeypatch.setattr(Tx, "execute", counting)

    def admin(self, label: str = "treasurer") -> tuple[str, str]:
        token = self.tokens.create(label, self.clock.now())
        credential = self.tokens.identify(token)
        assert credential is not None
        return token, self.sessions.start_admin(credential.digest, credential.label)

    def rows(self) -> list[dict[str, object]]:
        with self.side.reading() as tx:
            return tx.execute("SELECT * FROM booking_sessions").rows()


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Store:
    return Store(monkeypatch)


def test_last_seen_is_written_at_most_once_a_minute(store: Store) -> None:
    _, sid = store.admin()
    for _ in range(5):
        store.clock.advance(timedelta(seconds=10))
        assert store.sessions.find(sid, ADMIN) is not None
    assert store.updates == []  # 50 s of requests: no write
    store.clock.advance(timedelta(seconds=10))
    assert store.sessions.find(sid, ADMIN) is not None
    assert len(store.updates) == 1
    assert store.sessions.find(sid, ADMIN) is not None
    assert len(store.updates) == 1


def test_only_the_digest_of_the_id_is_stored(store: Store) -> None:
    token, sid = store.admin()
    portal = store.sessions.start_portal(ANA)
    stored = " ".join(str(v) for row in store.rows() for v in row.values())
    assert sid not in stored and portal not in stored and token not in stored


def test_an_id_answers_only_for_its_own_kind(store: Store) -> None:
    portal = store.sessions.start_portal(ANA)
    assert store.sessions.find(portal, ADMIN) is None
    assert store.sessions.find(portal, SIGN_IN) is None
    found = store.sessions.find(portal, PORTAL)
    assert found is not None and found.phone == ANA
    assert store.sessions.find("made-up", PORTAL) is None
    assert store.sessions.find(None, PORTAL) is None


def test_an_ended_session_stays_ended(store: Store) -> None:
    _, sid = store.admin()
    store.sessions.end(sid)
    assert store.sessions.find(sid, ADMIN) is None
    store.clock.advance(timedelta(minutes=5))
    assert store.sessions.find(sid, ADMIN) is None


def test_a_lapsed_session_is_ended_for_good(store: Store) -> None:
    _, sid = store.admin()
    store.clock.advance(POLICY.idle)
    assert store.sessions.find(sid, ADMIN) is None
    (row,) = store.rows()
    assert row["ended_us"] != 0


def test_revoking_a_token_ends_its_sessions_and_no_other(store: Store) -> None:
    _, first = store.admin("treasurer")
    _, again = store.admin("treasurer")
    _, other = store.admin("coach")
    portal = store.sessions.start_portal(ANA)
    assert store.tokens.revoke("treasurer", store.clock.now()) == 2
    ended = {row["label"] for row in store.rows() if row["ended_us"]}
    assert ended == {"treasurer"}
    assert store.sessions.find(first, ADMIN) is None
    assert store.sessions.find(again, ADMIN) is None
    assert store.sessions.find(other, ADMIN) is not None
    assert store.sessions.find(portal, PORTAL) is not None


def test_rotating_a_label_leaves_only_the_newest_token(store: Store) -> None:
    old = store.tokens.rotate("serve", store.clock.now())
    new = store.tokens.rotate("serve", store.clock.now())
    assert store.tokens.check(old) is None
    assert store.tokens.check(new) == "serve"


def test_long_dead_rows_are_cleared_when_a_session_starts(store: Store) -> None:
    store.admin()
    store.clock.advance(POLICY.lifetime + timedelta(days=8))
    store.sessions.start_portal(ANA)
    assert [row["kind"] for row in store.rows()] == [PORTAL]


def test_policies_must_be_positive_and_complete() -> None:
    with pytest.raises(ValueError, match="positive"):
        SessionPolicy(lifetime=timedelta(0), idle=timedelta(hours=1))
    side = MemorySideStore(threading.RLock())
    with pytest.raises(ValueError, match="policy"):
        Sessions(side, ManualClock(START), {ADMIN: POLICY})


# -------------------------------------------------------------- the courier


def test_the_courier_sends_from_its_own_thread_in_order() -> None:
    sent: list[tuple[str, str, int]] = []
    courier = Courier(lambda p, t: sent.append((p, t, threading.get_ident())))
    for n in range(3):
        courier.post(ANA, f"code {n}")
    assert courier.wait_until_sent()
    courier.close()
    assert [t for _, t, _ in sent] == ["code 0", "code 1", "code 2"]
    assert threading.get_ident() not in {ident for *_, ident in sent}


def test_a_failing_send_is_logged_without_the_number_and_the_courier_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[str] = []

    def send(phone: str, text: str) -> None:
        if text == "bad":
            raise RuntimeError(f"could not reach {phone}")
        sent.append(text)

    courier = Courier(send)
    with caplog.at_level(logging.DEBUG):
        courier.post(ANA, "bad")
        courier.post(ANA, "good")
        assert courier.wait_until_sent()
    courier.close()
    assert sent == ["good"]
    assert "RuntimeError" in caplog.text and ANA[3:] not in caplog.text


def test_a_strangers_request_sends_nothing_and_its_row_signs_nobody_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    side = MemorySideStore(threading.RLock())
    sent: list[tuple[str, str]] = []
    codes = LoginCodes(side, ManualClock(START), lambda p, t: sent.append((p, t)), secret=b"k")
    monkeypatch.setattr("processes.login_codes.secrets.randbelow", lambda _n: 123456)
    codes.request(ANA, deliver=False)
    assert sent == []
    with side.reading() as tx:
        assert len(tx.execute("SELECT * FROM booking_login_codes").rows()) == 1
    assert codes.verify(ANA, "123456") is False
