"""Events reach a bank only for the webhook fields its page is subscribed to: by default
neither ``standby`` nor handover events (they crash common client libraries' parsers),
each when asked for; nothing at all once unsubscribed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.chat.ownership import PAGE_INBOX_APP_ID
from ledgerline.customer_service import handover
from ledgerline.domain.clock import to_ms
from ledgerline.storage.stores import threads as thread_store
from tests.support.inprocess import ServedReceiver, in_process_server
from tests.support.receiver import WebhookReceiver
from tests.support.server import RunningPlatform


class Bank:
    def __init__(self, live: RunningPlatform, receiver: ServedReceiver) -> None:
        self.live = live
        self.receiver = receiver.receiver
        self.business = live.create_business(webhook_url=receiver.url)
        self.receiver.app_secret = self.business["app_secret"]
        self.page_id = self.business["page_id"]
        self.user = live.create_user()
        self.http = live.client(params={"access_token": self.business["page_access_token"]})
        self.person = live.client(headers={"Authorization": f"Bearer {self.user['access_token']}"})

    def says(self, body: dict[str, Any]) -> None:
        answer = self.person.post(f"/api/v1/threads/{self.page_id}/messages", json=body)
        assert answer.status_code == 201, answer.text

    def psid(self) -> str:
        thread = self.live.platform.db.read_sync(
            thread_store.get_thread, self.page_id, self.user["user_id"]
        )
        assert thread is not None
        return thread.psid

    def graph(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.request(method, f"/v19.0/me/{path}", json=body)

    def queued_kinds(self) -> list[str]:
        log = self.graph("GET", "webhook_deliveries?kind=all").json()["data"]
        return [event["kind"] for event in reversed(log)]


@pytest.fixture
def bank(database_url: str, tmp_path: Path) -> Iterator[Bank]:
    with in_process_server(database_url, tmp_path) as live:
        b = Bank(live, live.receiver(WebhookReceiver()))
        try:
            yield b
        finally:
            b.http.close()
            b.person.close()


def _agents_take_the_thread(bank: Bank) -> None:
    bank.live.platform.db.write_sync(
        handover.take_control,
        page_id=bank.page_id,
        user_id=bank.user["user_id"],
        by_app_id=PAGE_INBOX_APP_ID,
        metadata=None,
        now=to_ms(bank.live.platform.clock.now()),
    )


def test_by_default_no_standby_and_no_handover_events(bank: Bank) -> None:
    bank.says({"text": "xin chào"})
    (hello,) = bank.receiver.wait_for_events(1)
    assert hello["message"]["text"] == "xin chào"
    _agents_take_the_thread(bank)
    bank.says({"text": "cho tôi gặp nhân viên"})  # the inbox owns the thread now
    bank.says({"postback": {"title": "Menu", "payload": "MENU"}})
    assert bank.queued_kinds() == ["message"]  # nothing else was even queued
    assert bank.receiver.standby_events() == []


def test_standby_and_handovers_arrive_once_subscribed(bank: Bank) -> None:
    bank.live.subscribe(bank.business, "standby", "messaging_handovers")
    bank.says({"text": "xin chào"})
    bank.receiver.wait_for_events(1)
    _agents_take_the_thread(bank)
    taken = bank.receiver.wait_for_events(2)[1]
    assert taken["take_thread_control"]["new_owner_app_id"] == PAGE_INBOX_APP_ID
    bank.says({"text": "cho tôi gặp nhân viên"})
    (standby,) = bank.receiver.wait_for_standby(1)
    assert standby["message"]["text"] == "cho tôi gặp nhân viên"
    assert bank.queued_kinds() == ["message", "messaging_handovers", "standby:message"]


def test_only_the_subscribed_fields_are_queued(bank: Bank) -> None:
    bank.graph("POST", "subscribed_apps", {"subscribed_fields": ["messaging_postbacks"]})
    bank.says({"text": "không ai nghe"})
    bank.says({"postback": {"title": "Số dư", "payload": "BALANCE"}})
    (postback,) = bank.receiver.wait_for_events(1)
    assert postback["postback"]["payload"] == "BALANCE"
    assert bank.queued_kinds() == ["postback"]


def test_an_unsubscribed_page_hears_nothing_until_it_subscribes_again(bank: Bank) -> None:
    assert bank.graph("DELETE", "subscribed_apps").json() == {"success": True}
    bank.says({"text": "không ai nghe"})
    bank.says({"postback": {"title": "Số dư", "payload": "BALANCE"}})
    assert bank.queued_kinds() == []
    bank.graph("POST", "subscribed_apps", {"subscribed_fields": "messages"}).raise_for_status()
    bank.says({"text": "giờ thì có"})
    (heard,) = bank.receiver.wait_for_events(1)
    assert heard["message"]["text"] == "giờ thì có"


def test_a_page_subscribed_to_message_echoes_hears_its_own_sends(bank: Bank) -> None:
    bank.says({"text": "xin chào"})
    bank.receiver.wait_for_events(1)
    psid = bank.psid()
    text = {"text": "Chào bạn!", "metadata": "case-7781"}
    first = bank.graph("POST", "messages", {"recipient": {"id": psid}, "message": text})
    assert first.status_code == 200, first.text
    assert bank.queued_kinds() == ["message"]  # no echo by default

    bank.live.subscribe(bank.business, "message_echoes")
    sent = bank.graph("POST", "messages", {"recipient": {"id": psid}, "message": text}).json()
    button = {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": "Khóa thẻ?",
                "buttons": [{"type": "postback", "title": "Khóa", "payload": "FREEZE"}],
            },
        }
    }
    card = bank.graph("POST", "messages", {"recipient": {"id": psid}, "message": button}).json()
    echoes = bank.receiver.wait_for_events(3)[1:]
    assert echoes[0] == {
        "sender": {"id": bank.page_id},
        "recipient": {"id": psid},
        "timestamp": echoes[0]["timestamp"],
        "message": {
            "is_echo": True,
            "app_id": int(bank.business["app_id"]),
            "metadata": "case-7781",
            "mid": sent["message_id"],
            "text": "Chào bạn!",
        },
    }
    assert echoes[1]["message"]["mid"] == card["message_id"]
    assert echoes[1]["message"]["attachments"] == [button["attachment"]]
    assert "text" not in echoes[1]["message"]
    assert bank.queued_kinds() == ["message", "echo", "echo"]
    # The person never sees the bank's metadata.
    history = bank.person.get(f"/api/v1/threads/{bank.page_id}/messages").json()["data"]
    assert all("metadata" not in message for message in history)


def test_an_m_me_link_opens_the_chat_and_sends_a_referral(bank: Bank) -> None:
    with bank.live.client() as browser:
        link = browser.get(f"/m/{bank.page_id}", params={"ref": "spring-campaign"})
        assert link.status_code == 303
        assert link.headers["location"] == f"/?thread={bank.page_id}&ref=spring-campaign"
        dropped = browser.get(f"/m/{bank.page_id}", params={"ref": "<script>"})
        assert dropped.headers["location"] == f"/?thread={bank.page_id}"
        assert browser.get("/m/not-a-page").status_code == 404

    path = f"/api/v1/threads/{bank.page_id}/referral"
    early = bank.person.post(path, json={"ref": "spring-campaign"})
    assert early.status_code == 404  # no conversation yet: the ref goes with Get Started
    bank.says({"text": "xin chào"})
    bank.receiver.wait_for_events(1)
    assert bank.person.post(path, json={"ref": "spring-campaign"}).json() == {"success": True}
    assert bank.queued_kinds() == ["message"]  # messaging_referrals is not on by default

    bank.live.subscribe(bank.business, "messaging_referrals")
    assert bank.person.post(path, json={"ref": "spring-campaign"}).json() == {"success": True}
    referral = bank.receiver.wait_for_events(2)[1]
    assert referral == {
        "sender": {"id": bank.psid()},
        "recipient": {"id": bank.page_id},
        "timestamp": referral["timestamp"],
        "referral": {"ref": "spring-campaign", "source": "SHORTLINK", "type": "OPEN_THREAD"},
    }
    for bad in ("", "a b", "x" * 2084, "<script>"):
        refused = bank.person.post(path, json={"ref": bad})
        assert refused.status_code == 400, bad
    assert bank.person.post(path, json={}).status_code == 400
    assert bank.queued_kinds() == ["message", "referral"]
