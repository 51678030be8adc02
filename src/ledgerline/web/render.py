"""Page rendering: Jinja with autoescaping on, the locale's catalogue as ``t``, and the
security headers (CSP without inline scripts, no framing, no caching) on every page."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse

from ledgerline.web.security import secure_headers
from ledgerline.web.texts import LANG_COOKIE, LOCALES, translate


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ledgerline.web", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        auto_reload=False,
    )
    env.filters["ms_time"] = _ms_time
    return env


def _ms_time(ms: int | None) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _lang_links(conn: HTTPConnection) -> dict[str, str]:
    """The language switch keeps the rest of the query (e.g. sign-in's ``next``)."""
    kept = [(k, v) for k, v in conn.query_params.multi_items() if k != "lang"]
    return {code: "?" + urlencode([*kept, ("lang", code)]) for code in LOCALES}


def render(
    conn: HTTPConnection, template: str, locale: str, *, status: int = 200, **values: Any
) -> HTMLResponse:
    def t(key: str, **kw: object) -> str:
        return translate(locale, key, **kw)

    html = (
        environment()
        .get_template(template)
        .render(locale=locale, t=t, lang_links=_lang_links(conn), **values)
    )
    response = HTMLResponse(html, status_code=status)
    if conn.query_params.get("lang") in LOCALES:
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax")
    secure_headers(response)
    return response


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    secure_headers(response)
    return response
