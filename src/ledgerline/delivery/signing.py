"""The webhook envelope and its signatures, exactly as Meta sends them."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


def envelope(
    page_id: str,
    time_ms: int,
    items: list[dict[str, Any]],
    standby: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``{"object":"page","entry":[{"id","time","messaging":[…]}]}``; events for an app
    that does not own the thread go under ``standby`` instead (handover protocol)."""
    entry: dict[str, Any] = {"id": page_id, "time": time_ms}
    if items or not standby:
        entry["messaging"] = items
    if standby:
        entry["standby"] = standby
    return {"object": "page", "entry": [entry]}


def encode_body(payload: dict[str, Any]) -> bytes:
    """Meta signs an ASCII-escaped serialisation; sign exactly the bytes sent."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def signature_headers(app_secret: str, body: bytes) -> dict[str, str]:
    key = app_secret.encode()
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
        "X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
    }


def verify_signature(app_secret: str, body: bytes, header: str) -> bool:
    """Check an ``X-Hub-Signature-256`` (or legacy sha1) header in constant time."""
    method, _, digest = header.partition("=")
    algorithm = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}.get(method)
    if algorithm is None:
        return False
    expected = hmac.new(app_secret.encode(), body, algorithm).hexdigest()
    return hmac.compare_digest(expected, digest)
