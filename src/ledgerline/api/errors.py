"""The single mapping from errors to Messenger's error shape.

``{"error": {"message": "(#100) ...", "type": "OAuthException", "code": 100,
"error_subcode": 2018001, "fbtrace_id": "..."}}`` — on every surface, for every error,
including malformed JSON, unknown routes and wrong methods. Nothing a client sends can
produce a 500; a bug still answers in this shape (code 2) and is logged with its trace id.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledgerline.api.telemetry import note_trace_id
from ledgerline.domain.errors import (
    InvalidToken,
    LedgerlineError,
    RateLimited,
    ServiceUnavailable,
)
from ledgerline.domain.ids import new_trace_id

log = structlog.get_logger(__name__)


def error_body(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    error_type: str = "OAuthException",
    trace_id: str | None = None,
) -> dict[str, Any]:
    """Messenger's error shape; its ``fbtrace_id`` is also noted for the request's access
    line (``api.telemetry``), so a bank's report leads to the log."""
    error: dict[str, Any] = {"message": f"(#{code}) {message}", "type": error_type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = trace_id = trace_id or new_trace_id()
    note_trace_id(trace_id)
    return {"error": error}


UNEXPECTED = "An unexpected error has occurred. Please retry your request later."


def unexpected_error(trace_id: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The 500 answer to a bug (status, headers, body): code 2, as Graph answers."""
    body = json.dumps(error_body(2, UNEXPECTED, trace_id=trace_id)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return 500, headers, body


def _is_client_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def ledgerline_error_response(request: Request, exc: LedgerlineError) -> JSONResponse:
    status = exc.http_status
    headers: dict[str, str] = {}
    if isinstance(exc, InvalidToken) and _is_client_api(request):
        status = 401  # the person-facing API is not bound to Graph's habit of 400
    if isinstance(exc, RateLimited):
        # Graph answers throttling (#4, #17, #613) with HTTP 400; the person-facing API
        # uses HTTP's own 429. Both say when to come back.
        status = 429 if _is_client_api(request) else 400
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, ServiceUnavailable):  # e.g. the database is busy: come back soon
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(
        error_body(exc.code, exc.message, subcode=exc.instance_subcode, error_type=exc.error_type),
        status_code=status,
        headers=headers or None,
    )


def http_error_response(exc: StarletteHTTPException) -> JSONResponse:
    code = {404: 803, 405: 100, 401: 190, 403: 200, 413: 100}.get(exc.status_code, 100)
    message = {404: "Unknown path components", 405: "Method not allowed"}.get(
        exc.status_code, str(exc.detail)
    )
    return JSONResponse(
        error_body(code, message),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def _describe(errors: list[Any]) -> str:
    parts = []
    for error in errors[:3]:
        location = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{location or 'body'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "Invalid parameter"


def install_error_handlers(app: FastAPI) -> None:
    async def on_ledgerline(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LedgerlineError)  # noqa: S101 - registered for this type
        return ledgerline_error_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        return JSONResponse(error_body(100, _describe(list(exc.errors()))), status_code=400)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101
        return http_error_response(exc)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Normally answered by ``api.telemetry`` first; this is for an app without it.
        body = error_body(2, UNEXPECTED)
        log.error(
            "unhandled_error",
            exc_info=exc,
            path=request.url.path,
            fbtrace_id=body["error"]["fbtrace_id"],
        )
        return JSONResponse(body, status_code=500)

    app.add_exception_handler(LedgerlineError, on_ledgerline)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
