"""Operations endpoints, on the API's own port: ``/healthz``, ``/readyz``, ``/metrics``.

* ``GET /healthz`` — 200 while the process runs and its event loop answers (liveness).
* ``GET /readyz`` — 200 when this process can serve, else 503, with each check's verdict:
  the database reachable, writable and at the newest migration, the broker reachable (when
  scaled out), the background workers running (those this process runs: with
  ``serve --no-workers`` that is the delivery receipts only). 503 as soon as it drains.
* ``GET /metrics`` — Prometheus text. Open under ``LEDGERLINE_ENV=development``; in
  production only with ``Authorization: Bearer <LEDGERLINE_METRICS_TOKEN>`` when that token
  is set, else only to loopback clients (a sidecar, a node agent). ``docs/operations.md``.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ledgerline.api.context import AppContext, MetricsAccess
from ledgerline.api.deps import Context
from ledgerline.api.errors import error_body
from ledgerline.domain.clock import to_ms
from ledgerline.storage.stores import webhooks as outbox
from ledgerline.telemetry.metrics import CONTENT_TYPE, Backlog

router = APIRouter(tags=["Operations"])

Check = Callable[[], Awaitable[str | None]]
"""A readiness check: None when fine, else why not (one short line)."""


@dataclass
class Readiness:
    """Named checks, run together, each within ``timeout`` seconds."""

    checks: Sequence[tuple[str, Check]] = ()
    timeout: float = 3.0
    draining: bool = False

    async def _run(self, check: Check) -> str | None:
        try:
            return await asyncio.wait_for(check(), self.timeout)
        except TimeoutError:
            return f"no answer within {self.timeout:g} s"
        except Exception as exc:  # a check that breaks says so; it never breaks the probe
            return f"{type(exc).__name__}: {exc}"[:300]

    async def check(self) -> tuple[bool, dict[str, dict[str, Any]]]:
        results = await asyncio.gather(*(self._run(check) for _, check in self.checks))
        report: dict[str, dict[str, Any]] = {}
        for (name, _), problem in zip(self.checks, results, strict=True):
            report[name] = {"ok": problem is None, **({"error": problem} if problem else {})}
        if self.draining:
            report["draining"] = {"ok": False, "error": "the process is shutting down"}
        return all(entry["ok"] for entry in report.values()), report


@router.get("/healthz", summary="Liveness: 200 while the process runs")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: 200 when this process can serve, else 503 with the failing checks",
    responses={503: {"description": "Not ready: see which check failed"}},
)
async def readyz(ctx: Context) -> JSONResponse:
    ready, checks = await ctx.readiness.check()
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refusal(request: Request, access: MetricsAccess) -> Response | None:
    if access.open:
        return None
    if access.token is not None:
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if given and hmac.compare_digest(given.encode(), access.token.encode()):
            return None
        return JSONResponse(
            error_body(190, "/metrics needs Authorization: Bearer <LEDGERLINE_METRICS_TOKEN>"),
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    if _is_loopback(request.client.host if request.client else None):
        return None
    return JSONResponse(
        error_body(
            200, "/metrics answers loopback clients only unless LEDGERLINE_METRICS_TOKEN is set"
        ),
        status_code=403,
    )


async def refresh_backlog(ctx: AppContext) -> None:
    now = to_ms(ctx.clock.now())
    rows = await ctx.db.read(outbox.backlog)
    ctx.metrics.snapshot.backlog = [
        Backlog(page_id, pending, max(0.0, (now - oldest) / 1000))
        for page_id, pending, oldest in rows
    ]


@router.get(
    "/metrics",
    summary="Prometheus metrics (text format)",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE.split(";")[0]: {}}, "description": "Prometheus text"},
        401: {"description": "A metrics token is set and was not given"},
        403: {"description": "Production without a metrics token: loopback clients only"},
    },
)
async def metrics(request: Request, ctx: Context) -> Response:
    refused = _refusal(request, ctx.metrics_access)
    if refused is not None:
        return refused
    await refresh_backlog(ctx)
    return Response(ctx.metrics.render(), media_type=CONTENT_TYPE)
