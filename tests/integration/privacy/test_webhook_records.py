"""What the webhook outbox keeps about people (``privacy.webhook_records``), through the
public API, with a real receiver on loopback, on SQLite and PostgreSQL: deleting the account
erases the payloads of the person's events and withdraws those not sent yet, but the bank
still gets the ``unlinked`` event; retention erases payloads after 7 days and drops the
delivery log's entries after 30, never touching an event that may still go out. Every
erasure is audited with counts only."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledgerline.domain.clock import FrozenClock, to_ms
from ledgerline.privacy.retention import do_purge
from ledgerline.privacy.webhook_records import ERASE_ACTION, PURGE_ACTION
from ledgerline.storage.stores import audit as audit_store, businesses as business_store
from tests.support.inprocess import InProcessServer, in_process_server
from tests.support.linking import LinkedWorld, linked_world
from tests.support.receiver import Delivery, WebhookReceiver
from tests.support.server import RunningPlatform

SECRET = "Mã OTP của tôi là 482913"


def _say(live: RunningPlatform, user: dict[str, str], page_id: str, text: str) -> None:
    with live.client() as http:
        answer = http.post(
            f"/api/v1/threads/{page_id}/messages",
            headers={"Authorization": f"Bearer {user['access_token']}"},
            json={"text": text},
        )
    assert answer.status_code == 201, answer.text


def _log(live: RunningPlatform, business: dict[str, str]) -> list[dict[str, Any]]:
    with live.client() as http:
        answer = http.get(
            "/v15.0/me/webhook_deliveries",
            params={"access_token": business["page_access_token"], "limit": 500},
        )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"])


def _text(entry: dict[str, Any]) -> str | None:
    message = entry["event"].get("message")
    return message.get("text") if isinstance(message, dict) else None


def _wait(condition: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return found


def _audit(live: RunningPlatform, action: str) -> list[audit_store.AuditRow]:
    rows = live.platform.db.read_sync(lambda conn: list(audit_store.iter_entries(conn)))
    return [row for row in rows if row.action == action]


# -- account deletion ----------------------------------------------------------------------


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with (
        in_process_server(database_url, tmp_path) as live,
        linked_world(live, "Demo Bank") as w,
    ):
        yield w


def test_deleting_the_account_erases_its_webhook_payloads_but_the_bank_still_learns_of_it(
    world: LinkedWorld,
) -> None:
    live, business = world.live, world.business
    page_id = business["page_id"]
    receiver = world.bank.bank.receiver
    user = live.create_user("Minh", locale="en")
    psid = world.link(user, ["transactions"])
    _say(live, user, page_id, SECRET)
    _wait(lambda: any(e.get("message", {}).get("text") == SECRET for e in receiver.events()),
          "the first message")  # fmt: skip

    down = {"on": True}
    receiver.behaviour = lambda _: 500 if down["on"] else 200
    _say(live, user, page_id, "still queued when I leave")
    _wait(
        lambda: any(
            _text(e) == "still queued when I leave" and e["attempts"] for e in _log(live, business)
        ),
        "a failed attempt",
    )

    with live.client(headers={"Authorization": f"Bearer {user['access_token']}"}) as person:
        deleted = person.delete("/api/v1/me", params={"confirm": "true"})
    assert deleted.status_code == 200, deleted.text
    down["on"] = False

    # The bank learns that the link ended (in order, after what it already had)...
    unlinked = _wait(
        lambda: [
            e for e in receiver.events() if e.get("account_linking") == {"status": "unlinked"}
        ],
        "the unlinked event",
        timeout=45,  # an attempt in flight at the deletion holds it up to its lease (30 s)
    )
    assert unlinked[0]["sender"] == {"id": psid}
    # ...but never gets what was still queued for the person.
    texts = [e.get("message", {}).get("text") for e in receiver.events()]
    assert "still queued when I leave" not in texts

    log = [e for e in _log(live, business) if e["psid"] == psid]
    kept = [e for e in log if e["erased"] is None]
    assert [e["kind"] for e in kept] == ["account_linking"]
    assert kept[0]["event"]["account_linking"] == {"status": "unlinked"}
    erased = [e for e in log if e["erased"] is not None]
    assert {e["erased"]["reason"] for e in erased} == {"account_deleted"}
    assert all(e["event"] == {} for e in erased)
    withdrawn = [e for e in erased if e["status"] == "failed"]
    assert withdrawn, log
    assert all(200 not in [a["status_code"] for a in e["attempts"]] for e in withdrawn)
    # What was delivered keeps its status and attempts in the log, without the payload.
    first = next(e for e in erased if e["kind"] == "message" and e["status"] == "delivered")
    assert [a["status_code"] for a in first["attempts"]] == [200]
    dump = json.dumps(log, ensure_ascii=False)
    assert SECRET not in dump
    assert "still queued" not in dump
    assert "authorization_code" not in dump

    (entry,) = _audit(live, ERASE_ACTION)
    assert (entry.page_id, entry.user_id) == (page_id, user["user_id"])
    assert json.loads(entry.detail) == {
        "reason": "account_deleted",
        "withdrawn": len(withdrawn),
        "payloads": len(erased) - len(withdrawn),
    }


# -- retention -----------------------------------------------------------------------------

START = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def live(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[InProcessServer]:
    with in_process_server(database_url, tmp_path, clock=clock) as running:
        yield running


def test_retention_erases_payloads_after_a_week_and_log_entries_after_a_month(
    live: InProcessServer, clock: FrozenClock
) -> None:
    down = {"on": False}

    def answer(_: Delivery) -> int:
        return 500 if down["on"] else 200

    up = live.receiver(WebhookReceiver(behaviour=answer))
    broken = live.receiver(WebhookReceiver(behaviour=lambda _: 500))
    bank = live.create_business("Demo Bank", webhook_url=up.url)
    up.receiver.app_secret = bank["app_secret"]
    other = live.create_business("Other Bank", webhook_url=broken.url)
    user = live.create_user("An")
    _say(live, user, bank["page_id"], SECRET)
    _wait(lambda: _log(live, bank)[0]["status"] == "delivered", "the delivery")
    # Another bank's receiver fails, then the bank removes its webhook URL: its event
    # is never tried again.
    _say(live, user, other["page_id"], "never sent")
    _wait(lambda: _log(live, other)[0]["attempts"], "a failed attempt")
    live.platform.db.write_sync(
        lambda uow: business_store.update_business(uow.conn, other["page_id"], webhook_url=None)
    )

    clock.advance(timedelta(days=8))
    down["on"] = True
    _say(live, user, bank["page_id"], "fresh")  # pending: it may still go out
    _wait(lambda: _log(live, bank)[0]["attempts"], "a failed attempt")
    now = to_ms(clock.now())
    report = live.platform.db.write_sync(do_purge, vault=live.platform.vault, now=now)
    assert (report.webhooks.payloads_erased, report.webhooks.unsent_given_up) == (1, 1)
    assert report.webhooks.entries_deleted == 0

    fresh, old = _log(live, bank)
    assert (fresh["status"], _text(fresh), fresh["erased"]) == ("pending", "fresh", None)
    assert old["status"] == "delivered"
    assert old["event"] == {}
    assert old["erased"] == {"at": now, "reason": "retention"}
    assert [a["status_code"] for a in old["attempts"]] == [200]  # the log still shows it
    (unsent,) = _log(live, other)
    assert (unsent["status"], unsent["event"], unsent["erased"]["reason"]) == (
        "failed",
        {},
        "retention",
    )

    # The pending event still goes out, whole, once the receiver is back.
    down["on"] = False
    clock.advance(timedelta(minutes=1))
    _wait(lambda: _log(live, bank)[0]["status"] == "delivered", "the delivery")
    assert [e["message"]["text"] for e in up.receiver.events()] == [SECRET, "fresh"]

    clock.advance(timedelta(days=23))
    later = to_ms(clock.now())
    report = live.platform.db.write_sync(do_purge, vault=live.platform.vault, now=later)
    assert (report.webhooks.payloads_erased, report.webhooks.entries_deleted) == (1, 2)
    (left,) = _log(live, bank)
    assert (left["status"], left["event"], left["erased"]["reason"]) == (
        "delivered",
        {},
        "retention",
    )
    assert _log(live, other) == []

    purges = _audit(live, PURGE_ACTION)
    assert len(purges) == 4
    assert all(p.user_id is None for p in purges)
    details = [(p.page_id, json.loads(p.detail)) for p in purges]
    window = {"payload_days": 7, "log_days": 30}
    assert (bank["page_id"], {"payloads": 1, "unsent": 0, "entries": 0, **window}) in details
    assert (other["page_id"], {"payloads": 0, "unsent": 1, "entries": 0, **window}) in details
    assert (bank["page_id"], {"payloads": 1, "unsent": 0, "entries": 1, **window}) in details
    assert (other["page_id"], {"payloads": 0, "unsent": 0, "entries": 1, **window}) in details
    assert all(SECRET not in p.detail for p in purges)


def test_the_delivery_log_documents_the_erasure(live: RunningPlatform) -> None:
    with live.client() as http:
        schema = http.get("/openapi.json").json()["components"]["schemas"]
    assert set(schema["DeliveryErasure"]["properties"]) == {"at", "reason"}
    assert "erased" in schema["Delivery"]["properties"]
