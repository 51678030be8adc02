"""An in-process network for tests: host names routed to ASGI apps, no socket anywhere.

Each app (the platform, a bank stub, a webhook receiver) runs on an event loop thread of its
own, as under its own uvicorn: a receiver that blocks in its handler holds up that receiver
only, and an app that calls another (the bank stub looking up a linking token, the platform
POSTing a webhook) waits for it as it would over a socket. :meth:`Hosts.transport` and
:meth:`Hosts.async_transport` send each request to the app registered for its host (from
any thread or loop); a host nobody serves is a refused connection (``httpx.ConnectError``).
The platform takes them where it builds its outgoing HTTP clients (``bootstrap.build_app``'s
``transport`` and ``sync_transport``), so the webhooks it sends, the console's subscription
handshake and a person's in-app browser following the linking redirects all stay in process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import itertools
import threading
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
REQUEST_SECONDS = 60.0


class AppOnALoop:
    """One ASGI app on an event loop thread of its own, with its lifespan when asked."""

    def __init__(self, app: Any, *, lifespan: bool, name: str) -> None:
        self.app = app
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._lifespan = lifespan
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._stop: asyncio.Event | None = None
        self._served: concurrent.futures.Future[None] | None = None
        self.running = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def start(self) -> None:
        self._thread.start()
        self.running = True
        if not self._lifespan:
            return
        started = threading.Event()

        async def serve() -> None:
            self._stop = asyncio.Event()
            async with self.app.router.lifespan_context(self.app):
                started.set()
                await self._stop.wait()

        self._served = asyncio.run_coroutine_threadsafe(serve(), self._loop)
        while not started.wait(0.05):
            if self._served.done():
                self.stop()
                self._served.result()  # the lifespan failed: its exception

    def stop(self) -> None:
        """The lifespan's shutdown (workers, hub), then every task left on the loop
        cancelled and awaited, async generators and the default executor closed, the loop
        stopped and closed: nothing of this app outlives its stop."""
        if not self.running:
            return
        self.running = False
        try:
            if self._served is not None and self._stop is not None:
                self._loop.call_soon_threadsafe(self._stop.set)
                self._served.result(timeout=30)
        finally:
            asyncio.run_coroutine_threadsafe(self._drain(), self._loop).result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop.close()

    async def _drain(self) -> None:
        current = asyncio.current_task()
        left = [task for task in asyncio.all_tasks() if task is not current]
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        await self._loop.shutdown_asyncgens()
        await self._loop.shutdown_default_executor()

    async def _call(self, request: httpx.Request) -> httpx.Response:
        answer = await self._asgi.handle_async_request(request)
        try:
            raw = b"".join([part async for part in answer.aiter_raw()])
        finally:
            await answer.aclose()
        # The body as the app sent it (still encoded, e.g. gzip): the caller's client
        # decodes it, as it would a body read from a socket.
        return httpx.Response(answer.status_code, headers=answer.headers, content=raw)

    def submit(self, request: httpx.Request) -> concurrent.futures.Future[httpx.Response]:
        if not self.running:
            raise httpx.ConnectError("connection refused (stopped)", request=request)
        # In a context of its own, as a request read from a socket would be: nothing of the
        # caller's (e.g. its tracing span) leaks into the app.
        return contextvars.Context().run(
            asyncio.run_coroutine_threadsafe, self._call(request), self._loop
        )


class Hosts:
    """Host names → apps on loops of their own; transports that route by host."""

    def __init__(self) -> None:
        self._apps: dict[str, AppOnALoop] = {}
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)

    def new_url(self, name: str) -> str:
        """A base URL nobody serves yet: ``http://<name>-<n>.test``."""
        return f"http://{name}-{next(self._numbers)}.test"

    def serve(self, app: Any, *, name: str = "", url: str = "", lifespan: bool = False) -> str:
        """Serve ``app`` at ``url`` (from ``new_url``), or at a new URL made of ``name``;
        its base URL."""
        url = url or self.new_url(name or "app")
        host = httpx.URL(url).netloc.decode("ascii")
        served = AppOnALoop(app, lifespan=lifespan, name=f"app {host}")
        served.start()
        with self._lock:
            self._apps[host] = served
        return url

    def app_at(self, request: httpx.Request) -> AppOnALoop:
        with self._lock:
            served = self._apps.get(request.url.netloc.decode("ascii"))
        if served is None:
            raise httpx.ConnectError(f"no app serves {request.url.host}", request=request)
        return served

    def transport(self) -> httpx.BaseTransport:
        return _SyncRoute(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        return _AsyncRoute(self)

    def close(self) -> None:
        """Stop every app, in the order they were served (the platform, served first, stops
        while the banks and receivers it may be calling still answer)."""
        with self._lock:
            apps, self._apps = list(self._apps.values()), {}
        errors: list[BaseException] = []
        for served in apps:
            try:
                served.stop()
            except BaseException as exc:  # stop the others, then raise
                errors.append(exc)
        if errors:
            raise errors[0]


class _SyncRoute(httpx.BaseTransport):
    def __init__(self, hosts: Hosts) -> None:
        self._hosts = hosts

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        future = self._hosts.app_at(request).submit(request)
        try:
            return future.result(timeout=_read_timeout(request))
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise httpx.ReadTimeout("no answer in time", request=request) from None


class _AsyncRoute(httpx.AsyncBaseTransport):
    def __init__(self, hosts: Hosts) -> None:
        self._hosts = hosts

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        future = self._hosts.app_at(request).submit(request)
        try:
            async with asyncio.timeout(_read_timeout(request)):
                return await _awaited(future)
        except TimeoutError:
            raise httpx.ReadTimeout("no answer in time", request=request) from None


def _read_timeout(request: httpx.Request) -> float:
    """The client's read timeout for this request (what a socket's read would wait)."""
    timeouts = request.extensions.get("timeout", {})
    seconds = timeouts.get("read")
    return REQUEST_SECONDS if seconds is None else float(seconds)


async def _awaited(future: concurrent.futures.Future[T]) -> T:
    """The future's result; cancelling the caller cancels the call on the app's loop."""
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        future.cancel()
        raise
