"""Webhook replay: a bank asks for events again (its receiver lost them, or was down).

A replay queues a copy of each chosen event — the same payload, so the same ``mid`` — as a
new outbox entry that names the one it repeats (``replay_of``). It is then sent like any
event: signed with the current app secret, retried, in order after what that person already
has pending. An event still pending is not replayed (it is on its way), nor one whose
payload was erased (past its retention, or the person deleted their account).

Read and delivery receipts are noise in a delivery log: they are left out of the log and of
a range replay unless asked for by kind (``NOISE_KINDS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.events import WebhookQueued
from ledgerline.domain.fields import Obj
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import businesses as business_store, webhooks as outbox
from ledgerline.storage.stores.webhooks import DELIVERED, FAILED, StoredEvent

NOISE_KINDS = ("read", "delivery")
MAX_EVENTS = 1000  # one replay call
MAX_RANGE_MS = 31 * 24 * 3600 * 1000


def parse_kinds(raw: object) -> list[str] | None:
    """``kind`` as a list or a comma-separated string; None when not given; ``all`` = every
    kind, noise included (an empty list)."""
    if raw is None or raw == "":
        return None
    items = raw if isinstance(raw, list) else str(raw).split(",")
    kinds = [str(item).strip() for item in items if str(item).strip()]
    if kinds == ["all"]:
        return []
    if len(kinds) > 20 or any(len(kind) > 40 for kind in kinds):
        raise InvalidParameter("param kind: at most 20 kinds")
    return kinds


def statuses_of(raw: object) -> tuple[str, ...]:
    """``status`` of a range replay: delivered, failed, or both (the default)."""
    if raw is None or raw == "":
        return (DELIVERED, FAILED)
    if raw not in (DELIVERED, FAILED):
        raise InvalidParameter("param status must be delivered or failed")
    return (str(raw),)


@dataclass(frozen=True, slots=True)
class EventNumber:
    """An event id or a time in epoch ms: an integer, or its digits as text (surrounding
    blanks allowed); empty is absent."""

    description: str
    required: bool = False

    def parse(self, value: Any, param: str) -> int | None:
        if value is None or value == "":
            return None
        try:
            number = int(str(value).strip())
        except ValueError:
            raise InvalidParameter(f"param {param} must be an integer") from None
        if not 0 <= number < 2**62:
            raise InvalidParameter(f"param {param} is out of range")
        return number

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 2**62 - 1},
                {"type": "string", "pattern": r"^\s*[0-9]{1,18}\s*$"},
            ],
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class EventKinds:
    """``kind`` (``parse_kinds``) as a field spec."""

    required: bool = False

    def parse(self, value: Any, param: str) -> list[str] | None:
        return parse_kinds(value)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 20},
            ],
            "description": "Only these kinds (comma-separated or a list, at most 20; `all` "
            "for every kind). By default every kind but `read` and `delivery`.",
            "examples": ["message,postback"],
        }


@dataclass(frozen=True, slots=True)
class EndedAs:
    """``status`` (``statuses_of``) as a field spec."""

    required: bool = False

    def parse(self, value: Any, param: str) -> tuple[str, ...]:
        return statuses_of(value)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "string",
            "enum": [DELIVERED, FAILED],
            "description": "Only events that ended so (default both)",
        }


REPLAY = Obj(
    "Replay",
    {
        "event_id": EventNumber("An `id` from the delivery log"),
        "since": EventNumber("Events queued from (epoch ms)"),
        "until": EventNumber("… until (exclusive; default now); at most 31 days"),
        "kind": EventKinds(),
        "status": EndedAs(),
    },
    description="One event (`event_id`) or a time range (`since`, `until`: epoch ms). "
    "Form-encoded bodies and query parameters work too.",
)


def replay_selection(params: dict[str, Any]) -> ReplaySelection:
    """A replay call's parameters (``REPLAY``) → what to replay."""
    call = REPLAY.read(params)
    return ReplaySelection(
        event_id=call["event_id"],
        since=call["since"],
        until=call["until"],
        kinds=call["kind"],
        statuses=call["status"],
    )


@dataclass(frozen=True, slots=True)
class ReplaySelection:
    """One event (``event_id``), or the events queued in [``since``, ``until``) ms of the
    given ``kinds`` (None: all but the noise) and ``statuses``."""

    event_id: int | None = None
    since: int | None = None
    until: int | None = None
    kinds: list[str] | None = None
    statuses: tuple[str, ...] = (DELIVERED, FAILED)


@dataclass(frozen=True, slots=True)
class Replayed:
    event_id: int  # the new outbox entry
    replay_of: int


def _one(uow: UnitOfWork, page_id: str, event_id: int) -> list[StoredEvent]:
    event = outbox.stored_event(uow.conn, page_id=page_id, event_id=event_id)
    if event is None:
        raise InvalidParameter(f"No webhook event {event_id} for this page")
    if event.erased:
        raise InvalidParameter(f"Webhook event {event_id} was erased and cannot be replayed")
    if event.status not in (DELIVERED, FAILED):
        raise InvalidParameter(f"Webhook event {event_id} is still pending delivery")
    return [event]


def _range(
    uow: UnitOfWork, page_id: str, selection: ReplaySelection, now: int
) -> list[StoredEvent]:
    since, until = selection.since, selection.until if selection.until is not None else now
    if since is None:
        raise InvalidParameter("param since is required (or give event_id)")
    if until <= since:
        raise InvalidParameter("param until must be after since")
    if until - since > MAX_RANGE_MS:
        raise InvalidParameter("A replay covers at most 31 days: narrow since/until")
    events = outbox.stored_events_between(
        uow.conn,
        page_id=page_id,
        since=since,
        until=until,
        kinds=selection.kinds or None,
        exclude_kinds=NOISE_KINDS if selection.kinds is None else (),
        statuses=selection.statuses,
        limit=MAX_EVENTS + 1,
    )
    if len(events) > MAX_EVENTS:
        raise InvalidParameter(
            f"More than {MAX_EVENTS} events in that range: narrow since/until or the kinds"
        )
    return events


def do_replay_webhooks(
    uow: UnitOfWork, *, page_id: str, selection: ReplaySelection, now: int
) -> list[Replayed]:
    """Queue the selected events of ``page_id`` again (same payloads, same mids)."""
    business = business_store.get_business(uow.conn, page_id)
    if business is None or not business.webhook_url:
        raise InvalidParameter("The page has no webhook URL to replay events to")
    if selection.event_id is not None:
        events = _one(uow, page_id, selection.event_id)
    else:
        events = _range(uow, page_id, selection, now)
    replayed = [
        Replayed(
            outbox.enqueue_replay(uow.conn, page_id=page_id, original=event, now=now),
            event.event_id,
        )
        for event in events
    ]
    if replayed:
        uow.emit(WebhookQueued(page_id))
    return replayed
