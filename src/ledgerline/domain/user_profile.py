"""The User Profile API's fields (``GET /{PSID}?fields=…``): what a business may learn.

The rules (``docs/privacy.md``, "What a business learns about a person"):

* ``first_name``, ``last_name``, ``name`` — to a business the person wrote to (only they
  have a PSID), as Messenger: the person chose to talk to it.
* ``profile_pic`` — Ledgerline keeps no photos: one neutral avatar, the same for everyone.
* ``locale`` — the person's language (``vi_VN``, ``en_US``): their messages show it anyway,
  and it lets the bank answer in it.
* ``timezone`` — hours from UTC, now: it says roughly where the person is, so only to a
  business the person has linked their account with (consent in force); omitted otherwise.
* ``gender`` — accepted (client libraries ask for it by default), never answered: not held.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.fields import Obj
from ledgerline.domain.person_names import PersonNames

FIELDS = ("first_name", "last_name", "name", "profile_pic", "locale", "timezone", "gender")
DEFAULT_FIELDS = ("first_name", "last_name", "profile_pic")  # Messenger's default
MESSENGER_LOCALES = {"vi": "vi_VN", "en": "en_US"}
AVATAR_PATH = "/static/avatar.svg"


class UnsupportedGet(InvalidParameter):
    """Graph's answer for a node the caller may not see (another page's PSID, a made-up
    one): the same whether it exists or not."""

    subcode = 33
    error_type = "GraphMethodException"

    def __init__(self, node: str) -> None:
        super().__init__(
            f"Unsupported get request. Object with ID '{node[:40]}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation."
        )


def requested_fields(raw: Any) -> list[str]:
    """``fields=a,b`` (Messenger's defaults when absent); an unknown one is Graph's error."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return list(DEFAULT_FIELDS)
    if not isinstance(raw, str):
        raise InvalidParameter("param fields must be a comma-separated string")
    names: list[str] = []
    for part in raw.split(","):
        name = part.strip()
        if name not in FIELDS:
            raise InvalidParameter(
                f"Tried accessing nonexisting field ({name[:40]}) on node type (User)"
            )
        if name not in names:
            names.append(name)
    return names


_ONE_OF = "|".join(FIELDS)


@dataclass(frozen=True, slots=True)
class ProfileFieldNames:
    """``?fields=`` of the User Profile API (``requested_fields``), as a field spec: the
    same declaration reads the query and documents it."""

    required: bool = False

    def parse(self, value: Any, param: str) -> list[str]:
        return requested_fields(value)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "string",
            "pattern": f"^ *({_ONE_OF}) *(, *({_ONE_OF}) *)*$",
            "default": ",".join(DEFAULT_FIELDS),
            "description": "Comma-separated, any of "
            + ", ".join(f"`{name}`" for name in FIELDS)
            + ". An unknown field: `(#100) Tried accessing nonexisting field`",
            "examples": ["first_name,last_name,profile_pic,locale"],
        }


PROFILE_QUERY = Obj("UserProfileQuery", {"fields": ProfileFieldNames()})


def utc_offset_hours(zone: str, now: datetime) -> float | int | None:
    try:
        offset = now.astimezone(ZoneInfo(zone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return None
    if offset is None:  # pragma: no cover - a ZoneInfo always has an offset
        return None
    hours = offset.total_seconds() / 3600
    return int(hours) if hours.is_integer() else hours


def user_profile(
    fields: list[str],
    *,
    psid: str,
    names: PersonNames,
    locale: str,
    timezone: str,
    linked: bool,
    now: datetime,
    avatar_url: str,
) -> dict[str, Any]:
    """The answer: the fields asked for that the business may have, then ``id``."""
    values: Mapping[str, Any] = {
        "first_name": names.first_name,
        "last_name": names.last_name,
        "name": names.full_name,
        "profile_pic": avatar_url,
        "locale": MESSENGER_LOCALES.get(locale.split("_")[0], locale),
        "timezone": utc_offset_hours(timezone, now) if linked else None,
    }
    out = {name: values[name] for name in fields if values.get(name) is not None}
    out["id"] = psid
    return out
