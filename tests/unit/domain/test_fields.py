"""Field specs: one declaration parses a body and describes it (domain/fields.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.fields import (
    REF,
    Amount,
    AnyObject,
    Array,
    Checked,
    Choice,
    Closed,
    Flag,
    Given,
    Moment,
    Obj,
    PageScopedId,
    Text,
    json_schemas,
)


def refused(spec: Any, value: Any, param: str | None = "f") -> str:
    with pytest.raises(InvalidParameter) as caught:
        spec.parse(value, param)
    return str(caught.value)


def test_text_strips_counts_digits_as_text_and_names_the_field_not_the_value() -> None:
    assert Text().parse("  Highlands  ", "name") == "Highlands"
    assert Text().parse(1234, "id") == "1234"
    assert Text(required=False).parse(None, "x") is None
    assert Text(required=False).parse("   ", "x") is None
    assert "param name is required" in refused(Text(), "  ", "name")
    assert "param name is required" in refused(Text(), None, "name")
    assert "must be a string" in refused(Text(), True)
    assert "must be a string" in refused(Text(), 1.5)
    assert "must be a string" in refused(Text(numbers=False), 1234)
    message = refused(Text(max_length=3), "secret-value")
    assert "must be at most 3 characters" in message
    assert "secret-value" not in message


def test_text_patterns_case_and_urls() -> None:
    country = Text(max_length=2, pattern=r"[A-Z]{2}", problem="must be a country", upper=True)
    assert country.parse("vn", "c") == "VN"
    assert "must be a country" in refused(country, "Vietnam")
    assert "must match" in refused(Text(pattern=r"\d+"), "abc")
    url = Text(url=True)
    assert url.parse("https://bank.example/x", "u") == "https://bank.example/x"
    assert "http or https URL" in refused(url, "ftp://bank.example")


def test_choice_default_and_messages() -> None:
    two = Choice(("debit", "credit"), default="debit")
    assert two.parse(None, "d") == "debit"
    assert two.parse("credit", "d") == "credit"
    assert "param d must be debit or credit" in refused(two, "both", "d")
    three = Choice(("a", "b", "c"))
    assert "must be a, b or c" in refused(three, "d")
    many = Choice(("a", "b", "c", "d"))
    assert "must be one of a, b, c, d" in refused(many, None)


def test_moment_needs_a_timezone_and_the_documented_range() -> None:
    assert Moment().parse("1970-01-01T00:00:01Z", "t") == 1000
    booked = dt.datetime(2026, 11, 29, 1, 15, tzinfo=dt.UTC)
    assert Moment().parse("2026-11-29T08:15:00+07:00", "t") == booked.timestamp() * 1000
    assert Moment(required=False).parse(None, "t") is None
    assert "ISO 8601" in refused(Moment(), "yesterday")
    assert "timezone" in refused(Moment(), "2026-11-29T08:15:00")
    assert "must be between" in refused(Moment(), "9999-12-31T23:59:59-12:00")
    assert "must be between" in refused(Moment(), "0001-01-01T00:00:00+00:00")


def test_amount_is_exact_text() -> None:
    assert Amount().parse({"amount": "125000", "currency": "vnd"}, "a") == {
        "amount": "125000",
        "currency": "VND",
    }
    assert "must not be negative" in refused(Amount(), {"amount": "-1", "currency": "VND"})
    assert Amount(signed=True).parse({"amount": "-1", "currency": "VND"}, "a")["amount"] == "-1"


def test_objects_name_nested_fields_and_drop_unknown_keys() -> None:
    inner = Obj("Inner", {"code": Text(max_length=4)}, required=False)
    outer = Obj("Outer", {"id": Text(), "inner": inner, "extra": AnyObject(required=False)})
    assert outer.parse({"id": "x", "inner": {"code": "12"}, "unknown": 1}) == {
        "id": "x",
        "inner": {"code": "12"},
        "extra": None,
    }
    assert outer.parse({"id": "x"}) == {"id": "x", "inner": None, "extra": None}
    assert "param inner[code] must be at most 4" in refused(
        outer, {"id": "x", "inner": {"code": "12345"}}, None
    )
    assert "param inner must be an object" in refused(outer, {"id": "x", "inner": []}, None)
    assert "param extra must be an object" in refused(outer, {"id": "x", "extra": 1}, None)
    assert "param o[id] is required" in refused(outer, {}, "o")


def test_arrays_are_bounded_and_number_their_items() -> None:
    items = Array(Text(max_length=2), max_length=2, noun="things")
    assert items.parse(["a", "b"], "xs") == ["a", "b"]
    assert "must be a non-empty array" in refused(items, [], "xs")
    assert "must be a non-empty array" in refused(items, "a", "xs")
    assert "must hold at most 2 things" in refused(items, ["a", "b", "c"], "xs")
    assert "param xs[1] must be at most 2" in refused(items, ["a", "bcd"], "xs")
    optional = Array(Text(), max_length=3, min_length=0, required=False)
    assert optional.parse(None, "ys") is None
    assert optional.parse([], "ys") == []
    assert "must be an array" in refused(optional, {}, "ys")


def test_checked_applies_one_more_rule() -> None:
    def even(value: str, param: str) -> str:
        if int(value) % 2:
            raise InvalidParameter(f"param {param} must be even")
        return value

    spec = Checked(Text(required=False), even)
    assert spec.required is False
    assert spec.parse("4", "n") == "4"
    assert spec.parse(None, "n") is None
    assert "must be even" in refused(spec, "3", "n")
    assert spec.schema({}) == Text(required=False).schema({})


def test_the_schema_describes_what_parse_accepts() -> None:
    merchant = Obj("Merchant", {"mcc": Text(max_length=4, pattern=r"\d{4}")}, required=False)
    body = Obj(
        "PaymentIn",
        {
            "id": Text(max_length=8, description="the id", example="p-1"),
            "kind": Choice(("debit", "credit"), default="debit"),
            "at": Moment(),
            "amount": Amount(),
            "refund": Amount(signed=True),
            "merchant": merchant,
            "lines": Array(Obj("Line", {"sku": Text()}), max_length=5),
            "note": Text(required=False, url=True),
        },
        description="A payment",
    )
    schemas = json_schemas(body)
    assert list(schemas) == ["PaymentIn", "Amount", "Merchant", "Line"]  # the body first
    payment = schemas["PaymentIn"]
    assert payment["description"] == "A payment"
    assert payment["required"] == ["id", "at", "amount", "refund", "lines"]
    assert payment["additionalProperties"] is True
    properties = payment["properties"]
    assert properties["id"] == {
        "type": "string",
        "maxLength": 8,
        "description": "the id",
        "examples": ["p-1"],
    }
    assert properties["kind"] == {"type": "string", "enum": ["debit", "credit"], "default": "debit"}
    assert properties["at"]["format"] == "date-time"
    assert properties["amount"] == {"$ref": REF.format(name="Amount")}
    assert properties["refund"]["allOf"] == [{"$ref": REF.format(name="Amount")}]
    assert "negative" in properties["refund"]["description"]
    assert properties["merchant"] == {"$ref": REF.format(name="Merchant")}
    assert properties["lines"]["items"] == {"$ref": REF.format(name="Line")}
    assert (properties["lines"]["minItems"], properties["lines"]["maxItems"]) == (1, 5)
    assert properties["note"]["format"] == "uri"
    assert schemas["Merchant"]["properties"]["mcc"]["pattern"] == r"^\d{4}$"
    assert schemas["Merchant"]["required"] == ["mcc"]
    assert AnyObject(description="free").schema({}) == {"type": "object", "description": "free"}


def test_the_edges_of_reading_and_describing() -> None:
    # A time whose UTC instant is past year 9999 is out of range, not a crash.
    with pytest.raises(InvalidParameter, match="must be between"):
        Moment().parse("9999-12-31T23:59:59-12:00", "t")
    # An object used twice is described once, both places referring to it.
    place = Obj("Place", {"city": Text()})
    schemas = json_schemas(Obj("Trip", {"start": place, "end": place}))
    assert list(schemas) == ["Trip", "Place"]
    assert schemas["Trip"]["properties"]["start"] == schemas["Trip"]["properties"]["end"]


def test_a_closed_object_refuses_keys_it_does_not_know_but_not_nulls() -> None:
    closed = Closed("Start", {"payload": Text()}, tag="type")
    assert closed.parse({"payload": "GO", "type": "x", "later": None}, "s") == {"payload": "GO"}
    said = refused(closed, {"payload": "GO", "b": 1, "a": 2}, "s")
    assert said == '(#100) Invalid keys "a, b" were found in param "s".'
    assert "param s must be an object" in refused(closed, [], "s")
    schemas = json_schemas(Obj("Body", {"start": closed}))
    assert schemas["Start"]["additionalProperties"] == {"type": "null"}


def test_given_is_nothing_when_missing_and_the_inner_rules_otherwise() -> None:
    url = Given(Text(url=True), description="Where to go")
    assert url.parse(None, "u") is None
    assert "param u is required" in refused(url, "", "u")
    assert "http or https URL" in refused(url, "ftp://x", "u")
    assert "param u is required" in refused(Given(Choice(("a", "b")), required=True), None, "u")
    assert url.schema({})["description"] == "Where to go"


def test_a_flag_may_read_a_missing_value_as_its_default() -> None:
    flag = Flag(default=False)
    assert flag.parse(None, "f") is False
    assert flag.parse("true", "f") is True
    assert flag.schema({})["default"] is False
    assert "default" not in Flag().schema({})


def test_an_array_may_refuse_a_missing_value_as_not_an_array() -> None:
    items = Array(Text(), max_length=2, too_few="must have at least 1 element")
    assert "at least 1 element" in refused(items, None)
    strict = Array(
        Text(), max_length=2, too_few="must have at least 1 element", missing_is_empty=False
    )
    assert "param f must be an array" in refused(strict, None)
    assert "at least 1 element" in refused(strict, [])


def test_a_psid_parameter() -> None:
    psid = PageScopedId()
    assert psid.parse(" 123 ", "psid") == "123"
    assert psid.parse(123, "psid") == "123"
    for bad in (None, True, "  ", 1.5, ["1"]):
        assert refused(psid, bad, "psid") == "(#100) param psid is required"
    assert psid.schema({})["examples"] == ["12345678901234567890"]
