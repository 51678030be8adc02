"""The messaging core end to end, over HTTP and WebSocket against a running server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from ledgerline.domain.clock import FrozenClock
from tests.support.receiver import RunningReceiver, WebhookReceiver
from tests.support.server import RunningPlatform, running_platform


@pytest.fixture
def receiver() -> Iterator[RunningReceiver]:
    with RunningReceiver(WebhookReceiver()) as running:
        yield running


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


def _ws(live: RunningPlatform, token: str) -> Any:
    return connect(
        live.url.replace("http", "ws") + f"/api/v1/stream?access_token={token}", open_timeout=10
    )


def _frame(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if frame["type"] == kind:
            return frame


def _start_thread(live: RunningPlatform, business: dict[str, str], user: dict[str, str]) -> str:
    """The person writes first (opening the window); returns their PSID for this page."""
    with live.client() as http:
        response = http.post(
            f"/api/v1/threads/{business['page_id']}/messages",
            headers={"Authorization": f"Bearer {user['access_token']}"},
            json={"text": "Xin chào"},
        )
        assert response.status_code == 201, response.text
    from ledgerline.storage.stores import threads

    thread = live.platform.db.read_sync(threads.get_thread, business["page_id"], user["user_id"])
    assert thread is not None
    return thread.psid


def test_a_conversation_both_ways_with_webhooks_and_live_frames(
    live: RunningPlatform, receiver: RunningReceiver
) -> None:
    business = live.create_business(webhook_url=receiver.url)
    receiver.receiver.app_secret = business["app_secret"]
    user = live.create_user()
    psid = _start_thread(live, business, user)

    # The bank receives the person's message, signed, one event per POST.
    (event,) = receiver.receiver.wait_for_events(1)
    assert event["sender"] == {"id": psid}
    assert event["recipient"] == {"id": business["page_id"]}
    assert event["message"]["text"] == "Xin chào"
    assert event["message"]["mid"].startswith("m_")
    delivery = receiver.receiver.deliveries[0]
    assert delivery.signature_ok
    assert delivery.headers["x-hub-signature"].startswith("sha1=")
    assert b"\\u00e0" in delivery.body  # ASCII-escaped, as Meta signs it

    with _ws(live, user["access_token"]) as ws, live.client() as http:
        reply = http.post(
            "/v15.0/me/messages",
            params={"access_token": business["page_access_token"]},
            json={
                "recipient": {"id": psid},
                "message": {
                    "text": "Chào An!",
                    "quick_replies": [{"content_type": "text", "title": "Số dư", "payload": "BAL"}],
                },
            },
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["recipient_id"] == psid
        frame = _frame(ws, "message")
        assert frame["page_id"] == business["page_id"]
        assert frame["message"]["mid"] == body["message_id"]
        assert frame["message"]["from"] == "page"
        assert frame["message"]["quick_replies"][0]["title"] == "Số dư"

        # Pushed to the phone: the bank gets a delivery event for that mid.
        events = receiver.receiver.wait_for_events(2)
        assert events[1]["delivery"]["mids"] == [body["message_id"]]

        headers = {"Authorization": f"Bearer {user['access_token']}"}
        threads = http.get("/api/v1/threads", headers=headers).json()["data"]
        assert threads[0]["unread"] == 1
        assert threads[0]["last_message"]["text"] == "Chào An!"

        # The person taps the quick reply; then reads the thread.
        tapped = http.post(
            f"/api/v1/threads/{business['page_id']}/messages",
            headers=headers,
            json={"quick_reply": {"title": "Số dư", "payload": "BAL"}},
        )
        assert tapped.status_code == 201
        read = http.post(f"/api/v1/threads/{business['page_id']}/read", headers=headers)
        assert read.status_code == 200
        events = receiver.receiver.wait_for_events(4)
        assert events[2]["message"]["quick_reply"] == {"payload": "BAL"}
        assert events[3]["read"]["watermark"] == read.json()["watermark"]
        assert http.get("/api/v1/threads", headers=headers).json()["data"][0]["unread"] == 0

        # Typing and seen from the bank show up live.
        for action in ("typing_on", "mark_seen"):
            sent = http.post(
                "/v2.6/me/messages",
                params={"access_token": business["page_access_token"]},
                json={"recipient": {"id": psid}, "sender_action": action},
            )
            assert sent.json() == {"recipient_id": psid}
        assert _frame(ws, "typing")["typing"] is True
        assert _frame(ws, "read")["page_id"] == business["page_id"]

        history = http.get(
            f"/api/v1/threads/{business['page_id']}/messages", headers=headers
        ).json()["data"]
        assert [m["from"] for m in history] == ["user", "page", "user"]


TEMPLATES: list[dict[str, Any]] = [
    {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": "What next?",
                "buttons": [
                    {"type": "postback", "title": "Balance", "payload": "BAL"},
                    {
                        "type": "web_url",
                        "url": "https://bank.example/app",
                        "title": "Open app",
                        "messenger_extensions": "true",
                    },
                ],
            },
        }
    },
    {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "generic",
                "elements": [
                    {
                        "title": "Visa Platinum",
                        "subtitle": "0% for 12 months",
                        "image_url": "https://bank.example/c.png",
                        "buttons": [{"type": "postback", "title": "Apply", "payload": "APPLY"}],
                    }
                ],
            },
        }
    },
    {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "receipt",
                "recipient_name": "An",
                "order_number": "A-1",
                "currency": "VND",
                "payment_method": "Visa 1234",
                "order_url": None,
                "timestamp": None,
                "summary": {"subtotal": None, "total_cost": "125000"},
                "elements": [{"title": "Cà phê sữa", "price": 125000, "quantity": 1}],
            },
        }
    },
]


@pytest.mark.parametrize("message", TEMPLATES, ids=["button", "generic", "receipt"])
def test_templates_reach_the_person_in_canonical_form(
    live: RunningPlatform, message: dict[str, Any]
) -> None:
    business = live.create_business()
    user = live.create_user()
    psid = _start_thread(live, business, user)
    with live.client() as http:
        sent = http.post(
            "/me/messages",
            headers={"Authorization": f"Bearer {business['page_access_token']}"},
            json={"recipient": {"id": psid}, "message": message},
        )
        assert sent.status_code == 200, sent.text
        history = http.get(
            f"/api/v1/threads/{business['page_id']}/messages",
            headers={"Authorization": f"Bearer {user['access_token']}"},
        ).json()
    attachment = history["data"][-1]["attachment"]
    payload = attachment["payload"]
    assert payload["template_type"] == message["attachment"]["payload"]["template_type"]
    assert "order_url" not in payload  # nulls dropped
    if payload["template_type"] == "button":
        assert payload["buttons"][1]["messenger_extensions"] is True


def test_the_24_hour_window_and_tags(database_url: str, tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))
    with running_platform(database_url, tmp_path, clock=clock) as live:
        business = live.create_business()
        user = live.create_user()
        psid = _start_thread(live, business, user)
        params = {"access_token": business["page_access_token"]}

        def send(**extra: Any) -> Any:
            with live.client() as http:
                return http.post(
                    "/v2.12/me/messages",
                    params=params,
                    json={"recipient": {"id": psid}, "message": {"text": "hello"}, **extra},
                )

        assert send().status_code == 200
        clock.advance(timedelta(hours=25))
        refused = send(messaging_type="UPDATE")
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == 10
        assert refused.json()["error"]["error_subcode"] == 2018278
        assert send(messaging_type="MESSAGE_TAG", tag="ACCOUNT_UPDATE").status_code == 200
        assert send(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT").status_code == 200
        clock.advance(timedelta(days=7))
        late = send(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
        assert late.json()["error"]["error_subcode"] == 2018278
        assert send(messaging_type="MESSAGE_TAG", tag="PAYMENT_UPDATE").status_code == 200


def test_delivery_receipts_are_not_written_for_a_business_without_webhooks(
    live: RunningPlatform,
) -> None:
    """The delivered watermark feeds the ``delivery`` webhook alone: with no webhook URL
    nothing is written when frames reach the person (one write less per thread and burst)."""
    from ledgerline.chat.actions import DeliveredMark, do_mark_delivered_many
    from ledgerline.storage.stores import threads

    business = live.create_business("Quiet Bank")
    user = live.create_user("An")
    psid = _start_thread(live, business, user)
    with _ws(live, user["access_token"]) as ws, live.client() as http:
        sent = http.post(
            "/v15.0/me/messages",
            params={"access_token": business["page_access_token"]},
            json={"recipient": {"id": psid}, "message": {"text": "Số dư của bạn"}},
        )
        assert sent.status_code == 200, sent.text
        assert _frame(ws, "message")["message"]["mid"] == sent.json()["message_id"]
        mark = DeliveredMark(user_id=user["user_id"], mids=("m",), watermark=2**40)
        advanced = live.platform.db.write_sync(
            do_mark_delivered_many, page_id=business["page_id"], marks=[mark], now=2**40
        )
    assert advanced == 0
    thread = live.platform.db.read_sync(threads.get_thread, business["page_id"], user["user_id"])
    assert thread is not None
    assert thread.delivered_watermark == 0
