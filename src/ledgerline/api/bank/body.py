"""Read a Graph API request's parameters the way Messenger does.

Clients send JSON bodies, form-encoded bodies, multipart forms, and JSON bodies whose
``recipient``/``message`` values are themselves JSON strings (pymessenger); Meta's own curl
examples even use single-quoted pseudo-JSON. Query parameters count too. Everything comes
out as one dict of decoded values; anything unreadable is a clear ``(#100)`` error, and so is
anything ``domain.inputs`` refuses (JSON nested too deep, a NUL or a lone surrogate in a
text, an integer of more than 64 digits). The body's size is capped before it is read
(``api.gate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from ledgerline.api.gate import BANK_BODY_BYTES, UPLOAD_BODY_BYTES
from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.inputs import check_document, decode_json

MAX_BODY_BYTES = BANK_BODY_BYTES  # enforced while the body streams in (api.gate)
UPLOAD_FIELD = "filedata"  # the multipart file of an upload or a send (Messenger's name)
STRUCTURED = ("recipient", "message", "sender_action_payload", "payload")


def _decode_structured(key: str, value: str) -> Any:
    text = value.strip()
    if not text or text[0] not in "{[":
        return value
    try:
        return decode_json(text.encode())
    except InvalidParameter as exc:
        if not exc.message.startswith("Invalid JSON"):
            raise  # well-formed, but refused (too deep, a NUL, ...)
        try:
            return decode_json(text.replace("'", '"').encode())
        except InvalidParameter:
            raise InvalidParameter(f"param {key} must be a JSON object") from None


def decode_json_fields(params: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Decode the JSON text of ``keys`` in place (form bodies carry objects as JSON text)."""
    for key in keys:
        if isinstance(params.get(key), str):
            params[key] = _decode_structured(key, params[key])


@dataclass(frozen=True, slots=True)
class UploadedFile:
    data: bytes
    content_type: str | None
    filename: str | None


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


async def read_upload(request: Request) -> tuple[dict[str, Any], UploadedFile | None]:
    """A multipart body's fields (decoded as ``read_params`` does) and its ``filedata``
    file, if any. The body's size was capped while it streamed in (``api.gate``, 25 MiB
    plus the form); the form's other fields are capped at 1 MiB each by the parser."""
    try:
        form = await request.form(max_files=1, max_fields=50)
    except Exception as exc:  # malformed multipart, too many parts
        raise InvalidParameter(f"Unreadable form body: {type(exc).__name__}") from None
    params: dict[str, Any] = {}
    upload: UploadedFile | None = None
    try:
        for key, value in form.multi_items():
            if isinstance(value, str):
                params.setdefault(key, value)
            elif key == UPLOAD_FIELD and isinstance(value, UploadFile):
                data = await value.read(UPLOAD_BODY_BYTES + 1)
                upload = UploadedFile(data, value.content_type, value.filename)
    finally:
        await form.close()  # the spooled temporary files
    check_document(params)
    for key, value in request.query_params.items():
        params.setdefault(key, value)
    decode_json_fields(params, STRUCTURED)
    return params, upload


async def read_params(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidParameter("Request body is too large")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    params: dict[str, Any] = {}
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form()
        except Exception as exc:  # malformed multipart
            raise InvalidParameter(f"Unreadable form body: {type(exc).__name__}") from None
        params = {key: value for key, value in form.items() if isinstance(value, str)}
        check_document(params)
    elif raw.strip():
        decoded = decode_json(raw)
        if not isinstance(decoded, dict):
            raise InvalidParameter("The request body must be a JSON object")
        params = decoded
    for key, value in request.query_params.items():  # NUL-free (api.gate)
        params.setdefault(key, value)
    decode_json_fields(params, STRUCTURED)
    return params
