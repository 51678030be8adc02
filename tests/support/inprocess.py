"""The whole app in process (``httpx.ASGITransport``, with its lifespan): no port, no server
thread. ``run(scenario)`` drives an async scenario against it from a synchronous test."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ledgerline.bootstrap import build_app, build_services
from ledgerline.config import Settings
from tests.support.aio import run_async
from tests.support.server import RunningPlatform

T = TypeVar("T")
BASE_URL = "http://ledgerline.test"


@dataclass
class InProcessPlatform(RunningPlatform):
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


@contextlib.contextmanager
def in_process_platform(
    database_url: str, data_dir: Path, **settings: Any
) -> Iterator[InProcessPlatform]:
    """Workers off: what a test reads back it finds in the database (e.g. the outbox)."""
    config = Settings(env="development", data_dir=data_dir, database_url=database_url, **settings)
    platform = build_services(config)
    try:
        yield InProcessPlatform(
            url=BASE_URL, platform=platform, app=build_app(platform, run_workers=False)
        )
    finally:
        platform.close()
