"""Wire models of the Messenger Profile API (documentation at the edge only: the body is
read by hand, with Messenger's loose encodings, and validated by ``domain.page_profile``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class GetStarted(BaseModel):
    payload: str = Field(max_length=1000, description="Sent back in the `postback` webhook")


class Greeting(BaseModel):
    locale: str = Field(description="`default` (required once) or e.g. `vi_VN`, `en_US`")
    text: str = Field(
        max_length=160,
        description="Shown before the first message; `{{user_first_name}}`, "
        "`{{user_last_name}}` and `{{user_full_name}}` are filled in",
    )


class MenuItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["postback", "web_url", "nested"]
    title: str = Field(max_length=30)
    payload: str | None = Field(default=None, max_length=1000, description="postback only")
    url: str | None = Field(default=None, description="web_url only")
    call_to_actions: list[MenuItem] | None = Field(
        default=None, description="nested only: at most 5 items, 3 levels in all"
    )


class PersistentMenu(BaseModel):
    locale: str = Field(description="`default` (required once) or e.g. `vi_VN`")
    composer_input_disabled: bool = Field(
        default=False, description="Only the menu, no text box (needs call_to_actions)"
    )
    call_to_actions: list[MenuItem] = Field(default_factory=list, max_length=20)


class IceBreaker(BaseModel):
    question: str = Field(max_length=80)
    payload: str = Field(max_length=1000)


class IceBreakers(BaseModel):
    locale: str = Field(description="`default` (required once) or e.g. `vi_VN`")
    call_to_actions: list[IceBreaker] = Field(max_length=4)


class MessengerProfileIn(BaseModel):
    """At least one property; each replaces what was set before."""

    model_config = ConfigDict(extra="allow")
    get_started: GetStarted | None = None
    greeting: list[Greeting] | None = None
    persistent_menu: list[PersistentMenu] | None = Field(
        default=None, description="Needs a Get Started button (#100, subcode 2018145)"
    )
    ice_breakers: list[IceBreakers] | None = Field(
        default=None, description="The older flat list of `{question, payload}` is accepted too"
    )
    whitelisted_domains: list[str] | None = Field(
        default=None, max_length=50, description="https URLs"
    )
    account_linking_url: str | None = Field(
        default=None, description="The page's account-link URL (the consent flow's target)"
    )


class PersonMenuIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    psid: str = Field(description="The person's PSID")
    persistent_menu: list[PersistentMenu]


PERSON_MENU_EXAMPLES: dict[str, Any] = {
    "a menu for one person": {
        "psid": "12345678901234567890",
        "persistent_menu": [
            {
                "locale": "default",
                "composer_input_disabled": False,
                "call_to_actions": [
                    {"type": "postback", "title": "Talk to an agent", "payload": "AGENT"}
                ],
            }
        ],
    }
}


class MessengerProfileDeleteIn(BaseModel):
    fields: list[str] = Field(description="The properties to delete")


class ResultOut(BaseModel):
    result: Literal["success"]


class MessengerProfileOut(BaseModel):
    data: list[dict[str, Any]] = Field(
        description="One object with the properties asked for that are set; empty when none"
    )


PROFILE_EXAMPLES: dict[str, Any] = {
    "get started, greeting and menu": {
        "get_started": {"payload": "GET_STARTED"},
        "greeting": [
            {"locale": "default", "text": "Hello {{user_first_name}}! Ask us anything."},
            {"locale": "vi_VN", "text": "Chào {{user_first_name}}! Chúng tôi có thể giúp gì?"},
        ],
        "persistent_menu": [
            {
                "locale": "default",
                "composer_input_disabled": False,
                "call_to_actions": [
                    {"type": "postback", "title": "Balance", "payload": "BALANCE"},
                    {"type": "web_url", "title": "Open the app", "url": "https://bank.example/app"},
                ],
            }
        ],
    },
    "ice breakers": {
        "ice_breakers": [
            {
                "locale": "default",
                "call_to_actions": [
                    {"question": "What is my balance?", "payload": "BALANCE"},
                    {"question": "I lost my card", "payload": "CARD_LOST"},
                ],
            }
        ]
    },
}
DELETE_EXAMPLES: dict[str, Any] = {"delete": {"fields": ["persistent_menu", "get_started"]}}
GET_EXAMPLE: dict[str, Any] = {
    "data": [
        {
            "get_started": {"payload": "GET_STARTED"},
            "greeting": [{"locale": "default", "text": "Hello {{user_first_name}}!"}],
        }
    ]
}


class GetStartedIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{}, {"ref": "spring-campaign"}]}
    )
    ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=2083,
        pattern=r"^[A-Za-z0-9_=\-]+$",
        description="The `ref` of the link that opened the chat: sent to the bank as the "
        "postback's `referral`",
    )


class PersonMenu(BaseModel):
    composer_input_disabled: bool
    call_to_actions: list[dict[str, Any]] = Field(
        description="The menu of the person's language, as the bank set it (MenuItem)"
    )


class PersonProfileOut(BaseModel):
    greeting: str | None = Field(description="With the person's name filled in")
    get_started: bool = Field(description="Whether to offer the Get Started button")
    get_started_title: str = Field(description="Its label in the person's language")
    ice_breakers: list[IceBreaker]
    persistent_menu: PersonMenu | None
