"""Input that used to crash a handler (issue 17, part 1): each is a clear 4xx now, in the
platform's error shape, and nothing is stored. Run on SQLite and PostgreSQL (a NUL in a
search gave a 500 on PostgreSQL only)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from ledgerline.storage.tables import messages
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import running_platform

JSON = {"content-type": "application/json"}


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[LinkedWorld, dict[str, Any]]]:
    with (
        running_platform(database_url, tmp_path, database_busy_timeout_seconds=1) as live,
        linked_world(live) as linked,
    ):
        user = live.create_user()
        psid = linked.link(user, ["balances", "transactions", "shipments", "receipts"])
        yield linked, {"user": user, "psid": psid}


def _stored(world: LinkedWorld) -> int:
    return int(
        world.live.platform.db.read_sync(
            lambda c: c.execute(sa.select(sa.func.count()).select_from(messages)).scalar()
        )
    )


def _tx(psid: str, **fields: Any) -> dict[str, Any]:
    tx = {
        "transaction_id": "tx-1",
        "amount": {"amount": "125000", "currency": "VND"},
        "credit_debit": "debit",
        "status": "booked",
        "booked_at": "2026-11-29T08:15:00+07:00",
        **fields,
    }
    return {"psid": psid, "transactions": [tx]}


def _assert_400(answer: httpx.Response, words: str) -> None:
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == 100
    assert error["fbtrace_id"]
    assert words in error["message"], error["message"]


def test_each_crashing_input_is_a_clear_400_and_nothing_is_stored(
    world: tuple[LinkedWorld, dict[str, Any]],
) -> None:
    linked, people = world
    psid, user = people["psid"], people["user"]
    page = {"access_token": linked.business["page_access_token"]}
    person = {"Authorization": f"Bearer {user['access_token']}"}
    thread = f"/api/v1/threads/{linked.business['page_id']}/messages"
    before = _stored(linked)
    nested = b'{"recipient":{"id":"1"},"message":' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    with linked.live.client() as http:
        # Deeply nested JSON: RecursionError → 500 before (hot path, router, person API).
        for path, params, headers in (
            ("/v2.6/me/messages", page, JSON),
            ("/v19.0/me/transactions", page, JSON),
            ("/v19.0/me/unlink_accounts", page, JSON),
            (thread, {}, {**person, **JSON}),
        ):
            answer = http.post(path, params=params, content=nested, headers=headers)
            _assert_400(answer, "nested more than 32 levels")
        # A lone UTF-16 surrogate in a text (could be neither stored nor sent).
        lone = b'{"recipient":{"id":"%s"},"message":{"text":"a\\ud800b"}}' % psid.encode()
        _assert_400(
            http.post("/v2.6/me/messages", params=page, content=lone, headers=JSON),
            "lone surrogates",
        )
        _assert_400(
            http.post(thread, content=b'{"text":"a\\udfffb"}', headers={**person, **JSON}),
            "lone surrogates",
        )
        # A recipient id given as a 5,000-digit JSON integer.
        huge = b'{"recipient":{"id":' + b"9" * 5000 + b'},"message":{"text":"x"}}'
        _assert_400(
            http.post("/v2.6/me/messages", params=page, content=huge, headers=JSON),
            "at most 64 digits",
        )
        # Times outside 1970..2099 (year 9999 overflowed the date arithmetic).
        for body, param in (
            (_tx(psid, booked_at="9999-12-31T23:59:59+00:00"), "transactions[0][booked_at]"),
            (_tx(psid, booked_at="0001-01-01T00:00:00+00:00"), "transactions[0][booked_at]"),
        ):
            _assert_400(linked.bank_post("transactions", body), f"{param} must be between")
        balance = {
            "psid": psid,
            "account_id": "acc",
            "account_name": "Main",
            "available": {"amount": "1", "currency": "VND"},
            "current": {"amount": "1", "currency": "VND"},
            "as_of": "9999-12-31T23:59:59-12:00",
        }
        _assert_400(linked.bank_post("balances", balance), "as_of must be between")
        shipment = {
            "psid": psid,
            "order_id": "o-1",
            "carrier": "VNPost",
            "tracking_number": "t-1",
            "status": "in_transit",
            "eta": "9999-12-31T00:00:00Z",
        }
        _assert_400(linked.bank_post("shipments", shipment), "eta must be between")
        # NUL in a search (PostgreSQL refused it with a 500), a message, a query, a form.
        _assert_400(
            http.get("/api/v1/businesses", params={"q": "Bank\x00"}, headers=person),
            "must not contain NUL",
        )
        _assert_400(http.post(thread, json={"text": "a\x00b"}, headers=person), "NUL")
        _assert_400(
            http.post(
                "/v2.6/me/messages",
                params=page,
                json={"recipient": {"id": psid}, "message": {"text": "a\x00"}},
            ),
            "NUL",
        )
        _assert_400(
            linked.bank_post("transactions", _tx(psid, merchant={"name": "Shop\x00"})), "NUL"
        )
        _assert_400(
            http.post(
                "/v2.6/me/messages",
                params=page,
                data={"recipient": '{"id":"x"}', "message": '{"text":"a\x00"}'},
            ),
            "NUL",
        )
    assert _stored(linked) == before
    with linked.live.client() as http:  # and the ordinary request still works
        ok = http.post(thread, json={"text": "Số dư?"}, headers=person)
    assert ok.status_code == 201, ok.text


@pytest.mark.slow
def test_a_locked_database_answers_503_with_retry_after(
    world: tuple[LinkedWorld, dict[str, Any]],
) -> None:
    linked, people = world
    db = linked.live.platform.db
    person = {"Authorization": f"Bearer {people['user']['access_token']}"}
    with linked.live.client() as http:  # the person writes first: the bank may answer
        said = http.post(
            f"/api/v1/threads/{linked.business['page_id']}/messages",
            json={"text": "hi"},
            headers=person,
        )
    assert said.status_code == 201, said.text
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:  # an operator's long transaction, say
        with db.engine.connect() as conn:
            conn.info["writer"] = True  # SQLite: BEGIN IMMEDIATE, the write lock
            with conn.begin():
                if db.capabilities.is_sqlite:
                    conn.execute(sa.update(messages).where(sa.false()).values(mid=messages.c.mid))
                else:
                    conn.exec_driver_sql("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(30)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with linked.live.client() as http:
            answer = http.post(
                f"/api/v1/threads/{linked.business['page_id']}/messages",
                json={"text": "hello"},
                headers=person,
            )
            send = http.post(
                "/v2.6/me/messages",
                params={"access_token": linked.business["page_access_token"]},
                json={"recipient": {"id": people["psid"]}, "message": {"text": "hi"}},
            )
    finally:
        release.set()
        holder.join()
    for busy in (answer, send):
        assert busy.status_code == 503, busy.text
        assert busy.headers["retry-after"] == "2"
        assert busy.json()["error"]["code"] == 2
    with linked.live.client() as http:  # the lock gone, the same request goes through
        again = http.post(
            f"/api/v1/threads/{linked.business['page_id']}/messages",
            json={"text": "hello"},
            headers=person,
        )
    assert again.status_code == 201, again.text
