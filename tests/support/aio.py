"""Run a coroutine to completion from a synchronous test.

Playwright's sync API (the browser tests, run earlier in the same process) may leave an event
loop owning the main thread, so ``asyncio.run`` there fails. A fresh thread has no loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def run_async(make: Callable[[], Awaitable[T]], timeout: float = 120) -> T:
    """``asyncio.run(make())`` on a thread of its own; its result, or its exception."""
    outcome: dict[str, object] = {}

    async def main() -> T:
        return await make()

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(main())
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="test-asyncio", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"coroutine still running after {timeout} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
