"""Who acts on a person's data: a business, the person, an agent, or a part of the platform.

The vault checks every read against its actor and the audit log records it; the capability
packages name themselves with these (``Actor.component("notify")``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:@/+=-]{1,64}$")


class ActorKind(StrEnum):
    BUSINESS = "business"  # a bank, through its page token
    PERSON = "person"  # the person the data is about, through their app
    AGENT = "agent"  # a customer-service agent
    COMPONENT = "component"  # a part of the platform (ingest, fraud, retention, ...)


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str

    def __post_init__(self) -> None:
        if not _IDENTIFIER.fullmatch(self.id):
            raise ValueError("actor id must be a non-empty identifier of at most 64 characters")

    @classmethod
    def business(cls, page_id: str) -> Actor:
        return cls(ActorKind.BUSINESS, page_id)

    @classmethod
    def person(cls, user_id: str) -> Actor:
        return cls(ActorKind.PERSON, user_id)

    @classmethod
    def agent(cls, agent_id: str) -> Actor:
        return cls(ActorKind.AGENT, agent_id)

    @classmethod
    def component(cls, name: str) -> Actor:
        return cls(ActorKind.COMPONENT, name)
