"""Answers of the Messenger Profile API, its examples, and the person side's models. The
bodies a bank sends are declared once, as field specs, in ``domain.page_profile``: they
validate and they are what the OpenAPI document shows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class PersonIceBreaker(BaseModel):
    question: str = Field(max_length=80)
    payload: str = Field(max_length=1000)


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
    ice_breakers: list[PersonIceBreaker]
    persistent_menu: PersonMenu | None
