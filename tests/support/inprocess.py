"""The whole app in process (``httpx.ASGITransport``, with its lifespan): no port, no server.

``in_process_platform``: ``run(scenario)`` drives an async scenario against it from a
synchronous test (workers off, or on with ``webhooks=httpx.MockTransport(...)`` and a
``FrozenClock``). ``in_process_server``: ``running_platform``'s synchronous interface
(``client()``) with the app on an event loop thread of its own, for tests written against a
server that need no socket. Real uvicorn stays for what needs one (WebSockets, client
libraries, subprocesses, the browser: the tests marked ``slow``)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ledgerline.bootstrap import Runtime, build_app, build_services
from ledgerline.config import Settings
from ledgerline.domain.clock import Clock
from tests.support.aio import run_async
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


class _AppOnALoop(httpx.BaseTransport):
    """A synchronous transport to the app, which runs (with its lifespan: hub and workers)
    on an event loop thread of its own, as under uvicorn, but without a socket."""

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stop: asyncio.Event | None = None
        self._served: concurrent.futures.Future[None] | None = None

    def start(self) -> None:
        self._thread.start()
        started = threading.Event()

        async def serve() -> None:
            self._stop = asyncio.Event()
            async with self._app.router.lifespan_context(self._app):
                started.set()
                await self._stop.wait()

        self._served = asyncio.run_coroutine_threadsafe(serve(), self._loop)
        while not started.wait(0.05):
            if self._served.done():
                self._served.result()  # the lifespan failed: its exception

    def close(self) -> None:
        """Each ``httpx.Client`` closes its transport; the app runs on until ``shutdown``."""

    def shutdown(self) -> None:
        if self._served is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._served.result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            answer = await self._asgi.handle_async_request(request)
            content = await answer.aread()
            return httpx.Response(answer.status_code, headers=answer.headers, content=content)

        request.read()
        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(timeout=60)


@dataclass
class InProcessServer(RunningPlatform):
    """``running_platform``'s interface (``client()``, ``platform``, ``create_…``) with the
    app in process: for tests whose own requests need no socket (webhooks still go out to
    real receivers on loopback)."""

    transport: _AppOnALoop | None = None

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, transport=self.transport, **kwargs)


@contextlib.contextmanager
def in_process_server(
    database_url: str, data_dir: Path, *, clock: Clock | None = None, **settings: Any
) -> Iterator[InProcessServer]:
    config = Settings(env="development", data_dir=data_dir, database_url=database_url, **settings)
    platform = build_services(config, clock=clock)
    app = build_app(platform)
    transport = _AppOnALoop(app)
    try:
        transport.start()
        yield InProcessServer(url=BASE_URL, platform=platform, app=app, transport=transport)
    finally:
        transport.shutdown()
        platform.close()
