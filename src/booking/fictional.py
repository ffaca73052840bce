"""Phone numbers for demos, tests and benchmarks that can never reach a real person.

Ofcom keeps these UK ranges for drama and examples (020 7946 0xxx and the like);
``phonenumbers`` accepts them as valid, so they go through the same checks as
real numbers. 12,000 of them.
"""

from __future__ import annotations

_RANGES = (
    "+442079460",  # London 020 7946 0xxx
    "+441134960",  # Leeds 0113 496 0xxx
    "+441144960",  # Sheffield
    "+441164960",  # Leicester
    "+441174960",  # Bristol
    "+441184960",  # Reading
    "+441214960",  # Birmingham
    "+441314960",  # Edinburgh
    "+441414960",  # Glasgow
    "+441514960",  # Liverpool
    "+441614960",  # Manchester
    "+441914980",  # Tyneside
)


def fictional_phone(n: int) -> str:
    """The n-th number (0 ≤ n < 12,000) of the reserved ranges, in E.164."""
    if not 0 <= n < 1000 * len(_RANGES):
        raise ValueError(f"only {1000 * len(_RANGES)} fictional numbers")
    return f"{_RANGES[n // 1000]}{n % 1000:03d}"
