"""The messenger when the network goes away: it says so, reconnects as soon as the network
is back, and fills the gap from the REST history without duplicates; a message typed while
offline fails visibly, is kept on the device and is sent once when the connection is back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from ledgerline.storage.stores import identity as web_store, threads as thread_store
from tests.support.browser import screenshot, sign_up
from tests.support.server import RunningPlatform, running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


def _send(live: RunningPlatform, token: str, psid: str, text: str) -> str:
    with live.client() as http:
        response = http.post(
            "/v2.6/me/messages",
            params={"access_token": token},
            json={"recipient": {"id": psid}, "message": {"text": text}},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["message_id"])


def test_offline_then_online_fills_the_gap_once(live: RunningPlatform, phone: Page) -> None:
    business = live.create_business("Demo Bank")
    token = business["page_access_token"]
    page = phone
    sign_up(page, live.url, "an.offline", "correct horse battery")
    page.get_by_placeholder("Search banks and businesses").fill("demo")
    page.get_by_test_id("business").click()
    page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
    page.get_by_placeholder("Write a message…").fill("Xin chào")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".msg.user[data-mid]")).to_have_count(1)
    credential = live.platform.db.read_sync(web_store.credential_for_login, "an.offline")
    assert credential is not None
    thread = live.platform.db.read_sync(
        thread_store.get_thread, business["page_id"], credential.user_id
    )
    assert thread is not None
    before = _send(live, token, thread.psid, "Trước khi mất mạng")
    expect(page.locator(f'[data-mid="{before}"]')).to_have_count(1)

    # The network goes away: the page says so and stops counting on its socket.
    page.context.set_offline(True)
    expect(page.get_by_text("Offline — retrying")).to_be_visible()
    page.wait_for_function("() => !window.ledgerline.isLive()")
    missed = [_send(live, token, thread.psid, f"Giao dịch {n}") for n in (1, 2, 3)]
    # Typed while offline: it fails visibly (nothing is lost or sent twice).
    page.get_by_placeholder("Write a message…").fill("Gửi khi mất mạng")
    page.get_by_role("button", name="Send").click()
    retry = page.get_by_role("button", name="Could not send. Tap to retry.")
    expect(retry).to_be_visible()
    screenshot(page, "15-messenger-offline", docs="messenger-offline")

    # Back online: reconnected at once (not after the backoff), the gap filled once each.
    page.context.set_offline(False)
    page.wait_for_function("() => window.ledgerline.isLive()", timeout=10_000)
    expect(page.get_by_text("Offline — retrying")).to_be_hidden()
    for mid in missed:
        expect(page.locator(f'[data-mid="{mid}"]')).to_have_count(1)
    # The failed message goes again by itself once the connection is back, once.
    expect(page.locator(".msg.user[data-mid]").filter(has_text="Gửi khi mất mạng")).to_have_count(1)
    expect(page.locator(".msg.failed")).to_have_count(0)
    after = _send(live, token, thread.psid, "Sau khi có mạng lại")
    expect(page.locator(f'[data-mid="{after}"]')).to_have_count(1)
    mids: list[str] = page.locator("[data-testid=message]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.mid)"
    )
    assert len(mids) == len(set(mids))
    stored = live.platform.db.read_sync(
        thread_store.list_messages, thread.thread_id, limit=200, before_seq=None, after_seq=None
    )
    assert len(mids) == len(stored) == 7


def test_a_frame_that_never_arrives_is_refilled_by_its_number(
    live: RunningPlatform, phone: Page
) -> None:
    """With several servers, a frame may be lost or overtaken between them. Each message
    carries its number in the thread: the next frame shows the gap, and the messenger
    refills it from history at once, in the thread's order (issue 21)."""
    page = phone
    dropped: list[str] = []

    def relay(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_page(message: str | bytes) -> None:
            if isinstance(message, str) and "Lạc đường" in message:
                dropped.append(message)  # the frame another server never relayed
                return
            ws.send(message)

        server.on_message(to_page)
        ws.on_message(server.send)

    page.route_web_socket("**/api/v1/stream", relay)
    business = live.create_business("Demo Bank")
    token = business["page_access_token"]
    sign_up(page, live.url, "an.gap", "correct horse battery")
    page.get_by_placeholder("Search banks and businesses").fill("demo")
    page.get_by_test_id("business").click()
    page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
    page.get_by_placeholder("Write a message…").fill("Xin chào")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".msg.user[data-mid]")).to_have_count(1)
    credential = live.platform.db.read_sync(web_store.credential_for_login, "an.gap")
    assert credential is not None
    thread = live.platform.db.read_sync(
        thread_store.get_thread, business["page_id"], credential.user_id
    )
    assert thread is not None
    lost = _send(live, token, thread.psid, "Lạc đường")
    later = _send(live, token, thread.psid, "Đến sau")
    expect(page.locator(f'[data-mid="{later}"]')).to_have_count(1)
    expect(page.locator(f'[data-mid="{lost}"]')).to_have_count(1)  # refilled, not skipped
    assert dropped, "the frame was not dropped: the test proves nothing"
    mids: list[str] = page.locator("[data-testid=message]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.mid)"
    )
    assert mids[-2:] == [lost, later]
