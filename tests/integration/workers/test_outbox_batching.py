"""Webhook batching, a per-business option: several events of a person in one signed POST,
in order; one event per POST stays the default."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from tests.support.inprocess import in_process_server
from tests.support.receiver import Delivery, WebhookReceiver
from tests.support.server import RunningPlatform


def _say(live: RunningPlatform, page_id: str, user: dict[str, str], text: str) -> None:
    with live.client() as http:
        response = http.post(
            f"/api/v1/threads/{page_id}/messages",
            headers={"Authorization": f"Bearer {user['access_token']}"},
            json={"text": text},
        )
    assert response.status_code == 201, response.text


def _settings(
    live: RunningPlatform, bank: dict[str, str], body: dict[str, object] | None = None
) -> httpx.Response:
    with live.client() as http:
        params = {"access_token": bank["page_access_token"]}
        if body is None:
            return http.get("/v19.0/me/webhook_settings", params=params)
        return http.post("/v19.0/me/webhook_settings", params=params, json=body)


def _texts(delivery: Delivery) -> list[str]:
    return [item["message"]["text"] for item in delivery.payload["entry"][0]["messaging"]]


def test_a_business_that_turns_batching_on_gets_several_events_per_post_in_order(
    database_url: str, tmp_path: Path
) -> None:
    first_seen = threading.Event()
    release = threading.Event()

    def hold_the_first(_: Delivery) -> int:
        if not first_seen.is_set():
            first_seen.set()
            release.wait(20)
        return 200

    with in_process_server(database_url, tmp_path) as live:
        receiver = live.receiver(WebhookReceiver(behaviour=hold_the_first))
        bank = live.create_business(webhook_url=receiver.url)
        receiver.receiver.app_secret = bank["app_secret"]
        user = live.create_user()
        assert _settings(live, bank).json() == {
            "success": True,
            "batching": False,
            "max_events": 20,
        }
        changed = _settings(live, bank, {"batching": True, "max_events": 3})
        assert changed.json() == {"success": True, "batching": True, "max_events": 3}

        _say(live, bank["page_id"], user, "m0")
        assert first_seen.wait(15)  # m0 is in flight, alone; the rest queue up behind it
        for i in range(1, 6):
            _say(live, bank["page_id"], user, f"m{i}")
        release.set()
        receiver.receiver.wait_for_events(6)

        posts = list(receiver.receiver.deliveries)
        assert [_texts(d) for d in posts] == [["m0"], ["m1", "m2", "m3"], ["m4", "m5"]]
        assert all(d.signature_ok for d in posts)
        for delivery in posts:
            items = delivery.payload["entry"][0]["messaging"]
            assert [item["timestamp"] for item in items] == sorted(
                item["timestamp"] for item in items
            )
            assert delivery.headers["x-hub-signature"].startswith("sha1=")

        # Back to one event per POST (the form-encoded body of a Graph client works too).
        with live.client() as http:
            off = http.post(
                "/me/webhook_settings",
                params={"access_token": bank["page_access_token"]},
                data={"batching": "false"},
            )
        assert off.json() == {"success": True, "batching": False, "max_events": 3}
        release.clear()
        for i in range(6, 9):
            _say(live, bank["page_id"], user, f"m{i}")
        receiver.receiver.wait_for_events(9)
        assert [_texts(d) for d in receiver.receiver.deliveries[3:]] == [["m6"], ["m7"], ["m8"]]


def test_bad_webhook_settings_get_a_clear_error_and_change_nothing(
    database_url: str, tmp_path: Path
) -> None:
    with in_process_server(database_url, tmp_path) as live:
        bank = live.create_business()
        bodies: list[dict[str, object]] = [
            {"max_events": 0},
            {"max_events": 101},
            {"max_events": "many"},
            {"batching": "maybe"},
            {},
        ]
        for body in bodies:
            refused = _settings(live, bank, body)
            assert refused.status_code == 400, (body, refused.text)
            assert refused.json()["error"]["code"] == 100
        with live.client() as http:
            assert http.post("/me/webhook_settings", json={"batching": True}).status_code == 400
        assert _settings(live, bank).json()["batching"] is False
