from __future__ import annotations

import asyncio
import threading

from ledgerline.workers.periodic import PeriodicWorker


class Flaky(PeriodicWorker):
    def __init__(self) -> None:
        super().__init__(interval=0.01)
        self.passes = 0

    async def run_once(self) -> int:
        self.passes += 1
        if self.passes == 1:
            raise RuntimeError("first pass fails")
        if self.passes == 3:
            await self.stop()
        return self.passes


def test_a_failing_pass_is_retried_and_stop_ends_the_loop() -> None:
    worker = Flaky()
    # A thread of its own: other tests (Playwright's sync API) may own this thread's loop.
    runner = threading.Thread(target=lambda: asyncio.run(asyncio.wait_for(worker.run(), 5)))
    runner.start()
    runner.join(timeout=10)
    assert not runner.is_alive()
    assert worker.passes == 3
