"""The content of a chat message: what a page may send and how it is normalised.

Bank code written for Messenger sends loosely typed bodies (``null`` for unset fields,
``"true"`` for booleans, numbers for text, unknown keys). ``MESSAGE`` declares a Send API
message once, as field specs (``domain.fields``): ``normalize_page_message`` parses with it
and returns one canonical dict, or raises ``InvalidParameter`` (``TooManyElements`` over
Messenger's element limits) with a Messenger-style message naming the field; the OpenAPI
document describes the same specs (``json_schemas`` of ``domain.send_request.SEND_REQUEST``,
which holds ``MESSAGE``), so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledgerline.domain.errors import bad_param, require_object
from ledgerline.domain.fields import (
    Array,
    Choice,
    Flag,
    Forbidden,
    Number,
    Obj,
    Tagged,
    Text,
    json_schemas,
    parse_bool,
    too_many_elements,
)
from ledgerline.domain.scopes import Scope, parse_scopes

__all__ = ["MESSAGE", "json_schemas", "normalize_page_message", "parse_bool"]

MAX_TEXT = 2000
MAX_QUICK_REPLIES = 13
MAX_QR_TITLE = 20
MAX_PAYLOAD = 1000
MAX_METADATA = 1000
MAX_BUTTON_TEXT = 640
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_GENERIC_ELEMENTS = 10
MAX_ELEMENT_TITLE = 80
MAX_RECEIPT_ELEMENTS = 100
MAX_URL = 2000

MEDIA_TYPES = ("image", "audio", "video", "file")
MEDIA_TEMPLATE_TYPES = ("image", "video")


def message_text(limit: int, *, required: bool = True, description: str = "") -> Text:
    """Text as Messenger takes it: as sent (not stripped), a number counts as its digits."""
    return Text(
        max_length=limit,
        required=required,
        strip=False,
        floats=True,
        empty_problem="must be a non-empty string",
        description=description,
    )


def message_url(*, required: bool = True) -> Text:
    return Text(max_length=MAX_URL, required=required, strip=False, floats=True, url=True)


@dataclass(frozen=True, slots=True)
class RequestedScopes:
    """What an ``account_link`` button asks the person to share (a Ledgerline extension:
    these, and only these, start ticked on the consent screen). A list of scope names, or
    one comma-separated string; at least one."""

    required: bool = False

    def parse(self, value: Any, param: str) -> list[str] | None:
        if value is None:
            return None
        values = value.split(",") if isinstance(value, str) else value
        if not isinstance(values, list):
            raise bad_param(param, "must be an array of scope names")
        try:
            scopes = parse_scopes([v.strip() if isinstance(v, str) else v for v in values])
        except ValueError as exc:
            raise bad_param(param, str(exc).replace("scopes must", "must")) from None
        if not scopes:
            raise bad_param(param, "must name at least one scope")
        return [s.value for s in Scope if s in scopes]

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        names = {"type": "string", "enum": [s.value for s in Scope]}
        return {
            "anyOf": [
                {"type": "array", "items": names, "minItems": 1},
                {"type": "string", "description": "Comma-separated scope names"},
            ],
            "description": "Ledgerline: the scopes this link asks for (pre-ticked on the "
            "consent screen)",
        }


def _button(name: str, **fields: Any) -> Obj:
    return Obj(name, fields, omit_absent=True)


_TITLED_PAYLOAD = {"title": message_text(MAX_BUTTON_TITLE), "payload": message_text(MAX_PAYLOAD)}

BUTTON = Tagged(
    "Button",
    "type",
    {
        "postback": _button("PostbackButton", **_TITLED_PAYLOAD),
        "web_url": _button(
            "WebUrlButton",
            title=message_text(MAX_BUTTON_TITLE),
            url=message_url(),
            webview_height_ratio=message_text(MAX_URL, required=False),
            fallback_url=message_text(MAX_URL, required=False),
            messenger_extensions=Flag(),
        ),
        "phone_number": _button("PhoneNumberButton", **_TITLED_PAYLOAD),  # payload: the number
        "account_link": _button(
            "AccountLinkButton",
            title=Forbidden("is not allowed on an account_link button"),
            url=message_url(),
            scopes=RequestedScopes(),
        ),
        "account_unlink": _button("AccountUnlinkButton"),
    },
)


def _buttons(*, minimum: int) -> Array:
    return Array(
        BUTTON,
        max_length=MAX_BUTTONS,
        min_length=minimum,
        required=bool(minimum),
        too_few="must have at least 1 button",
        over=too_many_elements,
        empty_absent=not minimum,
    )


@dataclass(frozen=True, slots=True)
class MediaSource:
    """Where a media attachment comes from: exactly one of ``url`` (fetched and re-hosted),
    ``attachment_id`` (an upload of the page's) or, in a multipart send, the ``filedata``
    file (then neither; marked ``"filedata": true``). ``is_reusable`` as sent. With
    ``media_types`` it is a media template's element (then ``filedata`` is refused)."""

    media_types: tuple[str, ...] = ()
    required: bool = False

    def parse(self, value: Any, param: str) -> dict[str, Any]:
        body = require_object({} if value is None else value, param)
        out: dict[str, Any] = {}
        if self.media_types:
            out["media_type"] = _MEDIA_TYPE.parse(body.get("media_type"), f"{param}[media_type]")
        url = message_url(required=False).parse(body.get("url"), f"{param}[url]")
        attachment_id = _ATTACHMENT_ID.parse(body.get("attachment_id"), f"{param}[attachment_id]")
        if url is not None and attachment_id is not None:
            raise bad_param(param, "must contain only one of url or attachment_id")
        if url is not None:
            out["url"] = url
        elif attachment_id is not None:
            if not attachment_id.isdigit():
                raise bad_param(f"{param}[attachment_id]", "must be an attachment id")
            out["attachment_id"] = attachment_id
        elif self.media_types:
            raise bad_param(param, "must contain one of url or attachment_id")
        else:
            out["filedata"] = True
        reusable = Flag().parse(body.get("is_reusable"), f"{param}[is_reusable]")
        if reusable is not None:
            out["is_reusable"] = reusable
        if self.media_types:
            buttons = _buttons(minimum=0).parse(body.get("buttons"), f"{param}[buttons]")
            if buttons:
                out["buttons"] = buttons
        return out

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        name = "MediaTemplateElement" if self.media_types else "MediaSource"
        properties: dict[str, Any] = {}
        if self.media_types:
            properties["media_type"] = _MEDIA_TYPE.schema(named)
        properties["url"] = message_url(required=False).schema(named)
        properties["attachment_id"] = _ATTACHMENT_ID.schema(named)
        properties["is_reusable"] = Flag().schema(named)
        if self.media_types:
            properties["buttons"] = _buttons(minimum=0).schema(named)
        named[name] = {
            "title": name,
            "type": "object",
            "description": "At most one of `url` (fetched and re-hosted) or `attachment_id` "
            "(an upload of the page's)"
            + (
                "; one is required"
                if self.media_types
                else "; neither in a multipart send (the file is `filedata`)"
            ),
            "properties": properties,
            "additionalProperties": True,
        }
        if self.media_types:
            named[name]["required"] = ["media_type"]
        return {"$ref": f"#/components/schemas/{name}"}


_MEDIA_TYPE = Choice(MEDIA_TEMPLATE_TYPES, listed=True)
_ATTACHMENT_ID = Text(
    max_length=32, required=False, strip=False, pattern=None, description="Digits"
)

_GENERIC_ELEMENT = Obj(
    "GenericElement",
    {
        "title": message_text(MAX_ELEMENT_TITLE),
        "subtitle": message_text(MAX_ELEMENT_TITLE, required=False),
        "image_url": message_url(required=False),
        "default_action": Obj(
            "DefaultAction",
            {"type": Choice(("web_url",), default="web_url"), "url": message_url()},
            required=False,
        ),
        "buttons": _buttons(minimum=0),
    },
    omit_absent=True,
)

_RECEIPT_ELEMENT = Obj(
    "ReceiptElement",
    {
        "title": message_text(MAX_ELEMENT_TITLE),
        "price": Number(),
        "subtitle": message_text(MAX_ELEMENT_TITLE, required=False),
        "currency": message_text(MAX_ELEMENT_TITLE, required=False),
        "quantity": Number(required=False),
        "image_url": message_url(required=False),
    },
    omit_absent=True,
)

_ADDRESS = Obj(
    "ReceiptAddress",
    {
        key: Text(max_length=MAX_PAYLOAD, required=False, strip=False, floats=True, keep_empty=True)
        for key in ("street_1", "street_2", "city", "postal_code", "state", "country")
    },
    required=False,
    omit_absent=True,
)

TEMPLATE = Tagged(
    "TemplatePayload",
    "template_type",
    {
        "button": Obj(
            "ButtonTemplate",
            {"text": message_text(MAX_BUTTON_TEXT), "buttons": _buttons(minimum=1)},
        ),
        "generic": Obj(
            "GenericTemplate",
            {
                "elements": Array(
                    _GENERIC_ELEMENT,
                    max_length=MAX_GENERIC_ELEMENTS,
                    too_few="must have at least 1 element",
                    over=too_many_elements,
                ),
                "image_aspect_ratio": Choice(("horizontal", "square"), required=False),
            },
            omit_absent=True,
        ),
        "receipt": Obj(
            "ReceiptTemplate",
            {
                "recipient_name": message_text(MAX_PAYLOAD),
                "order_number": message_text(MAX_PAYLOAD),
                "currency": message_text(MAX_PAYLOAD),
                "payment_method": message_text(MAX_PAYLOAD),
                "merchant_name": message_text(MAX_PAYLOAD, required=False),
                "timestamp": message_text(MAX_PAYLOAD, required=False),
                "order_url": message_url(required=False),
                "sharable": Flag(),
                "summary": Obj(
                    "ReceiptSummary",
                    {
                        "total_cost": Number(),
                        "subtotal": Number(required=False),
                        "shipping_cost": Number(required=False),
                        "total_tax": Number(required=False),
                    },
                    omit_absent=True,
                ),
                "address": _ADDRESS,
                "adjustments": Array(
                    Obj(
                        "ReceiptAdjustment", {"name": message_text(MAX_PAYLOAD), "amount": Number()}
                    ),
                    max_length=None,
                    min_length=0,
                    required=False,
                ),
                "elements": Array(
                    _RECEIPT_ELEMENT,
                    max_length=MAX_RECEIPT_ELEMENTS,
                    min_length=0,
                    required=False,
                    over=too_many_elements,
                ),
            },
            omit_absent=True,
        ),
        "media": Obj(
            "MediaTemplate",
            {
                "elements": Array(
                    MediaSource(media_types=MEDIA_TEMPLATE_TYPES),
                    max_length=1,
                    too_few="must have exactly 1 element",
                    over=lambda param, limit, noun: bad_param(param, "must have exactly 1 element"),
                )
            },
        ),
    },
    description="Messenger's templates: button, generic, receipt and media",
)

ATTACHMENT = Tagged(
    "Attachment",
    "type",
    {
        "template": Obj("TemplateAttachment", {"payload": TEMPLATE}),
        **{
            kind: Obj(f"{kind.capitalize()}Attachment", {"payload": MediaSource()})
            for kind in MEDIA_TYPES
        },
    },
    required=False,
)

QUICK_REPLY = Tagged(
    "QuickReply",
    "content_type",
    {
        "text": Obj(
            "TextQuickReply",
            {
                "title": message_text(MAX_QR_TITLE),
                "payload": message_text(MAX_PAYLOAD),
                "image_url": message_url(required=False),
            },
            omit_absent=True,
        ),
        "user_phone_number": Obj("PhoneNumberQuickReply", {}),
        "user_email": Obj("EmailQuickReply", {}),
    },
    default="text",
)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A Send API ``message``: exactly one of ``text`` or ``attachment``, with optional
    quick replies and metadata."""

    fields: Obj
    required: bool = False

    def parse(self, value: Any, param: str) -> dict[str, Any]:
        body = require_object(value, param)
        if (body.get("text") is None) == (body.get("attachment") is None):
            raise bad_param(param, "must contain exactly one of text or attachment")
        parsed = self.fields.read(body, param)
        if "text" not in parsed and "attachment" not in parsed:  # the text was ""
            raise bad_param(f"{param}[text]", "must be a non-empty string")
        return parsed

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return self.fields.schema(named)


MESSAGE = OutgoingMessage(
    Obj(
        "OutgoingMessage",
        {
            "text": message_text(MAX_TEXT, required=False),
            "attachment": ATTACHMENT,
            "quick_replies": Array(
                QUICK_REPLY,
                max_length=MAX_QUICK_REPLIES,
                min_length=0,
                required=False,
                over=too_many_elements,
                empty_absent=True,
            ),
            "metadata": message_text(MAX_METADATA, required=False),
        },
        description="Exactly one of `text` or `attachment`",
        omit_absent=True,
    )
)


def normalize_page_message(raw: Any) -> dict[str, Any]:
    """Validate a Send API ``message`` object and return its canonical form."""
    return MESSAGE.parse(raw, "message")


def account_link_buttons(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every ``account_link`` button in a message (a template's buttons and its elements')."""
    attachment = message.get("attachment")
    if not isinstance(attachment, Mapping) or attachment.get("type") != "template":
        return []
    payload = attachment.get("payload")
    if not isinstance(payload, Mapping):
        return []
    button_lists = [payload.get("buttons") or []]
    button_lists += [
        element.get("buttons") or []
        for element in payload.get("elements") or []
        if isinstance(element, Mapping)
    ]
    return [
        button
        for buttons in button_lists
        for button in buttons
        if isinstance(button, Mapping) and button.get("type") == "account_link"
    ]


def account_link_urls(message: Mapping[str, Any]) -> list[str]:
    """Every ``account_link`` button URL in a normalised message (checked by linking)."""
    return [str(button["url"]) for button in account_link_buttons(message)]
