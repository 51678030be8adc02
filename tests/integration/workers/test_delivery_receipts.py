"""Delivery receipts: a bank's message reaching a person's socket becomes one ``delivery``
webhook per thread and burst, with the thread's watermark — written in each person's own
partition (``workers/receipts.py``), so a page's receipts never lock several people's
threads at once beside the Send API's writers (on PostgreSQL they deadlocked)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

from ledgerline.storage.stores import threads
from tests.support.receiver import RunningReceiver, WebhookReceiver
from tests.support.server import RunningPlatform, running_platform


def _stream(live: RunningPlatform, token: str) -> Any:
    url = live.url.replace("http", "ws") + f"/api/v1/stream?access_token={token}"
    return connect(url, open_timeout=10)


def test_each_person_reached_gets_a_delivery_webhook_and_a_watermark(
    database_url: str, tmp_path: Path
) -> None:
    with (
        RunningReceiver(WebhookReceiver()) as receiver,
        running_platform(database_url, tmp_path) as live,
    ):
        bank = live.create_business(webhook_url=receiver.url)
        receiver.receiver.app_secret = bank["app_secret"]
        people = [live.create_user(f"P{n}") for n in range(4)]
        psids = []
        with live.client() as http:
            for person in people:
                said = http.post(
                    f"/api/v1/threads/{bank['page_id']}/messages",
                    headers={"Authorization": f"Bearer {person['access_token']}"},
                    json={"text": "hi"},
                )
                assert said.status_code == 201, said.text
                thread = live.platform.db.read_sync(
                    threads.get_thread, bank["page_id"], person["user_id"]
                )
                assert thread is not None
                psids.append(thread.psid)
        receiver.receiver.wait_for_events(len(people))  # their messages
        with contextlib.ExitStack() as stack:
            sockets = [stack.enter_context(_stream(live, p["access_token"])) for p in people]
            sent = {}
            with live.client() as http:
                for psid in psids:
                    answer = http.post(
                        "/v15.0/me/messages",
                        params={"access_token": bank["page_access_token"]},
                        json={"recipient": {"id": psid}, "message": {"text": "Số dư"}},
                    )
                    assert answer.status_code == 200, answer.text
                    sent[psid] = answer.json()["message_id"]
            for ws in sockets:
                ws.recv(timeout=10)
            events = receiver.receiver.wait_for_events(2 * len(people))
        deliveries = {e["sender"]["id"]: e["delivery"] for e in events if "delivery" in e}
        assert set(deliveries) == set(psids)
        for psid, delivery in deliveries.items():
            assert delivery["mids"] == [sent[psid]]
        for person, psid in zip(people, psids, strict=True):
            thread = live.platform.db.read_sync(
                threads.get_thread, bank["page_id"], person["user_id"]
            )
            assert thread is not None
            assert thread.delivered_watermark == deliveries[psid]["watermark"] > 0
