"""Every HTTP request, measured and logged: the outermost middleware of the app.

For each request it counts ``ledgerline_http_requests_total{method,route,status}``, observes
its duration, and writes one access line (method, route template, status, duration, the
business's and person's ids hashed, the ``fbtrace_id`` of an error). It wraps the bank API's
hot path (``api.bank.hot_path``) as well as FastAPI's router. A request that raises answers
500 in Messenger's shape here, with a log line carrying the same ``fbtrace_id`` and the stack.

What the inner layers know is noted on the request's :class:`RequestInfo` (``annotate_*``):
the route (the hot path knows it before FastAPI would), who is calling (``api.deps``), and
the trace id of an error body (``api.errors``, through a context variable).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any

import structlog
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerline.logging import AccessLog
from ledgerline.telemetry import tracing
from ledgerline.telemetry.metrics import Metrics

log = structlog.get_logger("ledgerline.api")

KEY = "ledgerline.request"
UNMATCHED = "unmatched"
# Probes and scrapes are counted but not logged (a line every few seconds per prober).
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestInfo:
    __slots__ = ("page_id", "route", "trace_id", "user_id")

    def __init__(self) -> None:
        self.route: str | None = None
        self.page_id: str | None = None
        self.user_id: str | None = None
        self.trace_id: str | None = None


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar(
    "ledgerline_request", default=None
)


def request_info(scope: Scope) -> RequestInfo | None:
    info: RequestInfo | None = scope.get(KEY)
    return info


def annotate_route(scope: Scope, route: str) -> None:
    info = scope.get(KEY)
    if info is not None:
        info.route = route


def annotate_page(scope: Scope, page_id: str) -> None:
    info = scope.get(KEY)
    if info is not None:
        info.page_id = page_id


def annotate_user(scope: Scope, user_id: str) -> None:
    info = scope.get(KEY)
    if info is not None:
        info.user_id = user_id


def note_trace_id(trace_id: str) -> None:
    """The ``fbtrace_id`` of the error body this request answers with."""
    info = _current.get()
    if info is not None:
        info.trace_id = trace_id


def route_template(scope: Scope, info: RequestInfo) -> str:
    if info.route is not None:
        return info.route
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    # Graph routes are registered with and without a version prefix: one label for both.
    return path.removeprefix("/{version}") or "/"


ErrorResponder = Callable[[str], tuple[int, list[tuple[bytes, bytes]], bytes]]


class RequestTelemetry:
    """ASGI middleware: metrics and the access log for every HTTP request.

    ``unexpected``: builds the 500 answer for an exception (status, headers, body) given
    the trace id to put in it (``api.errors.unexpected_error``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        access_log: AccessLog,
        hash_id: Callable[[str | None], str | None],
        unexpected: ErrorResponder,
        new_trace_id: Callable[[], str],
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log
        self.hash_id = hash_id
        self.unexpected = unexpected
        self.new_trace_id = new_trace_id
        # The metrics' children by label values: prometheus_client's ``labels()`` costs more
        # than the increment itself.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if tracing.enabled():
            await self._traced(scope, receive, send)
            return
        await self._serve(scope, receive, send, None)

    async def _traced(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The request as a SERVER span, continuing the caller's ``traceparent``."""
        carrier = {
            key.decode("latin-1"): value.decode("latin-1")
            for key, value in scope["headers"]
            if key in (b"traceparent", b"tracestate")
        }
        with tracing.span(
            scope["method"],
            kind=SpanKind.SERVER,
            headers=carrier,
            attributes={"http.request.method": scope["method"]},
        ) as current:
            await self._serve(scope, receive, send, current)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, span: Any) -> None:
        info = RequestInfo()
        scope[KEY] = info
        token = _current.set(info)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_and_note(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception as exc:
            trace_id = info.trace_id or self.new_trace_id()
            info.trace_id = trace_id
            log.error(
                "unhandled_error",
                method=scope["method"],
                path=scope["path"],
                fbtrace_id=trace_id,
                exc_info=exc,
            )
            if response_started:
                raise
            status, headers, body = self.unexpected(trace_id)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        finally:
            _current.reset(token)
            route = self._record(scope, info, status, time.perf_counter() - started)
            if span is not None:
                span.update_name(f"{scope['method']} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if info.trace_id is not None:
                    span.set_attribute("ledgerline.fbtrace_id", info.trace_id)

    def _record(self, scope: Scope, info: RequestInfo, status: int, seconds: float) -> str:
        method: str = scope["method"]
        route = route_template(scope, info)
        counter = self._counters.get((method, route, status))
        if counter is None:
            counter = self.metrics.http_requests.labels(method, route, str(status))
            self._counters[(method, route, status)] = counter
        counter.inc()
        histogram = self._histograms.get((method, route))
        if histogram is None:
            histogram = self.metrics.http_duration.labels(method, route)
            self._histograms[(method, route)] = histogram
        histogram.observe(seconds)
        if scope["path"] in QUIET_PATHS:
            return route
        extra: dict[str, Any] = {}
        if route == UNMATCHED:
            extra["path"] = scope["path"][:200]
        if info.page_id is not None:
            extra["page"] = self.hash_id(info.page_id)
        if info.user_id is not None:
            extra["person"] = self.hash_id(info.user_id)
        if info.trace_id is not None:
            extra["fbtrace_id"] = info.trace_id
        level = "error" if status >= 500 else "warning" if status >= 400 else "info"
        self.access_log.request(level, method, route, status, round(seconds * 1000, 2), extra)
        return route
