"""SIGTERM under load: every message answered 200 is in the database afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from ledgerline.bootstrap import build_services
from ledgerline.chat.accounts import do_create_business, do_create_user
from ledgerline.chat.actions import do_user_message
from ledgerline.chat.routing import Inbound
from ledgerline.config import Settings
from ledgerline.domain.clock import to_ms
from ledgerline.storage.engine import normalize_url
from ledgerline.storage.stores import threads
from tests.support.server import free_port

pytestmark = pytest.mark.slow  # end to end: real processes or sockets


def test_sigterm_under_load_loses_nothing_answered(database_url: str, tmp_path: Path) -> None:
    platform = build_services(
        Settings(env="development", data_dir=tmp_path, database_url=database_url)
    )
    now = to_ms(platform.clock.now())
    bank = platform.db.write_sync(
        do_create_business,
        secret_key=platform.secret_key,
        name="Bank",
        webhook_url=None,
        verify_token=None,
        account_link_url=None,
        now=now,
    )
    psids = []
    for i in range(8):
        user = platform.db.write_sync(
            do_create_user, name=f"P{i}", locale="vi", timezone="Asia/Ho_Chi_Minh", now=now
        )
        platform.db.write_sync(
            do_user_message,
            user_id=user.user_id,
            page_id=bank.page_id,
            body={"text": "hi"},
            now=now,
            inbound=Inbound(),
        )
        thread = platform.db.read_sync(threads.get_thread, bank.page_id, user.user_id)
        assert thread is not None
        psids.append(thread.psid)
    platform.close()

    port = free_port()
    env = {
        **os.environ,
        "LEDGERLINE_ENV": "development",
        "LEDGERLINE_DATA_DIR": str(tmp_path),
        "LEDGERLINE_DATABASE_URL": database_url,
        "LEDGERLINE_RATE_LIMIT_SEND_PER_SECOND": "0",  # full load on one page
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "ledgerline", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a cold start under coverage, on 2 busy cores
    try:
        while True:
            try:
                httpx.get(base + "/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                assert server.poll() is None
                assert time.monotonic() < deadline
                time.sleep(0.1)
    except BaseException:  # never leave the server running for the rest of the suite
        server.kill()
        server.wait()
        raise

    answered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(psid: str) -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            while not stop.is_set():
                try:
                    response = http.post(
                        "/v2.6/me/messages",
                        params={"access_token": bank.page_access_token},
                        json={"recipient": {"id": psid}, "message": {"text": "load"}},
                    )
                except httpx.HTTPError:
                    return
                if response.status_code == 200:
                    with lock:
                        answered.append(response.json()["message_id"])

    workers = [threading.Thread(target=client, args=(psid,)) for psid in psids]
    for worker in workers:
        worker.start()
    time.sleep(1.5)
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    stop.set()
    for worker in workers:
        worker.join(timeout=30)

    assert len(answered) > 10
    engine = sa.create_engine(normalize_url(database_url))
    with engine.connect() as conn:
        stored = {row[0] for row in conn.execute(sa.text("SELECT mid FROM messages"))}
    engine.dispose()
    missing = [mid for mid in answered if mid not in stored]
    assert missing == []
