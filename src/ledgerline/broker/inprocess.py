"""The default broker: one process, nothing to carry. Brokers sharing a ``LocalBus`` reach
each other, which lets tests run several "processes" in one."""

from __future__ import annotations

from typing import Any

from ledgerline.broker.base import BrokerMessage, Handler, new_origin


class LocalBus:
    def __init__(self) -> None:
        self.members: list[InProcessBroker] = []


class InProcessBroker:
    def __init__(self, bus: LocalBus | None = None, origin: str | None = None) -> None:
        self.origin = origin or new_origin()
        self._bus = bus or LocalBus()
        self._handler: Handler | None = None

    async def start(self, handler: Handler) -> None:
        self._handler = handler
        self._bus.members.append(self)

    async def publish(self, topic: str, body: Any) -> None:
        # Through the wire format, so what works here works over a real broker.
        data = BrokerMessage(self.origin, topic, body).encode()
        for member in list(self._bus.members):
            if member is not self and member._handler is not None:
                message = BrokerMessage.decode(data)
                if message is not None:
                    member._handler(message)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        if self in self._bus.members:
            self._bus.members.remove(self)
        self._handler = None
