"""Token buckets: how many calls a page or a person may make, pure and clock-driven.

A ``Limit`` is a steady rate (tokens per second) and a burst (the bucket's size). Each key
(a page id, a person) has its own bucket, full at first; a call takes one token, and tokens
come back at the steady rate. A refused call learns how long until a token is back.
Buckets live in memory, per process: behind N processes a key may get up to N times the
rate, which is what a per-process limiter can promise (see docs/bank-api.md).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from ledgerline.domain.clock import Clock

MAX_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class Limit:
    """``rate`` tokens a second, at most ``burst`` at once; a rate of 0 means no limit."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate < 0 or self.burst < 0:
            raise ValueError("a rate limit's rate and burst must not be negative")
        if self.rate > 0 and self.burst < 1:
            raise ValueError("a rate limit's burst must be at least 1")

    @property
    def enabled(self) -> bool:
        return self.rate > 0


class TokenBucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, limit: Limit, now: float) -> None:
        self.tokens = float(limit.burst)
        self.updated = now

    def _refill(self, limit: Limit, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(limit.burst), self.tokens + elapsed * limit.rate)
        self.updated = max(self.updated, now)

    def take(self, limit: Limit, now: float, cost: float = 1.0) -> float:
        """Take ``cost`` tokens: 0.0 when granted, else the seconds until they are back
        (nothing is taken then)."""
        self._refill(limit, now)
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / limit.rate

    def full(self, limit: Limit, now: float) -> bool:
        self._refill(limit, now)
        return self.tokens >= limit.burst


class RateLimiter:
    """One bucket per key under one ``Limit``; thread-safe; memory bounded by ``max_keys``."""

    def __init__(self, limit: Limit, clock: Clock, *, max_keys: int = MAX_KEYS) -> None:
        self.limit = limit
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def check(self, key: str, cost: float = 1.0) -> float:
        """Count one call of ``key``: 0.0 when allowed, else the seconds to wait."""
        if not self.limit.enabled:
            return 0.0
        now = self._clock.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._max_keys:
                    self._forget_idle(now)
                bucket = self._buckets[key] = TokenBucket(self.limit, now)
            return bucket.take(self.limit, now, cost)

    def _forget_idle(self, now: float) -> None:
        """Drop full buckets (a new bucket starts full, so nothing changes for them); if all
        are busy, start over rather than grow without bound."""
        idle = [key for key, bucket in self._buckets.items() if bucket.full(self.limit, now)]
        for key in idle:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:
            self._buckets.clear()

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after_seconds(wait: float) -> int:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return max(1, math.ceil(wait))
