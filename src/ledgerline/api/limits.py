"""Rate limits at the edge: per page on the bank API, per person on the client API.

Checked right after authentication and before anything is parsed into state or stored, so
a refused call (``(#613)``) leaves no trace but its count. The buckets are in memory, per
process (``domain.ratelimit``); the limits come from settings (``bootstrap``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledgerline.domain.clock import SystemClock
from ledgerline.domain.errors import RateLimited
from ledgerline.domain.ratelimit import Limit, RateLimiter, retry_after_seconds

UNLIMITED = Limit(rate=0, burst=0)


def _unlimited() -> RateLimiter:
    return RateLimiter(UNLIMITED, SystemClock())


@dataclass
class RateLimits:
    """``send``: Send API calls per page; ``ingest``: financial-data calls per page;
    ``person``: person-facing API calls (and stream connections) per person."""

    send: RateLimiter = field(default_factory=_unlimited)
    ingest: RateLimiter = field(default_factory=_unlimited)
    person: RateLimiter = field(default_factory=_unlimited)


def enforce(limiter: RateLimiter, key: str) -> None:
    """Count one call of ``key``; raise ``RateLimited`` (#613) when over the limit."""
    wait = limiter.check(key)
    if wait > 0:
        raise RateLimited(retry_after=retry_after_seconds(wait))
