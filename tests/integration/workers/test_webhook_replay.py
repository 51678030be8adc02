"""Webhook replay (issue 18 part 4): one event or a time range, through the bank API and the
console, delivered again with the original mid; the delivery log filters by kind and status
and hides read/delivery receipts by default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from ledgerline.domain.clock import to_ms
from ledgerline.storage.stores import webhooks as outbox
from tests.support.forms import console_sign_in
from tests.support.inprocess import InProcessServer, in_process_server
from tests.support.receiver import WebhookReceiver
from tests.support.server import RunningPlatform


def _say(live: RunningPlatform, page_id: str, token: str, text: str) -> None:
    with live.client() as http:
        answer = http.post(
            f"/api/v1/threads/{page_id}/messages",
            headers={"Authorization": f"Bearer {token}"},
            json={"text": text},
        )
    assert answer.status_code == 201, answer.text


def _log(live: RunningPlatform, token: str, **params: str) -> list[dict[str, Any]]:
    with live.client() as http:
        answer = http.get("/v2.6/me/webhook_deliveries", params={"access_token": token, **params})
    assert answer.status_code == 200, answer.text
    data: list[dict[str, Any]] = answer.json()["data"]
    return data


def _replay(live: RunningPlatform, token: str, body: dict[str, Any]) -> httpx.Response:
    with live.client() as http:
        return http.post(
            "/v15.0/me/webhook_deliveries/replay", params={"access_token": token}, json=body
        )


def _settled(live: InProcessServer, token: str, count: int) -> list[dict[str, Any]]:
    """The delivery log once it holds ``count`` events and none is pending (asked again
    after each commit)."""

    def settled() -> list[dict[str, Any]] | None:
        log = _log(live, token, kind="all")
        return log if len(log) >= count and all(e["status"] != "pending" for e in log) else None

    return live.until(settled, f"{count} webhook events delivered or failed")


def test_one_event_is_delivered_again_with_its_mid(database_url: str, tmp_path: Path) -> None:
    with in_process_server(database_url, tmp_path) as live:
        receiver = live.receiver(WebhookReceiver())
        bank = live.create_business(webhook_url=receiver.url)
        other = live.create_business("Other Bank", webhook_url=receiver.url)
        receiver.receiver.app_secret = bank["app_secret"]
        token = bank["page_access_token"]
        user = live.create_user()
        _say(live, bank["page_id"], user["access_token"], "lost on my side")
        (first,) = receiver.receiver.wait_for_events(1)
        (entry,) = _settled(live, token, 1)
        assert entry["status"] == "delivered"
        assert entry["replay_of"] is None

        answer = _replay(live, token, {"event_id": entry["id"]})
        assert answer.status_code == 200, answer.text
        (replayed,) = answer.json()["data"]
        assert answer.json()["replayed"] == 1
        assert replayed["replay_of"] == entry["id"]
        again = receiver.receiver.wait_for_events(2)[1]
        assert again["message"]["mid"] == first["message"]["mid"]
        assert again["message"]["text"] == "lost on my side"
        assert all(d.signature_ok for d in receiver.receiver.deliveries)
        newest = _settled(live, token, 2)[0]
        assert newest["id"] == replayed["id"]
        assert newest["replay_of"] == entry["id"]
        assert newest["status"] == "delivered"

        # Another page's event, an unknown one, a malformed id: refused, nothing queued.
        for body, message in (
            ({"event_id": entry["id"]}, "No webhook event"),
            ({"event_id": "999999"}, "No webhook event"),
            ({"event_id": "x1"}, "must be an integer"),
        ):
            refused = _replay(live, other["page_access_token"], body)
            assert refused.status_code == 400
            assert message in refused.json()["error"]["message"]
            assert refused.json()["error"]["code"] == 100
        assert _replay(live, token, {}).json()["error"]["message"].startswith("(#100) param since")


def test_a_range_replays_what_failed_and_receipts_stay_out_of_the_way(
    database_url: str, tmp_path: Path
) -> None:
    refusing = {"on": True}
    with in_process_server(database_url, tmp_path) as live:
        receiver = live.receiver(
            WebhookReceiver(behaviour=lambda _: 500 if refusing["on"] else 200)
        )
        bank = live.create_business(webhook_url=receiver.url)
        receiver.receiver.app_secret = bank["app_secret"]
        token = bank["page_access_token"]
        user = live.create_user()
        started = to_ms(live.platform.clock.now()) - 1
        _say(live, bank["page_id"], user["access_token"], "one")
        _say(live, bank["page_id"], user["access_token"], "two")
        psid = _log(live, token)[0]["psid"]
        now = to_ms(live.platform.clock.now())

        def read_receipt(uow: Any) -> None:
            event = {"sender": {"id": psid}, "recipient": {"id": bank["page_id"]}, "timestamp": now}
            outbox.enqueue(
                uow.conn,
                page_id=bank["page_id"],
                psid=psid,
                kind="read",
                event={**event, "read": {"watermark": now}},
                now=now,
            )

        live.platform.db.write_sync(read_receipt)

        # They fail for good: marked failed as a dispatcher that gave up would (an attempt
        # in flight meets a 500 and leaves them so).
        def give_up(uow: Any) -> None:
            uow.conn.exec_driver_sql(
                "UPDATE webhook_events SET status = 'failed', claimed_by = NULL, "
                "claimed_until = NULL"
            )

        live.platform.db.write_sync(give_up)
        refusing["on"] = False
        receiver.receiver.deliveries.clear()

        default = _log(live, token)
        assert [e["kind"] for e in default] == ["message", "message"]
        assert {e["kind"] for e in _log(live, token, kind="all")} == {"message", "read"}
        assert [e["kind"] for e in _log(live, token, kind="read")] == ["read"]
        assert _log(live, token, status="delivered") == []

        answer = _replay(
            live,
            token,
            {"since": started, "until": to_ms(live.platform.clock.now()) + 1, "status": "failed"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["replayed"] == 2  # the read receipt is noise: not replayed
        events = receiver.receiver.wait_for_events(2)
        assert [e["message"]["text"] for e in events] == ["one", "two"]
        assert {e["message"]["mid"] for e in events} == {
            e["event"]["message"]["mid"] for e in default
        }

        with_receipts = _replay(live, token, {"since": started, "kind": "read", "status": "failed"})
        assert with_receipts.json()["replayed"] == 1
        too_wide = _replay(live, token, {"since": 0, "until": 40 * 24 * 3600 * 1000})
        assert too_wide.status_code == 400
        assert "31 days" in too_wide.json()["error"]["message"]


def test_the_console_replays_an_event(database_url: str, tmp_path: Path) -> None:
    with in_process_server(database_url, tmp_path) as live:
        receiver = live.receiver(WebhookReceiver())
        bank = live.create_business(webhook_url=receiver.url)
        receiver.receiver.app_secret = bank["app_secret"]
        user = live.create_user()
        _say(live, bank["page_id"], user["access_token"], "from the console")
        (first,) = receiver.receiver.wait_for_events(1)
        (entry,) = _settled(live, bank["page_access_token"], 1)
        with live.client(follow_redirects=False) as http:
            csrf = console_sign_in(http, bank["page_access_token"])
            page = http.get("/console?lang=en")
            assert f'data-testid="replay-{entry["id"]}"' in page.text
            assert "Show read and delivery receipts" in page.text
            forged = http.post("/console/replay", data={"csrf": "nope", "event_id": entry["id"]})
            assert forged.status_code == 403
            done = http.post("/console/replay", data={"csrf": csrf, "event_id": entry["id"]})
            assert done.status_code == 303
            assert done.headers["location"] == "/console?done=replay_queued#deliveries"
            again = receiver.receiver.wait_for_events(2)[1]
            assert again["message"]["mid"] == first["message"]["mid"]
            refused = http.post("/console/replay", data={"csrf": csrf, "event_id": "123456"})
            assert refused.status_code == 400
            assert "cannot be replayed" in refused.text
            shown = http.get("/console?lang=vi")
            assert f"gửi lại #{entry['id']}" in shown.text
