"""Messenger's webhook fields: parsing ``subscribed_fields`` as Graph takes it, Meta's errors,
and which field each outbox event kind belongs to."""

from __future__ import annotations

import pytest

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.webhook_fields import (
    DEFAULT_FIELDS,
    KNOWN_FIELDS,
    delivers,
    field_of,
    parse_subscribed_fields,
    subscribe_body,
)


@pytest.mark.parametrize(
    "value",
    [
        ["messages", "standby"],
        ("messages", "standby"),
        "messages,standby",
        " messages , standby ",
        '["messages", "standby"]',
        ["messages", "standby", "messages"],
    ],
)
def test_subscribed_fields_in_every_graph_encoding(value: object) -> None:
    assert parse_subscribed_fields(value) == ("messages", "standby")


@pytest.mark.parametrize("value", [None, "", [], "[]"])
def test_subscribed_fields_are_required(value: object) -> None:
    with pytest.raises(InvalidParameter) as refused:
        parse_subscribed_fields(value)
    assert str(refused.value) == "(#100) The parameter subscribed_fields is required"


def test_an_unknown_field_is_named_with_its_index_as_meta_does() -> None:
    with pytest.raises(InvalidParameter) as refused:
        parse_subscribed_fields(["messages", "mentions"])
    message = str(refused.value)
    assert message.startswith("(#100) Param subscribed_fields[1] must be one of {messages, ")
    assert message.endswith('} - got "mentions"')


@pytest.mark.parametrize("value", [[1], [None], {"a": 1}, 5, "[not json", '{"a": 1}'])
def test_fields_that_are_not_names_are_refused(value: object) -> None:
    with pytest.raises(InvalidParameter):
        parse_subscribed_fields(value)


def test_meta_fields_without_a_ledgerline_event_are_accepted() -> None:
    assert parse_subscribed_fields("feed,messaging_optins") == ("feed", "messaging_optins")


def test_each_event_kind_has_its_field() -> None:
    assert field_of("message") == "messages"
    assert field_of("postback") == "messaging_postbacks"
    assert field_of("delivery") == "message_deliveries"
    assert field_of("read") == "message_reads"
    assert field_of("account_linking") == "messaging_account_linking"
    assert field_of("messaging_handovers") == "messaging_handovers"
    assert field_of("standby:message") == "standby"
    assert field_of("standby:read") == "standby"
    assert field_of("fraud_alert_response") == "fraud_alert_responses"
    assert field_of("fraud_report") == "fraud_reports"
    assert field_of("test") is None


def test_the_default_never_has_standby_echoes_or_handovers() -> None:
    assert {"standby", "message_echoes", "messaging_handovers"}.isdisjoint(DEFAULT_FIELDS)
    assert delivers(DEFAULT_FIELDS, "message")
    assert delivers(DEFAULT_FIELDS, "fraud_report")
    assert not delivers(DEFAULT_FIELDS, "standby:message")
    assert not delivers(DEFAULT_FIELDS, "messaging_handovers")


def test_an_unsubscribed_page_receives_only_what_it_asked_for_there_and_then() -> None:
    assert not delivers(None, "message")
    assert delivers(None, "test")  # the console's test event
    assert delivers(("standby",), "standby:postback")
    assert not delivers(("standby",), "postback")


def test_the_subscribe_body_is_required_from_v3_2_and_documents_every_known_field() -> None:
    assert subscribe_body(required=False).read({}) == {"subscribed_fields": None}
    with pytest.raises(InvalidParameter, match="subscribed_fields is required"):
        subscribe_body(required=True).read({})
    with pytest.raises(InvalidParameter, match="subscribed_fields is required"):
        subscribe_body(required=False).read({"subscribed_fields": ""})
    body = subscribe_body(required=False)
    assert body.read({"subscribed_fields": "feed,messages"}) == {
        "subscribed_fields": ("feed", "messages")
    }
    documented = body.fields["subscribed_fields"].schema({})
    listed = documented["anyOf"][0]["items"]["enum"]
    assert set(listed) == KNOWN_FIELDS
    assert body.read({"subscribed_fields": documented["examples"][0]})["subscribed_fields"]
