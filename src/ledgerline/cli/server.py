"""Run the platform under uvicorn until SIGINT/SIGTERM, then drain and exit cleanly."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import FrameType
from typing import Any, Literal

import structlog
import uvicorn

from ledgerline.api.context import Readiness
from ledgerline.api.gate import OTHER_BODY_BYTES
from ledgerline.bootstrap import Runtime, Services, build_app, build_runtime, build_services
from ledgerline.cli.options import settings_from
from ledgerline.logging import configure_logging

log = structlog.get_logger("ledgerline.server")

YOUNG_COLLECTION_ALLOCATIONS = 20_000


def _version() -> str:
    try:
        return version("ledgerline")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


class _GracefulServer(uvicorn.Server):
    """Uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown, which would kill the
    process before the database writers drain. We finish the shutdown and exit 0 instead.
    Logs the lifecycle: ``ready`` once listening, ``draining`` on the signal."""

    def __init__(self, config: uvicorn.Config, on_drain: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_drain = on_drain

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            log.info("ready", host=self.config.host, port=self.config.port)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.should_exit:
            log.info("draining", signal=signal.Signals(sig).name)
            self.on_drain()
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def run_server(
    *,
    host: str,
    port: int,
    public_url: str | None,
    database_url: str | None,
    data_dir: Path | None,
    default_env: Literal["production", "development"],
    extra_setup: Any = None,
    workers: bool = True,
) -> None:
    env = os.environ.get("LEDGERLINE_ENV") or default_env
    settings = settings_from(
        database_url,
        data_dir,
        env=env,
        host=host,
        port=port,
        **({"public_url": public_url} if public_url else {}),
    )
    configure_logging(settings.log_level, stream=sys.stdout, log_format=settings.log_format)
    log.info(
        "starting",
        version=_version(),
        env=settings.env,
        pid=os.getpid(),
        workers=workers,
        broker=settings.broker_url is not None,
    )
    platform = build_services(settings)
    try:
        app = build_app(platform, run_workers=workers)
        readiness: Readiness = app.state.ctx.readiness
        if extra_setup is not None:
            extra_setup(platform, app)
        # What start-up built (modules, routes, models, catalogues: ~150k objects) lives as
        # long as the process: kept out of the collector, a full collection no longer walks
        # it (it took ~70 ms, a pause of every request and frame under way).
        gc.collect()
        gc.freeze()
        # A request's objects are freed by reference counting, not by the collector: at
        # Python's default (a young collection every 700 allocations) the Send API ran one
        # every few messages, ~13 µs of CPU a message; every 20,000 it is ~2 µs, and the
        # cyclic garbage waiting meanwhile is a few MB at most.
        gc.set_threshold(YOUNG_COLLECTION_ALLOCATIONS, *gc.get_threshold()[1:])
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            loop="uvloop",
            http="httptools",
            ws="websockets-sansio",
            # frames are small JSON: compressing them costs more CPU than it saves
            ws_per_message_deflate=False,
            # what a client may send in one WebSocket message (HTTP bodies: api.gate)
            ws_max_size=OTHER_BODY_BYTES,
            server_header=False,  # no "server: uvicorn" banner
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=30,
        )
        _GracefulServer(config, on_drain=lambda: setattr(readiness, "draining", True)).run()
    finally:
        platform.close()
        log.info("stopped")
        logging.shutdown()


def run_workers(
    *,
    database_url: str | None,
    data_dir: Path | None,
    metrics_address: tuple[str, int] | None = None,
) -> None:
    """``ledgerline work``: the runtime's workers alone, until SIGINT/SIGTERM; then each
    finishes what it started (webhooks in flight are released for the next process).
    ``metrics_address``: (host, port) to serve its Prometheus metrics on (there is no API
    port in this process); the outbox backlog is refreshed at each scrape."""
    settings = settings_from(database_url, data_dir)
    configure_logging(settings.log_level, stream=sys.stdout, log_format=settings.log_format)
    log.info("starting", version=_version(), env=settings.env, pid=os.getpid(), component="work")
    services = build_services(settings)
    try:
        runtime = build_runtime(services)
        if metrics_address is not None:
            serve_worker_metrics(services, runtime, metrics_address)
        asyncio.run(_work(runtime))
    finally:
        services.close()
        log.info("stopped", component="work")


def serve_worker_metrics(
    services: Services, runtime: Runtime, address: tuple[str, int]
) -> tuple[Any, Any]:
    """Prometheus' own HTTP server (a thread) for ``ledgerline work``'s metrics."""
    from prometheus_client import start_http_server

    from ledgerline.storage.stores import webhooks as outbox
    from ledgerline.telemetry.metrics import Backlog

    metrics = runtime.metrics

    def refresh() -> None:
        now = int(services.clock.now().timestamp() * 1000)
        metrics.snapshot.backlog = [
            Backlog(page_id, pending, max(0.0, (now - oldest) / 1000))
            for page_id, pending, oldest in services.db.read_sync(outbox.backlog)
        ]

    metrics.snapshot.refresh = refresh
    server, thread = start_http_server(address[1], addr=address[0], registry=metrics.registry)
    log.info("metrics", host=address[0], port=server.server_port, component="work")
    return server, thread


async def _work(runtime: Runtime) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runtime.start()
    log.info("ready", component="work", workers=runtime.runner.names)
    try:
        await stop.wait()
    finally:
        log.info("draining", component="work")
        await runtime.stop()
