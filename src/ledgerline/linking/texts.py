"""The words of account linking, per locale, kept out of the code: ``locales/<lang>.json``.

The consent screen's wording has a *version*: a hash of everything the screen can say in
that locale (its strings and its template). A consent record stores the version the person
was shown, so the exact text behind any consent can be told later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ledgerline.domain.scopes import Scope
from ledgerline.language.formatter import long_date_at

SUPPORTED_LOCALES = ("vi", "en")
FALLBACK_LOCALE = "en"
SCOPE_ORDER: tuple[Scope, ...] = (
    Scope.BALANCES,
    Scope.TRANSACTIONS,
    Scope.RECEIPTS,
    Scope.SHIPMENTS,
    Scope.FRAUD_ALERTS,
    Scope.CUSTOMER_SERVICE,
)


def pick_locale(*candidates: str | None) -> str:
    """The first supported locale among ``candidates`` (``vi-VN`` counts as ``vi``)."""
    for candidate in candidates:
        if candidate:
            lang = candidate.split(",")[0].split(";")[0].strip().lower()[:2]
            if lang in SUPPORTED_LOCALES:
                return lang
    return FALLBACK_LOCALE


@dataclass(frozen=True, slots=True)
class Catalogue:
    locale: str
    data: dict[str, Any]
    version: str

    def text(self, section: str, key: str, **values: object) -> str:
        template: str = self.data[section][key]
        return template.format(**values)

    def scope_name(self, scope: Scope) -> str:
        name: str = self.data["scopes"][scope.value]["name"]
        return name

    def scope_line(self, scope: Scope, **values: object) -> str:
        """What sharing ``scope`` does, in one line (the consent screen)."""
        line: str = self.data["scopes"][scope.value]["line"]
        return line.format(**values)

    def scope_purposes(self, scope: Scope, **values: object) -> list[str]:
        return [p.format(**values) for p in self.data["scopes"][scope.value]["purposes"]]

    def scope_list(self, scopes: Iterable[Scope]) -> str:
        chosen = set(scopes)
        return ", ".join(self.scope_name(s) for s in SCOPE_ORDER if s in chosen)

    def date(self, ms: int, timezone: str | None = None) -> str:
        return long_date_at(ms, self.locale, timezone)


def _read(package: str, name: str) -> bytes:
    return resources.files(package).joinpath(name).read_bytes()


@cache
def catalogue(locale: str) -> Catalogue:
    lang = pick_locale(locale)
    raw = _read("ledgerline.linking", f"locales/{lang}.json")
    data = json.loads(raw)
    shown = {"consent": data["consent"], "scopes": data["scopes"]}
    digest = hashlib.sha256()
    digest.update(json.dumps(shown, sort_keys=True, ensure_ascii=False).encode())
    digest.update(_read("ledgerline.linking", "templates/consent.html"))
    version = f"{lang}-{digest.hexdigest()[:16]}"
    return Catalogue(locale=lang, data=data, version=version)


def known_versions() -> dict[str, str]:
    """Consent text version → locale, for every supported locale."""
    return {catalogue(lang).version: lang for lang in SUPPORTED_LOCALES}


def ordered(scopes: Iterable[Scope]) -> list[Scope]:
    chosen = set(scopes)
    return [s for s in SCOPE_ORDER if s in chosen]
