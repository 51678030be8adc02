"""The app's one outer middleware: every HTTP request enters here.

In this order, for each request:

1. **Telemetry** (``api.telemetry``): the request's info and clock start; when it ends, its
   metrics and access line (and its span, when tracing is on). A request that raises answers
   500 in Messenger's shape here, logged with the same ``fbtrace_id`` and its stack.
2. **Security headers** (``api.headers``) on every response started, the 500 included.
3. **Input checks** (``api.gate``): NUL in the path or query, a body over its limit, a
   malformed JSON or form body — answered before anything else reads the request.
4. **The hot lane** (``api.bank.hot_path``) for the busiest bank endpoints, else FastAPI's
   middleware and router.

These were four middleware layers: each wrapped ``send`` (or ``receive``) in a closure of its
own and added a coroutine frame that every resumption of the request passes through again.
One layer does the same work with one ``send`` wrapper (docs/benchmarks.md, issue 14).
WebSocket and lifespan scopes go straight to the app.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerline.api import gate
from ledgerline.api.bank.hot_path import HotPath
from ledgerline.api.headers import Header, with_security_headers
from ledgerline.api.telemetry import RequestTelemetry
from ledgerline.telemetry import tracing

ErrorResponder = Callable[[str], tuple[int, list[Header], bytes]]


class FrontDoor:
    """ASGI middleware: see the module doc.

    ``lane``: the hot path (None: every request goes to ``app``); ``headers``: what every
    response carries (``api.headers.security_headers``); ``unexpected``: the 500 answer
    (status, headers, body) for a trace id (``api.errors.unexpected_error``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        telemetry: RequestTelemetry,
        headers: tuple[Header, ...],
        lane: HotPath | None,
        unexpected: ErrorResponder,
        new_trace_id: Callable[[], str],
    ) -> None:
        self.app = app
        self.telemetry = telemetry
        self.headers = headers
        self.lane = lane
        self.unexpected = unexpected
        self.new_trace_id = new_trace_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # WebSocket frames: uvicorn's ws_max_size
            return
        if tracing.enabled():
            with self.telemetry.server_span(scope) as span:
                await self._serve(scope, receive, send, span)
            return
        await self._serve(scope, receive, send, None)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, span: Any) -> None:
        telemetry = self.telemetry
        info, token = telemetry.begin(scope)
        started = time.perf_counter()
        status = 500
        response_started = False
        extra = self.headers

        async def respond(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = with_security_headers(message.get("headers", ()), extra)
            await send(message)

        try:
            await self._route(scope, receive, respond)
        except Exception as exc:
            trace_id = info.trace_id or self.new_trace_id()
            telemetry.unhandled(scope, info, exc, trace_id)
            if response_started:
                raise
            status, headers, body = self.unexpected(trace_id)
            await respond({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        finally:
            telemetry.end(token)
            route = telemetry.record(scope, info, status, time.perf_counter() - started)
            if span is not None:
                telemetry.annotate_span(span, scope, info, route, status)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type, length = gate.content_headers(scope)
        limit = gate.body_limit(scope["path"], content_type)
        refused = gate.refusal(scope, limit, length)
        if refused is not None:
            await refused(scope, receive, send)
            return
        receive = gate.limited(receive, limit)
        hot = self.lane
        if hot is not None:
            lane = hot.route(scope)
            if lane is not None:  # the hot path reads and checks its own body
                await hot.serve(lane, scope, receive, send)
                return
        if gate.reads_body(content_type):
            checked = await gate.checked_body(receive, content_type)
            if isinstance(checked, Response):
                await checked(scope, receive, send)
                return
            receive = checked
        await self.app(scope, receive, send)
