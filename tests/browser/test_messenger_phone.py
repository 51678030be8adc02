"""The messenger on a phone (issue 19 part 8): a reload inside a chat stays in that chat; a
message the server has not accepted survives the reload (kept on the device) and goes once
when it can; the "Could not send" line shows whole. axe runs on those screens, vi and en."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from ledgerline.storage.stores import identity as web_store, threads as thread_store
from tests.support.axe_check import serious_violations
from tests.support.browser import screenshot, sign_up
from tests.support.server import RunningPlatform, running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]

UNSENT = "Gửi lại sau khi tải lại trang"


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


def _thread(live: RunningPlatform, login: str, page_id: str) -> thread_store.ThreadRow:
    db = live.platform.db
    credential = db.read_sync(web_store.credential_for_login, login)
    assert credential is not None
    thread = db.read_sync(thread_store.get_thread, page_id, credential.user_id)
    assert thread is not None
    return thread


def _psid(live: RunningPlatform, login: str, page_id: str) -> str:
    return _thread(live, login, page_id).psid


def _texts(live: RunningPlatform, login: str, page_id: str) -> list[str]:
    thread = _thread(live, login, page_id)
    rows = live.platform.db.read_sync(thread_store.list_messages, thread.thread_id, limit=200)
    return [str(r.body.get("text")) for r in rows if r.sender == "user"]


def _fully_visible(page: Page, selector: str) -> bool:
    """The element's text is not cut: no overflow of its own, and inside the viewport and
    its scrolling message pane."""
    result: bool = page.evaluate(
        """(sel) => {
          const node = document.querySelector(sel);
          const box = node.getBoundingClientRect();
          const pane = document.querySelector('#messages').getBoundingClientRect();
          return node.scrollWidth <= node.clientWidth + 1 && box.left >= pane.left - 1
            && box.right <= pane.right + 1 && box.right <= window.innerWidth
            && box.top >= pane.top - 1 && box.bottom <= pane.bottom + 1 && box.height > 0;
        }""",
        selector,
    )
    return result


def test_a_reload_keeps_the_chat_and_the_unsent_message(live: RunningPlatform, phone: Page) -> None:
    business = live.create_business("Demo Bank")
    page_id = business["page_id"]
    page = phone
    sign_up(page, live.url, "an.phone", "correct horse battery", locale="vi")
    page.get_by_role("searchbox").fill("demo")
    page.get_by_test_id("business").click()
    page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
    page.locator("#text").fill("Xin chào")
    page.locator("#composer button[type=submit]").click()
    expect(page.locator(".msg.user[data-mid]")).to_have_count(1)

    # The bank writes enough to fill the screen.
    psid = _psid(live, "an.phone", page_id)
    with live.client() as http:
        for n in range(14):
            sent = http.post(
                "/v2.6/me/messages",
                params={"access_token": business["page_access_token"]},
                json={"recipient": {"id": psid}, "message": {"text": f"Tin nhắn số {n}"}},
            )
            assert sent.status_code == 200, sent.text
    expect(page.locator(".msg.page")).to_have_count(14)

    # A reload inside the chat stays in the chat.
    page.reload()
    expect(page.locator("#app")).to_have_attribute("data-view", "thread")
    expect(page.locator("#thread-title")).to_have_text("Demo Bank")
    expect(page.locator(".msg.user[data-mid]")).to_have_count(1)

    # The server cannot be reached: the message fails visibly, its line shown whole.
    def refuse(route: Route) -> None:
        if route.request.method == "POST":
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v1/threads/*/messages", refuse)
    page.locator("#text").fill(UNSENT)
    page.locator("#composer button[type=submit]").click()
    retry = page.get_by_test_id("retry")
    expect(retry).to_have_text("Không gửi được. Chạm để thử lại.")
    assert _fully_visible(page, "[data-testid=retry]")
    found = [f"failed (vi): {v}" for v in serious_violations(page)]
    screenshot(page, "messenger-phone-unsent", docs="messenger-unsent")

    # Reloaded before it went: the message is still there, and goes once the server answers.
    page.reload()
    expect(page.locator("#app")).to_have_attribute("data-view", "thread")
    expect(page.get_by_test_id("outgoing").filter(has_text=UNSENT)).to_have_count(1)
    expect(page.get_by_test_id("retry")).to_be_visible()
    assert _texts(live, "an.phone", page_id) == ["Xin chào"]
    page.unroute("**/api/v1/threads/*/messages")
    page.reload()
    expect(page.locator(".msg.user[data-mid]").filter(has_text=UNSENT)).to_have_count(1)
    expect(page.locator(".msg.failed")).to_have_count(0)
    assert _texts(live, "an.phone", page_id) == ["Xin chào", UNSENT]
    # Sent: nothing left on the device, and another reload sends nothing twice.
    assert (
        page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('ll.outbox'))")
        == []
    )
    page.reload()
    expect(page.locator(".msg.user[data-mid]")).to_have_count(2)
    assert _texts(live, "an.phone", page_id) == ["Xin chào", UNSENT]

    # The same failed line in English, whole, and axe on it.
    page.route("**/api/v1/threads/*/messages", refuse)
    page.goto(f"{live.url}/?thread={page_id}&lang=en")
    expect(page.locator("#app")).to_have_attribute("data-view", "thread")
    page.locator("#text").fill("A second try")
    page.locator("#composer button[type=submit]").click()
    expect(page.get_by_test_id("retry")).to_have_text("Could not send. Tap to retry.")
    assert _fully_visible(page, "[data-testid=retry]")
    found += [f"failed (en): {v}" for v in serious_violations(page)]
    # Back to the list: a reload shows the list.
    page.unroute("**/api/v1/threads/*/messages")
    page.locator("#back").click()
    page.reload()
    expect(page.locator("#app")).to_have_attribute("data-view", "list")
    assert found == []
