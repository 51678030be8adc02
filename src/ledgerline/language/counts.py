"""A person's records counted in words, vi and en: "12 transactions, 1 receipt, 12 updates".

What the access log says a business shared and what ending a link erased. English is the
source language; the Vietnamese is in the chat catalogue (``language/locales/vi/LC_MESSAGES/
updates.po``), plurals as ``ngettext`` and the word for none under ``msgctxt "none counted"``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ledgerline.language.formatter import UPDATES, translations

LANGUAGES = ("en", "vi")


def N_(msgid: str) -> str:
    """Marks a source text for extraction; translated where it is used."""
    return msgid


# "{n} <kind>" with the plural where the language has one (singular, plural); none found:
# "no …" in English, "0 …" in Vietnamese (the "none counted" word).
COUNTED = {
    "transaction": (N_("{n} transaction"), N_("{n} transactions")),
    "balance": (N_("{n} balance"), N_("{n} balances")),
    "receipt": (N_("{n} receipt"), N_("{n} receipts")),
    "shipment": (N_("{n} delivery update"), N_("{n} delivery updates")),
    "fraud_alert": (N_("{n} fraud alert"), N_("{n} fraud alerts")),
    "chat_message": (N_("{n} update"), N_("{n} updates")),
}
YOUR_DATA = N_("your data")
KIND_ORDER = ("transaction", "balance", "receipt", "shipment", "fraud_alert", "chat_message")


def language(locale: str) -> str:
    """``vi`` or ``en`` as given; anything else reads as ``en``."""
    return locale if locale in LANGUAGES else "en"


def counted(kind: str | None, n: int, locale: str) -> str:
    """``n`` records of ``kind`` in words ("12 transactions", "no receipts"); an unknown or
    no kind is "your data"."""
    texts = translations(language(locale), UPDATES)
    forms = COUNTED.get(kind) if kind is not None else None
    if forms is None:
        return texts.gettext(YOUR_DATA)
    if n == 0:
        return texts.ngettext(*forms, 0).format(n=texts.pgettext("none counted", "no"))
    return texts.ngettext(*forms, n).format(n=n)


def held_list(counts: Mapping[str, int], locale: str) -> str:
    """ "12 transactions, 1 receipt, 12 updates": what a business shared that is held."""
    kinds = [kind for kind in KIND_ORDER if counts.get(kind)]
    return ", ".join(counted(kind, counts[kind], locale) for kind in kinds)
