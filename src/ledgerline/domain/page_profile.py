"""A page's Messenger Profile: what a bank sets with ``/me/messenger_profile``.

The properties are Messenger's (``get_started``, ``greeting``, ``persistent_menu``,
``ice_breakers``, ``whitelisted_domains``, ``account_linking_url``), validated with
Messenger's limits and normalised to one canonical form (nulls dropped, ``"true"``
booleans read, the legacy flat ``ice_breakers`` list moved under the ``default`` locale).
:func:`for_person` is what one person sees of it: the entries of their locale (else
``default``) and the greeting with ``{{user_first_name}}`` and friends filled in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ledgerline.domain.errors import InvalidParameter, TooManyElements, require_object
from ledgerline.domain.fields import parse_bool
from ledgerline.domain.messages import MAX_PAYLOAD, message_text, message_url
from ledgerline.domain.person_names import PersonNames

FIELDS = (
    "account_linking_url",
    "get_started",
    "greeting",
    "ice_breakers",
    "persistent_menu",
    "whitelisted_domains",
)
DEFAULT_LOCALE = "default"
MAX_GREETING = 160
MAX_MENU_ITEMS = 20  # top-level call_to_actions of one locale's menu
MAX_NESTED_ITEMS = 5  # items of one nested submenu
MAX_MENU_DEPTH = 3  # a nested submenu may hold another, at most three levels in all
MAX_MENU_TITLE = 30
MAX_ICE_BREAKERS = 4
MAX_QUESTION = 80
MAX_DOMAINS = 50
WEBVIEW_RATIOS = ("compact", "tall", "full")
_LOCALE = re.compile(r"[a-z]{2,3}_[A-Z]{2}")
GREETING_NAMES = ("user_first_name", "user_last_name", "user_full_name")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class GetStartedRequired(InvalidParameter):
    subcode = 2018145
    default_message = "You must set a Get Started button if you also wish to use persistent menu."


def _bad(param: str, problem: str) -> InvalidParameter:
    return InvalidParameter(f"param {param} {problem}")


def _as_dict(value: Any, param: str) -> dict[str, Any]:
    """An object with its ``null`` members dropped (Messenger's "unset")."""
    return {k: v for k, v in require_object(value, param).items() if v is not None}


def _as_list(value: Any, param: str) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(param, "must be an array")
    return value


def _required_text(value: Any, param: str, *, limit: int) -> str:
    return message_text(limit).read(value, param)


def _url(value: Any, param: str) -> str:
    return message_url().read(value, param)


def _only(item: dict[str, Any], allowed: Sequence[str], param: str) -> None:
    unknown = [key for key in item if key not in allowed]
    if unknown:
        keys = ", ".join(sorted(unknown))
        raise InvalidParameter(f'Invalid keys "{keys}" were found in param "{param}".')


def _locale(value: Any, param: str) -> str:
    locale = DEFAULT_LOCALE if value is None else value
    if not isinstance(locale, str) or not (locale == DEFAULT_LOCALE or _LOCALE.fullmatch(locale)):
        raise _bad(param, 'must be "default" or a locale such as vi_VN or en_US')
    return locale


def _per_locale(raw: Any, param: str, item: Any) -> list[dict[str, Any]]:
    """A list of per-locale entries, one of them ``default``, each locale once."""
    entries = _as_list(raw, param)
    if not entries:
        raise _bad(param, "must have at least 1 element")
    out = [item(entry, f"{param}[{i}]") for i, entry in enumerate(entries)]
    locales = [entry["locale"] for entry in out]
    if len(set(locales)) != len(locales):
        raise _bad(param, "has the same locale more than once")
    if DEFAULT_LOCALE not in locales:
        raise _bad(param, 'must include the "default" locale')
    return out


def _get_started(raw: Any) -> dict[str, Any]:
    value = _as_dict(raw, "get_started")
    _only(value, ("payload",), "get_started")
    return {
        "payload": _required_text(value.get("payload"), "get_started[payload]", limit=MAX_PAYLOAD)
    }


def _greeting_entry(raw: Any, param: str) -> dict[str, Any]:
    entry = _as_dict(raw, param)
    _only(entry, ("locale", "text"), param)
    text = _required_text(entry.get("text"), f"{param}[text]", limit=MAX_GREETING)
    for name in _PLACEHOLDER.findall(text):
        if name not in GREETING_NAMES:
            raise _bad(f"{param}[text]", f"has an unknown placeholder {{{{{name[:40]}}}}}")
    return {"locale": _locale(entry.get("locale"), f"{param}[locale]"), "text": text}


def _menu_item(raw: Any, param: str, depth: int) -> dict[str, Any]:
    item = _as_dict(raw, param)
    kind = item.get("type")
    title = _required_text(item.get("title"), f"{param}[title]", limit=MAX_MENU_TITLE)
    if kind == "postback":
        _only(item, ("type", "title", "payload"), param)
        payload = _required_text(item.get("payload"), f"{param}[payload]", limit=MAX_PAYLOAD)
        return {"type": kind, "title": title, "payload": payload}
    if kind == "web_url":
        keys = ("type", "title", "url", "webview_height_ratio", "messenger_extensions")
        _only(item, (*keys, "fallback_url", "webview_share_button"), param)
        out: dict[str, Any] = {
            "type": kind,
            "title": title,
            "url": _url(item.get("url"), f"{param}[url]"),
        }
        ratio = item.get("webview_height_ratio")
        if ratio is not None:
            if ratio not in WEBVIEW_RATIOS:
                raise _bad(
                    f"{param}[webview_height_ratio]", f"must be one of {', '.join(WEBVIEW_RATIOS)}"
                )
            out["webview_height_ratio"] = ratio
        if "messenger_extensions" in item:
            out["messenger_extensions"] = parse_bool(
                item["messenger_extensions"], f"{param}[messenger_extensions]"
            )
        if "fallback_url" in item:
            out["fallback_url"] = _url(item["fallback_url"], f"{param}[fallback_url]")
        if "webview_share_button" in item:
            if item["webview_share_button"] != "hide":
                raise _bad(f"{param}[webview_share_button]", 'must be "hide"')
            out["webview_share_button"] = "hide"
        return out
    if kind == "nested":
        _only(item, ("type", "title", "call_to_actions"), param)
        if depth >= MAX_MENU_DEPTH:
            raise _bad(param, f"nests menus more than {MAX_MENU_DEPTH} levels deep")
        items = _menu_items(item.get("call_to_actions"), f"{param}[call_to_actions]", depth + 1)
        return {"type": kind, "title": title, "call_to_actions": items}
    raise _bad(f"{param}[type]", "must be one of postback, web_url, nested")


def _menu_items(raw: Any, param: str, depth: int) -> list[dict[str, Any]]:
    items = _as_list(raw, param)
    if not items:
        raise _bad(param, "must have at least 1 element")
    limit = MAX_MENU_ITEMS if depth == 1 else MAX_NESTED_ITEMS
    if len(items) > limit:
        raise TooManyElements(f"param {param} has too many elements (at most {limit})")
    return [_menu_item(item, f"{param}[{i}]", depth) for i, item in enumerate(items)]


def _menu_entry(raw: Any, param: str) -> dict[str, Any]:
    entry = _as_dict(raw, param)
    _only(
        entry, ("locale", "composer_input_disabled", "call_to_actions", "disabled_surfaces"), param
    )
    disabled = parse_bool(
        entry.get("composer_input_disabled", False), f"{param}[composer_input_disabled]"
    )
    out: dict[str, Any] = {
        "locale": _locale(entry.get("locale"), f"{param}[locale]"),
        "composer_input_disabled": disabled,
    }
    if "call_to_actions" in entry:
        out["call_to_actions"] = _menu_items(
            entry["call_to_actions"], f"{param}[call_to_actions]", 1
        )
    elif disabled:
        raise _bad(f"{param}[call_to_actions]", "is required when composer_input_disabled is true")
    else:
        out["call_to_actions"] = []
    if "disabled_surfaces" in entry:
        surfaces = _as_list(entry["disabled_surfaces"], f"{param}[disabled_surfaces]")
        if any(s != "CUSTOMER_CHAT_PLUGIN" for s in surfaces):
            raise _bad(f"{param}[disabled_surfaces]", "may only contain CUSTOMER_CHAT_PLUGIN")
        out["disabled_surfaces"] = list(surfaces)
    return out


def _ice_breaker(raw: Any, param: str) -> dict[str, Any]:
    item = _as_dict(raw, param)
    _only(item, ("question", "payload"), param)
    return {
        "question": _required_text(item.get("question"), f"{param}[question]", limit=MAX_QUESTION),
        "payload": _required_text(item.get("payload"), f"{param}[payload]", limit=MAX_PAYLOAD),
    }


def _ice_breaker_entry(raw: Any, param: str) -> dict[str, Any]:
    entry = _as_dict(raw, param)
    _only(entry, ("locale", "call_to_actions"), param)
    questions = _as_list(entry.get("call_to_actions"), f"{param}[call_to_actions]")
    if not questions:
        raise _bad(f"{param}[call_to_actions]", "must have at least 1 element")
    if len(questions) > MAX_ICE_BREAKERS:
        raise TooManyElements(
            f"param {param}[call_to_actions] has too many elements (at most {MAX_ICE_BREAKERS})"
        )
    return {
        "locale": _locale(entry.get("locale"), f"{param}[locale]"),
        "call_to_actions": [
            _ice_breaker(q, f"{param}[call_to_actions][{i}]") for i, q in enumerate(questions)
        ],
    }


def _ice_breakers(raw: Any) -> list[dict[str, Any]]:
    entries = _as_list(raw, "ice_breakers")
    if entries and all(isinstance(e, Mapping) and "question" in e for e in entries):
        # The first format Messenger had: one flat list of questions, for every locale.
        raw = [{"locale": DEFAULT_LOCALE, "call_to_actions": entries}]
    return _per_locale(raw, "ice_breakers", _ice_breaker_entry)


def _domains(raw: Any) -> list[str]:
    domains = _as_list(raw, "whitelisted_domains")
    if len(domains) > MAX_DOMAINS:
        raise TooManyElements(
            f"param whitelisted_domains has too many elements (at most {MAX_DOMAINS})"
        )
    out = []
    for i, value in enumerate(domains):
        url = _required_text(value, f"whitelisted_domains[{i}]", limit=2000)
        if not url.lower().startswith("https://"):
            raise _bad(f"whitelisted_domains[{i}]", "must be an https URL")
        out.append(url)
    return out


def _account_linking_url(raw: Any) -> str:
    return _url(raw, "account_linking_url")


def normalize_profile(params: Mapping[str, Any]) -> dict[str, Any]:
    """The profile properties present in ``params`` (a request's decoded parameters), each
    validated and normalised; at least one is required."""
    readers = {
        "account_linking_url": _account_linking_url,
        "get_started": _get_started,
        "greeting": lambda raw: _per_locale(raw, "greeting", _greeting_entry),
        "ice_breakers": _ice_breakers,
        "persistent_menu": normalize_menu,
        "whitelisted_domains": _domains,
    }
    given = {name: params[name] for name in FIELDS if params.get(name) is not None}
    if not given:
        raise InvalidParameter(f"Requires one of the params: {','.join(FIELDS)}")
    return {name: readers[name](value) for name, value in given.items()}


def normalize_menu(raw: Any) -> list[dict[str, Any]]:
    """A ``persistent_menu`` on its own (a person's menu, ``/me/custom_user_settings``)."""
    if raw is None:
        raise _bad("persistent_menu", "is required")
    return _per_locale(raw, "persistent_menu", _menu_entry)


def field_names(raw: Any, *, required: bool = True) -> list[str]:
    """``fields`` of a GET or DELETE: ``"a,b"``, ``["a","b"]``; each must be a property."""
    if raw is None or raw == "" or raw == []:
        if required:
            raise _bad("fields", "is required")
        return []
    values = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(values, list):
        raise _bad("fields", "must be an array of property names")
    names: list[str] = []
    for i, value in enumerate(values):
        name = value.strip() if isinstance(value, str) else value
        if name not in FIELDS:
            raise _bad(f"fields[{i}]", f"must be one of {', '.join(FIELDS)}")
        if name not in names:
            names.append(name)
    return names


def _for_locale(entries: Sequence[Mapping[str, Any]], lang: str) -> Mapping[str, Any] | None:
    """The entry for the person's language (``vi`` matches ``vi_VN``), else ``default``."""
    exact = [e for e in entries if str(e["locale"]).split("_")[0] == lang]
    if exact:
        return min(exact, key=lambda e: str(e["locale"]))
    return next((e for e in entries if e["locale"] == DEFAULT_LOCALE), None)


def fill_greeting(text: str, names: PersonNames) -> str:
    values = {
        "user_first_name": names.first_name,
        "user_last_name": names.last_name,
        "user_full_name": names.full_name,
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def for_person(profile: Mapping[str, Any], *, lang: str, names: PersonNames) -> dict[str, Any]:
    """What the person's app shows before and around the conversation, in their language."""
    greeting = _for_locale(profile.get("greeting") or [], lang)
    menu = _for_locale(profile.get("persistent_menu") or [], lang)
    breakers = _for_locale(profile.get("ice_breakers") or [], lang)
    return {
        "greeting": None if greeting is None else fill_greeting(str(greeting["text"]), names),
        "get_started": "get_started" in profile,
        "ice_breakers": [] if breakers is None else list(breakers["call_to_actions"]),
        "persistent_menu": None
        if menu is None
        else {
            "composer_input_disabled": bool(menu["composer_input_disabled"]),
            "call_to_actions": list(menu["call_to_actions"]),
        },
    }
