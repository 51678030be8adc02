"""Bank data in: validation, card-number refusal, consent gate, idempotency, duplicates,
encryption at rest — through the public HTTP API against a running server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from ledgerline.storage.engine import normalize_url
from tests.support.cli import InProcessCli
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import running_platform

MERCHANT = "Highlands Coffee Tràng Tiền"


def tx(transaction_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "transaction_id": transaction_id,
        "account_id": "acc-1",
        "card_last4": "1234",
        "amount": {"amount": "125000", "currency": "VND"},
        "credit_debit": "debit",
        "status": "booked",
        "booked_at": "2026-11-29T08:15:00+07:00",
        "merchant": {"name": MERCHANT, "category_code": "5814", "city": "Hà Nội", "country": "VN"},
        "terminal_id": "T-88",
        **extra,
    }


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[LinkedWorld, dict[str, Any]]]:
    with running_platform(database_url, tmp_path) as live, linked_world(live) as world:
        user = live.create_user()
        psid = world.link(user, ["balances", "transactions", "receipts", "shipments"])
        yield world, {"user": user, "psid": psid}


def post(world: LinkedWorld, path: str, body: Any, **headers: str) -> httpx.Response:
    with world.live.client() as http:
        return http.post(
            f"/v19.0/me/{path}",
            json=body,
            headers={"Authorization": f"Bearer {world.business['page_access_token']}", **headers},
        )


def test_each_category_is_accepted_and_encrypted_at_rest(
    world: tuple[LinkedWorld, dict[str, Any]], database_url: str, tmp_path: Path
) -> None:
    w, who = world
    psid = who["psid"]
    accepted = post(w, "transactions", {"psid": psid, "transactions": [tx("t1"), tx("t2")]})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"accepted": 2, "duplicates": 0, "alerts": []}
    assert (
        post(
            w,
            "balances",
            {
                "psid": psid,
                "account_id": "acc-1",
                "available": {"amount": "1250000", "currency": "VND"},
                "current": {"amount": "-5.5", "currency": "USD"},
                "as_of": "2026-11-29T09:30:00Z",
            },
        ).status_code
        == 200
    )
    assert (
        post(
            w,
            "receipts",
            {
                "psid": psid,
                "recipient_name": "An",
                "order_number": "HD-1",
                "currency": "VND",
                "payment_method": "Visa 1234",
                "summary": {"total_cost": 125000},
                "elements": [{"title": MERCHANT, "price": 125000}],
            },
        ).status_code
        == 200
    )
    assert (
        post(
            w,
            "shipments",
            {
                "psid": psid,
                "order_id": "HD-1",
                "carrier": "GHN",
                "tracking_number": "GHN1",
                "status": "in_transit",
            },
        ).status_code
        == 200
    )

    # The merchant's name is nowhere in the database in clear.
    if database_url.startswith("sqlite"):
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("ledgerline.db*"))
        assert MERCHANT.encode() not in raw
        assert b"Highlands" not in raw
    else:
        engine = sa.create_engine(normalize_url(database_url))
        with engine.connect() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                )
            ]
            dump = "".join(
                str(row)
                for t in tables
                for row in conn.execute(sa.text(f'SELECT * FROM "{t}"'))  # noqa: S608
            )
        engine.dispose()
        assert "Highlands" not in dump


def test_a_dropped_scope_is_refused_with_403_and_nothing_stored(
    world: tuple[LinkedWorld, dict[str, Any]],
) -> None:
    w, who = world
    with w.live.client() as http:
        narrowed = http.patch(
            f"/api/v1/links/{w.business['page_id']}",
            headers={"Authorization": f"Bearer {who['user']['access_token']}"},
            json={"scopes": ["balances"]},
        )
    assert narrowed.status_code == 200, narrowed.text
    refused = post(w, "transactions", {"psid": who["psid"], "transactions": [tx("t9")]})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == 200
    assert (
        post(
            w, "fraud_alerts", {"psid": who["psid"], "transaction_id": "t9", "reason": "odd"}
        ).status_code
        == 403
    )


def test_unlinked_or_foreign_psids_are_refused(world: tuple[LinkedWorld, dict[str, Any]]) -> None:
    w, who = world
    stranger = w.live.create_user("Stranger")
    with w.live.client() as http:
        http.post(
            f"/api/v1/threads/{w.business['page_id']}/messages",
            headers={"Authorization": f"Bearer {stranger['access_token']}"},
            json={"text": "hi"},
        ).raise_for_status()
    from ledgerline.storage.stores import threads

    thread = w.live.platform.db.read_sync(
        threads.get_thread, w.business["page_id"], stranger["user_id"]
    )
    assert thread is not None
    not_linked = post(w, "transactions", {"psid": thread.psid, "transactions": [tx("s1")]})
    assert not_linked.status_code == 403
    other = w.live.create_business("Other Bank")
    with w.live.client() as http:
        foreign = http.post(
            "/me/transactions",
            json={"psid": who["psid"], "transactions": [tx("x1")]},
            params={"access_token": other["page_access_token"]},
        )
    assert foreign.status_code == 400
    assert foreign.json()["error"]["error_subcode"] == 2018001


CARD_NUMBERS = [
    "4111111111111111",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "5500005555555559",
    "378282246310005",
]


@pytest.mark.parametrize("pan", CARD_NUMBERS)
@pytest.mark.parametrize("field", ["merchant_name", "transaction_id", "terminal_id", "extra"])
def test_a_full_card_number_anywhere_is_refused(
    world: tuple[LinkedWorld, dict[str, Any]], pan: str, field: str
) -> None:
    w, who = world
    item = tx("pan-test")
    if field == "merchant_name":
        item["merchant"]["name"] = f"Shop {pan}"
    elif field == "extra":
        item["note"] = {"deep": [pan]}
    else:  # an identifier field: a plain digit run is an id; a grouped card number is not
        digits = pan.replace(" ", "").replace("-", "")
        item[field] = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    refused = post(w, "transactions", {"psid": who["psid"], "transactions": [item]})
    assert refused.status_code == 400
    assert "card number" in refused.json()["error"]["message"]
    assert pan not in refused.text
    again = post(w, "transactions", {"psid": who["psid"], "transactions": [tx("pan-test")]})
    assert again.json()["accepted"] == 1  # nothing of the refused request was stored


def test_numeric_ids_in_id_fields_are_ids_not_card_numbers(
    world: tuple[LinkedWorld, dict[str, Any]],
) -> None:
    # A bank's ordinary 16-digit ids (these three pass Luhn in an issuer range: the
    # detector before issue 17 refused them, as it did two of three random 16-digit ids).
    w, who = world
    items = [
        {**tx("4539578763621486"), "terminal_id": "5105105105105100"},
        {**tx("6011111111111117"), "account_id": "4012888888881881"},
    ]
    accepted = post(w, "transactions", {"psid": who["psid"], "transactions": items})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["accepted"] == 2


BAD_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("float_amount", {"amount": {"amount": 125000.5, "currency": "VND"}}),
    ("too_many_decimals_for_vnd", {"amount": {"amount": "125000.5", "currency": "VND"}}),
    ("unknown_currency", {"amount": {"amount": "1", "currency": "XXY"}}),
    ("card_last4_five_digits", {"card_last4": "12345"}),
    ("card_last4_letters", {"card_last4": "12a4"}),
    ("naive_time", {"booked_at": "2026-11-29T08:15:00"}),
    ("negative_debit", {"amount": {"amount": "-1", "currency": "VND"}}),
    ("bad_status", {"status": "settled"}),
    ("long_merchant", {"merchant": {"name": "x" * 201}}),
]


@pytest.mark.parametrize(("name", "change"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_invalid_transactions_get_a_clear_400(
    world: tuple[LinkedWorld, dict[str, Any]], name: str, change: dict[str, Any]
) -> None:
    w, who = world
    response = post(w, "transactions", {"psid": who["psid"], "transactions": [tx("bad", **change)]})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == 100
    assert "transactions[0]" in error["message"]
    assert "125000" not in error["message"]


def test_too_many_transactions_in_one_request(world: tuple[LinkedWorld, dict[str, Any]]) -> None:
    w, who = world
    many = [tx(f"m{i}") for i in range(1001)]
    assert post(w, "transactions", {"psid": who["psid"], "transactions": many}).status_code == 400


def test_idempotency_key_and_duplicate_transaction_ids(
    world: tuple[LinkedWorld, dict[str, Any]],
) -> None:
    w, who = world
    body = {"psid": who["psid"], "transactions": [tx("dup-1")]}
    first = post(w, "transactions", body, **{"Idempotency-Key": "key-1"})
    again = post(w, "transactions", body, **{"Idempotency-Key": "key-1"})
    assert first.json() == again.json() == {"accepted": 1, "duplicates": 0, "alerts": []}
    different = post(
        w,
        "transactions",
        {"psid": who["psid"], "transactions": [tx("dup-2")]},
        **{"Idempotency-Key": "key-1"},
    )
    assert different.status_code == 409
    replay = post(w, "transactions", body)
    assert replay.json() == {"accepted": 0, "duplicates": 1, "alerts": []}


def test_concurrent_duplicates_are_stored_once(world: tuple[LinkedWorld, dict[str, Any]]) -> None:
    w, who = world
    answers: list[dict[str, Any]] = []
    lock = threading.Lock()

    def send() -> None:
        response = post(
            w, "transactions", {"psid": who["psid"], "transactions": [tx("race-1"), tx("race-2")]}
        )
        with lock:
            answers.append(response.json())

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(a["accepted"] for a in answers) == 2
    assert sum(a["duplicates"] for a in answers) == 14


def test_export_access_log_then_unlink_erases_and_the_chain_still_verifies(
    world: tuple[LinkedWorld, dict[str, Any]],
    database_url: str,
    tmp_path: Path,
    ledgerline_cli: InProcessCli,
) -> None:
    import json

    w, who = world
    assert (
        post(w, "transactions", {"psid": who["psid"], "transactions": [tx("e1")]}).status_code
        == 200
    )
    headers = {"Authorization": f"Bearer {who['user']['access_token']}"}
    with w.live.client() as http:
        export = http.get("/api/v1/me/export", headers=headers)
        assert export.status_code == 200
        data = export.json()
        assert data["profile"]["user_id"] == who["user"]["user_id"]
        assert data["links"][0]["page_id"] == w.business["page_id"]
        (record,) = data["financial_records"]
        assert record["data"]["merchant"]["name"] == MERCHANT
        assert record["data"]["amount"] == {"amount": "125000", "currency": "VND"}
        log = http.get("/api/v1/me/access-log", headers=headers).json()["data"]
        texts = [entry["text"] for entry in log]
        assert any("Ngân hàng Demo" in text and "giao dịch" in text for text in texts)
        assert all("125000" not in text and "Highlands" not in text for text in texts)

        unlinked = http.delete(f"/api/v1/links/{w.business['page_id']}", headers=headers)
        assert unlinked.status_code in (200, 204), unlinked.text
        after = http.get("/api/v1/me/export", headers=headers).json()
        assert after["financial_records"] == []
    assert (
        post(w, "transactions", {"psid": who["psid"], "transactions": [tx("e2")]}).status_code
        == 403
    )
    verified = ledgerline_cli(
        "audit", "verify", "--json", "--database-url", database_url, "--data-dir", str(tmp_path)
    )
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True


def test_retention_purges_records_older_than_the_business_keeps_them(
    world: tuple[LinkedWorld, dict[str, Any]],
) -> None:
    from ledgerline.audit import Actor
    from ledgerline.domain.clock import to_ms
    from ledgerline.privacy.retention import do_purge
    from ledgerline.storage.database import UnitOfWork

    w, who = world
    old = tx("old-1", booked_at="2020-01-01T00:00:00+07:00")
    assert (
        post(w, "transactions", {"psid": who["psid"], "transactions": [old, tx("new-1")]}).json()[
            "accepted"
        ]
        == 2
    )
    platform = w.live.platform
    page_id = w.business["page_id"]

    def shorten(uow: UnitOfWork) -> None:
        platform.vault.set_retention_days(
            uow, actor=Actor.component("test"), page_id=page_id, days=400
        )

    platform.db.write_sync(shorten)
    report = platform.db.write_sync(do_purge, vault=platform.vault, now=to_ms(platform.clock.now()))
    assert report.records_deleted == 2  # the old transaction and the chat update built from it
    with w.live.client() as http:
        records = http.get(
            "/api/v1/me/export", headers={"Authorization": f"Bearer {who['user']['access_token']}"}
        ).json()["financial_records"]
    assert [r["data"]["transaction_id"] for r in records] == ["new-1"]


def test_a_whole_json_number_is_an_exact_amount(world: tuple[LinkedWorld, dict[str, Any]]) -> None:
    w, who = world
    whole = tx("int-1", amount={"amount": 125000, "currency": "VND"})
    accepted = post(w, "transactions", {"psid": who["psid"], "transactions": [whole]})
    assert accepted.json() == {"accepted": 1, "duplicates": 0, "alerts": []}
    as_string = tx("int-1", amount={"amount": "125000", "currency": "VND"})
    again = post(w, "transactions", {"psid": who["psid"], "transactions": [as_string]})
    assert again.json() == {"accepted": 0, "duplicates": 1, "alerts": []}
    for inexact in (125000.0, 1.25e5, 0.1):
        refused = post(
            w,
            "transactions",
            {
                "psid": who["psid"],
                "transactions": [tx("f", amount={"amount": inexact, "currency": "EUR"})],
            },
        )
        assert refused.status_code == 400, refused.text
        assert "accepted only as a whole number" in refused.json()["error"]["message"]


def test_an_invalid_body_neither_uses_up_nor_disturbs_its_idempotency_key(
    world: tuple[LinkedWorld, dict[str, Any]],
) -> None:
    w, who = world
    key = {"Idempotency-Key": "batch-2026-11-29"}
    invalid = {"psid": who["psid"], "transactions": [tx("k-1", card_last4="12345")]}
    valid = {"psid": who["psid"], "transactions": [tx("k-1")]}

    # An invalid body first: 400, and the key is still free for the corrected request.
    first = post(w, "transactions", invalid, **key)
    assert first.status_code == 400
    assert first.json()["error"]["code"] == 100
    stored = post(w, "transactions", valid, **key)
    assert stored.json() == {"accepted": 1, "duplicates": 0, "alerts": []}

    # An invalid body under a used key: the same 400, and the key keeps its answer.
    again = post(w, "transactions", invalid, **key)
    assert again.status_code == 400
    assert "card_last4" in again.json()["error"]["message"]
    assert post(w, "transactions", valid, **key).json() == stored.json()

    # The same data sent differently is the same request (a whole number for the string).
    same = tx("k-1", amount={"amount": 125000, "currency": "VND"})
    replayed = post(w, "transactions", {"psid": who["psid"], "transactions": [same]}, **key)
    assert replayed.json() == stored.json()

    # Another valid request under the used key: 409, and nothing of it is stored.
    other = {"psid": who["psid"], "transactions": [tx("k-2")]}
    conflict = post(w, "transactions", other, **key)
    assert conflict.status_code == 409
    error = conflict.json()["error"]
    assert error["code"] == 100
    assert error["message"] == ("(#100) Idempotency-Key was already used with a different request")
    assert post(w, "transactions", other).json()["accepted"] == 1

    # A body valid in shape but refused by the platform (no such person) does not use the
    # key up either.
    nobody = post(
        w,
        "transactions",
        {"psid": "1" * 20, "transactions": [tx("k-3")]},
        **{"Idempotency-Key": "k-x"},
    )
    assert (nobody.status_code, nobody.json()["error"].get("error_subcode")) == (400, 2018001)
    later = post(
        w,
        "transactions",
        {"psid": who["psid"], "transactions": [tx("k-3")]},
        **{"Idempotency-Key": "k-x"},
    )
    assert later.json() == {"accepted": 1, "duplicates": 0, "alerts": []}
