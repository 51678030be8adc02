"""Session ids and CSRF tokens.

A session id is 256 random bits, sent only in an HttpOnly cookie and stored only as its
SHA-256. The CSRF token of a session is HMAC-SHA256(secret key, kind + session id): the page
carries it (a meta tag / hidden field) and every state-changing request must echo it; an
attacker's page can neither read the cookie nor compute the token. Before sign-in, forms
carry a token bound the same way to a random ``pre-session`` cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PERSON = "person"
BUSINESS = "business"

PERSON_SESSION_SECONDS = 14 * 24 * 3600
BUSINESS_SESSION_SECONDS = 8 * 3600


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(secret_key: bytes, kind: str, session_id: str) -> str:
    mac = hmac.new(secret_key, f"csrf:{kind}:{session_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def csrf_ok(secret_key: bytes, kind: str, session_id: str | None, given: str | None) -> bool:
    """Constant-time check of a CSRF token against the session it must be bound to."""
    if not session_id or not given:
        return False
    return hmac.compare_digest(csrf_token(secret_key, kind, session_id), given)
