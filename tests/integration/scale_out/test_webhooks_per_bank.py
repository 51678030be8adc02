"""One bank's webhooks: its people are delivered at once, each person's events in order.

In process: the bank is an ``httpx.MockTransport`` that holds every POST until the test lets
go, so what overlaps is decided by the dispatcher, not by timing. Messenger's rule is one
event in flight per (business, person) (``CONTRACTS.md`` §2: in order per person); different
people of one bank are independent, and a dispatcher that sent them one at a time would make
a bank's webhooks as slow as one round trip after another.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx

from ledgerline.storage.stores.webhooks import backlog
from ledgerline.workers.outbox import IDLE_POLL_SECONDS
from tests.support.inprocess import InProcessPlatform, in_process_platform
from tests.support.queries import counting_statements

BANK = "http://bank.test/webhook"
PEOPLE = 6  # fewer than the dispatcher's concurrency per business (8)
LATER = 4  # messages each person sends while their first is held at the bank


async def _say(http: httpx.AsyncClient, page_id: str, token: str, text: str) -> None:
    response = await http.post(
        f"/api/v1/threads/{page_id}/messages",
        headers={"Authorization": f"Bearer {token}"},
        json={"text": text},
    )
    assert response.status_code == 201, response.text


async def _all_sent(live: InProcessPlatform) -> None:
    async def drained() -> bool | None:
        return True if not await live.platform.db.read(backlog) else None

    await live.until(drained, "an empty outbox")


def test_a_banks_people_are_delivered_at_once_each_in_order(
    database_url: str, tmp_path: Path
) -> None:
    heard: dict[str, list[str]] = {}  # per PSID, the texts in the order the bank got them
    active: dict[str, int] = {}  # per PSID, POSTs in flight now
    overlapping_one_person: list[str] = []
    in_flight = {"now": 0, "most": 0}
    all_held, release = asyncio.Event(), asyncio.Event()

    async def bank(request: httpx.Request) -> httpx.Response:
        (event,) = json.loads(request.content)["entry"][0]["messaging"]
        psid = event["sender"]["id"]
        active[psid] = active.get(psid, 0) + 1
        if active[psid] > 1:
            overlapping_one_person.append(psid)
        in_flight["now"] += 1
        in_flight["most"] = max(in_flight["most"], in_flight["now"])
        if in_flight["now"] >= PEOPLE:
            all_held.set()
        try:
            await release.wait()
        finally:
            in_flight["now"] -= 1
            active[psid] -= 1
        heard.setdefault(psid, []).append(event["message"]["text"])
        return httpx.Response(200, text="EVENT_RECEIVED")

    with in_process_platform(database_url, tmp_path, webhooks=httpx.MockTransport(bank)) as live:
        business = live.create_business(webhook_url=BANK)
        people = [live.create_user(f"Person {n}") for n in range(PEOPLE)]
        page_id = business["page_id"]

        async def scenario(http: httpx.AsyncClient) -> tuple[int, int, float]:
            for n, person in enumerate(people):
                await _say(http, page_id, person["access_token"], f"{n}:0")
            # Each person's first event is at the bank at once: not one after another.
            await asyncio.wait_for(all_held.wait(), 30)
            for later in range(1, LATER + 1):
                for n, person in enumerate(people):
                    await _say(http, page_id, person["access_token"], f"{n}:{later}")
            with counting_statements(live.platform.db) as log:
                started = time.monotonic()
                release.set()
                await _all_sent(live)
                elapsed = time.monotonic() - started
                claims = [
                    sql
                    for sql in log.statements
                    if "row_number" in sql and "DISTINCT heads.page_id" not in sql
                ]
            return in_flight["most"], len(claims), elapsed

        most, page_claims, elapsed = live.run(scenario)
    assert most == PEOPLE
    assert overlapping_one_person == []  # never two POSTs of one person at once
    assert len(heard) == PEOPLE
    for texts in heard.values():
        n = texts[0].split(":")[0]
        assert texts == [f"{n}:{i}" for i in range(LATER + 1)]
    # Each person's next event is claimed with the record of the one before (one writer
    # action), not by a claim of the page's whole backlog after every POST: the page is
    # claimed again when a person runs out (at most once each) and on the poll.
    assert page_claims <= PEOPLE + 2 + elapsed / IDLE_POLL_SECONDS, (page_claims, elapsed)
