"""Rate limits shared by every process through NATS JetStream's key-value store (when the
broker is NATS).

One token bucket per key — the same rule as ``domain.ratelimit`` — kept as one entry of a
key-value bucket (``<namespace>_limit_<name>``, in memory, history 1) and updated by
compare-and-swap: a process reads the entry and its revision, takes its tokens, and writes
back only if the revision is still the one it read; if another process wrote meanwhile it
reads again. So N processes together allow the configured rate and burst, not N times them.
Time is the processes' wall clock (a Redis bucket uses Redis's clock; NATS's key-value store
has no server-side script): keep the hosts' clocks synchronised (NTP), as for the tokens'
expiry times. An entry expires (the bucket's TTL) once it would be full again.

If NATS cannot be reached, each process falls back to its own buckets (the limit per process,
as without a broker) for ``RETRY_SECONDS``, then connects again, and logs it: a broker outage
never stops the API and costs no request more than one timeout.
"""

from __future__ import annotations

import asyncio
import base64
import math
import re
from typing import TYPE_CHECKING

import nats
import structlog
from nats.errors import Error as NatsError
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BadRequestError, KeyNotFoundError, KeyWrongLastSequenceError

from ledgerline.domain.clock import Clock
from ledgerline.domain.ratelimit import Limit, RateLimiter, TokenBucket

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js.kv import KeyValue

log = structlog.get_logger(__name__)

TIMEOUT_SECONDS = 1.0  # one key-value call; past it NATS counts as out of reach
RETRY_SECONDS = 5.0  # how long a process keeps to its own buckets after NATS failed
MAX_ATTEMPTS = 32  # compare-and-swap rounds lost to other processes before falling back


def bucket_name(namespace: str, name: str) -> str:
    """A key-value bucket name (letters, digits, ``_`` and ``-`` only)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{namespace}_limit_{name}")


def entry_key(key: str) -> str:
    """Any limiter key (a page id, a person) as a valid key-value key."""
    return "k" + base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def encode(bucket: TokenBucket) -> bytes:
    return f"{bucket.tokens!r} {bucket.updated!r}".encode()


def decode(raw: bytes | None, limit: Limit, now: float) -> TokenBucket:
    """The stored bucket; a full one when the entry is missing or unreadable."""
    bucket = TokenBucket(limit, now)
    try:
        tokens, updated = (raw or b"").decode().split()
        bucket.tokens, bucket.updated = float(tokens), float(updated)
    except ValueError:
        pass
    return bucket


class NatsRateLimiter:
    """``check(key)`` against one bucket per key shared by every process on ``url``."""

    def __init__(
        self, url: str, *, name: str, namespace: str, fallback: RateLimiter, clock: Clock
    ) -> None:
        self.url = url
        self.bucket = bucket_name(namespace, name)
        self.fallback = fallback  # this process's own buckets, while NATS is out of reach
        self.limit: Limit = fallback.limit
        self._clock = clock
        self._nc: Client | None = None
        self._kv: KeyValue | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry_at = 0.0  # monotonic; before it, NATS is not asked
        self._failing = False

    async def _store(self) -> KeyValue:
        """The key-value bucket on a connection of the running event loop."""
        loop = asyncio.get_running_loop()
        if self._kv is not None and self._loop is loop:
            return self._kv
        await self.close()

        async def quiet(exc: Exception) -> None:  # check() logs an outage once
            log.debug("rate_limit_nats_error", error=str(exc))

        # No reconnecting in the background: after a failure check() drops the connection
        # and opens a new one RETRY_SECONDS later.
        self._nc = await nats.connect(
            self.url,
            name=f"ledgerline limits {self.bucket}",
            connect_timeout=TIMEOUT_SECONDS,
            allow_reconnect=False,
            max_reconnect_attempts=1,  # two tries at first, 0.1 s apart (0 would be endless)
            reconnect_time_wait=0.1,
            error_cb=quiet,
        )
        self._loop = loop
        js = self._nc.jetstream(timeout=TIMEOUT_SECONDS)
        config = KeyValueConfig(
            bucket=self.bucket,
            history=1,
            storage=StorageType.MEMORY,
            # An entry outlives the time its bucket takes to fill up again, then goes.
            ttl=float(math.ceil(self.limit.burst / self.limit.rate) + 1),
        )
        try:
            self._kv = await js.create_key_value(config)
        except BadRequestError:  # it exists with other settings (another rate): use it
            self._kv = await js.key_value(self.bucket)
        return self._kv

    async def _take(self, key: str, cost: float) -> float:
        store = await self._store()
        name = entry_key(key)
        for _ in range(MAX_ATTEMPTS):
            now = self._clock.now().timestamp()
            try:
                entry = await store.get(name)
                raw, revision = entry.value, entry.revision or 0
            except KeyNotFoundError:
                raw, revision = None, 0
            bucket = decode(raw, self.limit, now)
            wait = bucket.take(self.limit, now, cost)
            if wait > 0:  # refused: nothing taken, nothing to write
                return wait
            try:
                if revision:
                    await store.update(name, encode(bucket), last=revision)
                else:
                    await store.create(name, encode(bucket))
            except KeyWrongLastSequenceError:
                continue  # another process took tokens meanwhile: read again
            return 0.0
        log.warning("rate_limit_nats_contended", bucket=self.bucket, fallback="process")
        return self.fallback.check(key, cost)

    async def check(self, key: str, cost: float = 1.0) -> float:
        """Count one call of ``key``: 0.0 when allowed, else the seconds to wait."""
        if not self.limit.enabled:
            return 0.0
        if self._clock.monotonic() < self._retry_at:
            return self.fallback.check(key, cost)
        try:
            wait = await self._take(key, cost)
        except (NatsError, OSError, TimeoutError) as exc:
            if not self._failing:
                log.warning("rate_limit_nats_unreachable", error=str(exc), fallback="process")
            self._failing = True
            self._retry_at = self._clock.monotonic() + RETRY_SECONDS
            await self.close()
            return self.fallback.check(key, cost)
        if self._failing:
            log.info("rate_limit_nats_back")
            self._failing = False
        return wait

    async def close(self) -> None:
        nc, self._nc, self._kv = self._nc, None, None
        if nc is not None:
            try:
                await nc.close()
            except NatsError:
                log.info("rate_limit_nats_close_failed")
