"""A business's webhook delivery settings: one event per POST (the default) or batches.

Most Messenger client libraries read only the first event of a POST, so batching is off
unless the business turns it on. With batching on, one POST carries up to ``max_events``
consecutive pending events of one person, in order, under one signature.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from ledgerline.domain.errors import InvalidParameter, NotFound
from ledgerline.domain.fields import Obj
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import businesses as business_store
from ledgerline.storage.stores.businesses import BusinessRow

MAX_EVENTS_LIMIT = 100
TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    batching: bool
    max_events: int

    @classmethod
    def of(cls, business: BusinessRow) -> WebhookSettings:
        return cls(business.webhook_batching, business.webhook_batch_max)

    @property
    def events_per_post(self) -> int:
        return self.max_events if self.batching else 1


@dataclass(frozen=True, slots=True)
class Batching:
    """``batching``: a boolean, or its word (``true``/``1``/``yes``/``on`` and their
    opposites, any case, blanks around)."""

    required: bool = False

    def parse(self, value: Any, param: str) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        raise InvalidParameter(f"param {param} must be a boolean")

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "boolean"},
                {"type": "string", "enum": [*TRUE_WORDS, *FALSE_WORDS]},
            ],
            "description": "`true`: up to `max_events` consecutive events of one person per "
            "POST, in order; `false` (the default): one event per POST",
        }


@dataclass(frozen=True, slots=True)
class MaxEvents:
    """``max_events``: 1 to ``MAX_EVENTS_LIMIT``, a JSON integer or its digits as text."""

    required: bool = False

    def parse(self, value: Any, param: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool):
            raise InvalidParameter(f"param {param} must be an integer")
        if isinstance(value, str) and value.strip().isdigit():
            with suppress(ValueError):  # digits int() does not read, such as "²": refused below
                value = int(value.strip())
        if not isinstance(value, int) or not 1 <= value <= MAX_EVENTS_LIMIT:
            raise InvalidParameter(f"param {param} must be an integer from 1 to {MAX_EVENTS_LIMIT}")
        return value

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_EVENTS_LIMIT},
                {"type": "string", "pattern": r"^\s*([1-9][0-9]?|100)\s*$"},
            ],
            "description": f"1–{MAX_EVENTS_LIMIT} (default 20)",
        }


SETTINGS_CHANGE = Obj(
    "WebhookSettingsChange",
    {"batching": Batching(), "max_events": MaxEvents()},
    description="Change how webhooks are delivered (at least one of the two). "
    "Form-encoded bodies and query parameters work too.",
    omit_absent=True,
)


def parse_settings_change(params: dict[str, Any]) -> dict[str, Any]:
    """``{"batching"?, "max_events"?}`` (JSON, form or query, Graph-style) → the changes."""
    changes = SETTINGS_CHANGE.read(params)
    if not changes:
        raise InvalidParameter("Give batching (true or false) and/or max_events")
    return changes


def do_set_webhook_settings(
    uow: UnitOfWork, *, page_id: str, batching: bool | None = None, max_events: int | None = None
) -> WebhookSettings:
    """Change the page's webhook batching; the dispatcher applies it from its next round."""
    values: dict[str, object] = {}
    if batching is not None:
        values["webhook_batching"] = batching
    if max_events is not None:
        values["webhook_batch_max"] = max_events
    if values:
        business_store.update_business(uow.conn, page_id, **values)
    business = business_store.get_business(uow.conn, page_id)
    if business is None:
        raise NotFound("No such page")
    return WebhookSettings.of(business)


def get_webhook_settings(uow: UnitOfWork, page_id: str) -> WebhookSettings:
    business = business_store.get_business(uow.conn, page_id)
    if business is None:
        raise NotFound("No such page")
    return WebhookSettings.of(business)
