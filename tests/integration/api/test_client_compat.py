"""Existing Messenger client libraries, unmodified, against a running Ledgerline.

Only their base URL is redirected (the ``graph_url`` attribute they expose). The webhook
side is checked with fbmessenger's own ``BaseMessenger`` handler.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.receiver import Delivery, RunningReceiver, WebhookReceiver
from tests.support.server import RunningPlatform, running_platform

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fbmessenger import BaseMessenger, MessengerClient
    from fbmessenger.elements import Text
    from fbmessenger.quick_replies import QuickReplies, QuickReply
    from pymessenger.bot import Bot


class RecordingMessenger(BaseMessenger):  # type: ignore[misc]
    """A bank bot written with fbmessenger: each handler records what it got."""

    def __init__(self) -> None:
        super().__init__(page_access_token="unused")
        self.handled: list[tuple[str, dict[str, Any]]] = []

    def message(self, message: dict[str, Any]) -> None:
        self.handled.append(("message", message))

    def delivery(self, message: dict[str, Any]) -> None:
        self.handled.append(("delivery", message))

    def read(self, message: dict[str, Any]) -> None:
        self.handled.append(("read", message))

    def postback(self, message: dict[str, Any]) -> None:
        self.handled.append(("postback", message))

    def account_linking(self, message: dict[str, Any]) -> None:
        self.handled.append(("account_linking", message))

    def optin(self, message: dict[str, Any]) -> None:
        self.handled.append(("optin", message))


@pytest.fixture
def bot() -> RecordingMessenger:
    return RecordingMessenger()


@pytest.fixture
def setup(database_url: str, tmp_path: Path, bot: RecordingMessenger) -> Iterator[dict[str, Any]]:
    def handle(delivery: Delivery) -> int:
        bot.handle(delivery.payload)
        return 200

    with (
        RunningReceiver(WebhookReceiver(behaviour=handle)) as receiver,
        running_platform(database_url, tmp_path) as live,
    ):
        bank = live.create_business(webhook_url=receiver.url)
        receiver.receiver.app_secret = bank["app_secret"]
        user = live.create_user()
        with live.client() as http:
            http.post(
                f"/api/v1/threads/{bank['page_id']}/messages",
                headers={"Authorization": f"Bearer {user['access_token']}"},
                json={"text": "Số dư của tôi?"},
            ).raise_for_status()
        receiver.receiver.wait_for_events(1)
        psid = receiver.receiver.events()[0]["sender"]["id"]
        yield {"live": live, "bank": bank, "user": user, "psid": psid, "receiver": receiver}


def _history(live: RunningPlatform, setup: dict[str, Any]) -> list[dict[str, Any]]:
    with live.client() as http:
        return list(
            http.get(
                f"/api/v1/threads/{setup['bank']['page_id']}/messages",
                headers={"Authorization": f"Bearer {setup['user']['access_token']}"},
            ).json()["data"]
        )


def test_fbmessenger_client_sends_text_quick_replies_actions_and_a_raw_template(
    setup: dict[str, Any],
) -> None:
    live: RunningPlatform = setup["live"]
    client = MessengerClient(
        setup["bank"]["page_access_token"], app_secret=setup["bank"]["app_secret"]
    )
    client.graph_url = f"{live.url}/v{client.api_version}"
    psid = setup["psid"]

    text = client.send({"text": "Số dư: 1.250.000 ₫"}, psid)
    assert text["recipient_id"] == psid
    assert text["message_id"].startswith("m_")
    replies = QuickReplies(
        [QuickReply(title="Có", payload="YES"), QuickReply(title="Không", payload="NO")]
    )
    quick = client.send(Text(text="Bạn có muốn khóa thẻ?", quick_replies=replies).to_dict(), psid)
    assert "message_id" in quick
    assert client.send_action("typing_on", psid) == {"recipient_id": psid}
    button = client.send(
        {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": "Bạn cần gì?",
                    "buttons": [{"type": "postback", "title": "Số dư", "payload": "BALANCE"}],
                },
            }
        },
        psid,
    )
    assert "message_id" in button

    history = _history(live, setup)
    assert [m.get("text") for m in history[1:3]] == ["Số dư: 1.250.000 ₫", "Bạn có muốn khóa thẻ?"]
    assert [q["payload"] for q in history[2]["quick_replies"]] == ["YES", "NO"]
    assert history[3]["attachment"]["payload"]["buttons"][0]["payload"] == "BALANCE"


def test_pymessenger_bot_sends_text_raw_quick_replies_and_actions(setup: dict[str, Any]) -> None:
    live: RunningPlatform = setup["live"]
    bot = Bot(setup["bank"]["page_access_token"])
    bot.graph_url = f"{live.url}/v2.6"
    psid = setup["psid"]
    sent = bot.send_text_message(psid, "Giao dịch 125.000 ₫ tại Highlands Coffee")
    assert sent["recipient_id"] == psid
    raw = bot.send_raw(
        {
            "recipient": {"id": psid},
            "message": {
                "text": "Đây có phải bạn không?",
                "quick_replies": [{"content_type": "text", "title": "Đúng", "payload": "GENUINE"}],
            },
        }
    )
    assert "message_id" in raw
    assert bot.send_action(psid, "mark_seen") == {"recipient_id": psid}
    history = _history(live, setup)
    assert history[-1]["quick_replies"][0]["payload"] == "GENUINE"
    assert history[-2]["text"] == "Giao dịch 125.000 ₫ tại Highlands Coffee"


def test_fbmessenger_base_messenger_handles_our_webhooks(
    setup: dict[str, Any], bot: RecordingMessenger
) -> None:
    live: RunningPlatform = setup["live"]
    headers = {"Authorization": f"Bearer {setup['user']['access_token']}"}
    page_id = setup["bank"]["page_id"]
    with live.client() as http:
        http.post(
            f"/api/v1/threads/{page_id}/messages",
            headers=headers,
            json={"postback": {"title": "Số dư", "payload": "BALANCE"}},
        ).raise_for_status()
    setup["receiver"].receiver.wait_for_events(2)
    kinds = [kind for kind, _ in bot.handled]
    assert kinds == ["message", "postback"]
    assert bot.handled[0][1]["message"]["text"] == "Số dư của tôi?"
    assert bot.handled[1][1]["postback"]["payload"] == "BALANCE"
