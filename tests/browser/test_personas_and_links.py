"""In the person's messenger (real Chromium): a message the bank sends under a persona reads
"Minh · Demo Bank", and the bank's m.me-style link opens the conversation and tells the bank
with a ``referral`` event."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import sign_up
from tests.support.receiver import RunningReceiver, WebhookReceiver
from tests.support.server import RunningPlatform, running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[RunningReceiver]:
    with RunningReceiver(WebhookReceiver()) as running:
        yield running


def _events_with(receiver: RunningReceiver, key: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while True:
        found = [e for e in receiver.receiver.events() if key in e]
        if found:
            return found
        assert time.monotonic() < deadline, f"no {key} event"
        time.sleep(0.05)


def test_a_persona_is_shown_and_a_link_sends_a_referral(
    live: RunningPlatform, receiver: RunningReceiver, phone: Page
) -> None:
    bank = live.create_business("Demo Bank", webhook_url=receiver.url)
    receiver.receiver.app_secret = bank["app_secret"]
    live.subscribe(bank, "messaging_referrals")
    graph = httpx.Client(base_url=live.url, params={"access_token": bank["page_access_token"]})
    minh = graph.post(
        "/v19.0/me/personas",
        json={"name": "Minh", "profile_picture_url": "https://bank.example/minh.png"},
    ).json()["id"]

    page = phone
    sign_up(page, live.url, "jane.doe", "correct horse battery", name="Jane Doe")
    page.get_by_placeholder("Search banks and businesses").fill("demo")
    page.get_by_test_id("business").click()
    page.get_by_placeholder("Write a message…").fill("I have a question")
    page.get_by_role("button", name="Send").click()
    (hello,) = _events_with(receiver, "message")
    sent = graph.post(
        "/v19.0/me/messages",
        json={
            "recipient": {"id": hello["sender"]["id"]},
            "message": {"text": "Hi, this is Minh."},
            "persona_id": minh,
        },
    )
    assert sent.status_code == 200, sent.text
    expect(page.get_by_test_id("persona-label")).to_have_text("Minh · Demo Bank")

    # The bank's link, e.g. on its website: the conversation opens, the bank hears the ref.
    page.goto(f"{live.url}/m/{bank['page_id']}?ref=card-campaign")
    expect(page.get_by_test_id("persona-label")).to_have_text("Minh · Demo Bank")
    (opened,) = _events_with(receiver, "referral")
    assert opened["referral"] == {
        "ref": "card-campaign",
        "source": "SHORTLINK",
        "type": "OPEN_THREAD",
    }
    assert opened["sender"] == hello["sender"]
    graph.close()
