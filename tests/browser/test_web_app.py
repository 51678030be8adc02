"""The web app in a real browser: the person's messenger and the bank console.

Each test runs the whole platform under uvicorn on loopback (SQLite, and PostgreSQL when
configured) and drives it with headless Chromium, asserting what the page shows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ledgerline.domain.clock import to_ms
from ledgerline.identity.service import do_end_session
from ledgerline.identity.sessions import session_hash
from ledgerline.storage.stores import identity as web_store, threads as thread_store
from tests.support.browser import screenshot, sign_up
from tests.support.receiver import RunningReceiver, WebhookReceiver
from tests.support.server import RunningPlatform, running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LINK_URL = "https://bank.example/link"


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[RunningReceiver]:
    with RunningReceiver(WebhookReceiver()) as running:
        yield running


def _send(live: RunningPlatform, token: str, psid: str, message: dict[str, Any]) -> str:
    with live.client() as http:
        response = http.post(
            "/v2.6/me/messages",
            params={"access_token": token},
            json={"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": message},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["message_id"])


def _action(live: RunningPlatform, token: str, psid: str, action: str) -> None:
    with live.client() as http:
        response = http.post(
            "/v2.6/me/messages",
            params={"access_token": token},
            json={"recipient": {"id": psid}, "sender_action": action},
        )
        assert response.status_code == 200, response.text


def _wait_for(receiver: RunningReceiver, kind: str, count: int) -> list[dict[str, Any]]:
    """The first ``count`` webhook events of one kind (message, postback…), in order."""
    deadline = time.monotonic() + 15
    while True:
        found = [e for e in receiver.receiver.events() if kind in e]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"expected {count} {kind} events, got {found}"
        time.sleep(0.05)


def _messages(page: Page) -> list[str]:
    mids: list[str] = page.locator("[data-testid=message]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.mid)"
    )
    return mids


def test_messenger_journey_live_replies_quick_replies_templates_and_reconnect(
    live: RunningPlatform, receiver: RunningReceiver, phone: Page
) -> None:
    business = live.create_business(
        "Demo Bank", webhook_url=receiver.url, account_link_url=LINK_URL
    )
    receiver.receiver.app_secret = business["app_secret"]
    live.create_business("Other Shop")
    token = business["page_access_token"]
    page = phone

    sign_up(page, live.url, "an.nguyen", "correct horse battery")
    expect(page.get_by_text("No conversations yet")).to_be_visible()
    screenshot(page, "01-empty-inbox")

    # Find the bank in the directory and open its thread.
    page.get_by_placeholder("Search banks and businesses").fill("demo")
    result = page.get_by_test_id("business")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("Demo Bank")
    result.click()
    expect(page.locator("#thread-title")).to_have_text("Demo Bank")
    page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")

    # Send a message: it shows once, and the bank receives it.
    page.get_by_placeholder("Write a message…").fill("Xin chào")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".msg.user[data-mid]")).to_have_count(1)
    expect(page.locator(".msg.user")).to_have_text(re.compile("Xin chào"))
    (event,) = _wait_for(receiver, "message", 1)
    assert event["message"]["text"] == "Xin chào"
    psid = event["sender"]["id"]

    # The bank answers through the Send API, with quick replies: it arrives live.
    _action(live, token, psid, "typing_on")
    expect(page.get_by_text("Demo Bank is typing…")).to_be_visible()
    _send(
        live,
        token,
        psid,
        {
            "text": "Chào An! Bạn cần gì?",
            "quick_replies": [
                {"content_type": "text", "title": "Số dư", "payload": "BALANCE"},
                {"content_type": "text", "title": "Thẻ", "payload": "CARDS"},
            ],
        },
    )
    expect(page.locator(".msg.page")).to_contain_text("Chào An! Bạn cần gì?")
    expect(page.get_by_text("Demo Bank is typing…")).to_be_hidden()
    chips = page.get_by_test_id("quick-reply")
    expect(chips).to_have_count(2)
    _action(live, token, psid, "mark_seen")
    expect(page.get_by_test_id("seen")).to_be_visible()
    screenshot(page, "02-thread-quick-replies", docs="thread-quick-replies")

    # Tapping a chip sends the quick reply (title shown, payload to the bank).
    chips.filter(has_text="Số dư").click()
    expect(chips).to_have_count(0)
    expect(page.locator(".msg.user").last).to_contain_text("Số dư")
    events = _wait_for(receiver, "message", 2)
    assert events[-1]["message"]["quick_reply"] == {"payload": "BALANCE"}

    # Templates: button (postback, web_url, account_link), generic and receipt.
    _send(
        live,
        token,
        psid,
        {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": "Liên kết tài khoản để xem số dư",
                    "buttons": [
                        {"type": "account_link", "url": LINK_URL},
                        {"type": "postback", "title": "Để sau", "payload": "LATER"},
                        {
                            "type": "web_url",
                            "title": "Biểu phí",
                            "url": "https://bank.example/fees",
                        },
                    ],
                },
            }
        },
    )
    _send(
        live,
        token,
        psid,
        {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "generic",
                    "elements": [
                        {
                            "title": "Thẻ tín dụng Vàng",
                            "subtitle": "Hoàn tiền 2%",
                            "buttons": [
                                {"type": "postback", "title": "Mở thẻ", "payload": "OPEN_GOLD"}
                            ],
                        },
                        {"title": "Thẻ ghi nợ", "subtitle": "Miễn phí thường niên"},
                    ],
                },
            }
        },
    )
    _send(
        live,
        token,
        psid,
        {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "receipt",
                    "recipient_name": "Nguyễn An",
                    "order_number": "HD-1001",
                    "currency": "VND",
                    "payment_method": "Visa 4242",
                    "elements": [{"title": "Cà phê sữa", "quantity": 2, "price": 58000}],
                    "summary": {"subtotal": 58000, "total_cost": 58000},
                },
            }
        },
    )
    button = page.get_by_test_id("template-button")
    expect(button).to_contain_text("Liên kết tài khoản để xem số dư")
    link = button.get_by_test_id("account-link")
    expect(link).to_have_text("Link account")
    href = link.get_attribute("href") or ""
    assert href.startswith(f"/account_linking/consent?page_id={business['page_id']}&url=")
    assert "bank.example%2Flink" in href
    fees = button.get_by_role("link", name="Biểu phí")
    expect(fees).to_have_attribute("href", "https://bank.example/fees")
    expect(fees).to_have_attribute("target", "_blank")
    generic = page.get_by_test_id("template-generic")
    expect(generic.locator("article")).to_have_count(2)
    expect(generic).to_contain_text("Thẻ tín dụng Vàng")
    receipt = page.get_by_test_id("template-receipt")
    expect(receipt).to_contain_text("HD-1001")
    expect(receipt).to_contain_text("₫58,000")  # in the page's language
    receipt.scroll_into_view_if_needed()
    screenshot(page, "03-thread-templates", docs="thread-templates")

    # A postback button sends its payload.
    button.get_by_role("button", name="Để sau").click()
    expect(page.locator(".msg.user").last).to_contain_text("Để sau")
    (postback,) = _wait_for(receiver, "postback", 1)
    assert postback["postback"]["payload"] == "LATER"

    # The WebSocket drops; the bank sends meanwhile; the page reconnects and fills the gap
    # from history, each message once.
    page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
    page.evaluate("() => window.ledgerline.dropConnection(2500)")
    page.wait_for_function("() => !window.ledgerline.isLive()")
    expect(page.get_by_text("Reconnecting…")).to_be_visible()
    missed = [_send(live, token, psid, {"text": f"Giao dịch {n}"}) for n in (1, 2)]
    page.get_by_placeholder("Write a message…").fill("Gửi lúc mất kết nối")
    page.get_by_role("button", name="Send").click()  # accepted by the API while offline
    page.wait_for_function("() => window.ledgerline.isLive()", timeout=20_000)
    offline = page.locator(".msg.user[data-mid]").filter(has_text="Gửi lúc mất kết nối")
    expect(offline).to_have_count(1)
    expect(page.locator(".msg.pending")).to_have_count(0)
    for mid in missed:
        expect(page.locator(f'[data-mid="{mid}"]')).to_have_count(1)
    after = _send(live, token, psid, {"text": "Sau khi kết nối lại"})
    expect(page.locator(f'[data-mid="{after}"]')).to_have_count(1)
    mids = _messages(page)
    assert len(mids) == len(set(mids))
    user_id = _user_id(live, "an.nguyen")
    stored = live.platform.db.read_sync(thread_store.get_thread, business["page_id"], user_id)
    assert stored is not None
    assert len(mids) == _count_messages(live, stored.thread_id)

    # Back to the list: a new message shows as unread there.
    _wait_until_read(page, business["page_id"])
    page.get_by_role("button", name="Back").click()
    _send(live, token, psid, {"text": "Bạn có 1 thông báo mới"})
    thread = page.get_by_test_id("thread").filter(has_text="Demo Bank")
    expect(thread.get_by_test_id("unread")).to_have_text("1")
    expect(thread).to_contain_text("Bạn có 1 thông báo mới")
    screenshot(page, "04-inbox-unread")
    thread.click()
    expect(page.locator(".msg.page").last).to_contain_text("Bạn có 1 thông báo mới")
    page.get_by_role("button", name="Back").click()
    expect(thread.get_by_test_id("unread")).to_have_count(0)

    # The account-link button leads to the consent screen, signed in by the same cookie.
    thread.click()
    page.get_by_test_id("account-link").click()
    page.wait_for_url(re.compile(r"/account_linking/consent\?page_id="))
    expect(page.locator("body")).to_contain_text("Demo Bank")


def _wait_until_read(page: Page, page_id: str) -> None:
    """Until the page's own read mark has reached the server (nothing unread in the thread)."""
    deadline = time.monotonic() + 15
    while True:
        unread = page.evaluate(
            """async (pageId) => {
                const body = await (await fetch('/api/v1/threads')).json();
                const thread = body.data.find((t) => t.page_id === pageId);
                return thread ? thread.unread : -1;
            }""",
            page_id,
        )
        if unread == 0:
            return
        assert time.monotonic() < deadline, f"thread still has {unread} unread"
        time.sleep(0.1)


def _user_id(live: RunningPlatform, login: str) -> str:
    credential = live.platform.db.read_sync(web_store.credential_for_login, login)
    assert credential is not None
    return credential.user_id


def _count_messages(live: RunningPlatform, thread_id: int) -> int:
    rows = live.platform.db.read_sync(
        thread_store.list_messages, thread_id, limit=200, before_seq=None, after_seq=None
    )
    return len(rows)


def test_wrong_password_forged_csrf_and_expired_session(live: RunningPlatform, phone: Page) -> None:
    page = phone
    sign_up(page, live.url, "binh@example.com", "correct horse battery")
    page.get_by_test_id("sign-out").click()
    page.wait_for_url(re.compile(r"/signin\?signed_out=1"))
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    # A wrong password: a clear message, still on the sign-in page.
    page.get_by_label("Username, email or phone").fill("binh@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("form-error")).to_have_text("Wrong sign-in name or password.")
    screenshot(page, "05-wrong-password")

    # A forged CSRF token is refused, with a message saying what to do.
    page.get_by_label("Username, email or phone").fill("binh@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.locator("input[name=csrf]").evaluate("input => { input.value = 'forged-token'; }")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("security token")
    assert not any(c["name"] == "ll_session" for c in page.context.cookies())

    # With the real token it works.
    page.get_by_label("Username, email or phone").fill("BINH@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/")
    expect(page.get_by_placeholder("Search banks and businesses")).to_be_visible()

    # The page's JS never sees the session: the cookie is HttpOnly.
    assert "ll_session" not in page.evaluate("document.cookie")
    # A forged CSRF header on the API is refused.
    status = page.evaluate(
        """async () => (await fetch('/api/v1/threads/1/read', {method: 'POST',
            headers: {'X-CSRF-Token': 'forged'}})).status"""
    )
    assert status == 403

    # The session ends server-side: the page asks to sign in again.
    cookie = next(c for c in page.context.cookies() if c["name"] == "ll_session")
    live.platform.db.write_sync(
        do_end_session,
        session_hash=session_hash(cookie["value"]),
        now=to_ms(live.platform.clock.now()),
    )
    # The open page finds out on its own: its stream is refused and the API answers 401.
    page.evaluate("() => window.ledgerline.dropConnection(0)")
    page.wait_for_url(re.compile(r"/signin\?expired=1"), timeout=30_000)
    expect(page.get_by_text("Your session has expired. Please sign in again.")).to_be_visible()


def test_bank_console_sign_in_rotate_test_event_and_delivery_log(
    live: RunningPlatform, receiver: RunningReceiver, desktop: Page
) -> None:
    business = live.create_business("Demo Bank")
    other = live.create_business("Other Bank")
    receiver.receiver.app_secret = business["app_secret"]
    page = desktop
    page.goto(live.url + "/console?lang=en")
    page.get_by_label("Page access token").fill("EAALnot-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("not valid")
    screenshot(page, "06-console-sign-in")

    page.get_by_label("Page access token").fill(business["page_access_token"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("page-id")).to_have_text(business["page_id"])
    expect(page.locator("body")).not_to_contain_text(other["page_id"])
    expect(page.get_by_text("No webhook deliveries yet.")).to_be_visible()
    expect(page.get_by_role("heading", name="Fraud settings")).to_be_visible()
    # The token never reaches the browser beyond the HttpOnly session.
    assert page.evaluate("document.cookie") in ("", "ll_lang=en")
    assert business["page_access_token"] not in page.content()

    # Webhook URL with the Messenger handshake.
    page.get_by_label("Callback URL").fill(receiver.url)
    page.get_by_label("Verify token").fill("wrong-token")
    page.get_by_role("button", name="Verify and save").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("Webhook not saved")
    page.get_by_label("Callback URL").fill(receiver.url)
    page.get_by_label("Verify token").fill("verify-me")
    page.get_by_role("button", name="Verify and save").click()
    expect(page.get_by_test_id("notice")).to_have_text("Webhook verified and saved.")
    expect(page.get_by_test_id("webhook-url")).to_contain_text(receiver.url)

    # A test event goes through the outbox: the bank receives it, the log shows it.
    page.get_by_test_id("test-event").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Test event queued")
    (event,) = receiver.receiver.wait_for_events(1)
    assert event["message"]["text"] == "Test event from the Ledgerline console"
    assert receiver.receiver.deliveries[0].signature_ok
    page.get_by_test_id("refresh").click()
    page.reload()
    row = page.get_by_test_id("delivery-log").locator("tbody tr").first
    expect(row).to_contain_text("test")
    expect(row).to_contain_text("delivered")
    expect(row).to_contain_text("200")

    # Rotate the page token: shown once; the old one stops working.
    page.get_by_test_id("rotate-token").click()
    revealed = page.get_by_test_id("secret-value")
    new_token = revealed.inner_text().strip()
    assert new_token.startswith("EAAL")
    assert new_token != business["page_access_token"]
    screenshot(page, "07-console")
    with live.client() as http:
        old = http.get(
            "/me/webhook_deliveries", params={"access_token": business["page_access_token"]}
        )
        assert old.status_code in (400, 401)
        assert http.get("/me/webhook_deliveries", params={"access_token": new_token}).is_success
    page.reload()
    expect(page.get_by_test_id("secret-value")).to_have_count(0)  # shown once
    expect(page.get_by_test_id("page-id")).to_have_text(business["page_id"])


def test_the_messenger_speaks_vietnamese(live: RunningPlatform, phone: Page) -> None:
    business = live.create_business("Ngân hàng Demo")
    page = phone
    page.goto(live.url + "/signup?lang=vi")
    page.get_by_label("Tên của bạn").fill("Trần Bình")
    page.get_by_label("Tên đăng nhập, email hoặc số điện thoại").fill("0912345678")
    page.get_by_label("Mật khẩu").fill("mật khẩu dài")
    page.get_by_role("button", name="Tạo tài khoản").click()
    page.wait_for_url(live.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", name="Trò chuyện")).to_be_visible()
    search = page.get_by_placeholder("Tìm ngân hàng, doanh nghiệp")
    search.fill("không có")
    expect(page.get_by_text("Không tìm thấy doanh nghiệp nào khớp với “không có”.")).to_be_visible()
    search.fill("ngân")
    page.get_by_test_id("business").click()
    expect(page.get_by_text("Hãy chào Ngân hàng Demo để bắt đầu.")).to_be_visible()
    screenshot(page, "08-vi-new-thread")

    # A long thread opens on its newest 50 messages; earlier ones load on demand, once each.
    page.get_by_placeholder("Nhập tin nhắn…").fill("Chào ngân hàng")
    page.get_by_role("button", name="Gửi").click()
    expect(page.locator(".msg.user[data-mid]")).to_have_count(1)
    user_id = _user_id(live, "0912345678")
    thread = live.platform.db.read_sync(thread_store.get_thread, business["page_id"], user_id)
    assert thread is not None
    for n in range(1, 56):
        _send(live, business["page_access_token"], thread.psid, {"text": f"Tin số {n}"})
    page.reload()  # stays in the open chat (issue 19 part 8)
    expect(page.locator("#app")).to_have_attribute("data-view", "thread")
    expect(page.get_by_test_id("message")).to_have_count(50)
    expect(page.get_by_test_id("message").first).to_contain_text("Tin số 6")
    page.get_by_test_id("load-earlier").click()
    expect(page.get_by_test_id("message")).to_have_count(56)
    expect(page.get_by_test_id("message").first).to_contain_text("Chào ngân hàng")
    expect(page.get_by_test_id("load-earlier")).to_have_count(0)
    texts = page.get_by_test_id("message").locator(".text").all_inner_texts()
    assert texts == ["Chào ngân hàng", *[f"Tin số {n}" for n in range(1, 56)]]


def test_search_finds_a_bank_without_its_diacritics(live: RunningPlatform, phone: Page) -> None:
    """Typed on a keyboard without Vietnamese input, in capitals or not, the name finds it."""
    live.create_business("Ngân hàng Demo")
    live.create_business("Demo Bank")
    sign_up(phone, live.url, "search.reader", "a long enough password")
    search = phone.get_by_placeholder("Search banks and businesses")
    found = phone.get_by_test_id("business").locator(".item-title")
    for typed in ("ngân hàng", "ngan hang", "NGAN HANG"):
        search.fill(typed)
        expect(found).to_have_text(["Ngân hàng Demo"])
    search.fill("demo")
    expect(found).to_have_text(["Demo Bank", "Ngân hàng Demo"])
