"""The webhook sender in production mode: a host that resolves to an internal address is
refused when the connection opens, and nothing is ever connected to (loopback listener)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ledgerline.chat.accounts import do_create_business, do_create_user
from ledgerline.chat.actions import do_user_message
from ledgerline.chat.routing import Inbound
from ledgerline.domain.clock import SystemClock, to_ms
from ledgerline.storage.database import Database
from ledgerline.storage.stores import webhooks as outbox
from ledgerline.workers.outbox import OutboxDispatcher
from tests.support.aio import run_async


def _log(conn: Any, page_id: str) -> list[dict[str, Any]]:
    return outbox.list_deliveries(conn, page_id=page_id, limit=10, status=None, before=None)


@contextlib.contextmanager
def listener() -> Iterator[tuple[int, list[object]]]:
    """A TCP socket on loopback that counts the connections it accepts."""
    accepted: list[object] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(conn)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join()
        server.close()


def test_a_webhook_host_resolving_to_loopback_is_refused_without_connecting(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def to_loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    monkeypatch.setattr("ledgerline.delivery.egress.resolve_async", to_loopback)
    clock = SystemClock()
    db = Database(database_url)
    with listener() as (port, accepted):
        try:
            now = to_ms(clock.now())
            bank = db.write_sync(
                do_create_business,
                secret_key=b"k" * 32,
                name="Bank",
                webhook_url=f"https://bank.test:{port}/webhook",
                verify_token=None,
                account_link_url=None,
                now=now,
            )
            user = db.write_sync(
                do_create_user, name="An", locale="vi", timezone="Asia/Ho_Chi_Minh", now=now
            )
            db.write_sync(
                do_user_message,
                user_id=user.user_id,
                page_id=bank.page_id,
                body={"text": "hi"},
                now=now,
                inbound=Inbound(),
            )
            dispatcher = OutboxDispatcher(
                db=db, clock=clock, secret_key=b"k" * 32, allow_insecure=False
            )

            async def run_once() -> None:
                task = asyncio.create_task(dispatcher.run())
                for _ in range(100):
                    await asyncio.sleep(0.05)
                    log = await db.read(_log, bank.page_id)
                    if log and log[0]["attempts"]:
                        break
                await dispatcher.stop()
                await task

            run_async(run_once)
            log = db.read_sync(_log, bank.page_id)
        finally:
            db.close()
    assert accepted == []
    (entry,) = log
    assert entry["attempts"], "the sender should have tried and recorded the refusal"
    error = entry["attempts"][-1]["error"] or ""
    assert "URL refused" in error
    assert "internal" in error
    assert entry["status"] == "pending"  # retried later, as any failed delivery
