"""Redis Streams adapter: every process appends to one capped stream and reads it all.

``XADD ledgerline:events MAXLEN ~ 10000`` per message; each process follows the stream with
``XREAD BLOCK`` from where it joined (no consumer group: every process needs every frame).
Work is not distributed through Redis — the outbox claims in the database do that.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from ledgerline.broker.base import BrokerMessage, Handler, new_origin

log = structlog.get_logger(__name__)

STREAM = "ledgerline:events"
MAXLEN = 10_000
BLOCK_MS = 1_000
RETRY_SECONDS = 0.5


class RedisStreamsBroker:
    def __init__(self, url: str, *, stream: str = STREAM, origin: str | None = None) -> None:
        self.origin = origin or new_origin()
        self.url = url
        self.stream = stream
        self._client: aioredis.Redis | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self, handler: Handler) -> None:
        self._client = aioredis.from_url(self.url)
        # Join at the stream's current end: what was said before we came is not ours.
        last: Any = await self._client.xrevrange(self.stream, count=1)
        last_id: bytes = last[0][0] if last else b"0-0"
        self._reader = asyncio.create_task(self._read(handler, last_id), name="broker-redis")

    async def _read(self, handler: Handler, last_id: bytes) -> None:
        assert self._client is not None  # noqa: S101 - set in start()
        while True:
            try:
                batches: Any = await self._client.xread(
                    {self.stream: last_id}, block=BLOCK_MS, count=500
                )
            except RedisError as exc:
                log.warning("broker_read_failed", broker="redis", error=str(exc))
                await asyncio.sleep(RETRY_SECONDS)
                continue
            for _stream, entries in batches or []:
                for entry_id, fields in entries:
                    last_id = entry_id
                    message = BrokerMessage.decode(fields.get(b"m", b""))
                    if message is None or message.origin == self.origin:
                        continue
                    try:
                        handler(message)
                    except Exception:
                        log.exception("broker_handler_failed", topic=message.topic)

    async def publish(self, topic: str, body: Any) -> None:
        if self._client is None:
            return
        data = BrokerMessage(self.origin, topic, body).encode()
        try:
            await self._client.xadd(self.stream, {"m": data}, maxlen=MAXLEN, approximate=True)
        except RedisError as exc:
            log.warning("broker_publish_failed", broker="redis", topic=topic, error=str(exc))

    async def ping(self) -> None:
        if self._client is None:
            raise ConnectionError("not started")
        await self._client.ping()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._client is not None:
            await self._client.aclose()
            self._client = None
