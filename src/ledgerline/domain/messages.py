"""The content of a chat message: what a page may send and how it is normalised.

Bank code written for Messenger sends loosely typed bodies (``null`` for unset fields,
``"true"`` for booleans, unknown keys). ``normalize_page_message`` accepts all of that and
returns one canonical dict, or raises ``InvalidParameter`` with a Messenger-style message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ledgerline.domain.errors import InvalidParameter, TooManyElements
from ledgerline.domain.scopes import Scope, parse_scopes

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

QUICK_REPLY_TYPES = ("text", "user_phone_number", "user_email")
MEDIA_TYPES = ("image", "audio", "video", "file")
BUTTON_TYPES = ("postback", "web_url", "phone_number", "account_link", "account_unlink")


def _bad(param: str, problem: str) -> InvalidParameter:
    return InvalidParameter(f"param {param} {problem}")


def _drop_nulls(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v is not None}


def _as_dict(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(param, "must be an object")
    return _drop_nulls(value)


def _as_list(value: Any, param: str) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(param, "must be an array")
    return value


def _text(
    value: Any, param: str, *, limit: int, required: bool = True, allow_empty: bool = False
) -> str | None:
    if value is None:
        if required:
            raise _bad(param, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad(param, "must be a string")
    text = str(value)
    if not text and not allow_empty:
        if required:
            raise _bad(param, "must be a non-empty string")
        return None
    if len(text) > limit:
        raise _bad(param, f"must be at most {limit} characters")
    return text


def _required_text(value: Any, param: str, *, limit: int) -> str:
    text = _text(value, param, limit=limit)
    if text is None:  # pragma: no cover - _text raises first
        raise _bad(param, "is required")
    return text


def _url(value: Any, param: str, *, required: bool = True) -> str | None:
    url = _text(value, param, limit=MAX_URL, required=required)
    if url is not None and not url.lower().startswith(("http://", "https://")):
        raise _bad(param, "must be an http or https URL")
    return url


def parse_bool(value: Any, param: str) -> bool:
    """Messenger clients send booleans as ``true`` or as the strings ``"true"``/``"false"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _bad(param, "must be a boolean")


def _number(value: Any, param: str, *, required: bool = False) -> float | int | str | None:
    if value is None:
        if required:
            raise _bad(param, "is required")
        return None
    if isinstance(value, bool):
        raise _bad(param, "must be a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            raise _bad(param, "must be a number") from None
        return value
    raise _bad(param, "must be a number")


def _button(raw: Any, param: str) -> dict[str, Any]:
    button = _as_dict(raw, param)
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise _bad(f"{param}[type]", f"must be one of {', '.join(BUTTON_TYPES)}")
    out: dict[str, Any] = {"type": kind}
    if kind == "account_link":
        if "title" in button:
            raise _bad(f"{param}[title]", "is not allowed on an account_link button")
        out["url"] = _url(button.get("url"), f"{param}[url]")
        if "scopes" in button:
            out["scopes"] = _requested_scopes(button["scopes"], f"{param}[scopes]")
        return out
    if kind == "account_unlink":
        return out
    out["title"] = _text(button.get("title"), f"{param}[title]", limit=MAX_BUTTON_TITLE)
    if kind == "web_url":
        out["url"] = _url(button.get("url"), f"{param}[url]")
        for key in ("webview_height_ratio", "fallback_url"):
            if key in button:
                out[key] = _text(button[key], f"{param}[{key}]", limit=MAX_URL)
        if "messenger_extensions" in button:
            out["messenger_extensions"] = parse_bool(
                button["messenger_extensions"], f"{param}[messenger_extensions]"
            )
    else:  # postback, phone_number
        out["payload"] = _text(button.get("payload"), f"{param}[payload]", limit=MAX_PAYLOAD)
    return out


def _requested_scopes(raw: Any, param: str) -> list[str]:
    """What an ``account_link`` button asks the person to share (a Ledgerline extension:
    these, and only these, start ticked on the consent screen). A list of scope names, or
    one comma-separated string; at least one."""
    values = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(values, list):
        raise _bad(param, "must be an array of scope names")
    try:
        scopes = parse_scopes([v.strip() if isinstance(v, str) else v for v in values])
    except ValueError as exc:
        raise _bad(param, str(exc).replace("scopes must", "must")) from None
    if not scopes:
        raise _bad(param, "must name at least one scope")
    return [s.value for s in Scope if s in scopes]


def _buttons(raw: Any, param: str, *, minimum: int) -> list[dict[str, Any]]:
    buttons = _as_list(raw if raw is not None else [], param)
    if len(buttons) < minimum:
        raise _bad(param, f"must have at least {minimum} button")
    if len(buttons) > MAX_BUTTONS:
        raise TooManyElements(f"param {param} has too many elements (at most {MAX_BUTTONS})")
    return [_button(b, f"{param}[{i}]") for i, b in enumerate(buttons)]


def _button_template(payload: dict[str, Any], param: str) -> dict[str, Any]:
    return {
        "template_type": "button",
        "text": _text(payload.get("text"), f"{param}[text]", limit=MAX_BUTTON_TEXT),
        "buttons": _buttons(payload.get("buttons"), f"{param}[buttons]", minimum=1),
    }


def _generic_template(payload: dict[str, Any], param: str) -> dict[str, Any]:
    elements = _as_list(payload.get("elements"), f"{param}[elements]")
    if not elements:
        raise _bad(f"{param}[elements]", "must have at least 1 element")
    if len(elements) > MAX_GENERIC_ELEMENTS:
        raise TooManyElements(
            f"param {param}[elements] has too many elements (at most {MAX_GENERIC_ELEMENTS})"
        )
    out_elements = []
    for i, raw in enumerate(elements):
        p = f"{param}[elements][{i}]"
        element = _as_dict(raw, p)
        item: dict[str, Any] = {
            "title": _text(element.get("title"), f"{p}[title]", limit=MAX_ELEMENT_TITLE)
        }
        subtitle = _text(
            element.get("subtitle"), f"{p}[subtitle]", limit=MAX_ELEMENT_TITLE, required=False
        )
        if subtitle is not None:
            item["subtitle"] = subtitle
        image = _url(element.get("image_url"), f"{p}[image_url]", required=False)
        if image is not None:
            item["image_url"] = image
        if "default_action" in element:
            action = _as_dict(element["default_action"], f"{p}[default_action]")
            item["default_action"] = {
                "type": "web_url",
                "url": _url(action.get("url"), f"{p}[default_action][url]"),
            }
        if element.get("buttons"):
            item["buttons"] = _buttons(element["buttons"], f"{p}[buttons]", minimum=0)
        out_elements.append(item)
    out: dict[str, Any] = {"template_type": "generic", "elements": out_elements}
    ratio = payload.get("image_aspect_ratio")
    if ratio is not None:
        if ratio not in ("horizontal", "square"):
            raise _bad(f"{param}[image_aspect_ratio]", "must be horizontal or square")
        out["image_aspect_ratio"] = ratio
    return out


def _receipt_template(payload: dict[str, Any], param: str) -> dict[str, Any]:
    out: dict[str, Any] = {"template_type": "receipt"}
    for key in ("recipient_name", "order_number", "currency", "payment_method"):
        out[key] = _text(payload.get(key), f"{param}[{key}]", limit=MAX_PAYLOAD)
    for key in ("merchant_name", "timestamp"):
        value = _text(payload.get(key), f"{param}[{key}]", limit=MAX_PAYLOAD, required=False)
        if value is not None:
            out[key] = value
    order_url = _url(payload.get("order_url"), f"{param}[order_url]", required=False)
    if order_url is not None:
        out["order_url"] = order_url
    if "sharable" in payload:
        out["sharable"] = parse_bool(payload["sharable"], f"{param}[sharable]")
    summary = _as_dict(payload.get("summary"), f"{param}[summary]")
    out_summary: dict[str, Any] = {
        "total_cost": _number(
            summary.get("total_cost"), f"{param}[summary][total_cost]", required=True
        )
    }
    for key in ("subtotal", "shipping_cost", "total_tax"):
        number = _number(summary.get(key), f"{param}[summary][{key}]")
        if number is not None:
            out_summary[key] = number
    out["summary"] = out_summary
    if "address" in payload:
        address = _as_dict(payload["address"], f"{param}[address]")
        out["address"] = {
            key: _text(
                address.get(key),
                f"{param}[address][{key}]",
                limit=MAX_PAYLOAD,
                required=False,
                allow_empty=True,
            )
            for key in ("street_1", "street_2", "city", "postal_code", "state", "country")
            if address.get(key) is not None
        }
    if "adjustments" in payload:
        out["adjustments"] = [
            {
                "name": _text(
                    adj.get("name"), f"{param}[adjustments][{i}][name]", limit=MAX_PAYLOAD
                ),
                "amount": _number(
                    adj.get("amount"), f"{param}[adjustments][{i}][amount]", required=True
                ),
            }
            for i, adj in enumerate(
                _as_dict(a, f"{param}[adjustments][{j}]")
                for j, a in enumerate(_as_list(payload["adjustments"], f"{param}[adjustments]"))
            )
        ]
    if "elements" in payload:
        elements = _as_list(payload["elements"], f"{param}[elements]")
        if len(elements) > MAX_RECEIPT_ELEMENTS:
            raise TooManyElements(f"param {param}[elements] has too many elements")
        out_elements = []
        for i, raw in enumerate(elements):
            p = f"{param}[elements][{i}]"
            element = _as_dict(raw, p)
            item: dict[str, Any] = {
                "title": _text(element.get("title"), f"{p}[title]", limit=MAX_ELEMENT_TITLE),
                "price": _number(element.get("price"), f"{p}[price]", required=True),
            }
            for key in ("subtitle", "currency"):
                value = _text(
                    element.get(key), f"{p}[{key}]", limit=MAX_ELEMENT_TITLE, required=False
                )
                if value is not None:
                    item[key] = value
            if "quantity" in element:
                item["quantity"] = _number(element["quantity"], f"{p}[quantity]")
            image = _url(element.get("image_url"), f"{p}[image_url]", required=False)
            if image is not None:
                item["image_url"] = image
            out_elements.append(item)
        out["elements"] = out_elements
    return out


def _media_source(payload: dict[str, Any], param: str) -> dict[str, Any]:
    """Where a media attachment comes from: exactly one of ``url`` (fetched and re-hosted),
    ``attachment_id`` (an upload of the page's) or, in a multipart send, the ``filedata``
    file (then neither; marked ``"filedata": true``). ``is_reusable`` as sent."""
    out: dict[str, Any] = {}
    url = _url(payload.get("url"), f"{param}[url]", required=False)
    attachment_id = _text(
        payload.get("attachment_id"), f"{param}[attachment_id]", limit=32, required=False
    )
    if url is not None and attachment_id is not None:
        raise _bad(param, "must contain only one of url or attachment_id")
    if url is not None:
        out["url"] = url
    elif attachment_id is not None:
        if not attachment_id.isdigit():
            raise _bad(f"{param}[attachment_id]", "must be an attachment id")
        out["attachment_id"] = attachment_id
    else:
        out["filedata"] = True
    if "is_reusable" in payload:
        out["is_reusable"] = parse_bool(payload["is_reusable"], f"{param}[is_reusable]")
    return out


MEDIA_TEMPLATE_TYPES = ("image", "video")


def _media_template(payload: dict[str, Any], param: str) -> dict[str, Any]:
    """Messenger's media template: one image or video (by ``attachment_id`` or ``url``)
    with up to 3 buttons."""
    elements = _as_list(payload.get("elements"), f"{param}[elements]")
    if len(elements) != 1:
        raise _bad(f"{param}[elements]", "must have exactly 1 element")
    p = f"{param}[elements][0]"
    element = _as_dict(elements[0], p)
    media_type = element.get("media_type")
    if media_type not in MEDIA_TEMPLATE_TYPES:
        raise _bad(f"{p}[media_type]", "must be one of image, video")
    source = _media_source(element, p)
    if source.get("filedata"):
        raise _bad(p, "must contain one of url or attachment_id")
    item: dict[str, Any] = {"media_type": media_type, **source}
    if element.get("buttons"):
        item["buttons"] = _buttons(element["buttons"], f"{p}[buttons]", minimum=0)
    return {"template_type": "media", "elements": [item]}


_TEMPLATES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "button": _button_template,
    "generic": _generic_template,
    "receipt": _receipt_template,
    "media": _media_template,
}


def _attachment(raw: Any) -> dict[str, Any]:
    attachment = _as_dict(raw, "message[attachment]")
    kind = attachment.get("type")
    payload = _as_dict(attachment.get("payload", {}), "message[attachment][payload]")
    if kind == "template":
        template_type = payload.get("template_type")
        build = _TEMPLATES.get(str(template_type))
        if build is None:
            raise _bad(
                "message[attachment][payload][template_type]",
                f"must be one of {', '.join(_TEMPLATES)}",
            )
        return {"type": "template", "payload": build(payload, "message[attachment][payload]")}
    if kind in MEDIA_TYPES:
        return {"type": kind, "payload": _media_source(payload, "message[attachment][payload]")}
    raise _bad("message[attachment][type]", "must be one of template, " + ", ".join(MEDIA_TYPES))


def _quick_replies(raw: Any) -> list[dict[str, Any]]:
    replies = _as_list(raw, "message[quick_replies]")
    if len(replies) > MAX_QUICK_REPLIES:
        raise TooManyElements(
            f"param message[quick_replies] has too many elements (at most {MAX_QUICK_REPLIES})"
        )
    out = []
    for i, raw_reply in enumerate(replies):
        p = f"message[quick_replies][{i}]"
        reply = _as_dict(raw_reply, p)
        content_type = reply.get("content_type", "text")
        if content_type not in QUICK_REPLY_TYPES:
            raise _bad(f"{p}[content_type]", f"must be one of {', '.join(QUICK_REPLY_TYPES)}")
        item: dict[str, Any] = {"content_type": content_type}
        if content_type == "text":
            item["title"] = _text(reply.get("title"), f"{p}[title]", limit=MAX_QR_TITLE)
            item["payload"] = _text(reply.get("payload"), f"{p}[payload]", limit=MAX_PAYLOAD)
            image = _url(reply.get("image_url"), f"{p}[image_url]", required=False)
            if image is not None:
                item["image_url"] = image
        out.append(item)
    return out


def normalize_page_message(raw: Any) -> dict[str, Any]:
    """Validate a Send API ``message`` object and return its canonical form."""
    message = _as_dict(raw, "message")
    has_text = message.get("text") is not None
    has_attachment = message.get("attachment") is not None
    if has_text == has_attachment:
        raise _bad("message", "must contain exactly one of text or attachment")
    out: dict[str, Any] = {}
    if has_text:
        out["text"] = _text(message["text"], "message[text]", limit=MAX_TEXT)
    else:
        out["attachment"] = _attachment(message["attachment"])
    if message.get("quick_replies") is not None:
        replies = _quick_replies(message["quick_replies"])
        if replies:
            out["quick_replies"] = replies
    metadata = _text(
        message.get("metadata"), "message[metadata]", limit=MAX_METADATA, required=False
    )
    if metadata is not None:
        out["metadata"] = metadata
    return out


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


def normalize_user_text(raw: Any) -> str:
    return _required_text(raw, "text", limit=MAX_TEXT)


def normalize_user_payload(raw: Any, param: str) -> tuple[str, str]:
    """A quick reply or postback a person sends: ``{"title", "payload"}``."""
    body = _as_dict(raw, param)
    title = _required_text(body.get("title"), f"{param}[title]", limit=MAX_ELEMENT_TITLE)
    payload = _required_text(body.get("payload"), f"{param}[payload]", limit=MAX_PAYLOAD)
    return title, payload
