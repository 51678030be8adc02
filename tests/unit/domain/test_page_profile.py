"""domain.page_profile: Messenger's profile properties, their limits and the person's view."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.page_profile import (
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
