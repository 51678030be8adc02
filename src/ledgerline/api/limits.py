"""Rate limits at the edge: per page on the bank API, per person on the client API.

Checked right after authentication and before anything is parsed into state or stored, so
a refused call (``(#613)``) leaves no trace but its count. The limits come from settings
(``bootstrap``). Without a shared store the buckets are in memory, per process
(``domain.ratelimit``: behind N processes a key may get up to N times the rate); when the
broker is Redis or NATS every process counts in the same buckets there
(``broker.redis_limits``, ``broker.nats_limits``), so the limits hold across processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ledgerline.domain.clock import SystemClock
from ledgerline.domain.errors import RateLimited
from ledgerline.domain.ratelimit import Limit, RateLimiter, retry_after_seconds

UNLIMITED = Limit(rate=0, burst=0)


class Limiter(Protocol):
    """Counts calls per key: ``check`` answers 0.0 when allowed, else the seconds to wait."""

    async def check(self, key: str, cost: float = 1.0) -> float: ...

    async def close(self) -> None: ...


class ProcessLimiter:
    """This process's own token buckets."""

    def __init__(self, buckets: RateLimiter) -> None:
        self.buckets = buckets

    async def check(self, key: str, cost: float = 1.0) -> float:
        return self.buckets.check(key, cost)

    async def close(self) -> None:
        return None


def _unlimited() -> Limiter:
    return ProcessLimiter(RateLimiter(UNLIMITED, SystemClock()))


@dataclass
class RateLimits:
    """``send``: Send API calls per page; ``ingest``: financial-data calls per page;
    ``person``: person-facing API calls (and stream connections) per person."""

    send: Limiter = field(default_factory=_unlimited)
    ingest: Limiter = field(default_factory=_unlimited)
    person: Limiter = field(default_factory=_unlimited)

    async def close(self) -> None:
        for limiter in (self.send, self.ingest, self.person):
            await limiter.close()


async def enforce(limiter: Limiter, key: str) -> None:
    """Count one call of ``key``; raise ``RateLimited`` (#613) when over the limit."""
    wait = await limiter.check(key)
    if wait > 0:
        raise RateLimited(retry_after=retry_after_seconds(wait))
