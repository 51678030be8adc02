"""A flush of delivery receipts writes only where a webhook will read them: a business with
no webhook URL costs one read a flush and no write at all (on the Send API's busiest path,
one write per person a flush was a third of the writer's work)."""

from __future__ import annotations

from pathlib import Path

import httpx

from ledgerline.delivery.live import Frame
from ledgerline.storage.stores import threads
from ledgerline.workers.receipts import DeliveryReceipts
from tests.support.inprocess import InProcessPlatform, in_process_platform


def _page_message(page_id: str, mid: str, created_time: str) -> Frame:
    return {
        "type": "message",
        "page_id": page_id,
        "message": {"mid": mid, "from": "page", "text": "Số dư", "created_time": created_time},
    }


def _watermark(live: InProcessPlatform, page_id: str, user_id: str) -> int:
    thread = live.platform.db.read_sync(threads.get_thread, page_id, user_id)
    assert thread is not None
    return thread.delivered_watermark


def test_receipts_are_written_only_for_a_business_with_a_webhook(
    database_url: str, tmp_path: Path
) -> None:
    with in_process_platform(database_url, tmp_path) as live:
        silent = live.create_business("No Hook Bank")
        hooked = live.create_business("Hooked Bank", webhook_url="https://bank.example/hook")
        person = live.create_user("An")

        async def say_hello(http: httpx.AsyncClient) -> None:
            for bank in (silent, hooked):
                said = await http.post(
                    f"/api/v1/threads/{bank['page_id']}/messages",
                    headers={"Authorization": f"Bearer {person['access_token']}"},
                    json={"text": "chào"},
                )
                assert said.status_code == 201, said.text

        live.run(say_hello)
        batches: list[int] = []
        live.platform.db.observe_batches(lambda size, failed, seconds: batches.append(size))
        receipts = DeliveryReceipts(live.platform.db, live.platform.clock)

        async def flush(page_id: str) -> None:
            receipts.note(person["user_id"], _page_message(page_id, "m_1", "2026-12-07T10:00:00Z"))
            await receipts.flush()

        live.run(lambda http: flush(silent["page_id"]))
        assert batches == []
        assert _watermark(live, silent["page_id"], person["user_id"]) == 0

        live.run(lambda http: flush(hooked["page_id"]))
        assert sum(batches) == 1
        assert _watermark(live, hooked["page_id"], person["user_id"]) == 1796637600000
