"""Rate limits: Messenger's ``(#613)`` before anything is stored, per page and per person.

The server runs on a clock the test moves, so the token buckets are deterministic.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from ledgerline.domain.clock import FrozenClock
from ledgerline.storage.stores import threads
from ledgerline.storage.tables import messages, vault_records
from tests.support.inprocess import in_process_server
from tests.support.linking import linked_world
from tests.support.server import RunningPlatform


def _clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))


def _psid(live: RunningPlatform, page_id: str, user: dict[str, str]) -> str:
    with live.client() as http:
        http.post(
            f"/api/v1/threads/{page_id}/messages",
            headers={"Authorization": f"Bearer {user['access_token']}"},
            json={"text": "hi"},
        ).raise_for_status()
    thread = live.platform.db.read_sync(threads.get_thread, page_id, user["user_id"])
    assert thread is not None
    return thread.psid


def _assert_613(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == 613
    assert error["message"].startswith("(#613) ")
    assert int(response.headers["retry-after"]) >= 1


def test_the_send_api_refuses_over_the_page_limit_and_stores_nothing(
    database_url: str, tmp_path: Path
) -> None:
    clock = _clock()
    with in_process_server(
        database_url,
        tmp_path,
        clock=clock,
        rate_limit_send_per_second=1,
        rate_limit_send_burst=3,
    ) as live:
        bank = live.create_business("Bank A")
        other = live.create_business("Bank B")
        user = live.create_user()
        psid = _psid(live, bank["page_id"], user)
        other_psid = _psid(live, other["page_id"], user)

        def send(business: dict[str, str], to: str, text: str) -> httpx.Response:
            with live.client() as http:
                return http.post(
                    "/v2.6/me/messages",
                    params={"access_token": business["page_access_token"]},
                    json={"recipient": {"id": to}, "message": {"text": text}},
                )

        assert [send(bank, psid, f"m{i}").status_code for i in range(3)] == [200, 200, 200]
        _assert_613(send(bank, psid, "refused"), 400)
        # Another page has its own bucket.
        assert send(other, other_psid, "other page").status_code == 200
        clock.advance(timedelta(seconds=1))
        assert send(bank, psid, "after a second").status_code == 200
        _assert_613(send(bank, psid, "refused again"), 400)

        with live.client() as http:
            texts = [
                m.get("text")
                for m in http.get(
                    f"/api/v1/threads/{bank['page_id']}/messages",
                    headers={"Authorization": f"Bearer {user['access_token']}"},
                ).json()["data"]
            ]
        assert texts == ["hi", "m0", "m1", "m2", "after a second"]


def test_financial_data_is_refused_over_the_page_limit_before_it_is_stored(
    database_url: str, tmp_path: Path
) -> None:
    clock = _clock()
    with (
        in_process_server(
            database_url,
            tmp_path,
            clock=clock,
            rate_limit_ingest_per_second=1,
            rate_limit_ingest_burst=1,
        ) as live,
        linked_world(live) as world,
    ):
        psid = world.link(live.create_user(), ["balances"])

        def balance(account_id: str) -> httpx.Response:
            with live.client() as http:
                return http.post(
                    "/v19.0/me/balances",
                    headers={"Authorization": f"Bearer {world.business['page_access_token']}"},
                    json={
                        "psid": psid,
                        "account_id": account_id,
                        "available": {"amount": "100", "currency": "VND"},
                        "current": {"amount": "100", "currency": "VND"},
                        "as_of": "2026-11-29T09:30:00+07:00",
                    },
                )

        def stored() -> int:
            return int(
                live.platform.db.read_sync(
                    lambda conn: conn.execute(
                        sa.select(sa.func.count()).select_from(vault_records)
                    ).scalar_one()
                )
            )

        assert balance("acc-1").status_code == 200
        one_balance = stored()
        assert one_balance > 0
        _assert_613(balance("acc-2"), 400)
        assert stored() == one_balance
        clock.advance(timedelta(seconds=1))
        assert balance("acc-3").status_code == 200
        assert stored() == 2 * one_balance


def test_the_person_api_answers_429_per_person(database_url: str, tmp_path: Path) -> None:
    clock = _clock()
    with in_process_server(
        database_url,
        tmp_path,
        clock=clock,
        rate_limit_person_per_second=1,
        rate_limit_person_burst=2,
    ) as live:
        bank = live.create_business()
        an, binh = live.create_user("An"), live.create_user("Bình")

        def say(user: dict[str, str], text: str) -> httpx.Response:
            with live.client() as http:
                return http.post(
                    f"/api/v1/threads/{bank['page_id']}/messages",
                    headers={"Authorization": f"Bearer {user['access_token']}"},
                    json={"text": text},
                )

        assert [say(an, "1").status_code, say(an, "2").status_code] == [201, 201]
        _assert_613(say(an, "3"), 429)
        assert say(binh, "hello").status_code == 201  # another person, another bucket
        clock.advance(timedelta(seconds=1))
        assert say(an, "4").status_code == 201
        with live.client() as http:
            listed = http.get(
                f"/api/v1/threads/{bank['page_id']}/messages",
                headers={"Authorization": f"Bearer {binh['access_token']}"},
            )
        assert listed.status_code == 200
        texts = [
            json.loads(body)["text"]
            for body in live.platform.db.read_sync(
                lambda conn: (
                    conn.execute(sa.select(messages.c.body).order_by(messages.c.seq))
                    .scalars()
                    .all()
                )
            )
        ]
        assert sorted(texts) == ["1", "2", "4", "hello"]
