"""Token-bucket rate limits for the web chat API, per sender id and per client IP.

In memory and per process: with N gateway workers a client gets at most N times the limit, which is
acceptable for abuse protection (the goal is to stop floods, not to meter exactly). A limit of ``rate``
per minute means a bucket of ``rate`` tokens refilled at ``rate / 60`` tokens a second.

Use `chat_rate_limit` as a FastAPI dependency on the chat route; it answers 429 with a Japanese message
and a ``Retry-After`` header. ``request.client`` is the resident's address, not a reverse proxy's, when the proxy is
named in ``MADOGUCHI_FORWARDED_ALLOW_IPS`` (the launcher passes it to uvicorn; docs/deploy.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request

__all__ = [
    "TOO_MANY_RESPONSES",
    "RateLimiter",
    "TokenBucket",
    "chat_rate_limit",
    "ip_rate_limit",
    "limiter_for",
    "too_many",
]

# Several residents often share one address (the city hall's Wi-Fi, mobile carrier NAT).
IP_FACTOR = 4
# The widget's helper endpoints (history, furigana, feedback) are called more often than the chat itself
# (furigana: one call per message shown); they have their own per-IP bucket so they never starve the chat.
AUX_FACTOR = 10
MAX_KEYS = 100_000
# OpenAPI description of the 429 the limits answer (for the `responses=` of every rate-limited route).
TOO_MANY_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "rate limit reached; a Japanese message says how long to wait",
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"detail": {"type": "string"}},
                    "required": ["detail"],
                }
            }
        },
    }
}


@dataclass
class TokenBucket:
    capacity: float
    refill_per_s: float
    tokens: float
    updated: float

    def take(self, now: float, cost: float = 1.0) -> float:
        """Take ``cost`` tokens; return 0 when allowed, else the seconds until enough tokens are back."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.refill_per_s)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.refill_per_s


class RateLimiter:
    """Named buckets of one shape; the least recently used keys are forgotten past ``max_keys``."""

    def __init__(
        self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, key: str) -> float:
        """0 when ``key`` may go on now, else the seconds to wait (the request is not counted then)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = TokenBucket(
                    float(self.per_minute), self.per_minute / 60.0, float(self.per_minute), now
                )
                self._buckets[key] = bucket
                if len(self._buckets) > self._max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
            return bucket.take(now)

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass
class WebLimits:
    sender: RateLimiter
    ip: RateLimiter
    aux_ip: RateLimiter


def limiter_for(request: Request) -> WebLimits:
    """The app's limiters, created on first use from ``settings.chat_rate_per_minute``."""
    state = request.app.state
    limits = getattr(state, "web_rate_limits", None)
    if limits is None:
        rate = int(getattr(state.settings, "chat_rate_per_minute", 30))
        limits = WebLimits(
            sender=RateLimiter(rate), ip=RateLimiter(rate * IP_FACTOR), aux_ip=RateLimiter(rate * AUX_FACTOR)
        )
        state.web_rate_limits = limits
    return limits


def too_many(
    wait_s: float,
    what: str = "短い時間にたくさんのメッセージが送られました。",
    english: str = "too many requests",
) -> HTTPException:
    """429 with ``Retry-After`` and a Japanese message: ``what`` happened, then how long to wait."""
    seconds = max(1, math.ceil(wait_s))
    return HTTPException(
        status_code=429,
        detail=f"{what}{seconds}秒ほど待ってから、もう一度お試しください。({english})",
        headers={"Retry-After": str(seconds)},
    )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def ip_rate_limit(request: Request) -> None:
    """Dependency for the widget's helper endpoints: their own per-IP bucket."""
    wait = limiter_for(request).aux_ip.check(client_ip(request))
    if wait:
        raise too_many(wait)


async def chat_rate_limit(request: Request) -> None:
    """Dependency for ``POST /api/v1/chat``: one token from the IP's bucket and one from the sender's.

    FastAPI has already read (and cached) the JSON body when dependencies run, so reading it here is free.
    A body without a usable ``sender_id`` is left to the route's own validation (422).
    """
    limits = limiter_for(request)
    wait = limits.ip.check(client_ip(request))
    if wait:
        raise too_many(wait)
    try:
        body = await request.json()
    except ValueError:
        return
    sender = body.get("sender_id") if isinstance(body, dict) else None
    if isinstance(sender, str) and sender:
        wait = limits.sender.check(sender[:128])
        if wait:
            raise too_many(wait)
