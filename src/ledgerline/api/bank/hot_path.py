"""The bank API's busiest endpoints, served ahead of FastAPI's router.

``POST /me/messages``, ``/{PAGE_ID}/messages`` and ``/me/{balances,transactions,receipts,
shipments,fraud_alerts}``, with or without a ``/vN.M`` prefix, are matched by one compiled
regex (the app's front door, ``api.front_door``, asks after its input checks) and handed
straight to the same functions FastAPI's routes call (``send.send``, ``financial.ingest``): no route-by-route matching, no dependency solving. The answer is the
same bytes FastAPI would send (validated by the route's response model and dumped by
pydantic), and errors go through the same Messenger-shaped mapping (``errors``).

Only paths whose every parameter FastAPI would accept take this lane; anything else (a
malformed version or page id, another method, a trailing slash) goes on to FastAPI, which
answers it as before. FastAPI's routes stay registered, so ``/openapi.json`` and ``/docs``
still describe these endpoints.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, TypeAdapter
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ledgerline.api.bank.financial import PATHS, IngestOut, ingest
from ledgerline.api.bank.send import send
from ledgerline.api.context import AppContext
from ledgerline.api.errors import http_error_response, ledgerline_error_response
from ledgerline.api.schemas import SendResponse
from ledgerline.api.telemetry import annotate_route
from ledgerline.domain.errors import LedgerlineError
from ledgerline.ingest.actions import RecordKind

# What FastAPI's routes accept: ``routing.check_version`` and the Send API's ``node`` pattern.
_PATH = re.compile(
    r"/(?:(?P<version>v\d{1,3}(?:\.\d{1,3})?)/)?(?P<node>me|[0-9]{1,32})/(?P<edge>\w+)"
)
_KINDS = {path.removeprefix("/me/"): kind for kind, path in PATHS.items()}

Handler = Callable[[AppContext, Request, str, str | None], Awaitable[dict[str, Any]]]


class _Endpoint:
    """One endpoint's handler and the response model that shapes its answer; ``route`` is
    its FastAPI route's template (the label of its metrics and access lines)."""

    def __init__(
        self, handler: Handler, model: type[BaseModel], *, exclude_none: bool, route: str
    ) -> None:
        self.handler = handler
        self.route = route
        self.adapter: TypeAdapter[Any] = TypeAdapter(model)
        self.exclude_none = exclude_none

    def render(self, result: dict[str, Any]) -> Response:
        value = self.adapter.validate_python(result)
        body = self.adapter.dump_json(value, by_alias=True, exclude_none=self.exclude_none)
        return Response(content=body, media_type="application/json")


def _ingest_endpoint(kind: RecordKind) -> _Endpoint:
    async def handler(
        ctx: AppContext, request: Request, node: str, version: str | None
    ) -> dict[str, Any]:
        return await ingest(ctx, request, kind, version, request.headers.get("idempotency-key"))

    return _Endpoint(handler, IngestOut, exclude_none=False, route=PATHS[kind])


_SEND = _Endpoint(send, SendResponse, exclude_none=True, route="/{node}/messages")
_INGEST = {edge: _ingest_endpoint(kind) for edge, kind in _KINDS.items()}


def _endpoint_for(edge: str, node: str) -> _Endpoint | None:
    if edge == "messages":
        return _SEND
    return _INGEST.get(edge) if node == "me" else None


class HotPath:
    """The lane: :meth:`route` tells whether it answers a request, :meth:`serve` answers it
    (the app's front door, ``api.front_door``, asks before FastAPI's stack)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    @staticmethod
    def route(scope: Scope) -> tuple[_Endpoint, re.Match[str]] | None:
        """The endpoint for this request and its path's match, or None: FastAPI's turn."""
        if scope["method"] != "POST":
            return None
        match = _PATH.fullmatch(get_route_path(scope))
        if match is None:
            return None
        endpoint = _endpoint_for(match["edge"], match["node"])
        return None if endpoint is None else (endpoint, match)

    async def serve(
        self,
        lane: tuple[_Endpoint, re.Match[str]],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        endpoint, match = lane
        annotate_route(scope, endpoint.route)
        request = Request(scope, receive, send)
        version = match["version"]
        if version is None:  # unprefixed, FastAPI reads ``version`` from the query
            version = request.query_params.get("version")
        try:
            response = endpoint.render(
                await endpoint.handler(self.ctx, request, match["node"], version)
            )
        except LedgerlineError as exc:
            response = ledgerline_error_response(request, exc)
        except HTTPException as exc:
            response = http_error_response(exc)
        await response(scope, receive, send)
