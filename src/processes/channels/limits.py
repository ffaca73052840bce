"""Per-channel rate limits, shared by every worker through Redis (dramatiq's rate limiters).

Providers cap how fast they take messages (an SMS number about one a second,
a mail relay a dozen or so); going over earns refusals or a blocked account.
Each sender is wrapped so that all workers together stay under its limit: a
send waits briefly for a slot, and if none comes it is a temporary failure,
tried again after the backoff. ``NOTIFY_RATE_LIMITS`` overrides the defaults,
e.g. ``email=14,sms=1,webpush=100,fcm=100`` (messages per second).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from dramatiq.rate_limits import BucketRateLimiter
from dramatiq.rate_limits.backends import RedisBackend

from processes.channels import Outgoing, Sender, TemporaryFailure

DEFAULT_PER_SECOND = {"email": 14, "sms": 1, "webpush": 100, "fcm": 100}


def rate_limits(env: Mapping[str, str]) -> dict[str, int]:
    """Messages per second per channel: the defaults, with ``NOTIFY_RATE_LIMITS`` over them."""
    found = dict(DEFAULT_PER_SECOND)
    for part in (env.get("NOTIFY_RATE_LIMITS") or "").split(","):
        name, _, value = part.partition("=")
        if name.strip() and value.strip():
            limit = int(value)
            if limit < 1:
                raise ValueError(f"NOTIFY_RATE_LIMITS: {name.strip()} must be at least 1")
            found[name.strip()] = limit
    return found


class RateLimitedSender:
    """A sender that keeps to ``per_second`` across every process sharing the backend."""

    def __init__(
        self, sender: Sender, backend: Any, per_second: int, *, namespace: str, wait: float = 2.0
    ) -> None:
        self.sender = sender
        self.name = sender.name
        self.wait = wait
        self.limiter = BucketRateLimiter(
            backend, f"{namespace}:rate:{sender.name}", limit=per_second, bucket=1_000
        )

    def send(self, address: str, message: Outgoing) -> None:
        deadline = time.monotonic() + self.wait
        while True:
            with self.limiter.acquire(raise_on_failure=False) as acquired:
                if acquired:
                    self.sender.send(address, message)
                    return
            if time.monotonic() >= deadline:
                raise TemporaryFailure(f"{self.name} rate limit reached", retry_after=1.0)
            time.sleep(0.05)


def limited(
    senders: Mapping[str, Sender], broker: Any, per_second: Mapping[str, int], namespace: str
) -> dict[str, Sender]:
    """Each sender behind its channel's limit (on the broker's Redis)."""
    if not senders:
        return {}
    backend = RedisBackend(client=broker.client)
    return {
        name: RateLimitedSender(sender, backend, per_second[name], namespace=namespace)
        if name in per_second
        else sender
        for name, sender in senders.items()
    }
