"""The whole app in process (``httpx.ASGITransport``, with its lifespan): no port, no server.

``in_process_platform``: ``run(scenario)`` drives an async scenario against it from a
synchronous test (workers off, or on with ``webhooks=httpx.MockTransport(...)`` and a
``FrozenClock``). ``in_process_server``: ``running_platform``'s synchronous interface
(``client()``) with the app on an event loop thread of its own, and the banks and webhook
receivers a test serves beside it in process too (``tests.support.hosts``), for tests
written against a server that need no socket. Real uvicorn stays for what needs one (client
libraries over sockets, subprocesses, the browser: the tests marked ``slow``)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ledgerline.bootstrap import Runtime, build_app, build_services
from ledgerline.config import Settings
from ledgerline.domain.clock import Clock
from tests.support.aio import run_async
from tests.support.hosts import Hosts
from tests.support.receiver import WebhookReceiver
from tests.support.server import RunningPlatform

T = TypeVar("T")
BASE_URL = "http://ledgerline.test"


@dataclass
class InProcessPlatform(RunningPlatform):
    # Who waits for the next commit (``until``): its loop and the event to set.
    _waiting: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = field(
        default=None, init=False
    )

    def run(self, scenario: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
        async def main() -> T:
            transport = httpx.ASGITransport(app=self.app)
            async with (
                self.app.router.lifespan_context(self.app),
                httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=30) as http,
            ):
                return await scenario(http)

        return run_async(main)

    def client(self, **kwargs: Any) -> httpx.Client:
        raise NotImplementedError("in process: use run(scenario)")

    def on_batch(self, size: int, failed: int, seconds: float) -> None:
        """A writer committed (``Database.observe_batches``, on the writer's thread)."""
        waiting = self._waiting
        if waiting is not None:
            loop, event = waiting
            with contextlib.suppress(RuntimeError):  # the scenario's loop already closed
                loop.call_soon_threadsafe(event.set)

    async def until(
        self, check: Callable[[], Awaitable[T | None]], what: str, seconds: float = 30.0
    ) -> T:
        """``check()``'s first answer that is not None, asked again after each commit (what
        the workers do shows in the database): no polling interval, no sleeping."""
        event = asyncio.Event()
        self._waiting = (asyncio.get_running_loop(), event)
        try:
            async with asyncio.timeout(seconds):
                while True:
                    event.clear()
                    found = await check()
                    if found is not None:
                        return found
                    await event.wait()
        except TimeoutError:
            raise AssertionError(f"still waiting after {seconds} s for {what}") from None
        finally:
            self._waiting = None

    @property
    def runtime(self) -> Runtime:
        """The app's hub and workers (e.g. ``runtime.dispatcher.notify()`` after a test
        moved its clock past a retry)."""
        runtime = self.app.state.ctx.lifecycle
        assert isinstance(runtime, Runtime)
        return runtime


@contextlib.contextmanager
def in_process_platform(
    database_url: str,
    data_dir: Path,
    *,
    clock: Clock | None = None,
    webhooks: httpx.AsyncBaseTransport | None = None,
    **settings: Any,
) -> Iterator[InProcessPlatform]:
    """Workers off: what a test reads back it finds in the database (e.g. the outbox).

    With ``webhooks`` (e.g. an ``httpx.MockTransport`` standing for the banks) the workers
    run and the platform's outgoing requests go through it; with ``clock`` (a
    ``FrozenClock``) a test moves time, e.g. past a retry's backoff, instead of waiting."""
    config = Settings(env="development", data_dir=data_dir, database_url=database_url, **settings)
    platform = build_services(config, clock=clock)
    app = build_app(platform, run_workers=webhooks is not None, transport=webhooks)
    running = InProcessPlatform(url=BASE_URL, platform=platform, app=app)
    platform.db.observe_batches(running.on_batch)
    try:
        yield running
    finally:
        platform.close()


@dataclass
class ServedReceiver:
    """A webhook receiver served in process (``RunningReceiver``'s interface)."""

    receiver: WebhookReceiver
    base_url: str

    @property
    def url(self) -> str:
        return self.base_url + "/webhook"


@dataclass
class InProcessServer(RunningPlatform):
    """``running_platform``'s interface (``client()``, ``platform``, ``create_…``) with the
    app in process, on an event loop thread of its own with its lifespan (hub and workers),
    as under uvicorn but without a socket. The banks and receivers a test serves beside it
    (``receiver``, ``serve``) are reached in process too, by the test's clients and by the
    platform's webhooks and handshakes (``tests.support.hosts``)."""

    hosts: Hosts = field(default_factory=Hosts)
    # Notified after each writer commit (``until``).
    _committed: threading.Condition = field(default_factory=threading.Condition, init=False)
    _commits: int = field(default=0, init=False)

    def on_batch(self, size: int, failed: int, seconds: float) -> None:
        """A writer committed (``Database.observe_batches``, on the writer's thread)."""
        with self._committed:
            self._commits += 1
            self._committed.notify_all()

    def until(self, check: Callable[[], T | None], what: str, seconds: float = 30.0) -> T:
        """``check()``'s first answer that is not None (nor False), asked again after each
        commit (what the platform's workers do shows in the database): no polling."""
        deadline = time.monotonic() + seconds
        while True:
            with self._committed:
                seen = self._commits
            found = check()
            if found is not None and found is not False:
                return found
            with self._committed:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"still waiting after {seconds} s for {what}")
                self._committed.wait_for(partial(self._committed_since, seen), left)

    def _committed_since(self, seen: int) -> bool:
        return self._commits != seen

    def wait_until_webhooks_sent(self, timeout: float = 30.0) -> None:
        self.until(lambda: not self.pending_webhooks() or None, "every webhook to be sent", timeout)

    def serve(self, app: Any, name: str) -> str:
        """Serve another app (a bank) beside the platform; its base URL."""
        return self.hosts.serve(app, name=name)

    def receiver(self, receiver: WebhookReceiver) -> ServedReceiver:
        return ServedReceiver(receiver, self.serve(receiver.asgi(), "receiver"))


@contextlib.contextmanager
def in_process_server(
    database_url: str, data_dir: Path, *, clock: Clock | None = None, **settings: Any
) -> Iterator[InProcessServer]:
    hosts = Hosts()
    url = hosts.new_url("ledgerline")
    settings.setdefault("public_url", url)
    config = Settings(env="development", data_dir=data_dir, database_url=database_url, **settings)
    platform = build_services(config, clock=clock)
    try:
        app = build_app(
            platform, transport=hosts.async_transport(), sync_transport=hosts.transport()
        )
        hosts.serve(app, url=url, lifespan=True)
        server = InProcessServer(
            url=url, platform=platform, app=app, transport=hosts.transport(), hosts=hosts
        )
        platform.db.observe_batches(server.on_batch)
        yield server
    finally:
        try:
            hosts.close()
        finally:
            platform.close()
