"""Portal sign-in codes (``processes.login_codes``): six digits, ten minutes, five tries."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest

from processes.clock import ManualClock
from processes.login_codes import TRIES, VALID_FOR, LoginCodes
from processes.sidestore import MemorySideStore

ANA, BEN = "+442079460101", "+442079460102"
START = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)


class Codes:
    """LoginCodes on an in-memory side store, with what it sent."""

    def __init__(self, secret: bytes = b"server-secret") -> None:
        self.side = MemorySideStore(threading.RLock())
        self.clock = ManualClock(START)
        self.sent: list[tuple[str, str]] = []
        self.codes = LoginCodes(
            self.side, self.clock, lambda p, t: self.sent.append((p, t)), secret=secret
        )

    def request(self, phone: str) -> str:
        self.codes.request(phone)
        found = re.search(r"\b(\d{6})\b", self.sent[-1][1])
        assert found
        return found.group(1)

    def rows(self) -> list[dict[str, object]]:
        with self.side.reading() as tx:
            return tx.execute("SELECT * FROM booking_login_codes").rows()


@pytest.fixture
def codes() -> Codes:
    return Codes()


def fixed_codes(monkeypatch: pytest.MonkeyPatch, *values: int) -> None:
    """The next codes made are these (the real ones come from ``secrets``)."""
    given = iter(values)
    monkeypatch.setattr("processes.login_codes.secrets.randbelow", lambda _n: next(given))


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_code_is_sent_and_signs_in_once(codes: Codes) -> None:
    code = codes.request(ANA)
    assert codes.sent == [(ANA, f"Your sign-in code is {code}. It expires in 10 minutes.")]
    assert codes.codes.verify(ANA, code) is True
    assert codes.codes.verify(ANA, code) is False  # used codes die
    assert codes.rows() == []


def test_only_digests_are_stored(codes: Codes) -> None:
    code = codes.request(ANA)
    (row,) = codes.rows()
    stored = " ".join(str(v) for v in row.values())
    assert code not in stored
    assert ANA not in stored and ANA.lstrip("+") not in stored
    assert re.fullmatch(r"[0-9a-f]{64}", str(row["code_digest"]))
    assert re.fullmatch(r"[0-9a-f]{64}", str(row["phone_digest"]))


def test_the_digest_needs_the_server_key(monkeypatch: pytest.MonkeyPatch) -> None:
    fixed_codes(monkeypatch, 123456, 123456)
    one, other = Codes(b"key-one"), Codes(b"key-two")
    one.request(ANA)
    other.request(ANA)
    assert one.rows()[0]["code_digest"] != other.rows()[0]["code_digest"]
    assert one.rows()[0]["phone_digest"] != other.rows()[0]["phone_digest"]


def test_a_code_is_for_its_own_phone(codes: Codes, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed_codes(monkeypatch, 123456, 123456)
    code = codes.request(ANA)
    assert codes.codes.verify(BEN, code) is False
    codes.request(BEN)  # the same six digits for another phone: another digest
    first, second = (row["code_digest"] for row in codes.rows())
    assert first != second
    assert codes.codes.verify(ANA, code) is True
    assert codes.codes.verify(BEN, code) is True


def test_a_code_expires_after_ten_minutes(codes: Codes) -> None:
    code = codes.request(ANA)
    codes.clock.advance(VALID_FOR - timedelta(seconds=1))
    fresh = codes.request(BEN)
    assert codes.codes.verify(BEN, fresh) is True
    codes.clock.advance(timedelta(seconds=1))
    assert codes.codes.verify(ANA, code) is False
    assert codes.rows() == []  # an expired code is cleared when tried


def test_five_wrong_tries_then_even_the_right_code_fails(codes: Codes) -> None:
    code = codes.request(ANA)
    for _ in range(TRIES):
        assert codes.codes.verify(ANA, wrong(code)) is False
    assert codes.codes.verify(ANA, code) is False
    assert codes.rows() == []


def test_the_fifth_try_may_still_be_right(codes: Codes) -> None:
    code = codes.request(ANA)
    for _ in range(TRIES - 1):
        assert codes.codes.verify(ANA, wrong(code)) is False
    assert codes.codes.verify(ANA, code) is True


def test_a_new_request_replaces_the_old_code(codes: Codes, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed_codes(monkeypatch, 111111, 222222)
    first = codes.request(ANA)
    for _ in range(TRIES - 1):
        codes.codes.verify(ANA, wrong(first))
    second = codes.request(ANA)  # a new code, with fresh tries
    assert (first, second) == ("111111", "222222")
    assert len(codes.rows()) == 1
    assert codes.rows()[0]["tries"] == 0
    assert codes.codes.verify(ANA, first) is False
    assert codes.codes.verify(ANA, second) is True


@pytest.mark.parametrize("given", ["", "12345", "1234567", "abcdef", "１２３４５６", None])
def test_malformed_codes_fail_without_spending_a_try(codes: Codes, given: str | None) -> None:
    codes.request(ANA)
    assert codes.codes.verify(ANA, given) is False  # type: ignore[arg-type]
    assert codes.rows()[0]["tries"] == 0


def test_no_code_asked_for_fails(codes: Codes) -> None:
    assert codes.codes.verify(ANA, "123456") is False
    assert codes.sent == []


def test_codes_are_six_random_digits(codes: Codes) -> None:
    seen = {codes.request(ANA) for _ in range(40)}
    assert all(re.fullmatch(r"\d{6}", c) for c in seen)
    assert len(seen) > 30


def test_an_empty_secret_is_refused() -> None:
    side = MemorySideStore(threading.RLock())
    with pytest.raises(ValueError, match="secret"):
        LoginCodes(side, ManualClock(START), lambda p, t: None, secret=b"")
