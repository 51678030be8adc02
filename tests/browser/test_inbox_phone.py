"""The agent inbox on a phone, in Vietnamese and English (issue 19 part 3).

An agent at phone width sees one pane at a time (the queue, the conversation with a
message pane that fills the screen, the context and notes), the person's long name on its
own line, statuses, roles and the person's refused categories in words, and financial
updates named as what they are. Handing back updates the agent's view at once; the person
is told the agent left, and their unanswered question travels to the bank's app.
axe runs on each state in both languages.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ledgerline.chat.ownership import PAGE_INBOX_APP_ID
from tests.support.axe_check import serious_violations
from tests.support.browser import link_in_browser, screenshot, sign_up
from tests.support.inbox import PASSWORD, create_agent, graph
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LONG_NAME = "Nguyễn Thị Minh Khai Phương"
QUESTION = "Can you raise my card limit before Friday?"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with running_platform(database_url, tmp_path) as live, linked_world(live) as linked:
        yield linked


def _sign_in(agent: Page, url: str, page_id: str, lang: str) -> None:
    agent.goto(f"{url}/inbox?lang={lang}")
    agent.locator("input[name=page_id]").fill(page_id)
    agent.locator("input[name=login]").fill("lan")
    agent.locator("input[name=password]").fill(PASSWORD)
    agent.locator("form button[type=submit]").click()
    expect(agent.get_by_test_id("live")).to_have_class("live on")


def _axe(page: Page, where: str) -> list[str]:
    return [f"{where}: {v}" for v in serious_violations(page)]


def test_the_inbox_on_a_phone_and_handing_back(
    world: LinkedWorld, phone: Page, desktop: Page
) -> None:
    live = world.live
    page_id = world.business["page_id"]
    live.subscribe(world.business, "messaging_handovers")
    create_agent(live, page_id, "lan", "Lan", role="supervisor")

    # The person links (sharing transactions but not balances) and gets a card payment.
    person = desktop
    sign_up(person, live.url, "khai.phuong", "correct horse battery", name=LONG_NAME)
    link_in_browser(
        person,
        live.url,
        page_id,
        world.bank.authorize_url,
        share=("transactions", "customer_service"),
    )
    psid = world.psid_of_login("khai.phuong")
    posted = world.bank_post(
        "transactions",
        {
            "psid": psid,
            "transactions": [
                {
                    "transaction_id": "tx-1",
                    "account_id": "acc-1",
                    "card_last4": "4321",
                    "amount": {"amount": "2131000", "currency": "VND"},
                    "credit_debit": "debit",
                    "status": "booked",
                    "booked_at": "2026-12-07T06:54:00+07:00",
                    "merchant": {"name": "Highlands Coffee", "category_code": "5814"},
                }
            ],
        },
    )
    assert posted.status_code == 200, posted.text
    person.goto(f"{live.url}/?thread={page_id}&lang=en")
    person.get_by_placeholder("Write a message…").fill(QUESTION)
    person.get_by_role("button", name="Send").click()
    expect(person.locator(".msg.user")).to_contain_text(QUESTION)
    passed = graph(
        live,
        world.business["page_access_token"],
        "pass_thread_control",
        {"recipient": {"id": psid}, "target_app_id": PAGE_INBOX_APP_ID, "metadata": "card"},
    )
    assert passed.json() == {"success": True}, passed.text

    agent = phone
    found: list[str] = []
    _sign_in(agent, live.url, page_id, "vi")
    item = agent.get_by_test_id("queue-item")
    expect(item).to_have_count(1)
    # Statuses and roles in words of the agent's language, not codes.
    expect(item.locator(".state")).to_have_text("đang chờ")
    expect(agent.get_by_test_id("agent-name")).to_have_text("Lan · quản lý")
    found += _axe(agent, "queue (vi)")
    item.click()

    # One pane at a time: the conversation fills the phone's screen.
    expect(agent.get_by_test_id("messages")).to_contain_text(QUESTION)
    expect(agent.get_by_test_id("queue")).to_be_hidden()
    box = agent.get_by_test_id("messages").bounding_box()
    assert box is not None
    assert box["height"] >= 300, box
    # The name keeps a line of its own: as wide as the screen allows, never a sliver.
    name = agent.get_by_test_id("person")
    expect(name).to_have_text(LONG_NAME)
    name_box = name.bounding_box()
    assert name_box is not None
    assert name_box["width"] >= 200, name_box
    line = agent.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('#person')).lineHeight)"
    )
    assert name_box["height"] <= 2.2 * line, (name_box, line)
    # A financial update is named for what it is.
    expect(agent.get_by_test_id("messages")).to_contain_text("Cập nhật giao dịch thẻ")
    expect(agent.get_by_test_id("messages")).not_to_contain_text("một cập nhật tài chính")
    found += _axe(agent, "conversation (vi)")

    # Context and notes are a tap away; refused categories in words.
    agent.get_by_test_id("show-side").click()
    expect(agent.get_by_test_id("messages")).to_be_hidden()
    agent.get_by_test_id("show-context").click()
    expect(agent.get_by_test_id("context-refused")).to_contain_text("số dư")
    expect(agent.get_by_test_id("context-transaction")).to_contain_text("Highlands Coffee")
    expect(agent.get_by_test_id("context-transaction")).to_contain_text("đã ghi sổ")
    found += _axe(agent, "context (vi)")
    agent.get_by_test_id("back-to-talk").click()
    expect(agent.get_by_test_id("messages")).to_be_visible()

    # The same screens in English.
    agent.goto(f"{live.url}/inbox?lang=en")
    expect(agent.get_by_test_id("live")).to_have_class("live on")
    expect(agent.get_by_test_id("queue-item").locator(".state")).to_have_text("waiting")
    found += _axe(agent, "queue (en)")
    agent.get_by_test_id("queue-item").click()
    expect(agent.get_by_test_id("messages")).to_contain_text("Card payment update")
    screenshot(agent, "inbox-phone-conversation", docs="inbox-phone")
    found += _axe(agent, "conversation (en)")

    # Hand back: the agent's view says so at once, and the reply box goes away.
    agent.get_by_test_id("hand-back").click()
    expect(agent.locator("#banner")).to_contain_text("Handed back to the bot")
    expect(agent.get_by_test_id("reply-text")).to_be_hidden()
    expect(agent.get_by_test_id("hand-back")).to_be_disabled()
    found += _axe(agent, "handed back (en)")
    agent.get_by_test_id("back-to-queue").click()
    expect(agent.get_by_test_id("queue-item")).to_have_count(0)

    # The person is told the agent left, and their question was passed on.
    notice = person.get_by_test_id("notice")
    expect(notice).to_contain_text("Lan has left the conversation")
    expect(notice).to_contain_text(QUESTION)
    # ... and the bank's app gets the thread back with the question in the metadata.
    deadline = time.monotonic() + 15
    while True:
        handed = [e for e in world.bank.bank.receiver.events() if "pass_thread_control" in e]
        if handed:
            break
        assert time.monotonic() < deadline, "the bank got no pass_thread_control"
        time.sleep(0.1)
    assert QUESTION in handed[-1]["pass_thread_control"]["metadata"]
    assert found == []
