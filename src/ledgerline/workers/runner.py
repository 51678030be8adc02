"""Runs the background workers of one process: started together, stopped in reverse.

The same runner serves the API process (its lifespan) and ``ledgerline work`` (workers
only, e.g. beside API processes that run none). Each worker has ``run()``, which returns
once ``stop()`` was called, after finishing what it had started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)


class Worker(Protocol):
    async def run(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class WorkerRunner:
    """``workers``: (name, worker) pairs, started in this order and stopped in reverse (the
    outbox dispatcher first: what later workers write on their way out still goes out)."""

    workers: Sequence[tuple[str, Worker]]
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.workers]

    async def start(self) -> None:
        for name, worker in self.workers:
            self._tasks.append(asyncio.create_task(worker.run(), name=f"worker-{name}"))

    def running(self) -> bool:
        """Every worker is still running (none has died)."""
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for (name, worker), task in reversed(list(zip(self.workers, tasks, strict=False))):
            await worker.stop()
            try:
                await task
            except Exception:  # a worker that died is reported, the others still stop
                log.exception("worker_failed", worker=name)
