"""The front door: what every HTTP request must be before anything else reads it.

``InputGate`` is the outermost of the app's own middleware, ahead of the bank API's hot
path, the router and authentication:

* **Body size**, per surface (:func:`body_limit`): 2 MiB on the bank API (a 1,000-transaction
  batch is ~0.5 MB), 64 KiB everywhere else (the person API, the web app's forms), and
  25 MiB plus 64 KiB for a multipart upload of a file (Messenger's 25 MB a file, plus the
  form's other fields): ``/me/message_attachments``, the Send API's ``filedata`` and a
  person's ``/api/v1/threads/{page_id}/attachments``. A
  ``Content-Length`` over the limit is answered ``413`` at once, without reading a byte of
  the body; a body streamed without one (chunked) is counted as it arrives and cut off with
  ``413`` as soon as it passes the limit. Nothing beyond the limit is ever buffered.
* **Path and query**: no NUL character (``%00``) → ``400``.
* **JSON and form bodies** of requests that the router serves (the hot path reads its own
  with ``domain.inputs.decode_json``): read whole (within the limit) and checked by the same
  rules — nested at most 32 deep, no NUL, no lone surrogate, no integer over 64 digits —
  then handed on unchanged.

Errors have the platform's usual ``{"error": {...}}`` shape (``api.errors``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerline.api.errors import error_body
from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.inputs import decode_json

BANK_BODY_BYTES = 2 * 1024 * 1024
OTHER_BODY_BYTES = 64 * 1024
UPLOAD_BODY_BYTES = 25 * 1024 * 1024 + 64 * 1024
# The Graph API's paths: /me/..., /{PAGE_ID}/..., with or without /vN.M.
_BANK_PATH = re.compile(r"/(?:v\d{1,3}(?:\.\d{1,3})?/)?(?:me|[0-9]{1,32})(?:/|$)")
# Where a multipart body may carry a file: the attachment upload, the Send API (filedata),
# a person's upload to a thread.
_UPLOAD_PATH = re.compile(
    r"/(?:v\d{1,3}(?:\.\d{1,3})?/)?(?:me/message_attachments|(?:me|[0-9]{1,32})/messages)"
    r"|/api/v1/threads/[^/]{1,64}/attachments"
)
_BAD_PATH = re.compile("[\x00\ud800-\udfff]")
_JSON = re.compile(r"application/(?:[\w.+-]+\+)?json")


def body_limit(path: str, content_type: str = "") -> int:
    """The largest body a request to ``path`` may carry, in bytes."""
    if content_type == "multipart/form-data" and _UPLOAD_PATH.fullmatch(path):
        return UPLOAD_BODY_BYTES
    return BANK_BODY_BYTES if _BANK_PATH.match(path) else OTHER_BODY_BYTES


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit:,} bytes")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(100, message), status_code=status)


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None or not value.isdigit():
        return None  # absent (chunked), or malformed (the server refuses those)
    return int(value)


class InputGate:
    """ASGI middleware: see the module doc. ``takes_body(scope)`` tells which requests read
    and check their own body (the hot path's)."""

    def __init__(self, app: ASGIApp, *, takes_body: Callable[[Scope], bool]) -> None:
        self.app = app
        self.takes_body = takes_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # WebSocket frames: uvicorn's ws_max_size
            return
        query = scope.get("query_string", b"")
        if _BAD_PATH.search(scope["path"]) or b"%00" in query or b"\x00" in query:
            await _error(400, "The path and query must not contain NUL characters")(
                scope, receive, send
            )
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        limit = body_limit(scope["path"], content_type)
        length = _content_length(headers)
        if length is not None and length > limit:
            await _error(413, f"The request body is larger than {limit:,} bytes")(
                scope, receive, send
            )
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        form = content_type == "application/x-www-form-urlencoded"
        if not (form or _JSON.fullmatch(content_type)) or self.takes_body(scope):
            await self.app(scope, limited, send)
            return
        try:
            body = await _read_all(limited)
        except BodyTooLarge as exc:
            await _error(413, str(exc.detail))(scope, receive, send)
            return
        try:
            _check(body, form=form)
        except InvalidParameter as exc:
            await _error(400, exc.message)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_all(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: hand on what arrived
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _check(body: bytes, *, form: bool) -> None:
    if form:
        if b"%00" in body or b"\x00" in body:
            raise InvalidParameter("Form fields must not contain NUL characters")
    elif body.strip():
        decode_json(body)  # raises what is wrong; the router decodes it again


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # e.g. http.disconnect

    return replay
