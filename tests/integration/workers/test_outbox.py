"""Webhooks to banks: at-least-once, ordered per person, retried, isolated per business."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.support.receiver import Delivery, RunningReceiver, WebhookReceiver
from tests.support.server import RunningPlatform, running_platform


def _say(live: RunningPlatform, page_id: str, token: str, text: str) -> None:
    with live.client() as http:
        response = http.post(
            f"/api/v1/threads/{page_id}/messages",
            headers={"Authorization": f"Bearer {token}"},
            json={"text": text},
        )
        assert response.status_code == 201, response.text


def test_failures_are_retried_in_order_with_stable_mids_and_logged(
    database_url: str, tmp_path: Path
) -> None:
    failures = {"left": 3}
    seen_mids: list[str] = []

    def flaky(delivery: Delivery) -> int:
        seen_mids.append(delivery.payload["entry"][0]["messaging"][0]["message"]["mid"])
        if failures["left"] > 0:
            failures["left"] -= 1
            return 500
        return 200

    with (
        RunningReceiver(WebhookReceiver(behaviour=flaky)) as receiver,
        running_platform(database_url, tmp_path) as live,
    ):
        bank = live.create_business(webhook_url=receiver.url)
        receiver.receiver.app_secret = bank["app_secret"]
        user = live.create_user()
        for i in range(5):
            _say(live, bank["page_id"], user["access_token"], f"message {i}")
        events = receiver.receiver.wait_for_events(5, timeout=30)
        assert [e["message"]["text"] for e in events] == [f"message {i}" for i in range(5)]
        # The first event was tried 4 times with the same mid before the rest went out.
        assert seen_mids[:4] == [seen_mids[0]] * 4
        with live.client() as http:
            log = http.get(
                "/v2.6/me/webhook_deliveries", params={"access_token": bank["page_access_token"]}
            ).json()["data"]
        first = log[-1]
        assert first["status"] == "delivered"
        assert [a["status_code"] for a in first["attempts"]] == [500, 500, 500, 200]
        assert all(entry["status"] == "delivered" for entry in log)


def test_a_hanging_receiver_does_not_delay_another_business(
    database_url: str, tmp_path: Path
) -> None:
    release = threading.Event()

    def hang(_: Delivery) -> int:
        release.wait(20)
        return 200

    with (
        RunningReceiver(WebhookReceiver(behaviour=hang)) as slow,
        RunningReceiver(WebhookReceiver()) as fast,
        running_platform(database_url, tmp_path, webhook_timeout_seconds=30) as live,
    ):
        slow_bank = live.create_business("Slow Bank", webhook_url=slow.url)
        fast_bank = live.create_business("Fast Bank", webhook_url=fast.url)
        fast.receiver.app_secret = fast_bank["app_secret"]
        user = live.create_user()
        for i in range(3):
            _say(live, slow_bank["page_id"], user["access_token"], f"slow {i}")
        started = time.monotonic()
        _say(live, fast_bank["page_id"], user["access_token"], "fast")
        fast.receiver.wait_for_events(1, timeout=5)
        assert time.monotonic() - started < 5
        release.set()


def test_pending_webhooks_resume_after_a_restart(database_url: str, tmp_path: Path) -> None:
    with RunningReceiver(WebhookReceiver(behaviour=lambda _: 503)) as down:
        url = down.url
        with running_platform(database_url, tmp_path) as live:
            bank = live.create_business(webhook_url=url)
            user = live.create_user()
            _say(live, bank["page_id"], user["access_token"], "while you were down")
            deadline = time.monotonic() + 10
            while not down.receiver.deliveries and time.monotonic() < deadline:
                time.sleep(0.05)
    # The receiver comes back on the same port; the platform restarts on the same database.
    receiver = WebhookReceiver(app_secret=bank["app_secret"])
    from tests.support.server import ThreadedUvicorn

    port = int(url.split(":")[2].split("/")[0])
    server = ThreadedUvicorn(receiver.asgi(), port=port).start()
    try:
        with running_platform(database_url, tmp_path):
            (event,) = receiver.wait_for_events(1, timeout=30)
            assert event["message"]["text"] == "while you were down"
    finally:
        server.stop()
