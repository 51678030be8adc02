"""A bank's Messenger Profile in the person's messenger (real Chromium): the greeting, Get
Started and ice breakers before the first message, the persistent menu beside the composer,
and the postbacks they send the bank."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import screenshot, sign_up
from tests.support.receiver import RunningReceiver, WebhookReceiver
from tests.support.server import RunningPlatform, running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROFILE = {
    "get_started": {"payload": "GET_STARTED"},
    "greeting": [
        {"locale": "default", "text": "Hello {{user_first_name}}, welcome to Demo Bank."},
        {"locale": "vi_VN", "text": "Chào {{user_first_name}}!"},
    ],
    "ice_breakers": [
        {
            "locale": "default",
            "call_to_actions": [{"question": "I lost my card", "payload": "LOST"}],
        }
    ],
    "persistent_menu": [
        {
            "locale": "default",
            "call_to_actions": [
                {"type": "postback", "title": "Balance", "payload": "BALANCE"},
                {
                    "type": "nested",
                    "title": "Cards",
                    "call_to_actions": [
                        {"type": "postback", "title": "Freeze my card", "payload": "FREEZE"}
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[RunningReceiver]:
    with RunningReceiver(WebhookReceiver()) as running:
        yield running


def _postbacks(receiver: RunningReceiver, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while True:
        found = [e["postback"] for e in receiver.receiver.events() if "postback" in e]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"expected {count} postbacks, got {found}"
        time.sleep(0.05)


def test_greeting_get_started_and_the_menu_send_postbacks(
    live: RunningPlatform, receiver: RunningReceiver, phone: Page
) -> None:
    bank = live.create_business("Demo Bank", webhook_url=receiver.url)
    receiver.receiver.app_secret = bank["app_secret"]
    answer = httpx.post(
        live.url + "/v15.0/me/messenger_profile",
        params={"access_token": bank["page_access_token"]},
        json=PROFILE,
    )
    assert answer.json() == {"result": "success"}
    page = phone

    sign_up(page, live.url, "jane.doe", "correct horse battery", name="Jane Doe")
    page.get_by_placeholder("Search banks and businesses").fill("demo")
    page.get_by_test_id("business").click()
    expect(page.get_by_test_id("greeting")).to_have_text("Hello Jane, welcome to Demo Bank.")
    expect(page.get_by_test_id("ice-breaker")).to_have_text("I lost my card")
    screenshot(page, "profile-01-greeting")

    page.get_by_test_id("get-started").click()
    expect(page.locator(".msg.user[data-mid] .text")).to_have_text("Get Started")
    expect(page.get_by_test_id("hello")).to_have_count(0)
    (get_started,) = _postbacks(receiver, 1)
    assert get_started["title"] == "Get Started"
    assert get_started["payload"] == "GET_STARTED"
    assert "referral" not in get_started

    # The menu beside the composer: a nested submenu, then a postback.
    page.get_by_test_id("menu-toggle").click()
    page.get_by_test_id("menu-item").filter(has_text="Cards").click()
    page.get_by_test_id("menu-item").filter(has_text="Freeze my card").click()
    expect(page.get_by_test_id("menu-panel")).to_be_hidden()
    expect(page.locator(".msg.user[data-mid]")).to_have_count(2)
    screenshot(page, "profile-02-menu")
    assert _postbacks(receiver, 2)[1] == {
        "title": "Freeze my card",
        "payload": "FREEZE",
        "mid": _postbacks(receiver, 2)[1]["mid"],
    }
