"""Facts the platform publishes after a transaction commits (never before).

Events carry ids and small JSON-ready payloads, never ORM rows, so any process can handle
them (live delivery to people, the webhook sender, notifications).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class MessageCreated:
    """A message was stored in a thread; ``message`` is the client API's message shape."""

    page_id: str
    user_id: str
    message: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TypingChanged:
    page_id: str
    user_id: str
    typing: bool


@dataclass(frozen=True, slots=True)
class PageRead:
    """The page marked the person's messages seen up to ``watermark`` (ms)."""

    page_id: str
    user_id: str
    watermark: int


@dataclass(frozen=True, slots=True)
class WebhookQueued:
    """New webhook events wait in the outbox for this page."""

    page_id: str


@dataclass(frozen=True, slots=True)
class Custom:
    """An event a capability defines for its own consumers (topic + JSON payload)."""

    topic: str
    payload: dict[str, Any] = field(default_factory=dict)


Event = MessageCreated | TypingChanged | PageRead | WebhookQueued | Custom
