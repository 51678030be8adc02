"""The agent inbox in a real browser: a person and an agent talk live.

A person writes to the bank in the messenger (a phone), the bank hands the thread to human
agents, and an agent (a desktop) takes it in the inbox: typing and read receipts flow both
ways, the person sees who answers, internal notes stay internal, and closing asks the
person how satisfied they are — the answer shows in the supervisor's metrics.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from ledgerline.chat.ownership import PAGE_INBOX_APP_ID
from tests.support.browser import screenshot, sign_up
from tests.support.inbox import PASSWORD, create_agent
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


def _first_message(receiver: RunningReceiver) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        found = [e for e in receiver.receiver.events() if "message" in e]
        if found:
            return found[0]
        assert time.monotonic() < deadline, "the bank got no message"
        time.sleep(0.05)


def test_an_agent_answers_a_person_live(
    live: RunningPlatform, receiver: RunningReceiver, phone: Page, desktop: Page
) -> None:
    business = live.create_business("Demo Bank", webhook_url=receiver.url)
    receiver.receiver.app_secret = business["app_secret"]
    page_id = business["page_id"]
    create_agent(live, page_id, "lan", "Lan", role="supervisor")

    # The person writes to the bank.
    person = phone
    sign_up(person, live.url, "an.nguyen", "correct horse battery", name="An")
    # The page's script is listening once it is live (it connects last, after wiring inputs).
    person.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
    person.get_by_placeholder("Search banks and businesses").fill("demo")
    person.get_by_test_id("business").click()
    person.get_by_placeholder("Write a message…").fill("I lost my card, can I talk to someone?")
    person.get_by_role("button", name="Send").click()
    psid = _first_message(receiver)["sender"]["id"]
    banner = person.get_by_test_id("agent-banner")
    expect(banner).to_be_hidden()

    # The bank's bot hands the thread to human agents.
    passed = httpx.post(
        f"{live.url}/v2.6/me/pass_thread_control",
        params={"access_token": business["page_access_token"]},
        json={
            "recipient": {"id": psid},
            "target_app_id": PAGE_INBOX_APP_ID,
            "metadata": "lost card",
        },
    )
    assert passed.json() == {"success": True}
    expect(banner).to_have_text("A person from Demo Bank will answer you shortly.")

    # The agent signs in to the inbox and finds the person waiting.
    agent = desktop
    agent.goto(f"{live.url}/inbox?lang=en")
    agent.get_by_label("Bank's page id").fill(page_id)
    agent.get_by_label("Agent login").fill("lan")
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Sign in").click()
    expect(agent.get_by_test_id("live")).to_have_text("Live")
    item = agent.get_by_test_id("queue-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("An")
    expect(item).to_contain_text("waiting")
    item.click()
    expect(agent.get_by_test_id("messages")).to_contain_text("I lost my card")
    expect(agent.locator("#banner")).to_contain_text("lost card")
    # Opening it marks the person's message seen: the person sees "Seen".
    expect(person.get_by_test_id("seen")).to_be_visible()

    agent.get_by_test_id("assign-me").click()
    expect(banner).to_have_text("You are talking with Lan, a person from Demo Bank.")
    expect(item).to_contain_text("with Lan")

    # The person types: the agent sees it; the agent answers: the person sees it live.
    person.get_by_placeholder("Write a message…").fill("It was stolen at")
    expect(agent.get_by_test_id("person-typing")).to_have_text("An is typing…")
    # A supervisor's canned reply fills the reply box in one click.
    agent.locator(".canned-admin summary").click()
    agent.get_by_placeholder("Title").fill("Card frozen")
    agent.get_by_placeholder("Text").fill("Hello An, I am Lan. I have frozen your card.")
    agent.get_by_role("button", name="Add canned reply").click()
    agent.get_by_test_id("canned").filter(has_text="Card frozen").click()
    expect(agent.get_by_test_id("reply-text")).to_have_value(
        "Hello An, I am Lan. I have frozen your card."
    )
    agent.get_by_test_id("reply-send").click()
    reply = person.locator(".msg.page.agent")
    expect(reply).to_contain_text("Hello An, I am Lan. I have frozen your card.")
    expect(reply.get_by_test_id("agent-label")).to_have_text("Lan · agent")
    # The person's messenger marks it read: the agent sees the read receipt.
    expect(agent.get_by_test_id("person-seen")).to_be_visible()

    # An internal note is for agents only.
    agent.get_by_placeholder("Internal note (never shown to the person)").fill("Card 4321 frozen")
    agent.get_by_role("button", name="Add note").click()
    expect(agent.get_by_test_id("note")).to_contain_text("Card 4321 frozen")

    person.get_by_placeholder("Write a message…").fill("Thank you!")
    person.get_by_role("button", name="Send").click()
    expect(agent.get_by_test_id("messages")).to_contain_text("Thank you!")
    screenshot(agent, "inbox-agent-answering", docs="inbox")
    screenshot(person, "inbox-person-with-agent", docs="messenger-agent")
    expect(person.locator(".msg")).not_to_contain_text(["Card 4321 frozen"])

    # Closing asks the person for their satisfaction; their answer reaches the metrics.
    agent.get_by_test_id("close").click()
    expect(banner).to_be_hidden()
    expect(agent.get_by_test_id("queue-item")).to_have_count(0)
    five = person.get_by_test_id("postback").filter(has_text=re.compile("^5"))
    expect(five).to_be_visible()
    five.click()
    expect(person.locator(".msg.page").last).to_contain_text("Thank you for your feedback!")
    # The question keeps the answer where the buttons were.
    expect(person.get_by_test_id("outcome")).to_contain_text("You answered: 5 ★ Very satisfied")
    agent.locator("#metrics-box summary").click()
    row = agent.get_by_test_id("metrics-row").first
    expect(row).to_contain_text("Lan")
    expect(row).to_contain_text("5 (1)")
