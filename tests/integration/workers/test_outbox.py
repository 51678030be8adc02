"""Webhooks to banks: at-least-once, ordered per person, retried, isolated per business.

The platform runs in process and the banks are an ``httpx.MockTransport`` behind the outbox
sender; time is a ``FrozenClock`` that a test moves past a retry's backoff, so nothing here
waits for real. Webhooks over real sockets to a real receiver: the scale-out and compat tests
(and ``test_outbox_ssrf.py`` for the guarded transport)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from ledgerline.domain.clock import FrozenClock, to_ms
from ledgerline.storage.stores.webhooks import backlog
from ledgerline.storage.tables import webhook_events
from ledgerline.workers.outbox import IDLE_POLL_SECONDS
from tests.support.inprocess import InProcessPlatform, in_process_platform
from tests.support.queries import counting_statements

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
BANK = "http://bank.test/webhook"


async def _say(http: httpx.AsyncClient, page_id: str, token: str, text: str) -> None:
    response = await http.post(
        f"/api/v1/threads/{page_id}/messages",
        headers={"Authorization": f"Bearer {token}"},
        json={"text": text},
    )
    assert response.status_code == 201, response.text


def _messages(requests: list[httpx.Request]) -> list[dict[str, Any]]:
    return [
        item
        for request in requests
        for entry in json.loads(request.content)["entry"]
        for item in entry.get("messaging", [])
    ]


async def _all_sent(live: InProcessPlatform) -> None:
    async def drained() -> bool | None:
        return True if not await live.platform.db.read(backlog) else None

    await live.until(drained, "an empty outbox")


def test_failures_are_retried_in_order_with_stable_mids_and_logged(
    database_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock(START)
    failures = {"left": 3}
    posts: list[tuple[str, int]] = []  # the first event's mid in each POST, and the answer
    delivered: list[httpx.Request] = []

    def bank(request: httpx.Request) -> httpx.Response:
        status = 200
        if failures["left"] > 0:
            failures["left"] -= 1
            status = 500
        posts.append((_messages([request])[0]["message"]["mid"], status))
        if status == 200:
            delivered.append(request)
        return httpx.Response(status, text="EVENT_RECEIVED")

    with in_process_platform(
        database_url, tmp_path, clock=clock, webhooks=httpx.MockTransport(bank)
    ) as live:
        business = live.create_business(webhook_url=BANK)
        user = live.create_user()

        async def head_after(attempts: int) -> int | None:
            """When the first event is due again once its ``attempts``-th try is recorded."""

            def read(conn: sa.Connection) -> int | None:
                row = conn.execute(
                    sa.select(webhook_events.c.attempts, webhook_events.c.next_attempt_at)
                    .order_by(webhook_events.c.event_id)
                    .limit(1)
                ).one()
                return int(row.next_attempt_at) if row.attempts == attempts else None

            return await live.platform.db.read(read)

        async def scenario(http: httpx.AsyncClient) -> tuple[list[int], list[dict[str, Any]]]:
            for i in range(5):
                await _say(http, business["page_id"], user["access_token"], f"message {i}")
            waited = []
            for attempts in (1, 2, 3):
                due = await live.until(partial(head_after, attempts), f"attempt {attempts}")
                waited.append(due - to_ms(clock.now()))
                clock.advance(timedelta(milliseconds=due - to_ms(clock.now())))
                live.runtime.dispatcher.notify()
            await _all_sent(live)
            log = await http.get(
                "/v2.6/me/webhook_deliveries",
                params={"access_token": business["page_access_token"]},
            )
            assert log.status_code == 200, log.text
            return waited, log.json()["data"]

        waited, log = live.run(scenario)
    assert [e["message"]["text"] for e in _messages(delivered)] == [
        f"message {i}" for i in range(5)
    ]
    # The first event was tried 4 times with the same mid before the rest went out, after
    # 1 s, 2 s and 4 s (each ±20% jitter).
    assert [mid for mid, _ in posts[:4]] == [posts[0][0]] * 4
    assert [status for _, status in posts[:4]] == [500, 500, 500, 200]
    for waited_ms, backoff_ms in zip(waited, (1000, 2000, 4000), strict=True):
        assert 0.8 * backoff_ms <= waited_ms <= 1.2 * backoff_ms
    first = log[-1]
    assert first["status"] == "delivered"
    assert [a["status_code"] for a in first["attempts"]] == [500, 500, 500, 200]
    assert all(entry["status"] == "delivered" for entry in log)


def test_a_hanging_receiver_does_not_delay_another_business(
    database_url: str, tmp_path: Path
) -> None:
    hanging: list[httpx.Request] = []
    fast: list[httpx.Request] = []
    slow_hangs, fast_heard, release = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def banks(request: httpx.Request) -> httpx.Response:
        if request.url.host == "slow.test":
            hanging.append(request)
            slow_hangs.set()
            await release.wait()  # hangs until the test lets go (the sender's timeout is 30 s)
        else:
            fast.append(request)
            fast_heard.set()
        return httpx.Response(200, text="EVENT_RECEIVED")

    with in_process_platform(
        database_url, tmp_path, webhooks=httpx.MockTransport(banks), webhook_timeout_seconds=30
    ) as live:
        slow_bank = live.create_business("Slow Bank", webhook_url="http://slow.test/webhook")
        fast_bank = live.create_business("Fast Bank", webhook_url="http://fast.test/webhook")
        user = live.create_user()

        async def scenario(http: httpx.AsyncClient) -> None:
            for i in range(3):
                await _say(http, slow_bank["page_id"], user["access_token"], f"slow {i}")
            await asyncio.wait_for(slow_hangs.wait(), 30)
            started = time.monotonic()
            await _say(http, fast_bank["page_id"], user["access_token"], "fast")
            await asyncio.wait_for(fast_heard.wait(), 5)
            assert time.monotonic() - started < 5
            assert len(hanging) == 1  # the slow bank's person: still their first event
            release.set()

        live.run(scenario)
    assert [e["message"]["text"] for e in _messages(fast)] == ["fast"]


def test_pending_webhooks_resume_after_a_restart(database_url: str, tmp_path: Path) -> None:
    clock = FrozenClock(START)
    down: list[httpx.Request] = []

    def unavailable(request: httpx.Request) -> httpx.Response:
        down.append(request)
        return httpx.Response(503)

    with in_process_platform(
        database_url, tmp_path, clock=clock, webhooks=httpx.MockTransport(unavailable)
    ) as live:
        bank = live.create_business(webhook_url=BANK)
        user = live.create_user()

        async def while_down(http: httpx.AsyncClient) -> None:
            await _say(http, bank["page_id"], user["access_token"], "while you were down")

            async def tried_and_recorded() -> bool | None:
                def attempts(conn: sa.Connection) -> int:
                    tried = sa.select(sa.func.sum(webhook_events.c.attempts))
                    return int(conn.execute(tried).scalar() or 0)

                return True if await live.platform.db.read(attempts) else None

            await live.until(tried_and_recorded, "a failed attempt")

        live.run(while_down)
    assert down  # the bank was down when it was tried
    # The bank comes back; the platform restarts on the same database, past the backoff.
    clock.advance(timedelta(minutes=20))
    back: list[httpx.Request] = []

    def up(request: httpx.Request) -> httpx.Response:
        back.append(request)
        return httpx.Response(200, text="EVENT_RECEIVED")

    with in_process_platform(
        database_url, tmp_path, clock=clock, webhooks=httpx.MockTransport(up)
    ) as live:
        live.run(lambda _: _all_sent(live))
    (event,) = _messages(back)
    assert event["message"]["text"] == "while you were down"


def test_commits_wake_their_pages_without_scanning_the_outbox(
    database_url: str, tmp_path: Path
) -> None:
    """Each commit that queues a webhook wakes the dispatcher with its page: the page's task
    starts, or claims again before it ends, and every event goes out in order. The scan of
    the whole outbox for due pages (every pending event's head) runs on the poll, about once
    a second, not once a commit as it did."""
    delivered: list[httpx.Request] = []

    def bank(request: httpx.Request) -> httpx.Response:
        delivered.append(request)
        return httpx.Response(200, text="EVENT_RECEIVED")

    with in_process_platform(database_url, tmp_path, webhooks=httpx.MockTransport(bank)) as live:
        business = live.create_business(webhook_url=BANK)
        user = live.create_user()

        async def scenario(http: httpx.AsyncClient) -> tuple[int, float]:
            with counting_statements(live.platform.db) as log:
                started = time.monotonic()
                for i in range(30):  # one commit, one wake-up each
                    await _say(http, business["page_id"], user["access_token"], f"m{i}")
                await _all_sent(live)
                elapsed = time.monotonic() - started
                scan = "SELECT DISTINCT heads.page_id"
                scans = [sql for sql in log.statements if scan in sql]
            return len(scans), elapsed

        scans, elapsed = live.run(scenario)
    assert [e["message"]["text"] for e in _messages(delivered)] == [f"m{i}" for i in range(30)]
    assert scans <= 2 + elapsed / IDLE_POLL_SECONDS, (scans, elapsed)
