"""Identifiers: page ids, app ids, page-scoped ids (PSIDs), message ids and tokens.

PSIDs are random per (page, person): the same person has a different, unguessable PSID for
every business, so two businesses can never join their data on it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_PSID_DIGITS = 20  # ~66 bits of entropy; Messenger's are 16-17 digits


def _numeric_id(digits: int) -> str:
    # First digit non-zero so the id keeps its length when read as a number.
    return str(secrets.randbelow(9) + 1) + "".join(
        str(secrets.randbelow(10)) for _ in range(digits - 1)
    )


def new_page_id() -> str:
    return _numeric_id(15)


def new_app_id() -> str:
    return _numeric_id(15)


def new_persona_id() -> str:
    return _numeric_id(16)


def new_psid() -> str:
    return _numeric_id(_PSID_DIGITS)


def new_user_id() -> str:
    return "u_" + secrets.token_hex(8)


def new_attachment_id() -> str:
    """Numeric, as Messenger's ``attachment_id``."""
    return _numeric_id(_PSID_DIGITS)


def new_mid() -> str:
    return "m_" + secrets.token_urlsafe(24)


def new_token(prefix: str) -> str:
    """A bearer secret of 256 bits, shown once and stored only as ``token_hash``."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Hash of a high-entropy token for storage and lookup (no salt needed at 256 bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_trace_id() -> str:
    return "A" + secrets.token_urlsafe(15)


def derive_app_secret(secret_key: bytes, app_id: str, version: int) -> str:
    """A business's app secret, derived rather than stored (rotation bumps ``version``).

    The platform keeps only ``secret_key`` (its own key file) and the secret's hash; the
    bank is shown the secret once, when it is created or rotated.
    """
    message = f"app-secret:{app_id}:{version}".encode()
    return hmac.new(secret_key, message, hashlib.sha256).hexdigest()[:32]


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """Graph API's ``appsecret_proof``: hex HMAC-SHA256 of the token keyed by the app secret."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()
