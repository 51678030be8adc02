"""Secrets of the linking flow: tokens, redirect URLs and signed consent tickets.

* ``account_linking_token`` and ``state`` (in ``redirect_uri``): 256 bits from ``secrets``,
  stored only as SHA-256 hashes, single-use, 5 minutes.
* Consent tickets: short-lived values signed with a key derived from the platform's secret
  key (HMAC-SHA256). An *entry* ticket opens the consent screen in a browser that has no
  session yet; a *form* ticket rides in the consent form and is bound to a cookie of the
  browser that loaded it (CSRF and login-CSRF protection), and is spent once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

TOKEN_LIFETIME_MS = 5 * 60 * 1000
TICKET_LIFETIME_MS = 10 * 60 * 1000


def new_secret() -> str:
    """256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def append_query(url: str, params: dict[str, str]) -> str:
    """Add ``params`` to ``url``'s query (with ``&`` when it has one), before any fragment."""
    parts = urlsplit(url)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _ticket_key(secret_key: bytes) -> bytes:
    return hmac.new(secret_key, b"ledgerline.linking.ticket.v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_ticket(secret_key: bytes, payload: dict[str, Any]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(_ticket_key(secret_key), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def read_ticket(secret_key: bytes, ticket: str, *, kind: str, now: int) -> dict[str, Any] | None:
    """The payload of a valid, unexpired ticket of ``kind``; None otherwise."""
    if ticket.count(".") != 1 or len(ticket) > 4000:
        return None
    body, mac = ticket.split(".")
    expected = hmac.new(_ticket_key(secret_key), body.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, json.JSONDecodeError):
        return None
    if not isinstance(payload, dict) or payload.get("k") != kind:
        return None
    expires = payload.get("exp")
    if not isinstance(expires, int) or expires <= now:
        return None
    return payload


@dataclass(frozen=True, slots=True)
class EntryTicket:
    user_id: str
    page_id: str
    url: str


def entry_ticket(secret_key: bytes, *, user_id: str, page_id: str, url: str, now: int) -> str:
    return sign_ticket(
        secret_key,
        {"k": "entry", "u": user_id, "p": page_id, "url": url, "exp": now + TICKET_LIFETIME_MS},
    )


def read_entry_ticket(secret_key: bytes, ticket: str, *, now: int) -> EntryTicket | None:
    payload = read_ticket(secret_key, ticket, kind="entry", now=now)
    if payload is None:
        return None
    try:
        return EntryTicket(str(payload["u"]), str(payload["p"]), str(payload["url"]))
    except KeyError:
        return None


@dataclass(frozen=True, slots=True)
class FormTicket:
    user_id: str
    page_id: str
    url: str
    nonce: str  # spent once (stored hashed with the link token)
    cookie_hash: str  # digest of the browser's consent cookie
    version: str  # the consent text version the form showed


def form_ticket(
    secret_key: bytes,
    *,
    user_id: str,
    page_id: str,
    url: str,
    cookie: str,
    version: str,
    now: int,
) -> str:
    return sign_ticket(
        secret_key,
        {
            "k": "form",
            "u": user_id,
            "p": page_id,
            "url": url,
            "n": new_secret(),
            "c": digest(cookie),
            "v": version,
            "exp": now + TICKET_LIFETIME_MS,
        },
    )


def read_form_ticket(secret_key: bytes, ticket: str, *, now: int) -> FormTicket | None:
    payload = read_ticket(secret_key, ticket, kind="form", now=now)
    if payload is None:
        return None
    try:
        return FormTicket(
            str(payload["u"]),
            str(payload["p"]),
            str(payload["url"]),
            str(payload["n"]),
            str(payload["c"]),
            str(payload["v"]),
        )
    except KeyError:
        return None
