"""A Send API call's fields besides the message: who it is for, the messaging policy (type
and tag), a sender action, a notification type and a persona — each parsed by the spec that
documents it."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.fields import PageScopedId, json_schemas, psid_text
from ledgerline.domain.send_request import (
    NOTIFICATION_TYPE,
    PERSONA_ID,
    RECIPIENT,
    SEND_REQUEST,
    SENDER_ACTION,
    messaging_policy,
)
from ledgerline.domain.window import MessageTag, MessagingType


def _refused(parse: Any, value: Any, param: str) -> str:
    with pytest.raises(InvalidParameter) as caught:
        parse(value, param)
    return caught.value.message


def test_the_recipient_is_a_psid_as_text_or_number() -> None:
    assert RECIPIENT.parse({"id": " 123 "}, "recipient") == "123"
    assert RECIPIENT.parse({"id": 123}, "recipient") == "123"
    assert _refused(RECIPIENT.parse, "123", "recipient") == (
        "param recipient must be an object with an id"
    )
    assert _refused(RECIPIENT.parse, {"id": True}, "recipient") == "param recipient[id] is required"
    assert _refused(RECIPIENT.parse, {"id": " "}, "recipient") == "param recipient[id] is required"
    assert _refused(RECIPIENT.parse, {"user_ref": "r"}, "recipient") == (
        "Only recipient.id (a PSID) is supported"
    )


def test_the_recipient_id_is_checked_and_documented_as_every_psid() -> None:
    """One PSID rule (``fields.psid_text``): what ``PageScopedId`` takes, the recipient
    takes, and its documented ``id`` is ``PageScopedId``'s schema."""
    for value in (" 123 ", 123, "0", True, 1.5, None, "  ", ["1"]):
        try:
            expected: str | None = PageScopedId().parse(value, "psid")
        except InvalidParameter:
            expected = None
        assert psid_text(value) == expected
        if expected is not None:
            assert RECIPIENT.parse({"id": value}, "recipient") == expected
    recipient = json_schemas(SEND_REQUEST)["Recipient"]
    assert recipient["properties"]["id"] == PageScopedId().schema({})
    assert recipient["required"] == ["id"]


def test_the_messaging_policy_reads_types_and_tags_in_any_case() -> None:
    assert messaging_policy({}) == (MessagingType.RESPONSE, None)
    assert messaging_policy({"messaging_type": ""}) == (MessagingType.RESPONSE, None)
    assert messaging_policy({"messaging_type": "update"}) == (MessagingType.UPDATE, None)
    assert messaging_policy({"messaging_type": "MESSAGE_TAG", "tag": "account_update"}) == (
        MessagingType.MESSAGE_TAG,
        MessageTag.ACCOUNT_UPDATE,
    )
    # A tag retired in 2020 is mapped as Messenger mapped it.
    assert messaging_policy({"messaging_type": "MESSAGE_TAG", "tag": "PAYMENT_UPDATE"})[1] is (
        MessageTag.POST_PURCHASE_UPDATE
    )
    cases: list[tuple[dict[str, Any], str]] = [
        ({"messaging_type": "LATER"}, "param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG"),
        ({"messaging_type": 3}, "param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG"),
        ({"messaging_type": "MESSAGE_TAG"}, "param tag is required when messaging_type is MESSAGE_TAG"),
        ({"tag": "SHIPPING"}, "param tag must be one of ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE, "
         "POST_PURCHASE_UPDATE, HUMAN_AGENT, CUSTOMER_FEEDBACK"),
    ]  # fmt: skip
    for params, problem in cases:
        with pytest.raises(InvalidParameter) as caught:
            messaging_policy(params)
        assert caught.value.message == problem


def test_sender_actions_and_notification_types() -> None:
    assert SENDER_ACTION.parse("TYPING_ON", "sender_action") == "typing_on"
    assert SENDER_ACTION.parse(None, "sender_action") is None
    assert _refused(SENDER_ACTION.parse, "wave", "sender_action") == (
        "param sender_action must be one of typing_on, typing_off, mark_seen"
    )
    assert NOTIFICATION_TYPE.parse("silent_push", "notification_type") == "SILENT_PUSH"
    assert NOTIFICATION_TYPE.parse(None, "notification_type") is None
    assert _refused(NOTIFICATION_TYPE.parse, "LOUD", "notification_type") == (
        "param notification_type must be one of REGULAR, SILENT_PUSH, NO_PUSH"
    )


def test_a_persona_is_named_by_its_digits() -> None:
    assert PERSONA_ID.parse(" 1857 ", "persona_id") == "1857"
    assert PERSONA_ID.parse(1857, "persona_id") == "1857"
    assert PERSONA_ID.parse("", "persona_id") is None
    assert _refused(PERSONA_ID.parse, "abc", "persona_id") == (
        "param persona_id is not a persona of this page"
    )
    assert _refused(PERSONA_ID.parse, True, "persona_id") == (
        "param persona_id is not a persona of this page"
    )
