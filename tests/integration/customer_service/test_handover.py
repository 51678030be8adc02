"""Messenger's handover protocol end to end: pass, take and request thread control, the
``messaging_handovers`` events, ``standby`` for the app that does not own the thread, and
the ``10/2018300`` refusal of its sends. A webhook receiver served in process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.chat.ownership import ASSISTANT_APP_ID, PAGE_INBOX_APP_ID
from ledgerline.customer_service import handover
from ledgerline.domain.clock import to_ms
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import inbox as inbox_store, threads as thread_store
from ledgerline.storage.stores.threads import MessageRow, ThreadRow
from tests.support.inprocess import InProcessServer, ServedReceiver, in_process_server
from tests.support.receiver import WebhookReceiver
from tests.support.server import RunningPlatform


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[InProcessServer]:
    with in_process_server(database_url, tmp_path) as running:
        yield running


@pytest.fixture
def receiver(live: InProcessServer) -> ServedReceiver:
    return live.receiver(WebhookReceiver())


class World:
    def __init__(self, live: RunningPlatform, receiver: ServedReceiver) -> None:
        self.live = live
        self.receiver = receiver.receiver
        self.business = live.create_business(webhook_url=receiver.url)
        live.subscribe(self.business, "messaging_handovers", "standby")
        self.receiver.app_secret = self.business["app_secret"]
        self.user = live.create_user()
        self.http = live.client()
        self.page_id = self.business["page_id"]
        self.app_id = self.business["app_id"]

    def person_says(self, text: str) -> str:
        response = self.http.post(
            f"/api/v1/threads/{self.page_id}/messages",
            headers={"Authorization": f"Bearer {self.user['access_token']}"},
            json={"text": text},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["mid"])

    @property
    def psid(self) -> str:
        thread = self.thread
        return thread.psid

    @property
    def thread(self) -> ThreadRow:
        thread = self.live.platform.db.read_sync(
            thread_store.get_thread, self.page_id, self.user["user_id"]
        )
        assert thread is not None
        return thread

    def graph(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(
            f"/v2.6/me/{path}",
            params={"access_token": self.business["page_access_token"]},
            json=body,
        )

    def send(self, text: str) -> httpx.Response:
        return self.graph("messages", {"recipient": {"id": self.psid}, "message": {"text": text}})

    def owner(self) -> str:
        response = self.http.get(
            "/v2.6/me/thread_owner",
            params={"access_token": self.business["page_access_token"], "recipient": self.psid},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["data"][0]["thread_owner"]["app_id"])

    def now(self) -> int:
        return to_ms(self.live.platform.clock.now())


@pytest.fixture
def world(live: RunningPlatform, receiver: ServedReceiver) -> Iterator[World]:
    w = World(live, receiver)
    try:
        yield w
    finally:
        w.http.close()


def _handovers(receiver: WebhookReceiver) -> list[dict[str, Any]]:
    return [
        e
        for e in receiver.events()
        if {"pass_thread_control", "take_thread_control", "request_thread_control"} & e.keys()
    ]


def test_pass_to_the_inbox_routes_messages_to_standby_and_refuses_the_banks_sends(
    world: World,
) -> None:
    world.person_says("Xin chào")
    world.receiver.wait_for_events(1)
    assert world.owner() == world.app_id
    assert world.send("Chào bạn").status_code == 200

    passed = world.graph(
        "pass_thread_control",
        {"recipient": {"id": world.psid}, "target_app_id": PAGE_INBOX_APP_ID, "metadata": "vay"},
    )
    assert passed.status_code == 200, passed.text
    assert passed.json() == {"success": True}
    assert world.owner() == PAGE_INBOX_APP_ID

    # The person's next message reaches the bank on standby, not messaging.
    world.person_says("Tôi muốn gặp nhân viên")
    world.receiver.wait_until(lambda: len(world.receiver.standby_events()) == 1)
    (standby,) = world.receiver.standby_events()
    assert standby["message"]["text"] == "Tôi muốn gặp nhân viên"
    assert standby["sender"] == {"id": world.psid}
    assert all(d.signature_ok for d in world.receiver.deliveries)

    refused = world.send("Tôi vẫn ở đây")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["error_subcode"]) == (10, 2018300)
    assert error["message"].startswith("(#10) ")

    # A conversation waits in the business's inbox queue.
    queue = world.live.platform.db.read_sync(inbox_store.list_queue, world.page_id)
    assert [item.conversation.status for item in queue] == ["waiting"]
    assert queue[0].conversation.handover_metadata == "vay"
    # Passing needs ownership: the bank no longer owns the thread.
    again = world.graph(
        "pass_thread_control",
        {"recipient": {"id": world.psid}, "target_app_id": world.app_id},
    )
    assert again.json()["error"]["code"] == 10
    # The bank passing the thread to the inbox got no handover event (it made the call).
    assert _handovers(world.receiver) == []


def test_take_thread_control_ends_the_inbox_conversation(world: World) -> None:
    world.person_says("Xin chào")
    assert world.graph(
        "pass_thread_control",
        {"recipient": {"id": world.psid}, "target_app_id": PAGE_INBOX_APP_ID},
    ).json() == {"success": True}

    requested = world.graph(
        "request_thread_control", {"recipient": {"id": world.psid}, "metadata": "mine"}
    )
    assert requested.json() == {"success": True}
    (conversation,) = world.live.platform.db.read_sync(inbox_store.list_queue, world.page_id)
    assert conversation.conversation.requested_by == world.app_id
    assert world.owner() == PAGE_INBOX_APP_ID  # a request alone changes nothing

    taken = world.graph("take_thread_control", {"recipient": {"id": world.psid}})
    assert taken.json() == {"success": True}
    assert world.owner() == world.app_id
    assert world.live.platform.db.read_sync(inbox_store.list_queue, world.page_id) == []
    closed = world.live.platform.db.read_sync(
        inbox_store.get_conversation, world.page_id, conversation.conversation.conversation_id
    )
    assert closed is not None
    assert (closed.status, closed.close_reason) == ("closed", "taken")
    assert world.send("Tôi quay lại rồi").status_code == 200
    world.person_says("Cảm ơn")
    world.receiver.wait_until(lambda: len(world.receiver.events()) == 2)
    assert world.receiver.events()[-1]["message"]["text"] == "Cảm ơn"


def test_the_inbox_taking_and_requesting_send_the_banks_handover_events(world: World) -> None:
    world.person_says("Xin chào")
    db = world.live.platform.db
    db.write_sync(
        handover.request_control,
        page_id=world.page_id,
        user_id=world.user["user_id"],
        by_app_id=PAGE_INBOX_APP_ID,
        metadata="khách cần hỗ trợ",
        now=world.now(),
    )
    world.receiver.wait_until(lambda: len(_handovers(world.receiver)) == 1)
    (request,) = _handovers(world.receiver)
    assert request["request_thread_control"] == {
        "requested_owner_app_id": PAGE_INBOX_APP_ID,
        "metadata": "khách cần hỗ trợ",
    }
    assert request["sender"] == {"id": world.psid}
    assert request["recipient"] == {"id": world.page_id}

    db.write_sync(
        handover.take_control,
        page_id=world.page_id,
        user_id=world.user["user_id"],
        by_app_id=PAGE_INBOX_APP_ID,
        metadata=None,
        now=world.now(),
    )
    world.receiver.wait_until(lambda: len(_handovers(world.receiver)) == 2)
    assert _handovers(world.receiver)[1]["take_thread_control"] == {
        "previous_owner_app_id": world.app_id,
        "new_owner_app_id": PAGE_INBOX_APP_ID,
    }
    db.write_sync(
        handover.pass_control,
        page_id=world.page_id,
        user_id=world.user["user_id"],
        to_app_id=world.app_id,
        metadata="resolved",
        now=world.now(),
    )
    world.receiver.wait_until(lambda: len(_handovers(world.receiver)) == 3)
    assert _handovers(world.receiver)[2]["pass_thread_control"] == {
        "previous_owner_app_id": PAGE_INBOX_APP_ID,
        "new_owner_app_id": world.app_id,
        "metadata": "resolved",
    }
    assert world.owner() == world.app_id


def test_the_assistant_owns_threads_while_enabled_and_passes_them_on(world: World) -> None:
    seen: list[str] = []

    def assistant(uow: UnitOfWork, thread: ThreadRow, row: MessageRow, now: int) -> None:
        seen.append(str(row.body["text"]))
        if row.body["text"] == "gặp nhân viên":
            handover.pass_control(
                uow,
                page_id=thread.page_id,
                user_id=thread.user_id,
                to_app_id=world.app_id,
                metadata="person asked for the bank",
                now=now,
            )

    ctx = world.live.app.state.ctx
    real = ctx.inbound
    # This test plays the assistant itself.
    ctx.inbound = replace(real, answerers={**real.answerers, ASSISTANT_APP_ID: assistant})
    try:
        on = world.graph("assistant", {"enabled": "true"})
        assert on.json() == {"success": True}
        world.person_says("số dư")
        assert seen == ["số dư"]
        assert world.owner() == ASSISTANT_APP_ID
        world.receiver.wait_until(lambda: len(world.receiver.standby_events()) == 1)
        assert world.receiver.events() == []
        assert world.send("xin chào").json()["error"]["error_subcode"] == 2018300

        world.person_says("gặp nhân viên")
        assert seen == ["số dư", "gặp nhân viên"]
        world.receiver.wait_until(lambda: len(_handovers(world.receiver)) == 1)
        assert _handovers(world.receiver)[0]["pass_thread_control"] == {
            "previous_owner_app_id": ASSISTANT_APP_ID,
            "new_owner_app_id": world.app_id,
            "metadata": "person asked for the bank",
        }
        assert world.owner() == world.app_id
        assert world.send("Chào bạn, ngân hàng đây").status_code == 200
    finally:
        ctx.inbound = real


def test_turning_the_assistant_off_gives_its_threads_back_and_bad_requests_are_clear(
    world: World,
) -> None:
    assert world.graph("assistant", {"enabled": True}).json() == {"success": True}
    world.person_says("xin chào")
    assert world.owner() == ASSISTANT_APP_ID
    # The bank's app is the primary receiver: a request is granted by the assistant at once.
    assert world.graph("request_thread_control", {"recipient": {"id": world.psid}}).json() == {
        "success": True
    }
    assert world.owner() == world.app_id
    world.receiver.wait_until(lambda: len(_handovers(world.receiver)) == 1)
    assert world.graph(
        "pass_thread_control", {"recipient": {"id": world.psid}, "target_app_id": ASSISTANT_APP_ID}
    ).json() == {"success": True}
    assert world.owner() == ASSISTANT_APP_ID
    assert world.graph("assistant", {"enabled": False}).json() == {"success": True}
    assert world.owner() == world.app_id
    # Given back for good: turning the assistant on again leaves this thread with the bank
    # (new threads start with the assistant).
    assert world.graph("assistant", {"enabled": True}).json() == {"success": True}
    assert world.owner() == world.app_id
    assert world.graph("assistant", {"enabled": False}).json() == {"success": True}

    cases: list[tuple[dict[str, Any], int]] = [
        ({"recipient": {"id": world.psid}, "target_app_id": "999"}, 100),
        ({"recipient": {"id": world.psid}, "target_app_id": ASSISTANT_APP_ID}, 100),
        ({"recipient": {"id": world.psid}}, 100),
        ({"recipient": {"id": "123"}, "target_app_id": PAGE_INBOX_APP_ID}, 100),
        (
            {
                "recipient": {"id": world.psid},
                "target_app_id": PAGE_INBOX_APP_ID,
                "metadata": "x" * 1001,
            },
            100,
        ),
    ]
    for body, code in cases:
        response = world.graph("pass_thread_control", body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == code
    assert world.graph("assistant", {"enabled": "maybe"}).json()["error"]["code"] == 100
    bad_token = world.http.post(
        "/me/take_thread_control", params={"access_token": "nope"}, json={"recipient": {"id": "1"}}
    )
    assert bad_token.json()["error"]["code"] == 190
