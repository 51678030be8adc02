"""A real server on loopback for tests: the whole app under uvicorn in a background thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from ledgerline.bootstrap import Services, build_app, build_services
from ledgerline.config import Settings
from ledgerline.domain.clock import Clock


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThreadedUvicorn:
    """Run an ASGI app on 127.0.0.1 in a thread; ``stop()`` shuts it down gracefully and
    returns once the server's thread and event loop are gone.

    The loop is asyncio's, not uvloop: a connection a worker was opening when shutdown
    cancelled it leaves uvloop's name lookup running in libuv's thread pool, so uvloop's
    ``loop.close`` failed with EBUSY and the loop's handles were reported as unraisable
    when collected later, during some other test of the same process. asyncio's lookups
    run in the loop's default executor, which ``asyncio.run`` waits for before closing."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                loop="asyncio",
                ws="websockets-sansio",
                lifespan="on",
                # Open connections (a WebSocket a test left open) are closed after this,
                # instead of holding the shutdown up.
                timeout_graceful_shutdown=5,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedUvicorn:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        if self.thread.is_alive():  # reported here, not in whichever test runs next
            raise RuntimeError(f"the server on port {self.port} did not stop in 30 s")


@dataclass
class RunningPlatform:
    url: str
    platform: Services
    app: FastAPI
    # How a test's clients reach the platform and the apps beside it: the network (None),
    # or in process (``tests.support.hosts``).
    transport: httpx.BaseTransport | None = None

    def client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("transport", self.transport)
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def wait_until_webhooks_sent(self, timeout: float = 30.0) -> None:
        """Return once the outbox holds nothing pending: every webhook queued so far was
        answered by its receiver. A test that checks a bank was *not* told something looks
        at the receiver after this, instead of waiting out a timeout."""
        deadline = time.monotonic() + timeout
        while waiting := self.pending_webhooks():
            if time.monotonic() > deadline:
                raise AssertionError(f"webhooks still pending after {timeout} s: {waiting}")
            time.sleep(0.02)

    def pending_webhooks(self) -> list[str]:
        """The pages whose outbox still holds events to send (a business without a webhook
        URL keeps its own: they are not counted)."""
        from ledgerline.storage.stores.businesses import get_business
        from ledgerline.storage.stores.webhooks import backlog

        def pending(conn: Any) -> list[str]:
            return [
                page_id
                for page_id, _count, _oldest in backlog(conn)
                if (business := get_business(conn, page_id)) is not None and business.webhook_url
            ]

        return list(self.platform.db.read_sync(pending))

    def subscribe(self, business: dict[str, str], *extra_fields: str) -> None:
        """Subscribe the business's app, as a bank does, to the default webhook fields and
        ``extra_fields`` (``messaging_handovers``, ``standby``, …)."""
        from ledgerline.domain.webhook_fields import DEFAULT_FIELDS

        with self.client() as http:
            answer = http.post(
                "/v19.0/me/subscribed_apps",
                params={"access_token": business["page_access_token"]},
                json={"subscribed_fields": [*DEFAULT_FIELDS, *extra_fields]},
            )
        assert answer.json() == {"success": True}, answer.text

    def create_business(self, name: str = "Demo Bank", **kwargs: Any) -> dict[str, str]:
        from ledgerline.chat.accounts import do_create_business
        from ledgerline.domain.clock import to_ms

        created = self.platform.db.write_sync(
            do_create_business,
            secret_key=self.platform.secret_key,
            name=name,
            webhook_url=kwargs.get("webhook_url"),
            verify_token=kwargs.get("verify_token"),
            account_link_url=kwargs.get("account_link_url"),
            now=to_ms(self.platform.clock.now()),
        )
        return {
            "page_id": created.page_id,
            "app_id": created.app_id,
            "app_secret": created.app_secret,
            "page_access_token": created.page_access_token,
        }

    def create_user(
        self, name: str = "An", locale: str = "vi", timezone: str = "Asia/Ho_Chi_Minh"
    ) -> dict[str, str]:
        from ledgerline.chat.accounts import do_create_user
        from ledgerline.domain.clock import to_ms

        created = self.platform.db.write_sync(
            do_create_user,
            name=name,
            locale=locale,
            timezone=timezone,
            now=to_ms(self.platform.clock.now()),
        )
        return {"user_id": created.user_id, "access_token": created.access_token}


@contextlib.contextmanager
def running_platform(
    database_url: str, data_dir: Path, *, clock: Clock | None = None, **settings: Any
) -> Iterator[RunningPlatform]:
    port = free_port()
    config = Settings(
        env="development", data_dir=data_dir, database_url=database_url, port=port, **settings
    )
    platform = build_services(config, clock=clock)
    app = build_app(platform)
    server = ThreadedUvicorn(app, port=port).start()
    try:
        yield RunningPlatform(url=server.url, platform=platform, app=app)
    finally:
        server.stop()
        platform.close()
