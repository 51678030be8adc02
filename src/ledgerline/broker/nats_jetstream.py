"""NATS JetStream adapter: one memory stream, ``ledgerline.<topic>`` subjects, and an ordered
consumer per process that starts at the newest message (every process needs every frame).
Work is not distributed through NATS — the outbox claims in the database do that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import nats
import structlog
from nats.errors import Error as NatsError
from nats.js.api import DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from ledgerline.broker.base import BrokerMessage, Handler, new_origin

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.js.client import JetStreamContext

log = structlog.get_logger(__name__)

STREAM = "LEDGERLINE"
SUBJECTS = "ledgerline"
MAX_AGE_SECONDS = 60.0
MAX_MESSAGES = 100_000


class NatsJetStreamBroker:
    def __init__(
        self, url: str, *, stream: str = STREAM, subjects: str = SUBJECTS, origin: str | None = None
    ) -> None:
        self.origin = origin or new_origin()
        self.url = url
        self.stream = stream
        self.subjects = subjects
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._sub: Any = None

    async def start(self, handler: Handler) -> None:
        # Reconnect for as long as it takes: an outage costs frames, never the process.
        self._nc = await nats.connect(
            self.url, name=f"ledgerline {self.origin}", max_reconnect_attempts=-1
        )
        self._js = self._nc.jetstream()
        config = StreamConfig(
            name=self.stream,
            subjects=[f"{self.subjects}.>"],
            storage=StorageType.MEMORY,
            max_age=MAX_AGE_SECONDS,
            max_msgs=MAX_MESSAGES,
        )
        try:
            await self._js.add_stream(config)
        except BadRequestError:  # it exists with other settings (another version): keep it
            log.info("broker_stream_exists", broker="nats", stream=self.stream)

        async def on_message(msg: Msg) -> None:
            message = BrokerMessage.decode(msg.data)
            if message is None or message.origin == self.origin:
                return
            try:
                handler(message)
            except Exception:
                log.exception("broker_handler_failed", topic=message.topic)

        self._sub = await self._js.subscribe(
            f"{self.subjects}.>",
            stream=self.stream,
            cb=on_message,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
        )

    async def publish(self, topic: str, body: Any) -> None:
        if self._js is None:
            return
        data = BrokerMessage(self.origin, topic, body).encode()
        try:
            await self._js.publish(f"{self.subjects}.{topic}", data, stream=self.stream)
        except (NatsError, TimeoutError) as exc:
            log.warning("broker_publish_failed", broker="nats", topic=topic, error=str(exc))

    async def ping(self) -> None:
        if self._nc is None or not self._nc.is_connected:
            raise ConnectionError("not connected")
        await self._nc.flush(timeout=2)

    async def close(self) -> None:
        if self._sub is not None:
            try:
                await self._sub.unsubscribe()
            except NatsError:
                log.info("broker_unsubscribe_failed", broker="nats")
            self._sub = None
        if self._nc is not None:
            await self._nc.close()
            self._nc = None
