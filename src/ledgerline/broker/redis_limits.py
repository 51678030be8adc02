"""Rate limits shared by every process through Redis (when the broker is Redis).

One token bucket per key — the same rule as ``domain.ratelimit`` — kept in a Redis hash and
updated by one Lua script on Redis's own clock, atomically: N processes together allow the
configured rate and burst, not N times them. A bucket expires once it would be full again.

If Redis cannot be reached, each process falls back to its own buckets (the limit per
process, as without Redis) and logs it: a broker outage never stops the API.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from ledgerline.domain.ratelimit import Limit, RateLimiter

log = structlog.get_logger(__name__)

# KEYS[1]: the bucket; ARGV: rate (tokens a second), burst, cost. Returns the seconds to wait
# (0 when granted), as a string: Lua numbers come back from Redis as integers.
BUCKET_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(saved[1])
local updated = tonumber(saved[2])
if tokens == nil or updated == nil then
  tokens = burst
  updated = now
end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
updated = math.max(updated, now)
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
else
  wait = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(updated))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisRateLimiter:
    """``check(key)`` against one bucket per key shared by every process on ``url``; keys
    are ``<namespace>:limit:<name>:<key>``."""

    def __init__(self, url: str, *, name: str, namespace: str, fallback: RateLimiter) -> None:
        self.url = url
        self.prefix = f"{namespace}:limit:{name}:"
        self.fallback = fallback  # this process's own buckets, while Redis is out of reach
        self.limit: Limit = fallback.limit
        self._client: aioredis.Redis | None = None
        self._script: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failing = False

    def _bound(self) -> Any:
        """The script on a client of the running event loop (a client is bound to one)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = aioredis.from_url(self.url)
            self._script = self._client.register_script(BUCKET_SCRIPT)
            self._loop = loop
        return self._script

    async def check(self, key: str, cost: float = 1.0) -> float:
        """Count one call of ``key``: 0.0 when allowed, else the seconds to wait."""
        if not self.limit.enabled:
            return 0.0
        script = self._bound()
        try:
            raw = await script(
                keys=[self.prefix + key], args=[self.limit.rate, self.limit.burst, cost]
            )
        except (RedisError, OSError) as exc:
            if not self._failing:
                log.warning("rate_limit_redis_unreachable", error=str(exc), fallback="process")
            self._failing = True
            return self.fallback.check(key, cost)
        if self._failing:
            log.info("rate_limit_redis_back")
            self._failing = False
        return float(raw)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
