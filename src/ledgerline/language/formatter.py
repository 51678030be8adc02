"""Texts of financial updates in the person's language: gettext catalogues and Babel.

Message texts live in ``language/locales/<lang>/LC_MESSAGES/updates.po`` (English is the
source language). A compiled ``updates.mo`` next to it is used when present and newer
(``pybabel compile -d src/ledgerline/language/locales -D updates``); otherwise the ``.po`` is
compiled in memory on first use, so a source checkout works unchanged. Amounts, numbers,
dates and times go through Babel in the person's locale and timezone (``125.000 ₫`` and
``0,8`` in vi); a date is never ambiguous: English gets the medium date ("Dec 7, 2026, 6:54
AM", never "12/7/26"), Vietnamese its day-first numeric one ("06:54 7/12/26"). Cards are
shown as ``•••• 1234``.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent

from ledgerline.domain.clock import from_ms

DOMAIN = "updates"
LOCALES_DIR = Path(__file__).parent / "locales"
SUPPORTED = ("en", "vi")
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
# The date's Babel format per language: a day-first numeric date reads unambiguously in
# Vietnamese; English's short one ("12/7/26") does not, so it gets the medium one.
DATE_FORMATS = {"vi": "short"}
# A date written out in a sentence ("until 5 June 2027"): Babel's long Vietnamese one is
# "5 tháng 6, 2027", which is not how Vietnamese is written; "5 tháng 6 năm 2027" is.
LONG_DATE_FORMATS = {"vi": "d 'tháng' M 'năm' y"}


def long_date(day: date, lang: str) -> str:
    """A date as a sentence says it, in ``lang`` (``vi``, ``en``, or a locale like ``vi_VN``)."""
    locale = lang.replace("-", "_")
    pattern = LONG_DATE_FORMATS.get(locale.split("_")[0], "long")
    return str(format_date(day, pattern, locale=locale))


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A gettext domain in a locales folder; texts it lacks come from ``fallback``
    (the assistant's catalogue falls back to the updates' one, whose texts it reuses)."""

    folder: Path
    domain: str
    fallback: Catalogue | None = None


UPDATES = Catalogue(LOCALES_DIR, DOMAIN)


def language_of(locale: str | None) -> str:
    lang = (locale or "en").replace("-", "_").split("_")[0].lower()
    return lang if lang in SUPPORTED else "en"


@cache
def translations(lang: str, catalogue: Catalogue = UPDATES) -> gettext.NullTranslations:
    """The catalogue of ``lang`` (``en`` is the source language: identity)."""
    found = _load(lang, catalogue)
    if catalogue.fallback is not None:
        found.add_fallback(translations(lang, catalogue.fallback))
    return found


def _load(lang: str, catalogue: Catalogue) -> gettext.NullTranslations:
    folder = catalogue.folder / lang / "LC_MESSAGES"
    mo = folder / f"{catalogue.domain}.mo"
    po = folder / f"{catalogue.domain}.po"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if po.exists():
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
    return gettext.NullTranslations()


@cache
def _babel_locale(lang: str) -> Locale:
    """Parsed once: Babel parses a locale given by name on every call."""
    return Locale.parse(lang)


@cache
def person_zone(name: str | None) -> ZoneInfo:
    """A person's timezone; one that is missing or unknown reads as the platform's default
    for people (``Asia/Ho_Chi_Minh``), never as the server's."""
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def long_date_at(ms: int, lang: str, timezone: str | None) -> str:
    """The day it is at ``ms`` where the person lives, as a sentence says it."""
    return long_date(from_ms(ms).astimezone(person_zone(timezone)).date(), lang)


@dataclass(frozen=True, slots=True)
class Formatter:
    """Formats texts, money and times for one person."""

    lang: str
    timezone: str
    catalogue: Catalogue = UPDATES

    @classmethod
    def for_person(
        cls, locale: str | None, timezone: str | None, catalogue: Catalogue = UPDATES
    ) -> Formatter:
        return cls(language_of(locale), timezone or DEFAULT_TZ, catalogue)

    def _(self, msgid: str, **values: Any) -> str:
        text = translations(self.lang, self.catalogue).gettext(msgid)
        return text.format(**values) if values else text

    def money(self, amount: dict[str, str], *, sign: str = "") -> str:
        value = Decimal(amount["amount"])
        text = format_currency(value, amount["currency"], locale=_babel_locale(self.lang))
        return f"{sign}{text}" if sign and value > 0 else text

    def when(self, ms: int) -> str:
        zone = person_zone(self.timezone)
        moment: datetime = from_ms(ms).astimezone(zone)
        locale = _babel_locale(self.lang)
        date = format_date(moment, DATE_FORMATS.get(self.lang, "medium"), locale=locale)
        time = format_time(moment, "short", tzinfo=zone, locale=locale)
        return str(locale.datetime_formats["short"]).format(time, date)

    def number(
        self, value: float | Decimal, *, places: int | None = None, grouped: bool = True
    ) -> str:
        """``0.8`` → ``"0,8"`` in vi; ``places`` fixes the digits after the separator (else up
        to six, as needed); ``grouped=False`` for a form field's value (``1000,5``)."""
        fraction = "0" * places if places is not None else "#" * 6
        pattern = ("#,##0" if grouped else "0") + ("." + fraction if fraction else "")
        return format_decimal(value, format=pattern, locale=_babel_locale(self.lang))

    def percent(self, share: float) -> str:
        """``0.8`` → ``"80%"`` (``"80 %"`` where the locale spaces it)."""
        return format_percent(share, locale=_babel_locale(self.lang))

    def local(self, ms: int) -> datetime:
        return from_ms(ms).astimezone(person_zone(self.timezone))

    @staticmethod
    def card(last4: str | None) -> str | None:
        return None if not last4 else f"•••• {last4}"
