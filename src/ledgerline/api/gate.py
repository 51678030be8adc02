"""The front door: what every HTTP request must be before anything else reads it.

The app's front door (``api.front_door``) applies these checks to every HTTP request,
ahead of the bank API's hot path, the router and authentication:

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

from fastapi import HTTPException
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope

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


def content_headers(scope: Scope) -> tuple[str, int | None]:
    """The request's media type (lower case, without parameters) and its ``Content-Length``
    (None when absent or malformed: chunked, or refused by the server), read in one pass over
    the raw headers (ASGI servers hand header names in lower case)."""
    content_type: str | None = None
    length: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"content-type":
            if content_type is None:
                content_type = value.decode("latin-1").split(";")[0].strip().lower()
        elif name == b"content-length" and length is None:
            length = value
    return content_type or "", int(length) if length is not None and length.isdigit() else None


def refusal(scope: Scope, limit: int, length: int | None) -> JSONResponse | None:
    """The answer to a request refused before a byte of its body is read: NUL in the path or
    query (400), a ``Content-Length`` over ``limit`` (413); None when it may go on."""
    query = scope.get("query_string", b"")
    if _BAD_PATH.search(scope["path"]) or b"%00" in query or b"\x00" in query:
        return _error(400, "The path and query must not contain NUL characters")
    if length is not None and length > limit:
        return _error(413, f"The request body is larger than {limit:,} bytes")
    return None


def limited(receive: Receive, limit: int) -> Receive:
    """``receive``, raising :class:`BodyTooLarge` once the body passes ``limit`` bytes (a
    body streamed without a ``Content-Length`` is counted as it arrives)."""
    received = 0

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return limited_receive


def reads_body(content_type: str) -> bool:
    """Whether the gate reads and checks a body of this type itself (JSON and forms)."""
    return content_type == "application/x-www-form-urlencoded" or bool(
        _JSON.fullmatch(content_type)
    )


async def checked_body(receive: Receive, content_type: str) -> Receive | JSONResponse:
    """Reads a JSON or form body whole (``receive`` already limited) and checks it by the
    rules above: a ``receive`` that hands the same body on, or the error to answer."""
    try:
        body = await _read_all(receive)
    except BodyTooLarge as exc:
        return _error(413, str(exc.detail))
    try:
        _check(body, form=content_type == "application/x-www-form-urlencoded")
    except InvalidParameter as exc:
        return _error(400, exc.message)
    return _replay(body, receive)


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
