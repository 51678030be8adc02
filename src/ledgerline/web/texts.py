"""Translations: one JSON catalogue per locale (``static/i18n/<locale>.json``), used by the
server's templates and fetched by the page's JavaScript; an area may keep its own keys in
``static/i18n/<area>.<locale>.json`` (merged in for the templates; e.g. the agent inbox)."""

from __future__ import annotations

import functools
import json
from importlib import resources

from starlette.requests import HTTPConnection

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LANG_COOKIE = "ll_lang"  # the language last picked with ?lang= (not a secret)


@functools.cache
def catalogue(locale: str) -> dict[str, str]:
    folder = resources.files("ledgerline.web").joinpath("static/i18n")
    data: dict[str, str] = json.loads(folder.joinpath(f"{locale}.json").read_text())
    for extra in sorted(folder.iterdir(), key=lambda f: f.name):
        if extra.name.endswith(f".{locale}.json"):
            data.update(json.loads(extra.read_text()))
    return data


def translate(locale: str, key: str, **values: object) -> str:
    text = catalogue(locale).get(key) or catalogue("en").get(key) or key
    return text.format(**values) if values else text


def pick_locale(conn: HTTPConnection, preferred: str | None = None) -> str:
    """``?lang=``, else the person's own locale, else the language picked earlier, else the
    browser's Accept-Language."""
    for candidate in (conn.query_params.get("lang"), preferred, conn.cookies.get(LANG_COOKIE)):
        if candidate in LOCALES:
            return candidate
    for part in conn.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE
