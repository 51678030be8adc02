"""Request bodies declared once: each field spec both *parses* a value and *describes* itself.

A body read by hand (bank code sends loosely typed JSON, form fields and JSON-encoded
strings) is declared as an :class:`Obj` of field specs. ``spec.parse(value, param)`` returns
the canonical value or raises ``InvalidParameter`` with a Messenger-style message naming
the field (``param transactions[0][booked_at] must include a timezone``), never its value;
``json_schemas(spec)`` gives the JSON schemas OpenAPI documents for the same body. There
is no second, hand-written description that could drift from what the API accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ledgerline.domain.clock import TIME_RANGE_TEXT, in_time_range, to_ms
from ledgerline.domain.errors import (
    InvalidParameter,
    TooManyElements,
    bad_param,
    require_object,
)
from ledgerline.domain.money import parse_amount

REF = "#/components/schemas/{name}"


class Spec(Protocol):
    @property
    def required(self) -> bool: ...

    def parse(self, value: Any, param: str) -> Any: ...

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """This field's JSON schema; named objects it holds are added to ``named``."""
        ...


def _described(schema: dict[str, Any], description: str, example: Any) -> dict[str, Any]:
    if description:
        schema["description"] = description
    if example is not None:
        schema["examples"] = [example]
    return schema


@dataclass(frozen=True, slots=True)
class Text:
    """A string (a JSON integer counts as its digits, as ids often arrive), stripped."""

    max_length: int = 200
    required: bool = True
    pattern: str | None = None
    problem: str = ""  # the message when ``pattern`` does not match
    numbers: bool = True
    upper: bool = False
    url: bool = False
    description: str = ""
    example: Any = None
    strip: bool = True
    floats: bool = False  # a JSON number with a fraction counts as its text too
    keep_empty: bool = False  # an empty string stays "" (not absent)
    empty_problem: str = "is required"  # the message for an empty required string

    def parse(self, value: Any, param: str) -> str | None:
        if value is None:
            if self.required:
                raise bad_param(param, "is required")
            return None
        kinds = (str, int, float) if self.floats else (str, int)
        if isinstance(value, bool) or not isinstance(value, kinds if self.numbers else str):
            raise bad_param(param, self.problem or "must be a string")
        text = str(value).strip() if self.strip else str(value)
        if not text:
            if self.keep_empty:
                return text
            if self.required:
                raise bad_param(param, self.empty_problem)
            return None
        if self.upper:
            text = text.upper()
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            raise bad_param(param, self.problem or f"must match {self.pattern}")
        if len(text) > self.max_length:
            raise bad_param(param, f"must be at most {self.max_length} characters")
        if self.url and not text.lower().startswith(("https://", "http://")):
            raise bad_param(param, "must be an http or https URL")
        return text

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.pattern is not None:
            schema["pattern"] = f"^{self.pattern}$"
        if self.url:
            schema["format"] = "uri"
        return _described(schema, self.description, self.example)


@dataclass(frozen=True, slots=True)
class Choice:
    """One of a few words; ``default`` when absent (or nothing, when not required)."""

    choices: tuple[str, ...]
    default: str | None = None
    required: bool = True
    description: str = ""
    listed: bool = False  # "must be one of a, b" even for two or three choices
    case: Callable[[str], str] | None = None  # e.g. ``str.upper``: case-insensitive

    def parse(self, value: Any, param: str) -> str | None:
        if value is None or value == "":
            if self.default is not None:
                return self.default
            if not self.required:
                return None
        if self.case is not None and isinstance(value, str):
            value = self.case(value)
        if value not in self.choices:
            *first, last = self.choices
            short = len(self.choices) < 4 and first and not self.listed
            words = f"{', '.join(first)} or {last}" if short else None
            raise bad_param(param, f"must be {words}" if words else self._one_of())
        return str(value)

    def _one_of(self) -> str:
        return f"must be one of {', '.join(self.choices)}"

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "enum": list(self.choices)}
        if self.default is not None:
            schema["default"] = self.default
        return _described(schema, self.description, None)


def parse_bool(value: Any, param: str) -> bool:
    """Messenger clients send booleans as ``true`` or as the strings ``"true"``/``"false"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise bad_param(param, "must be a boolean")


@dataclass(frozen=True, slots=True)
class Flag:
    """A boolean as Messenger clients send it: ``true``, ``"true"``, ``"1"`` or ``1``."""

    required: bool = False
    description: str = ""
    default: bool | None = None  # what an absent flag reads as

    def parse(self, value: Any, param: str) -> bool | None:
        if value is None and not self.required:
            return self.default
        return parse_bool(value, param)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "anyOf": [
                {"type": "boolean"},
                {"type": "string", "enum": ["true", "false", "1", "0"]},
                {"type": "integer", "enum": [0, 1]},
            ]
        }
        if self.default is not None:
            schema["default"] = self.default
        return _described(schema, self.description, None)


@dataclass(frozen=True, slots=True)
class Number:
    """A JSON number, or a string holding one (kept as sent: no float rounding)."""

    required: bool = True
    description: str = ""

    def parse(self, value: Any, param: str) -> float | int | str | None:
        if value is None:
            if self.required:
                raise bad_param(param, "is required")
            return None
        if isinstance(value, bool):
            raise bad_param(param, "must be a number")
        if isinstance(value, int | float):
            return value
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                raise bad_param(param, "must be a number") from None
            return value
        raise bad_param(param, "must be a number")

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^[+-]?[0-9.eE+-]+$"}]
        }
        return _described(schema, self.description, None)


@dataclass(frozen=True, slots=True)
class Forbidden:
    """A key that must be absent (e.g. a ``title`` on an ``account_link`` button)."""

    problem: str
    required: bool = False

    def parse(self, value: Any, param: str) -> None:
        if value is not None:
            raise bad_param(param, self.problem)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {"not": {}, "description": f"Refused: {self.problem}"}


@dataclass(frozen=True, slots=True)
class Moment:
    """An ISO 8601 time with its timezone, within the documented range → epoch ms."""

    required: bool = True
    description: str = ""
    example: Any = None

    def parse(self, value: Any, param: str) -> int | None:
        text = Text(max_length=40, required=self.required).parse(value, param)
        if text is None:
            return None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise bad_param(param, "must be an ISO 8601 time") from None
        if parsed.tzinfo is None:
            raise bad_param(param, "must include a timezone (e.g. +07:00 or Z)")
        ms = to_ms(parsed)  # exact for any datetime (9999-12-31T23:59:59-12:00 too)
        if not in_time_range(ms):
            raise bad_param(param, f"must be {TIME_RANGE_TEXT}")
        return ms

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        schema = {"type": "string", "format": "date-time", "maxLength": 40}
        description = self.description or f"ISO 8601 with a timezone, {TIME_RANGE_TEXT}"
        return _described(schema, description, self.example)


@dataclass(frozen=True, slots=True)
class Amount:
    """``{"amount": "125000", "currency": "VND"}``: exact decimal text, ISO 4217 currency."""

    signed: bool = False
    required: bool = True
    description: str = ""

    def parse(self, value: Any, param: str) -> dict[str, str]:
        return parse_amount(value, param, signed=self.signed)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        named.setdefault(
            "Amount",
            {
                "title": "Amount",
                "type": "object",
                "required": ["amount", "currency"],
                "properties": {
                    "amount": {
                        "anyOf": [
                            {"type": "string", "pattern": r"^[+-]?\d+(\.\d+)?$"},
                            {"type": "integer"},
                        ],
                        "description": "A decimal string in the currency's major unit, or a "
                        "whole JSON number (exact); a JSON number with a fraction or an "
                        "exponent is refused (not exact). No more decimals than the "
                        "currency's minor units; at most 18 digits",
                        "examples": ["125000", "1250.50", 125000],
                    },
                    "currency": {
                        "type": "string",
                        "description": "ISO 4217",
                        "examples": ["VND"],
                    },
                },
            },
        )
        schema: dict[str, Any] = {"$ref": REF.format(name="Amount")}
        if self.signed or self.description:
            note = "May be negative." if self.signed else ""
            schema = {"allOf": [schema], "description": f"{self.description} {note}".strip()}
        return schema


@dataclass(frozen=True, slots=True)
class AnyObject:
    """A JSON object checked further by the body's own rules (e.g. a receipt's summary)."""

    required: bool = True
    description: str = ""

    def parse(self, value: Any, param: str) -> dict[str, Any] | None:
        if value is None and not self.required:
            return None
        return dict(require_object(value, param))

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return _described({"type": "object"}, self.description, None)


@dataclass(frozen=True, slots=True)
class Obj:
    """A named object of fields; unknown keys are tolerated (Messenger's rule) and dropped.
    With ``omit_absent`` the fields that parsed to nothing are left out of the result."""

    name: str
    fields: Mapping[str, Spec]
    required: bool = True
    description: str = ""
    omit_absent: bool = False

    def parse(self, value: Any, param: str | None = None) -> dict[str, Any] | None:
        if value is None and not self.required:
            return None
        return self.read(value, param)

    def read(self, value: Any, param: str | None = None) -> dict[str, Any]:
        """``parse`` of a value that must be there (an object, or the error saying so)."""
        body = require_object(value, param or "body") if param else value
        prefix = f"{param}[" if param else ""
        suffix = "]" if param else ""
        parsed = {
            key: spec.parse(body.get(key), f"{prefix}{key}{suffix}")
            for key, spec in self.fields.items()
        }
        if self.omit_absent:
            return {key: item for key, item in parsed.items() if item is not None}
        return parsed

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        if self.name not in named:
            named[self.name] = {}  # reserved first: recursion and order of the components
            properties = {key: spec.schema(named) for key, spec in self.fields.items()}
            body: dict[str, Any] = {"title": self.name, "type": "object"}
            required = [key for key, spec in self.fields.items() if is_required(spec)]
            if required:
                body["required"] = required
            body["properties"] = properties
            body["additionalProperties"] = True
            named[self.name] = _described(body, self.description, None)
        return {"$ref": REF.format(name=self.name)}


@dataclass(frozen=True, slots=True)
class Closed(Obj):
    """An :class:`Obj` that refuses keys it does not know (a ``null`` member counts as
    absent), in Messenger's words: ``Invalid keys "a, b" were found in param "x".``
    ``tag`` is a key its :class:`Tagged` union reads (e.g. a menu item's ``type``)."""

    tag: str | None = None

    def read(self, value: Any, param: str | None = None) -> dict[str, Any]:
        where = param or "body"
        body = require_object(value, where)
        unknown = sorted(
            key
            for key, item in body.items()
            if item is not None and key not in self.fields and key != self.tag
        )
        if unknown:
            keys = ", ".join(unknown)
            raise InvalidParameter(f'Invalid keys "{keys}" were found in param "{where}".')
        return Obj.read(self, body, param)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        ref = Obj.schema(self, named)
        named[self.name]["additionalProperties"] = {"type": "null"}
        return ref


@dataclass(frozen=True, slots=True)
class Given:
    """``inner``'s rules for a value that is there; a missing one (``null``) is nothing, or
    with ``required`` the error "is required" (where ``inner`` would word it otherwise)."""

    inner: Spec
    required: bool = False
    description: str = ""

    def parse(self, value: Any, param: str) -> Any:
        if value is None:
            if self.required:
                raise bad_param(param, "is required")
            return None
        return self.inner.parse(value, param)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return _described(dict(self.inner.schema(named)), self.description, None)


def psid_text(value: Any) -> str | None:
    """A PSID as sent — text or a JSON integer (not a boolean) — stripped; ``None`` when it
    is not one (missing, blank, another type). The one PSID check (``PageScopedId``, the
    Send API's ``Recipient``)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


@dataclass(frozen=True, slots=True)
class PageScopedId:
    """A person's PSID as a parameter: text or a JSON integer, stripped, not empty."""

    required: bool = True
    description: str = "The person's page-scoped id (PSID)"

    def parse(self, value: Any, param: str) -> str:
        psid = psid_text(value)
        if psid is None:
            raise bad_param(param, "is required")
        return psid

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        schema = {"anyOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]}
        return _described(schema, self.description, "12345678901234567890")


def too_many(param: str, limit: int, noun: str) -> InvalidParameter:
    """Over an array's limit, in the financial bodies' words (a ``#100``)."""
    return bad_param(param, f"must hold at most {limit} {noun}")


def too_many_elements(param: str, limit: int, noun: str) -> InvalidParameter:
    """Over one of Messenger's element limits: its own error (``TooManyElements``)."""
    return TooManyElements(f"param {param} has too many elements (at most {limit})")


@dataclass(frozen=True, slots=True)
class Array:
    """A JSON array of ``items``, between ``min_length`` and ``max_length`` long (no upper
    bound when ``None``); with ``empty_absent`` an empty one is absent (left out).
    ``too_few`` words a shorter array (default: "must be a non-empty array", also said of a
    value that is not an array), and of a missing one unless ``missing_is_empty`` is off
    (then it "must be an array"); ``over`` makes the error for a longer one."""

    items: Spec
    max_length: int | None
    min_length: int = 1
    noun: str = "items"
    required: bool = True
    too_few: str | None = None
    over: Callable[[str, int, str], InvalidParameter] = field(default=too_many, repr=False)
    empty_absent: bool = False
    missing_is_empty: bool = True

    def parse(self, value: Any, param: str) -> list[Any] | None:
        if (value is None and not self.required) or (self.empty_absent and value == []):
            return None
        if self.too_few is not None:
            if value is None and self.missing_is_empty:
                value = []
            if not isinstance(value, list):
                raise bad_param(param, "must be an array")
            if len(value) < self.min_length:
                raise bad_param(param, self.too_few)
        elif not isinstance(value, list) or len(value) < self.min_length:
            raise bad_param(
                param, "must be a non-empty array" if self.min_length else "must be an array"
            )
        if self.max_length is not None and len(value) > self.max_length:
            raise self.over(param, self.max_length, self.noun)
        return [self.items.parse(item, f"{param}[{i}]") for i, item in enumerate(value)]

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "array",
            "items": self.items.schema(named),
            "minItems": self.min_length,
        }
        if self.max_length is not None:
            schema["maxItems"] = self.max_length
        return schema


@dataclass(frozen=True, slots=True)
class Tagged:
    """An object whose ``tag`` key picks its shape among ``variants`` (e.g. a button's
    ``type``); the result is the tag and what its variant parsed."""

    name: str
    tag: str
    variants: Mapping[str, Obj]
    default: str | None = None
    required: bool = True
    description: str = ""

    def parse(self, value: Any, param: str) -> dict[str, Any] | None:
        if value is None and not self.required:
            return None
        body = require_object(value, param)
        kind = body.get(self.tag)
        if kind is None:
            kind = self.default
        variant = self.variants.get(kind) if isinstance(kind, str) else None
        if variant is None:
            raise bad_param(f"{param}[{self.tag}]", f"must be one of {', '.join(self.variants)}")
        return {self.tag: kind, **variant.read(body, param)}

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        if self.name not in named:
            named[self.name] = {}
            options = []
            for kind, variant in self.variants.items():
                ref = variant.schema(named)
                fixed = {"type": "string", "enum": [kind]}
                if self.default == kind:
                    fixed["default"] = kind
                tag: dict[str, Any] = {
                    "type": "object",
                    "properties": {self.tag: fixed},
                }
                if self.default != kind:
                    tag["required"] = [self.tag]
                options.append({"allOf": [tag, ref]})
            named[self.name] = _described(
                {"title": self.name, "oneOf": options}, self.description, None
            )
        return {"$ref": REF.format(name=self.name)}


@dataclass(frozen=True, slots=True)
class Checked:
    """A spec with one more rule applied to what it parsed (e.g. a currency code)."""

    inner: Spec
    check: Callable[[Any, str], Any] = field(repr=False)

    @property
    def required(self) -> bool:
        return self.inner.required

    def parse(self, value: Any, param: str) -> Any:
        parsed = self.inner.parse(value, param)
        return parsed if parsed is None else self.check(parsed, param)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return self.inner.schema(named)


def is_required(spec: Spec) -> bool:
    """Whether a request must give this field (required, and no default stands in)."""
    return spec.required and getattr(spec, "default", None) is None


def json_schemas(body: Obj) -> dict[str, dict[str, Any]]:
    """The body's JSON schema first, then the named objects it refers to."""
    named: dict[str, dict[str, Any]] = {}
    body.schema(named)
    return named
