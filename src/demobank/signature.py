"""Webhook signatures, checked the way Meta documents it: HMAC-SHA256 of the raw body."""

from __future__ import annotations

import hashlib
import hmac


def sign(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header value for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(app_secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` signs ``body`` with ``app_secret`` (constant-time comparison)."""
    if not app_secret or not header:
        return False
    return hmac.compare_digest(sign(app_secret, body).encode(), header.strip().encode())
