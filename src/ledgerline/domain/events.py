"""Facts the platform publishes after a transaction commits (never before).

Events carry ids and small JSON-ready payloads, never ORM rows, so any process can handle
them (live delivery to people, the webhook sender, notifications).
"""

from __future__ import annotations

from dataclasses import dataclass
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


def inbox_of(page_id: str) -> str:
    """The live audience of a business's agent inbox (a person's is their user id)."""
    return f"inbox:{page_id}"


@dataclass(frozen=True, slots=True)
class LiveFrame:
    """A frame for a live audience: a person (their user id) or a business's agents
    (:func:`inbox_of`): who answers now, the inbox's queue, reads."""

    to: str
    frame: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FraudAlertRaised:
    """A person was asked "Was it you?" (``source``: ``score``, the platform's model, or
    ``bank``, the bank's own alert)."""

    page_id: str
    source: str


@dataclass(frozen=True, slots=True)
class FraudAlertAnswered:
    """A person answered a fraud alert (``verdict``: ``genuine`` or ``fraud``)."""

    page_id: str
    verdict: str


Event = (
    MessageCreated
    | TypingChanged
    | PageRead
    | WebhookQueued
    | LiveFrame
    | FraudAlertRaised
    | FraudAlertAnswered
)
