from __future__ import annotations

import asyncio

from ledgerline.storage.periodic import PeriodicWorker


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
    asyncio.run(asyncio.wait_for(worker.run(), timeout=5))
    assert worker.passes == 3
