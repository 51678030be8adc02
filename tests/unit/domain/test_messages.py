"""What a page may send, normalised: Messenger's limits, its loosely typed bodies (nulls,
``"true"``, numbers for text), templates, and the errors that name the offending field."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerline.domain.errors import InvalidParameter, TooManyElements
from ledgerline.domain.messages import (
    MAX_BUTTONS,
    MAX_GENERIC_ELEMENTS,
    MAX_QUICK_REPLIES,
    MAX_RECEIPT_ELEMENTS,
    MAX_TEXT,
    account_link_buttons,
    account_link_urls,
    normalize_page_message,
    parse_bool,
)


def _refused(message: Any) -> str:
    with pytest.raises(InvalidParameter) as caught:
        normalize_page_message(message)
    return caught.value.message


def _template(payload: dict[str, Any]) -> dict[str, Any]:
    return {"attachment": {"type": "template", "payload": payload}}


def _payload(message: dict[str, Any]) -> Any:
    return normalize_page_message(message)["attachment"]["payload"]


# -- text, quick replies, metadata --------------------------------------------------------


def test_a_text_message_with_loose_typing_comes_out_canonical() -> None:
    assert normalize_page_message(
        {"text": "Số dư: 1.250.000 ₫", "attachment": None, "quick_replies": None, "x": 1}
    ) == {"text": "Số dư: 1.250.000 ₫"}
    assert normalize_page_message({"text": 42, "metadata": 7}) == {"text": "42", "metadata": "7"}
    assert normalize_page_message({"text": "a" * MAX_TEXT})["text"] == "a" * MAX_TEXT


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("hello", "param message must be an object"),
        ({}, "param message must contain exactly one of text or attachment"),
        ({"text": "a", "attachment": {"type": "image"}},
         "param message must contain exactly one of text or attachment"),
        ({"text": ""}, "param message[text] must be a non-empty string"),
        ({"text": True}, "param message[text] must be a string"),
        ({"text": ["a"]}, "param message[text] must be a string"),
        ({"text": "a" * (MAX_TEXT + 1)}, "param message[text] must be at most 2000 characters"),
        ({"text": "a", "metadata": "m" * 1001},
         "param message[metadata] must be at most 1000 characters"),
    ],
)  # fmt: skip
def test_bad_text_messages_name_the_field(message: Any, problem: str) -> None:
    assert _refused(message) == problem


def test_quick_replies_keep_text_phone_and_email_kinds() -> None:
    message = normalize_page_message(
        {
            "text": "Chi tiết?",
            "quick_replies": [
                {"title": "Chi tiết", "payload": "DETAILS", "image_url": "https://x.test/i.png"},
                {"content_type": "text", "title": 1, "payload": 2, "image_url": None},
                {"content_type": "user_phone_number", "title": "ignored"},
                {"content_type": "user_email"},
            ],
        }
    )
    assert message["quick_replies"] == [
        {"content_type": "text", "title": "Chi tiết", "payload": "DETAILS",
         "image_url": "https://x.test/i.png"},
        {"content_type": "text", "title": "1", "payload": "2"},
        {"content_type": "user_phone_number"},
        {"content_type": "user_email"},
    ]  # fmt: skip
    assert "quick_replies" not in normalize_page_message({"text": "a", "quick_replies": []})


def test_bad_quick_replies_name_the_field() -> None:
    reply = {"title": "t", "payload": "p"}
    with pytest.raises(TooManyElements, match="at most 13"):
        normalize_page_message({"text": "a", "quick_replies": [reply] * (MAX_QUICK_REPLIES + 1)})
    assert normalize_page_message({"text": "a", "quick_replies": [reply] * MAX_QUICK_REPLIES})
    for replies, problem in [
        ({"title": "t"}, "param message[quick_replies] must be an array"),
        (["t"], "param message[quick_replies][0] must be an object"),
        ([{"content_type": "location"}],
         "param message[quick_replies][0][content_type] must be one of text, user_phone_number, user_email"),
        ([{"title": "t" * 21, "payload": "p"}],
         "param message[quick_replies][0][title] must be at most 20 characters"),
        ([{"title": "t"}], "param message[quick_replies][0][payload] is required"),
        ([{"title": "t", "payload": "p" * 1001}],
         "param message[quick_replies][0][payload] must be at most 1000 characters"),
        ([{"title": "t", "payload": "p", "image_url": "ftp://x"}],
         "param message[quick_replies][0][image_url] must be an http or https URL"),
    ]:  # fmt: skip
        assert _refused({"text": "a", "quick_replies": replies}) == problem


# -- media and templates ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["image", "audio", "video", "file"])
def test_media_attachments_keep_their_url(kind: str) -> None:
    message: dict[str, Any] = {"attachment": {"type": kind, "payload": {"url": "https://x.test/a"}}}
    assert normalize_page_message(message) == {
        "attachment": {"type": kind, "payload": {"url": "https://x.test/a"}}
    }
    message["attachment"]["payload"]["is_reusable"] = "true"
    assert _payload(message) == {"url": "https://x.test/a", "is_reusable": True}


def test_media_comes_from_a_url_an_attachment_id_or_the_uploaded_file() -> None:
    assert _payload({"attachment": {"type": "image", "payload": {"attachment_id": 12}}}) == {
        "attachment_id": "12"
    }
    # Neither: the multipart body's ``filedata`` (the Send API refuses it without one).
    assert _payload({"attachment": {"type": "file", "payload": {}}}) == {"filedata": True}


def test_the_media_template_holds_one_image_or_video() -> None:
    element = {
        "media_type": "video",
        "url": "https://bank.test/v.mp4",
        "buttons": [{"type": "postback", "title": "Xem", "payload": "WATCH"}],
    }
    message = {
        "attachment": {
            "type": "template",
            "payload": {"template_type": "media", "elements": [element]},
        }
    }
    assert _payload(message) == {"template_type": "media", "elements": [element]}
    for elements, problem in (
        ([element, element], "[elements] must have exactly 1 element"),
        (
            [{**element, "media_type": "file"}],
            "[elements][0][media_type] must be one of image, video",
        ),
        ([{"media_type": "image"}], "[elements][0] must contain one of url or attachment_id"),
    ):
        bad = {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "media", "elements": elements},
            }
        }
        assert _refused(bad) == f"param message[attachment][payload]{problem}"


def test_bad_attachments_name_the_field() -> None:
    assert _refused({"attachment": "x"}) == "param message[attachment] must be an object"
    assert _refused({"attachment": {"type": "location"}}) == (
        "param message[attachment][type] must be one of template, image, audio, video, file"
    )
    assert _refused({"attachment": {"type": "image", "payload": []}}) == (
        "param message[attachment][payload] must be an object"
    )
    assert _refused(
        {"attachment": {"type": "image", "payload": {"url": "https://x", "attachment_id": "1"}}}
    ) == ("param message[attachment][payload] must contain only one of url or attachment_id")
    assert _refused({"attachment": {"type": "image", "payload": {"attachment_id": "x1"}}}) == (
        "param message[attachment][payload][attachment_id] must be an attachment id"
    )
    assert _refused({"attachment": {"type": "image", "payload": {"url": "javascript:x"}}}) == (
        "param message[attachment][payload][url] must be an http or https URL"
    )
    assert (
        _refused(
            {"attachment": {"type": "file", "payload": {"url": "https://x", "is_reusable": "yes"}}}
        )
        == "param message[attachment][payload][is_reusable] must be a boolean"
    )
    assert _refused(_template({"template_type": "list"})) == (
        "param message[attachment][payload][template_type] must be one of button, generic, receipt, media"
    )


def test_a_button_template_with_every_kind_of_button() -> None:
    payload = _payload(
        _template(
            {
                "template_type": "button",
                "text": "Thẻ của bạn",
                "buttons": [
                    {"type": "postback", "title": "Khóa thẻ", "payload": "FREEZE"},
                    {"type": "web_url", "title": "Mở", "url": "https://bank.test/card",
                     "webview_height_ratio": "tall", "fallback_url": "https://bank.test/",
                     "messenger_extensions": "false"},
                    {"type": "phone_number", "title": "Gọi", "payload": "+84912345678"},
                ],
            }
        )
    )  # fmt: skip
    assert payload == {
        "template_type": "button",
        "text": "Thẻ của bạn",
        "buttons": [
            {"type": "postback", "title": "Khóa thẻ", "payload": "FREEZE"},
            {"type": "web_url", "title": "Mở", "url": "https://bank.test/card",
             "webview_height_ratio": "tall", "fallback_url": "https://bank.test/",
             "messenger_extensions": False},
            {"type": "phone_number", "title": "Gọi", "payload": "+84912345678"},
        ],
    }  # fmt: skip


def test_account_link_buttons_carry_a_url_and_maybe_scopes_but_no_title() -> None:
    def buttons(*items: dict[str, Any]) -> list[dict[str, Any]]:
        message = _template({"template_type": "button", "text": "Link", "buttons": list(items)})
        return list(_payload(message)["buttons"])

    assert buttons({"type": "account_link", "url": "https://bank.test/link"}) == [
        {"type": "account_link", "url": "https://bank.test/link"}
    ]
    assert buttons(
        {"type": "account_link", "url": "https://b.test", "scopes": "transactions, balances"}
    ) == [{"type": "account_link", "url": "https://b.test", "scopes": ["balances", "transactions"]}]
    assert buttons({"type": "account_link", "url": "https://b.test", "scopes": ["fraud_alerts"]})[
        0
    ]["scopes"] == ["fraud_alerts"]
    assert buttons({"type": "account_unlink", "title": "dropped"}) == [{"type": "account_unlink"}]
    prefix = "param message[attachment][payload][buttons][0]"
    for button, problem in [
        ({"type": "account_link", "url": "https://b", "title": "Link"},
         f"{prefix}[title] is not allowed on an account_link button"),
        ({"type": "account_link"}, f"{prefix}[url] is required"),
        ({"type": "account_link", "url": "https://b", "scopes": 3},
         f"{prefix}[scopes] must be an array of scope names"),
        ({"type": "account_link", "url": "https://b", "scopes": ["ads"]},
         f"{prefix}[scopes] unknown scope 'ads'; known scopes: balances, customer_service, "
         "fraud_alerts, receipts, shipments, transactions"),
        ({"type": "account_link", "url": "https://b", "scopes": []},
         f"{prefix}[scopes] must name at least one scope"),
        ({"type": "call"},
         f"{prefix}[type] must be one of postback, web_url, phone_number, account_link, account_unlink"),
        ({"type": "postback", "payload": "P"}, f"{prefix}[title] is required"),
        ({"type": "postback", "title": "t" * 21, "payload": "P"},
         f"{prefix}[title] must be at most 20 characters"),
        ({"type": "web_url", "title": "t", "url": "mailto:a@b"},
         f"{prefix}[url] must be an http or https URL"),
        ({"type": "web_url", "title": "t", "url": "https://b", "messenger_extensions": 2},
         f"{prefix}[messenger_extensions] must be a boolean"),
        ({"type": "phone_number", "title": "t"}, f"{prefix}[payload] is required"),
        ("postback", f"{prefix} must be an object"),
    ]:  # fmt: skip
        assert _refused(
            _template({"template_type": "button", "text": "x", "buttons": [button]})
        ) == (problem)


def test_a_button_template_needs_text_and_one_to_three_buttons() -> None:
    button = {"type": "postback", "title": "t", "payload": "p"}
    prefix = "param message[attachment][payload]"
    assert _refused(_template({"template_type": "button", "buttons": [button]})) == (
        f"{prefix}[text] is required"
    )
    assert _refused(_template({"template_type": "button", "text": "x"})) == (
        f"{prefix}[buttons] must have at least 1 button"
    )
    assert _refused(_template({"template_type": "button", "text": "x", "buttons": {}})) == (
        f"{prefix}[buttons] must be an array"
    )
    with pytest.raises(TooManyElements, match="at most 3"):
        normalize_page_message(
            _template({"template_type": "button", "text": "x", "buttons": [button] * 4})
        )
    assert (
        len(
            _payload(
                _template(
                    {"template_type": "button", "text": "x", "buttons": [button] * MAX_BUTTONS}
                )
            )["buttons"]
        )
        == MAX_BUTTONS
    )


def test_a_generic_template_keeps_what_each_element_has() -> None:
    payload = _payload(
        _template(
            {
                "template_type": "generic",
                "image_aspect_ratio": "square",
                "elements": [
                    {"title": "Visa ••1234", "subtitle": "Đang hoạt động",
                     "image_url": "https://bank.test/visa.png",
                     "default_action": {"type": "web_url", "url": "https://bank.test/c"},
                     "buttons": [{"type": "postback", "title": "Khóa", "payload": "F"}]},
                    {"title": "Mastercard", "subtitle": "", "buttons": []},
                    {"title": "JCB", "buttons": [{"type": "web_url", "title": "Xem",
                                                  "url": "http://bank.test/j"}]},
                ],
            }
        )
    )  # fmt: skip
    assert payload == {
        "template_type": "generic",
        "image_aspect_ratio": "square",
        "elements": [
            {"title": "Visa ••1234", "subtitle": "Đang hoạt động",
             "image_url": "https://bank.test/visa.png",
             "default_action": {"type": "web_url", "url": "https://bank.test/c"},
             "buttons": [{"type": "postback", "title": "Khóa", "payload": "F"}]},
            {"title": "Mastercard"},  # an empty optional field is left out
            {"title": "JCB", "buttons": [{"type": "web_url", "title": "Xem",
                                          "url": "http://bank.test/j"}]},
        ],
    }  # fmt: skip


def test_bad_generic_templates_name_the_field() -> None:
    prefix = "param message[attachment][payload]"
    element = {"title": "t"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, f"{prefix}[elements] must have at least 1 element"),
        ({"elements": "x"}, f"{prefix}[elements] must be an array"),
        ({"elements": []}, f"{prefix}[elements] must have at least 1 element"),
        ({"elements": [element], "image_aspect_ratio": "wide"},
         f"{prefix}[image_aspect_ratio] must be horizontal or square"),
        ({"elements": [{"title": "t" * 81}]}, f"{prefix}[elements][0][title] must be at most 80 characters"),
        ({"elements": [{"title": "t", "default_action": "x"}]},
         f"{prefix}[elements][0][default_action] must be an object"),
        ({"elements": [{"title": "t", "default_action": {}}]},
         f"{prefix}[elements][0][default_action][url] is required"),
        ({"elements": [{"title": "t", "image_url": "data:x"}]},
         f"{prefix}[elements][0][image_url] must be an http or https URL"),
    ]  # fmt: skip
    for payload, problem in cases:
        assert _refused(_template({"template_type": "generic", **payload})) == problem
    with pytest.raises(TooManyElements, match="at most 10"):
        normalize_page_message(
            _template(
                {"template_type": "generic", "elements": [element] * (MAX_GENERIC_ELEMENTS + 1)}
            )
        )


RECEIPT: dict[str, Any] = {
    "template_type": "receipt",
    "recipient_name": "An Nguyễn",
    "order_number": "12345678902",
    "currency": "VND",
    "payment_method": "Visa 2345",
    "summary": {"total_cost": 560000},
}


def test_a_minimal_receipt() -> None:
    assert _payload(_template(RECEIPT)) == {
        "template_type": "receipt",
        "recipient_name": "An Nguyễn",
        "order_number": "12345678902",
        "currency": "VND",
        "payment_method": "Visa 2345",
        "summary": {"total_cost": 560000},
    }


def test_a_full_receipt_keeps_every_field_numbers_as_sent() -> None:
    payload = _payload(
        _template(
            {
                **RECEIPT,
                "merchant_name": "Tiki",
                "timestamp": 1428444852,
                "order_url": "https://shop.test/o/1",
                "sharable": "1",
                "summary": {"subtotal": "500000", "shipping_cost": 20000.5, "total_tax": None,
                            "total_cost": "560000"},
                "address": {"street_1": "1 Lê Lợi", "street_2": "", "city": "Huế",
                            "postal_code": None, "country": "VN"},
                "adjustments": [{"name": "Giảm giá", "amount": 10000}],
                "elements": [
                    {"title": "Áo", "price": 250000, "subtitle": "Xanh", "currency": "VND",
                     "quantity": "2", "image_url": "https://shop.test/a.png"},
                    {"title": "Mũ", "price": "0"},
                ],
            }
        )
    )  # fmt: skip
    assert payload == {
        "template_type": "receipt",
        "recipient_name": "An Nguyễn",
        "order_number": "12345678902",
        "currency": "VND",
        "payment_method": "Visa 2345",
        "merchant_name": "Tiki",
        "timestamp": "1428444852",
        "order_url": "https://shop.test/o/1",
        "sharable": True,
        "summary": {"total_cost": "560000", "subtotal": "500000", "shipping_cost": 20000.5},
        "address": {"street_1": "1 Lê Lợi", "street_2": "", "city": "Huế", "country": "VN"},
        "adjustments": [{"name": "Giảm giá", "amount": 10000}],
        "elements": [
            {"title": "Áo", "price": 250000, "subtitle": "Xanh", "currency": "VND",
             "quantity": "2", "image_url": "https://shop.test/a.png"},
            {"title": "Mũ", "price": "0"},
        ],
    }  # fmt: skip


def test_bad_receipts_name_the_field() -> None:
    prefix = "param message[attachment][payload]"
    changes: list[tuple[dict[str, Any], str]] = [
        ({"recipient_name": None}, f"{prefix}[recipient_name] is required"),
        ({"order_url": "shop.test"}, f"{prefix}[order_url] must be an http or https URL"),
        ({"sharable": "maybe"}, f"{prefix}[sharable] must be a boolean"),
        ({"summary": None}, f"{prefix}[summary] must be an object"),
        ({"summary": {}}, f"{prefix}[summary][total_cost] is required"),
        ({"summary": {"total_cost": "lots"}}, f"{prefix}[summary][total_cost] must be a number"),
        ({"summary": {"total_cost": True}}, f"{prefix}[summary][total_cost] must be a number"),
        ({"summary": {"total_cost": [1]}}, f"{prefix}[summary][total_cost] must be a number"),
        ({"summary": {"total_cost": 1, "subtotal": "x"}}, f"{prefix}[summary][subtotal] must be a number"),
        ({"address": "Huế"}, f"{prefix}[address] must be an object"),
        ({"address": {"city": "c" * 1001}}, f"{prefix}[address][city] must be at most 1000 characters"),
        ({"adjustments": {}}, f"{prefix}[adjustments] must be an array"),
        ({"adjustments": ["x"]}, f"{prefix}[adjustments][0] must be an object"),
        ({"adjustments": [{"amount": 1}]}, f"{prefix}[adjustments][0][name] is required"),
        ({"adjustments": [{"name": "n"}]}, f"{prefix}[adjustments][0][amount] is required"),
        ({"elements": {}}, f"{prefix}[elements] must be an array"),
        ({"elements": [{"title": "t"}]}, f"{prefix}[elements][0][price] is required"),
        ({"elements": [{"price": 1}]}, f"{prefix}[elements][0][title] is required"),
        ({"elements": [{"title": "t", "price": 1, "quantity": "two"}]},
         f"{prefix}[elements][0][quantity] must be a number"),
        ({"elements": [{"title": "t", "price": 1, "image_url": "x"}]},
         f"{prefix}[elements][0][image_url] must be an http or https URL"),
    ]  # fmt: skip
    for change, problem in changes:
        assert _refused(_template({**RECEIPT, **change})) == problem
    with pytest.raises(TooManyElements, match="too many elements"):
        normalize_page_message(
            _template(
                {**RECEIPT, "elements": [{"title": "t", "price": 1}] * (MAX_RECEIPT_ELEMENTS + 1)}
            )
        )


# -- what linking and the person-facing API read ------------------------------------------


def test_account_link_buttons_are_found_in_buttons_and_elements() -> None:
    link = {"type": "account_link", "url": "https://bank.test/a"}
    other = {"type": "account_link", "url": "https://bank.test/b"}
    message = normalize_page_message(
        _template(
            {
                "template_type": "generic",
                "elements": [
                    {
                        "title": "t",
                        "buttons": [link, {"type": "postback", "title": "p", "payload": "P"}],
                    },
                    {"title": "u", "buttons": [other]},
                ],
            }
        )
    )
    assert account_link_urls(message) == ["https://bank.test/a", "https://bank.test/b"]
    assert account_link_urls(
        normalize_page_message(
            _template({"template_type": "button", "text": "x", "buttons": [link]})
        )
    ) == ["https://bank.test/a"]
    # Whatever else a stored message holds, nothing breaks and nothing is found.
    for message_without in (
        {"text": "hi"},
        {"attachment": {"type": "image", "payload": {"url": "https://x"}}},
        {"attachment": {"type": "template", "payload": "x"}},
        {"attachment": {"type": "template", "payload": {"buttons": None, "elements": ["x", {}]}}},
        {"attachment": {"type": "template", "payload": {"buttons": ["x", {"type": "postback"}]}}},
    ):
        assert account_link_buttons(message_without) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("true", True), ("FALSE", False), ("1", True), ("0", False),
     (1, True), (0, False)],
)  # fmt: skip
def test_booleans_as_messenger_clients_send_them(value: object, expected: bool) -> None:
    assert parse_bool(value, "flag") is expected


@pytest.mark.parametrize("value", ["yes", 2, None, 1.0, []])
def test_anything_else_is_not_a_boolean(value: object) -> None:
    with pytest.raises(InvalidParameter, match="param flag must be a boolean"):
        parse_bool(value, "flag")
