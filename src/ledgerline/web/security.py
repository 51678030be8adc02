"""Cookies, CSRF and origin checks, security headers, and the API's session resolver."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import Response

from ledgerline.identity.errors import CsrfRejected, SessionExpired
from ledgerline.identity.sessions import PERSON, csrf_ok, csrf_token
from ledgerline.web.config import web_config

PERSON_COOKIE = "ll_session"
CONSOLE_COOKIE = "ll_console"
PRE_COOKIE = "ll_pre"  # binds the sign-in / sign-up forms' CSRF token before a session exists
PRE = "pre"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def secure_headers(response: Response) -> Response:
    response.headers.update(PAGE_HEADERS)
    return response


def client_address(conn: HTTPConnection) -> str | None:
    """The client's address, what sign-in throttles count per source (uvicorn takes it
    from ``X-Forwarded-For`` only when the proxy is in ``--forwarded-allow-ips``)."""
    return conn.client.host if conn.client else None


def set_cookie(
    conn: HTTPConnection, response: Response, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=web_config(conn).secure_cookies,
    )


def clear_cookie(conn: HTTPConnection, response: Response, name: str) -> None:
    response.delete_cookie(
        name, path="/", httponly=True, samesite="lax", secure=web_config(conn).secure_cookies
    )


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(conn: HTTPConnection) -> set[str]:
    own_scheme = {"ws": "http", "wss": "https"}.get(conn.url.scheme, conn.url.scheme)
    host = conn.headers.get("host", conn.url.netloc)
    return {f"{own_scheme}://{host}".lower(), _origin_of(web_config(conn).public_url)}


def same_origin(conn: HTTPConnection) -> bool:
    """The request comes from one of our own pages (Origin, else Referer, when present)."""
    origin = conn.headers.get("origin")
    if origin is None or origin == "null":
        referer = conn.headers.get("referer")
        if referer is None:
            return origin is None  # neither header: a non-browser client; the token decides
        origin = _origin_of(referer)
    return origin.lower() in allowed_origins(conn)


def pre_session(conn: HTTPConnection) -> tuple[str, str | None]:
    """The CSRF token for the sign-in / sign-up forms, and the binding cookie's new value
    when the browser has none yet (the caller sets it with ``set_cookie``)."""
    value = conn.cookies.get(PRE_COOKIE)
    fresh = None
    if not value or len(value) > 100:
        value = fresh = secrets.token_urlsafe(32)
    return csrf_token(web_config(conn).secret_key, PRE, value), fresh


def check_pre_session_form(conn: HTTPConnection, given: str | None) -> None:
    if not same_origin(conn) or not csrf_ok(
        web_config(conn).secret_key, PRE, conn.cookies.get(PRE_COOKIE), given
    ):
        raise CsrfRejected()


def check_session_form(conn: HTTPConnection, kind: str, session_id: str, given: str | None) -> None:
    if not same_origin(conn) or not csrf_ok(web_config(conn).secret_key, kind, session_id, given):
        raise CsrfRejected()


async def person_session_user(conn: HTTPConnection) -> str | None:
    """``app.state.session_resolver``: the person signed in with the session cookie.

    No cookie: ``None`` (the API then asks for a bearer token). On the person API
    (``/api/…``) and its WebSocket, a cookie whose session is gone raises ``SessionExpired``;
    state-changing API requests must come from our origin and carry the session's CSRF token
    in ``X-CSRF-Token`` (else ``CsrfRejected``); a WebSocket must come from our origin.
    Other pages (e.g. the consent screen) get ``None`` for a dead session and protect their
    own forms.
    """
    session_id = conn.cookies.get(PERSON_COOKIE)
    if not session_id:
        return None
    websocket = conn.scope["type"] == "websocket"
    api = websocket or conn.url.path.startswith("/api/")
    row = await web_config(conn).identity.resolve(PERSON, session_id)
    if row is None:
        if api:
            raise SessionExpired()
        return None
    if websocket:
        if conn.headers.get("origin") is not None and not same_origin(conn):
            raise CsrfRejected("Cross-origin WebSocket refused")
    elif api and conn.scope.get("method", "GET") not in SAFE_METHODS:
        check_session_form(conn, PERSON, session_id, conn.headers.get("x-csrf-token"))
    return row.subject_id
