"""The ``Broker`` port and the one wire format its adapters share."""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

WIRE_VERSION = 1


@dataclass(frozen=True, slots=True)
class BrokerMessage:
    """``topic`` (e.g. ``live``, ``outbox``) and a JSON ``body``, from process ``origin``."""

    origin: str
    topic: str
    body: Any

    def encode(self) -> bytes:
        return json.dumps(
            {"v": WIRE_VERSION, "origin": self.origin, "topic": self.topic, "body": self.body},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    @classmethod
    def decode(cls, data: bytes | str) -> BrokerMessage | None:
        """The message, or None for anything unreadable (another version, garbage)."""
        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(raw, dict) or raw.get("v") != WIRE_VERSION:
            return None
        origin, topic = raw.get("origin"), raw.get("topic")
        if not isinstance(origin, str) or not isinstance(topic, str):
            return None
        return cls(origin, topic, raw.get("body"))


Handler = Callable[[BrokerMessage], None]


class Broker(Protocol):
    """Broadcast between processes. ``publish`` reaches every *other* process's handler
    (a process never receives its own messages), in the order published; delivery is best
    effort: a message may be lost while a broker is unreachable."""

    origin: str

    async def start(self, handler: Handler) -> None:
        """Connect and call ``handler`` (on the event loop) for each message received."""
        ...

    async def publish(self, topic: str, body: Any) -> None: ...

    async def ping(self) -> None:
        """Raise if the broker cannot be reached now (readiness)."""
        ...

    async def close(self) -> None: ...


def new_origin() -> str:
    """A name for this process, unique across the cluster."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{secrets.token_hex(4)}"
