"""Per-channel rate limits, shared through the real Redis by every sender that uses it."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import redis
from dramatiq.rate_limits.backends import RedisBackend

from processes.channels import Outgoing, TemporaryFailure
from processes.channels.limits import RateLimitedSender, rate_limits
from tests.integration.test_timer_faults import REDIS_URL


class Counting:
    name = "sms"

    def __init__(self) -> None:
        self.at: list[float] = []

    def send(self, address: str, message: Outgoing) -> None:
        self.at.append(time.monotonic())


def _message(n: int) -> Outgoing:
    return Outgoing(f"n{n}", "payment_offer", "A place is held", "Log in to pay")


@pytest.fixture
def backend() -> Any:
    client = redis.Redis.from_url(REDIS_URL)
    yield RedisBackend(client=client)
    client.close()


def test_two_senders_together_keep_to_the_channels_limit(backend: Any) -> None:
    namespace = f"limits-{uuid.uuid4().hex[:8]}"
    sms = Counting()
    one = RateLimitedSender(sms, backend, 2, namespace=namespace, wait=5.0)
    other = RateLimitedSender(sms, backend, 2, namespace=namespace, wait=5.0)
    for n in range(6):
        (one if n % 2 else other).send("+15005550006", _message(n))
    assert len(sms.at) == 6
    # six messages at two a second (buckets of whole seconds): three buckets at least
    assert sms.at[-1] - sms.at[0] >= 1.0


def test_no_slot_in_time_is_a_temporary_failure(backend: Any) -> None:
    sms = Counting()
    limited = RateLimitedSender(sms, backend, 1, namespace=f"l-{uuid.uuid4().hex[:8]}", wait=0.0)
    limited.send("+15005550006", _message(1))
    with pytest.raises(TemporaryFailure, match="sms rate limit reached"):
        limited.send("+15005550006", _message(2))
    assert len(sms.at) == 1


def test_the_limits_come_from_the_settings() -> None:
    assert rate_limits({}) == {"email": 14, "sms": 1, "webpush": 100, "fcm": 100}
    assert rate_limits({"NOTIFY_RATE_LIMITS": "email=50, sms=5"})["email"] == 50
    with pytest.raises(ValueError, match="sms must be at least 1"):
        rate_limits({"NOTIFY_RATE_LIMITS": "sms=0"})
