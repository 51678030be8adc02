"""Every HTTP request, measured and logged (called by the app's front door, ``api.front_door``,
around the bank API's hot path and FastAPI's router alike).

For each request it counts ``ledgerline_http_requests_total{method,route,status}``, observes
its duration, and writes one access line (method, route template, status, duration, the
business's and person's ids hashed, the ``fbtrace_id`` of an error). A request that raises
is logged with the ``fbtrace_id`` of its 500 answer and the stack.

What the inner layers know is noted on the request's :class:`RequestInfo` (``annotate_*``):
the route (the hot path knows it before FastAPI would), who is calling (``api.deps``), and
the trace id of an error body (``api.errors``, through a context variable).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

import structlog
from opentelemetry.trace import SpanKind
from starlette.types import Scope

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


class RequestTelemetry:
    """Metrics and the access line of every HTTP request, and its span when tracing is on;
    the app's front door (``api.front_door``) calls it around each request."""

    def __init__(
        self,
        *,
        metrics: Metrics,
        access_log: AccessLog,
        hash_id: Callable[[str | None], str | None],
    ) -> None:
        self.requests = metrics.http
        self.access_log = access_log
        self.hash_id = hash_id

    @staticmethod
    def begin(scope: Scope) -> tuple[RequestInfo, contextvars.Token[RequestInfo | None]]:
        """A new request's :class:`RequestInfo`, on its scope and current for its errors."""
        info = RequestInfo()
        scope[KEY] = info
        return info, _current.set(info)

    @staticmethod
    def end(token: contextvars.Token[RequestInfo | None]) -> None:
        _current.reset(token)

    @staticmethod
    @contextlib.contextmanager
    def server_span(scope: Scope) -> Iterator[Any]:
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
            yield current

    @staticmethod
    def unhandled(scope: Scope, info: RequestInfo, exc: Exception, trace_id: str) -> None:
        """A request raised: its line, with the trace id its 500 answer carries, and the stack."""
        info.trace_id = trace_id
        log.error(
            "unhandled_error",
            method=scope["method"],
            path=scope["path"],
            fbtrace_id=trace_id,
            exc_info=exc,
        )

    def record(self, scope: Scope, info: RequestInfo, status: int, seconds: float) -> str:
        """Counts and logs a finished request; returns its route template."""
        method: str = scope["method"]
        route = route_template(scope, info)
        self.requests.observe(method, route, status, seconds)
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

    @staticmethod
    def annotate_span(span: Any, scope: Scope, info: RequestInfo, route: str, status: int) -> None:
        span.update_name(f"{scope['method']} {route}")
        span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", status)
        if info.trace_id is not None:
            span.set_attribute("ledgerline.fbtrace_id", info.trace_id)
