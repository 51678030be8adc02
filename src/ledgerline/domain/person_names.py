"""A person's name as Messenger's user profile splits it: first, last and full.

Ledgerline keeps one display name per person. Messenger's ``first_name`` is the given name:
in Vietnamese (and other family-name-first locales) that is the *last* word of the name
("Nguyễn Văn An" → first ``An``, last ``Nguyễn``); otherwise the first word ("Jane Q. Doe" →
``Jane``, ``Doe``). A one-word name is the first name, with an empty last name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PersonNames:
    first_name: str
    last_name: str
    full_name: str


FAMILY_NAME_FIRST = frozenset({"vi", "zh", "ja", "ko", "hu"})


def split_name(name: str, locale: str | None) -> PersonNames:
    words = name.split()
    full = " ".join(words)
    if len(words) < 2:
        return PersonNames(first_name=full, last_name="", full_name=full)
    lang = (locale or "").replace("-", "_").split("_")[0].lower()
    if lang in FAMILY_NAME_FIRST:
        return PersonNames(first_name=words[-1], last_name=words[0], full_name=full)
    return PersonNames(first_name=words[0], last_name=words[-1], full_name=full)
