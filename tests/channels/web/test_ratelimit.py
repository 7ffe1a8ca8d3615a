"""Token buckets (channels/web/ratelimit.py) with a fake clock."""

from __future__ import annotations

import pytest

from channels.web.ratelimit import RateLimiter, too_many


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_up_to_the_rate_then_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock=clock)
    assert [limiter.check("a") for _ in range(6)] == [0.0] * 6
    wait = limiter.check("a")
    assert wait == pytest.approx(10.0)  # 6 per minute: one token every 10 s
    clock.now += 10
    assert limiter.check("a") == 0.0
    assert limiter.check("a") > 0


def test_keys_are_independent_and_bounded() -> None:
    limiter = RateLimiter(1, clock=Clock(), max_keys=3)
    assert limiter.check("a") == 0.0
    assert limiter.check("a") > 0
    assert limiter.check("b") == 0.0
    for key in "cdef":
        limiter.check(key)
    assert len(limiter) == 3
    assert limiter.check("a") == 0.0  # forgotten, so it starts full again


def test_rejects_nonsense_rate() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_429_carries_retry_after_in_whole_seconds() -> None:
    exc = too_many(2.2)
    assert exc.status_code == 429
    assert exc.headers == {"Retry-After": "3"}
    assert "3秒" in str(exc.detail)
