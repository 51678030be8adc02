"""domain.page_profile: Messenger's profile properties, their limits and the person's view."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerline.domain.errors import InvalidParameter, TooManyElements
from ledgerline.domain.fields import json_schemas
from ledgerline.domain.page_profile import (
    DELETE_PERSON_MENU,
    PERSON_MENU,
    PROFILE,
    PROFILE_FIELDS,
    PROFILE_QUERY,
    TooDeep,
    field_names,
    fill_greeting,
    for_person,
    normalize_menu,
    normalize_profile,
)
from ledgerline.domain.person_names import PersonNames

AN = PersonNames(first_name="An", last_name="Nguyễn", full_name="Nguyễn Văn An")


def _menu(*items: Any, **entry: Any) -> dict[str, Any]:
    return {
        "get_started": {"payload": "GO"},
        "persistent_menu": [{"locale": "default", "call_to_actions": list(items), **entry}],
    }


def test_web_url_items_keep_messengers_options() -> None:
    item = {
        "type": "web_url",
        "title": "App",
        "url": "https://bank.example/app",
        "webview_height_ratio": "tall",
        "messenger_extensions": "false",
        "fallback_url": "https://bank.example/",
        "webview_share_button": "hide",
        "unused": None,
    }
    menu = normalize_profile(_menu(item, disabled_surfaces=["CUSTOMER_CHAT_PLUGIN"]))
    (entry,) = menu["persistent_menu"]
    assert entry["disabled_surfaces"] == ["CUSTOMER_CHAT_PLUGIN"]
    assert entry["composer_input_disabled"] is False
    assert entry["call_to_actions"] == [
        {k: v for k, v in item.items() if k != "unused"} | {"messenger_extensions": False}
    ]


def test_a_menu_without_items_is_an_empty_menu() -> None:
    profile = normalize_profile({"get_started": {"payload": "GO"}, "persistent_menu": [{}]})
    assert profile["persistent_menu"] == [
        {"locale": "default", "composer_input_disabled": False, "call_to_actions": []}
    ]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        (
            _menu(
                {
                    "type": "web_url",
                    "title": "A",
                    "url": "https://x.example",
                    "webview_height_ratio": "huge",
                }
            ),
            "compact, tall, full",
        ),
        (
            _menu(
                {
                    "type": "web_url",
                    "title": "A",
                    "url": "https://x.example",
                    "webview_share_button": "show",
                }
            ),
            '"hide"',
        ),
        (_menu({"type": "nested", "title": "N", "call_to_actions": []}), "at least 1 element"),
        (
            _menu({"type": "postback", "title": "A", "payload": "P"}, disabled_surfaces=["WEB"]),
            "CUSTOMER_CHAT_PLUGIN",
        ),
        ({"greeting": []}, "at least 1 element"),
        ({"ice_breakers": [{"locale": "default", "call_to_actions": []}]}, "at least 1 element"),
        (
            {
                "ice_breakers": [
                    {
                        "locale": "default",
                        "call_to_actions": [{"question": "q", "payload": "p"}] * 5,
                    }
                ]
            },
            "at most 4",
        ),
        ({"greeting": [{"locale": 7, "text": "x"}]}, "locale"),
    ],
)
def test_refused(params: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidParameter, match=None) as caught:
        normalize_profile(params)
    assert says in caught.value.message


def test_field_names() -> None:
    assert field_names("greeting, get_started,greeting") == ["greeting", "get_started"]
    assert field_names(["persistent_menu"]) == ["persistent_menu"]
    assert field_names(None, required=False) == []
    with pytest.raises(InvalidParameter, match="must be an array"):
        field_names({"a": 1})
    with pytest.raises(InvalidParameter, match="is required"):
        field_names("")


def test_the_read_query_is_comma_separated_names_as_documented() -> None:
    names = PROFILE_QUERY.fields["fields"]
    schema = names.schema({})
    assert schema["type"] == "string"
    assert schema["description"].startswith("The properties to read")
    assert PROFILE_QUERY.read({"fields": schema["examples"][0]}) == {
        "fields": ["get_started", "greeting"]
    }
    assert PROFILE_FIELDS.fields["fields"].schema({})["description"] == "The properties to delete"


@pytest.mark.parametrize(
    "given",
    [
        '["persistent_menu"]',
        "(persistent_menu)",
        " persistent_menu ",
        ["persistent_menu"],
        "['persistent_menu']",
    ],
)
def test_deleting_a_person_menu_names_the_persistent_menu(given: Any) -> None:
    assert DELETE_PERSON_MENU.read({"params": given, "psid": " 7 "}) == {
        "params": ["persistent_menu"],
        "psid": "7",
    }


def test_deleting_a_person_menu_checks_params_before_the_psid() -> None:
    for wrong in (None, "", "greeting", ["persistent_menu", "greeting"]):
        with pytest.raises(InvalidParameter) as caught:
            DELETE_PERSON_MENU.read({"params": wrong})
        assert caught.value.message == 'param params must be ["persistent_menu"]'
    with pytest.raises(InvalidParameter, match="param psid is required"):
        DELETE_PERSON_MENU.read({"params": "persistent_menu"})
    schema = DELETE_PERSON_MENU.fields["params"].schema({})
    for documented in schema["enum"]:
        assert DELETE_PERSON_MENU.read({"params": documented, "psid": 1})["psid"] == "1"


def test_the_person_sees_their_language_else_default() -> None:
    profile = normalize_profile(
        {
            "get_started": {"payload": "GO"},
            "greeting": [
                {"locale": "default", "text": "Hi {{user_full_name}}"},
                {"locale": "vi_VN", "text": "Chào {{user_first_name}} {{user_last_name}}"},
            ],
        }
    )
    assert for_person(profile, lang="vi", names=AN)["greeting"] == "Chào An Nguyễn"
    seen = for_person(profile, lang="en", names=AN)
    assert seen == {
        "greeting": "Hi Nguyễn Văn An",
        "get_started": True,
        "ice_breakers": [],
        "persistent_menu": None,
    }
    assert fill_greeting("{{other}}", AN) == "{{other}}"


def test_a_persons_menu_must_be_given() -> None:
    with pytest.raises(InvalidParameter, match="param persistent_menu is required"):
        normalize_menu(None)


def _nested(depth: int) -> dict[str, Any]:
    leaf = {"type": "postback", "title": "A", "payload": "P"}
    item: dict[str, Any] = leaf
    for _ in range(depth):
        item = {"type": "nested", "title": "N", "call_to_actions": [item]}
    return item


def test_menus_nest_three_levels_at_most() -> None:
    assert normalize_profile(_menu(_nested(2)))["persistent_menu"][0]["call_to_actions"]
    with pytest.raises(InvalidParameter) as caught:
        normalize_profile(_menu(_nested(3)))
    where = "persistent_menu[0]" + "[call_to_actions][0]" * 3
    assert str(caught.value) == f"(#100) param {where} nests menus more than 3 levels deep"
    assert TooDeep().schema({}) == {"not": {}}


def test_the_first_ice_breakers_format_is_the_default_locales() -> None:
    question = {"question": "Số dư?", "payload": "BALANCE"}
    assert normalize_profile({"ice_breakers": [question]})["ice_breakers"] == [
        {"locale": "default", "call_to_actions": [question]}
    ]
    with pytest.raises(TooManyElements):
        normalize_profile({"ice_breakers": [question] * 5})


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"greeting": [{"text": "a"}, {"locale": "default", "text": "b"}]}, "same locale"),
        ({"greeting": [{"locale": "vi_VN", "text": "a"}]}, '"default" locale'),
        ({"greeting": [{"text": "Hi {{user_nickname}}"}]}, "unknown placeholder"),
        ({"whitelisted_domains": ["http://bank.example"]}, "must be an https URL"),
        ({"whitelisted_domains": "https://bank.example"}, "must be an array"),
        ({"get_started": {"payload": "GO", "title": "x"}}, 'Invalid keys "title"'),
        ({"persistent_menu": [{"composer_input_disabled": True}]}, "is required when"),
        ({"persistent_menu": [{"disabled_surfaces": "WEB"}]}, "must be an array"),
        ({"persistent_menu": [{"call_to_actions": [{"type": "nested", "title": "N"}]}]}, "array"),
        ({"account_linking_url": None}, "Requires one of the params"),
    ],
)
def test_more_refusals(params: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        normalize_profile(params)
    assert says in caught.value.message


def test_the_specs_describe_what_they_accept() -> None:
    schemas = json_schemas(PROFILE)
    assert next(iter(schemas)) == "MessengerProfile"
    assert set(schemas["MessengerProfile"]["properties"]) == set(PROFILE.fields)
    assert "anyOf" in schemas["MessengerProfile"]["properties"]["ice_breakers"]
    assert schemas["Greeting"]["properties"]["locale"]["default"] == "default"
    fields = json_schemas(PROFILE_FIELDS)["MessengerProfileFields"]["properties"]["fields"]
    assert fields["anyOf"][0]["items"]["enum"][0] == "account_linking_url"
    person = json_schemas(PERSON_MENU)["CustomUserSettings"]
    assert person["required"] == ["psid", "persistent_menu"]


def test_a_persons_menu_and_the_pages_domains() -> None:
    menu = [{"call_to_actions": [{"type": "postback", "title": "A", "payload": "P"}]}]
    assert normalize_menu(menu)[0]["locale"] == "default"
    domains = normalize_profile({"whitelisted_domains": ["https://bank.example"]})
    assert domains == {"whitelisted_domains": ["https://bank.example"]}
    with pytest.raises(InvalidParameter, match=r"param fields\[1\] must be one of"):
        field_names("greeting,nickname")
