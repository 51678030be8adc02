"""A page's Messenger Profile: what a bank sets with ``/me/messenger_profile``.

The properties are Messenger's (``get_started``, ``greeting``, ``persistent_menu``,
``ice_breakers``, ``whitelisted_domains``, ``account_linking_url``), declared once as field
specs (``domain.fields``): ``PROFILE`` validates them with Messenger's limits and normalises
them to one canonical form (nulls dropped, ``"true"`` booleans read, the legacy flat
``ice_breakers`` list moved under the ``default`` locale), and the OpenAPI document shows
``json_schemas(PROFILE)`` (``PERSON_MENU`` and ``PROFILE_FIELDS`` likewise for a person's
menu and for what a ``DELETE`` names). :func:`for_person` is what one person sees of it: the
entries of their locale (else ``default``) and the greeting with ``{{user_first_name}}`` and
friends filled in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledgerline.domain.errors import InvalidParameter, bad_param
from ledgerline.domain.fields import (
    Array,
    Checked,
    Choice,
    Closed,
    Flag,
    Given,
    Obj,
    PageScopedId,
    Spec,
    Tagged,
    Text,
    too_many_elements,
)
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
MAX_DOMAIN = 2000
WEBVIEW_RATIOS = ("compact", "tall", "full")
SURFACES = ("CUSTOMER_CHAT_PLUGIN",)
_LOCALE = re.compile(r"[a-z]{2,3}_[A-Z]{2}")
GREETING_NAMES = ("user_first_name", "user_last_name", "user_full_name")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
AT_LEAST_ONE = "must have at least 1 element"


class GetStartedRequired(InvalidParameter):
    subcode = 2018145
    default_message = "You must set a Get Started button if you also wish to use persistent menu."


@dataclass(frozen=True, slots=True)
class Locale:
    """``default`` (also when absent) or a locale such as ``vi_VN``."""

    required: bool = False

    def parse(self, value: Any, param: str) -> str:
        locale = DEFAULT_LOCALE if value is None else value
        if not isinstance(locale, str) or not (
            locale == DEFAULT_LOCALE or _LOCALE.fullmatch(locale)
        ):
            raise bad_param(param, 'must be "default" or a locale such as vi_VN or en_US')
        return locale

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "string",
            "pattern": f"^({DEFAULT_LOCALE}|{_LOCALE.pattern})$",
            "default": DEFAULT_LOCALE,
            "description": "`default` (required once in a list) or a locale such as `vi_VN`; "
            "the person sees their language's entry, else `default`",
        }


@dataclass(frozen=True, slots=True)
class Surfaces:
    """A menu's ``disabled_surfaces``: only ``CUSTOMER_CHAT_PLUGIN`` may be named."""

    required: bool = False

    def parse(self, value: Any, param: str) -> list[Any] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            raise bad_param(param, "must be an array")
        if any(surface not in SURFACES for surface in value):
            raise bad_param(param, f"may only contain {', '.join(SURFACES)}")
        return list(value)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string", "enum": list(SURFACES)}}


def _per_locale(entry: Spec, *, description: str = "") -> Checked:
    """A list of per-locale entries, one of them ``default``, each locale once."""
    entries = Array(
        entry, max_length=None, required=False, too_few=AT_LEAST_ONE, missing_is_empty=False
    )
    return Checked(Given(entries, description=description), _one_per_locale)


def _one_per_locale(entries: list[dict[str, Any]], param: str) -> list[dict[str, Any]]:
    locales = [entry["locale"] for entry in entries]
    if len(set(locales)) != len(locales):
        raise bad_param(param, "has the same locale more than once")
    if DEFAULT_LOCALE not in locales:
        raise bad_param(param, 'must include the "default" locale')
    return entries


def _items(item: Spec, limit: int, *, required: bool = True) -> Array:
    return Array(
        item,
        max_length=limit,
        required=required,
        too_few=AT_LEAST_ONE,
        over=too_many_elements,
        missing_is_empty=False,
    )


def _known_placeholders(text: str, param: str) -> str:
    for name in _PLACEHOLDER.findall(text):
        if name not in GREETING_NAMES:
            raise bad_param(param, f"has an unknown placeholder {{{{{name[:40]}}}}}")
    return text


PAYLOAD = message_text(MAX_PAYLOAD, description="Sent back in the `postback` webhook")
LOCALE = Locale()

GET_STARTED = Closed("GetStarted", {"payload": PAYLOAD})

GREETING = Closed(
    "Greeting",
    {
        "locale": LOCALE,
        "text": Checked(
            message_text(
                MAX_GREETING,
                description="Shown before the first message; `{{user_first_name}}`, "
                "`{{user_last_name}}` and `{{user_full_name}}` are filled in",
            ),
            _known_placeholders,
        ),
    },
)

MENU_TITLE = message_text(MAX_MENU_TITLE)


@dataclass(frozen=True, slots=True)
class TooDeep:
    """Where a submenu would nest one level too many: refused, naming the item."""

    required: bool = False

    def parse(self, value: Any, param: str) -> None:
        item = param.removesuffix("[call_to_actions]")
        raise bad_param(item, f"nests menus more than {MAX_MENU_DEPTH} levels deep")

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {"not": {}}


def _menu_item(depth: int) -> Tagged:
    """A menu item at ``depth`` (1 for a menu's own items): a postback, a link, or a
    submenu of at most ``MAX_NESTED_ITEMS``, ``MAX_MENU_DEPTH`` levels in all."""
    submenu: Spec = (
        TooDeep() if depth >= MAX_MENU_DEPTH else _items(_menu_item(depth + 1), MAX_NESTED_ITEMS)
    )
    return Tagged(
        "MenuItem",
        "type",
        {
            "postback": Closed(
                "PostbackMenuItem", {"title": MENU_TITLE, "payload": PAYLOAD}, tag="type"
            ),
            "web_url": Closed(
                "WebUrlMenuItem",
                {
                    "title": MENU_TITLE,
                    "url": message_url(),
                    "webview_height_ratio": Given(Choice(WEBVIEW_RATIOS, listed=True)),
                    "messenger_extensions": Flag(),
                    "fallback_url": Given(message_url()),
                    "webview_share_button": Given(
                        Text(
                            max_length=4,
                            pattern="hide",
                            numbers=False,
                            strip=False,
                            problem='must be "hide"',
                            empty_problem='must be "hide"',
                        )
                    ),
                },
                omit_absent=True,
                tag="type",
            ),
            "nested": Closed(
                "NestedMenuItem",
                {"title": MENU_TITLE, "call_to_actions": submenu},
                tag="type",
                description=f"At most {MAX_NESTED_ITEMS} items, {MAX_MENU_DEPTH} levels in all",
            ),
        },
    )


def _composer_needs_items(entry: dict[str, Any], param: str) -> dict[str, Any]:
    """A menu without items is an empty one, unless it hides the text box."""
    if "call_to_actions" in entry:
        return entry
    if entry["composer_input_disabled"]:
        raise bad_param(
            f"{param}[call_to_actions]", "is required when composer_input_disabled is true"
        )
    return {**entry, "call_to_actions": []}


MENU_ENTRY = Checked(
    Closed(
        "PersistentMenu",
        {
            "locale": LOCALE,
            "composer_input_disabled": Flag(
                default=False, description="Only the menu, no text box (needs call_to_actions)"
            ),
            "call_to_actions": _items(_menu_item(1), MAX_MENU_ITEMS, required=False),
            "disabled_surfaces": Surfaces(),
        },
        omit_absent=True,
    ),
    _composer_needs_items,
)
MENU = _per_locale(MENU_ENTRY, description="Needs a Get Started button (#100, subcode 2018145)")

ICE_BREAKER = Closed("IceBreaker", {"question": message_text(MAX_QUESTION), "payload": PAYLOAD})
QUESTIONS = _items(ICE_BREAKER, MAX_ICE_BREAKERS)
ICE_BREAKER_ENTRY = Closed("IceBreakers", {"locale": LOCALE, "call_to_actions": QUESTIONS})


@dataclass(frozen=True, slots=True)
class IceBreakerLists:
    """Per-locale ice breakers, or the first format Messenger had: one flat list of
    questions for every locale (read as the ``default`` locale's)."""

    per_locale: Spec
    required: bool = False

    def parse(self, value: Any, param: str) -> Any:
        if (
            isinstance(value, list)
            and value
            and all(isinstance(entry, Mapping) and "question" in entry for entry in value)
        ):
            value = [{"locale": DEFAULT_LOCALE, "call_to_actions": value}]
        return self.per_locale.parse(value, param)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "anyOf": [self.per_locale.schema(named), QUESTIONS.schema(named)],
            "description": "Per locale, or the older flat list of `{question, payload}`",
        }


def _https(url: str, param: str) -> str:
    if not url.lower().startswith("https://"):
        raise bad_param(param, "must be an https URL")
    return url


PROFILE = Obj(
    "MessengerProfile",
    {
        "account_linking_url": Given(
            message_url(),
            description="The page's account-link URL (the consent flow's target)",
        ),
        "get_started": Given(GET_STARTED),
        "greeting": _per_locale(GREETING),
        "ice_breakers": IceBreakerLists(_per_locale(ICE_BREAKER_ENTRY)),
        "persistent_menu": MENU,
        "whitelisted_domains": Array(
            Checked(message_text(MAX_DOMAIN, description="An https URL"), _https),
            max_length=MAX_DOMAINS,
            min_length=0,
            required=False,
            over=too_many_elements,
        ),
    },
    description="At least one property; each replaces what was set before",
    omit_absent=True,
)

PSID = PageScopedId()
PERSON_MENU = Obj(
    "CustomUserSettings",
    {"psid": PSID, "persistent_menu": Given(MENU, required=True)},
    description="A persistent menu for one person, in place of the page's",
)


def normalize_profile(params: Mapping[str, Any]) -> dict[str, Any]:
    """The profile properties present in ``params`` (a request's decoded parameters), each
    validated and normalised; at least one is required."""
    values = PROFILE.read(params)
    if not values:
        raise InvalidParameter(f"Requires one of the params: {','.join(FIELDS)}")
    return values


def normalize_menu(raw: Any) -> list[dict[str, Any]]:
    """A ``persistent_menu`` on its own (a person's menu, ``/me/custom_user_settings``)."""
    menu: list[dict[str, Any]] = PERSON_MENU.fields["persistent_menu"].parse(raw, "persistent_menu")
    return menu


@dataclass(frozen=True, slots=True)
class PropertyNames:
    """``fields`` of a GET or DELETE: ``"a,b"`` or ``["a","b"]``; each must be a property."""

    required: bool = True
    description: str = "The properties to delete"
    query: bool = False  # documented as a query parameter: the comma-separated text only

    def parse(self, value: Any, param: str) -> list[str]:
        if value is None or value == "" or value == []:
            if self.required:
                raise bad_param(param, "is required")
            return []
        values = value.split(",") if isinstance(value, str) else value
        if not isinstance(values, list):
            raise bad_param(param, "must be an array of property names")
        names: list[str] = []
        for i, item in enumerate(values):
            name = item.strip() if isinstance(item, str) else item
            if name not in FIELDS:
                raise bad_param(f"{param}[{i}]", f"must be one of {', '.join(FIELDS)}")
            if name not in names:
                names.append(name)
        return names

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        names = {"type": "string", "enum": list(FIELDS)}
        if self.query:
            one = "|".join(FIELDS)
            return {
                "type": "string",
                "pattern": f"^ *({one}) *(, *({one}) *)*$",
                "description": f"{self.description}, comma-separated",
                "examples": ["get_started,greeting"],
            }
        return {
            "anyOf": [
                {"type": "array", "items": names, "minItems": 1},
                {"type": "string", "description": "Comma-separated property names"},
            ],
            "description": self.description,
        }


PROFILE_FIELDS = Obj("MessengerProfileFields", {"fields": PropertyNames()})
PROFILE_QUERY = Obj(
    "MessengerProfileQuery",
    {"fields": PropertyNames(description="The properties to read", query=True)},
)


@dataclass(frozen=True, slots=True)
class PersonMenuParams:
    """``params`` of ``DELETE /me/custom_user_settings``: ``["persistent_menu"]``,
    ``(persistent_menu)`` (ampalibe) or ``persistent_menu``; the persistent menu is the one
    a person can have."""

    required: bool = True

    def parse(self, value: Any, param: str) -> list[str]:
        names = value if isinstance(value, list) else str(value or "").strip("[]()").split(",")
        cleaned = [str(name).strip().strip("'\"") for name in names if str(name).strip()]
        if cleaned != ["persistent_menu"]:
            raise InvalidParameter(f'param {param} must be ["persistent_menu"]')
        return cleaned

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "string",
            "enum": ['["persistent_menu"]', "persistent_menu", "(persistent_menu)"],
            "description": "What to delete: the person's persistent menu",
            "examples": ['["persistent_menu"]'],
        }


PERSON_MENU_QUERY = Obj("CustomUserSettingsQuery", {"psid": PSID})
DELETE_PERSON_MENU = Obj(
    "DeleteCustomUserSettings", {"params": PersonMenuParams(), "psid": PSID}
)  # params checked first, as Messenger answers


def field_names(raw: Any, *, required: bool = True) -> list[str]:
    """``fields`` of a GET or DELETE: ``"a,b"``, ``["a","b"]``; each must be a property."""
    return PropertyNames(required=required).parse(raw, "fields")


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
