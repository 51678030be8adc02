"""Messenger's webhook fields (``subscribed_fields``): which a page may subscribe to, which
each outbox event kind belongs to, and what a new business starts with.

A business receives an event only when its page is subscribed to the event's field, as on
Meta (``POST /me/subscribed_apps``). ``standby`` and ``message_echoes`` are never in the
default: common client libraries crash on ``entry[].standby[]`` and mistake echoes for the
person's input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.fields import Obj

STANDBY_PREFIX = "standby:"  # outbox kinds of events for a business app that is not the owner
STANDBY = "standby"
MESSAGE_ECHOES = "message_echoes"
ECHO = "echo"  # the outbox kind of a message_echoes event

# Ledgerline's own events, each with its own field (docs/bank-api.md).
FRAUD_ALERT_RESPONSES = "fraud_alert_responses"  # ``fraud_alert_response`` events
FRAUD_REPORTS = "fraud_reports"  # ``fraud_report`` events
LEDGERLINE_FIELDS = (FRAUD_ALERT_RESPONSES, FRAUD_REPORTS)

# The field of each outbox event kind. A kind not listed (the console's ``test`` event) is
# delivered whatever the subscription, since the business asked for it there and then.
FIELD_OF_KIND = {
    "message": "messages",
    "postback": "messaging_postbacks",
    "delivery": "message_deliveries",
    "read": "message_reads",
    "account_linking": "messaging_account_linking",
    "messaging_handovers": "messaging_handovers",
    "referral": "messaging_referrals",
    ECHO: MESSAGE_ECHOES,
    "fraud_alert_response": FRAUD_ALERT_RESPONSES,
    "fraud_report": FRAUD_REPORTS,
}

# What a new business (and every business that existed before subscriptions) receives.
DEFAULT_FIELDS = (
    "messages",
    "messaging_postbacks",
    "message_deliveries",
    "message_reads",
    "messaging_account_linking",
    *LEDGERLINE_FIELDS,
)

# Fields Ledgerline delivers events for.
DELIVERED_FIELDS = (
    "messages",
    "messaging_postbacks",
    "message_deliveries",
    "message_reads",
    "messaging_account_linking",
    "messaging_handovers",
    "messaging_referrals",
    MESSAGE_ECHOES,
    STANDBY,
    *LEDGERLINE_FIELDS,
)

# Page webhook fields Meta accepts that Ledgerline has no event for: accepted and kept (a
# bot's start-up call names them), never delivered.
ACCEPTED_ONLY_FIELDS = (
    "feed",
    "mention",
    "name",
    "picture",
    "category",
    "description",
    "conversations",
    "messaging_optins",
    "messaging_optouts",
    "messaging_policy_enforcement",
    "message_reactions",
    "message_edits",
    "messaging_feedback",
    "messaging_game_plays",
    "messaging_payments",
    "messaging_pre_checkouts",
    "messaging_checkout_updates",
    "messaging_customer_information",
    "messaging_appointments",
    "messaging_in_thread_lead_form_submit",
    "messaging_direct_sends",
    "response_feedback",
    "send_cart",
    "inbox_labels",
    "calls",
    "leadgen",
)

KNOWN_FIELDS = frozenset(DELIVERED_FIELDS + ACCEPTED_ONLY_FIELDS)
_CHOICES = "{" + ", ".join(DELIVERED_FIELDS + ACCEPTED_ONLY_FIELDS) + "}"


def field_of(kind: str) -> str | None:
    """The webhook field of an outbox event kind; ``None``: delivered unconditionally."""
    if kind.startswith(STANDBY_PREFIX):
        return STANDBY
    return FIELD_OF_KIND.get(kind)


def delivers(fields: Iterable[str] | None, kind: str) -> bool:
    """Whether a page subscribed to ``fields`` (``None``: unsubscribed) receives ``kind``."""
    field = field_of(kind)
    if field is None:
        return True
    return fields is not None and field in fields


def _names(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    if not isinstance(value, str):
        raise InvalidParameter("param subscribed_fields must be an array or a comma-separated list")
    text = value.strip()
    if text.startswith("["):
        try:
            parsed: list[Any] = json.loads(text)
        except ValueError:
            raise InvalidParameter("param subscribed_fields must be an array") from None
        return parsed  # a text starting with "[" that parses is an array
    return [name.strip() for name in text.split(",")] if text else []


def parse_subscribed_fields(value: Any) -> tuple[str, ...]:
    """``subscribed_fields`` as Graph takes it (a JSON array, a list of form values or a
    comma-separated string) → the fields, in the order given, without repeats.

    Raises:
        InvalidParameter: missing, empty, or naming a field Meta does not know, with Meta's
            message (``Param subscribed_fields[i] must be one of {…} - got "x"``).
    """
    names = [] if value is None else _names(value)
    if not names:
        raise InvalidParameter("The parameter subscribed_fields is required")
    fields: list[str] = []
    for index, name in enumerate(names):
        if not isinstance(name, str) or name not in KNOWN_FIELDS:
            shown = json.dumps(str(name)[:60], ensure_ascii=False)
            raise InvalidParameter(
                f"Param subscribed_fields[{index}] must be one of {_CHOICES} - got {shown}"
            )
        if name not in fields:
            fields.append(name)
    return tuple(fields)


_FIELDS_HELP = (
    "Messenger webhook fields: "
    + ", ".join(f"`{name}`" for name in DELIVERED_FIELDS)
    + " (Ledgerline's own: `fraud_alert_responses` for `fraud_alert_response` events, "
    "`fraud_reports` for `fraud_report` events). Meta's other page fields are accepted and "
    "kept, but Ledgerline has no event for them. A JSON array, or a comma-separated string "
    "(form bodies and the query work too, as do repeated `subscribed_fields[]` values). "
    "Required from Graph v3.2; an older version (or none) without it keeps the current fields."
)


@dataclass(frozen=True, slots=True)
class SubscribedFields:
    """``subscribed_fields`` as a field spec (``parse_subscribed_fields``); not ``required``,
    a missing one is nothing (an old Graph version keeps the page's fields)."""

    required: bool = True

    def parse(self, value: Any, param: str) -> tuple[str, ...] | None:
        if value is None and not self.required:
            return None
        return parse_subscribed_fields(value)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        names = {"type": "string", "enum": [*DELIVERED_FIELDS, *ACCEPTED_ONLY_FIELDS]}
        return {
            "anyOf": [
                {"type": "array", "items": names, "minItems": 1},
                {"type": "string", "minLength": 1, "description": "Comma-separated"},
            ],
            "description": _FIELDS_HELP,
            "examples": [list(DEFAULT_FIELDS)],
        }


def subscribe_body(*, required: bool) -> Obj:
    """The body of ``POST /me/subscribed_apps``; ``subscribed_fields`` is required from Graph
    v3.2 (the document shows the unversioned call's, where it may be left out)."""
    return Obj(
        "SubscribeApp",
        {"subscribed_fields": SubscribedFields(required=required)},
        description="The fields replace the page's previous list",
    )
