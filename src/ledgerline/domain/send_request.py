"""A Send API call (``POST /me/messages``), declared once as field specs: the route parses
each field with these and the OpenAPI document describes the same specs
(``json_schemas(SEND_REQUEST)``). The ``message`` is ``domain.messages.MESSAGE``.

Form-encoded bodies and JSON-string ``recipient``/``message`` are accepted too, as
Messenger does (decoded before these specs see them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledgerline.domain.errors import InvalidParameter, bad_param
from ledgerline.domain.fields import Choice, Obj, PageScopedId, Text, psid_text
from ledgerline.domain.messages import MESSAGE
from ledgerline.domain.window import LEGACY_TAGS, MessageTag, MessagingType

SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen")
NOTIFICATION_TYPES = ("REGULAR", "SILENT_PUSH", "NO_PUSH")


_RECIPIENT_SHAPE = Obj("Recipient", {"id": PageScopedId()})


@dataclass(frozen=True, slots=True)
class Recipient:
    """``{"id": <PSID>}`` (the PSID checked by ``fields.psid_text``, as every PSID is);
    Messenger's other recipients (``user_ref``, ``phone_number``) are refused by name."""

    required: bool = True

    def parse(self, value: Any, param: str) -> str:
        if not isinstance(value, dict):
            raise InvalidParameter(f"param {param} must be an object with an id")
        psid = psid_text(value.get("id"))
        if psid is None:
            if value.get("user_ref") or value.get("phone_number"):
                raise InvalidParameter(f"Only {param}.id (a PSID) is supported")
            raise bad_param(f"{param}[id]", "is required")
        return psid

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return _RECIPIENT_SHAPE.schema(named)


@dataclass(frozen=True, slots=True)
class Tag:
    """A message tag (``messaging_type: MESSAGE_TAG``), case-insensitive; the deprecated
    names Messenger still maps are mapped the same way."""

    required: bool = False

    def parse(self, value: Any, param: str) -> MessageTag | None:
        if not value:
            return None
        name = str(value).upper()
        try:
            return LEGACY_TAGS.get(name) or MessageTag(name)
        except ValueError:
            known = ", ".join(t.value for t in MessageTag)
            raise bad_param(param, f"must be one of {known}") from None

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "string",
            "enum": [t.value for t in MessageTag] + sorted(LEGACY_TAGS),
            "description": "Required when `messaging_type` is `MESSAGE_TAG`; deprecated "
            "tags are mapped as Messenger maps them",
        }


RECIPIENT = Recipient()
MESSAGING_TYPE = Choice(
    tuple(t.value for t in MessagingType), default="RESPONSE", listed=True, case=str.upper
)
TAG = Tag()
SENDER_ACTION = Choice(SENDER_ACTIONS, required=False, listed=True, case=str.lower)
NOTIFICATION_TYPE = Choice(NOTIFICATION_TYPES, required=False, listed=True, case=str.upper)
PERSONA_ID = Text(
    max_length=32,
    required=False,
    pattern="[0-9]+",
    problem="is not a persona of this page",
    description="Send under one of the page's personas (`POST /me/personas`): the person "
    "sees its name above the message, e.g. “Minh · Demo Bank”",
)

SEND_REQUEST = Obj(
    "SendRequest",
    {
        "recipient": RECIPIENT,
        "messaging_type": MESSAGING_TYPE,
        "tag": TAG,
        "message": MESSAGE,
        "sender_action": SENDER_ACTION,
        "notification_type": NOTIFICATION_TYPE,
        "persona_id": PERSONA_ID,
    },
    description="A message or a sender action (`typing_on`, `typing_off`, `mark_seen`), "
    "not both. Form-encoded bodies and JSON-string `recipient`/`message` are accepted too",
)


def messaging_policy(params: dict[str, Any]) -> tuple[MessagingType, MessageTag | None]:
    """``messaging_type`` and ``tag`` together: a ``MESSAGE_TAG`` send needs its tag."""
    raw_type = MESSAGING_TYPE.parse(params.get("messaging_type"), "messaging_type")
    messaging_type = MessagingType(raw_type or MessagingType.RESPONSE)
    tag = TAG.parse(params.get("tag"), "tag")
    if messaging_type is MessagingType.MESSAGE_TAG and tag is None:
        raise bad_param("tag", "is required when messaging_type is MESSAGE_TAG")
    return messaging_type, tag
