"""Attachments (images, audio, video, files): what the platform accepts and how it names them.

Messenger's limit is 25 MB a file. Only the content types below are accepted, each for its
attachment type; the type a client declares must agree with the bytes for images (their
magic numbers are checked), so a page cannot slip HTML or SVG in as a "photo". Everything is
served back with ``nosniff`` and a sandboxing CSP (``api.attachments``), files as downloads.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.messages import MEDIA_TYPES

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


CONTENT_TYPES: dict[str, frozenset[str]] = {
    "image": frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
    "audio": frozenset(
        {"audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/wav", "audio/webm"}
    ),
    "video": frozenset({"video/mp4", "video/webm", "video/quicktime", "video/3gpp"}),
    "file": frozenset(
        {
            "application/pdf",
            "text/plain",
            "text/csv",
            "application/zip",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        }
    ),
}
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
_EXTENSIONS = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".zip": "application/zip",
}
MAX_FILENAME = 200


@dataclass(frozen=True, slots=True)
class CheckedFile:
    kind: str  # image | audio | video | file
    content_type: str
    filename: str


def _bad(param: str, problem: str) -> InvalidParameter:
    return InvalidParameter(f"param {param} {problem}")


def media_kind(value: object, param: str) -> str:
    if value not in MEDIA_TYPES:
        raise InvalidParameter(f"param {param} must be one of {', '.join(MEDIA_TYPES)}")
    return str(value)


def safe_filename(name: str | None, content_type: str) -> str:
    """A file name fit for a header: its last path part, printable ASCII-safe characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in base if c.isalnum() or c in "._- ")[:MAX_FILENAME].strip(" .")
    if kept:
        return kept
    extension = next((ext for ext, ct in _EXTENSIONS.items() if ct == content_type), "")
    return "attachment" + extension


def check_file(
    kind: str,
    data: bytes,
    *,
    content_type: str | None,
    filename: str | None,
    param: str = "filedata",
) -> CheckedFile:
    """The file's type, from what the client declared (else its file name), when allowed
    for ``kind`` and, for images, when the bytes agree; its size within 25 MB."""
    if not data:
        raise _bad(param, "is empty")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise _bad(param, f"is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
    declared = (content_type or "").split(";")[0].strip().lower()
    allowed = CONTENT_TYPES[kind]
    if declared not in allowed and filename:
        # Clients send "application/octet-stream", nothing, or made-up types ("file/pdf",
        # ampalibe): the file name's extension decides then, if it names an allowed type.
        suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        guessed = _EXTENSIONS.get(suffix)
        if guessed in allowed or declared in ("", "application/octet-stream"):
            declared = guessed or declared
    if declared not in allowed:
        raise _bad(
            param,
            f"of type {declared[:60] or 'unknown'} is not allowed for a {kind} attachment "
            f"(allowed: {', '.join(sorted(allowed))})",
        )
    magic = _MAGIC.get(declared)
    if magic is not None and not data.startswith(magic):
        raise _bad(param, f"is not a {declared} image")
    if declared == "image/webp" and data[8:12] != b"WEBP":
        raise _bad(param, "is not a image/webp image")
    return CheckedFile(kind, declared, safe_filename(filename, declared))
