"""What a person wants to hear from one business: categories, a minimum transaction amount,
low-balance thresholds per account, quiet hours and a daily digest, both in the person's
own timezone (``GET/PUT /api/v1/links/{page_id}/preferences``).

Fraud alerts cannot be switched off and never wait: they exist to protect the person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from ledgerline.domain.errors import InvalidParameter, NotFound
from ledgerline.domain.money import parse_amount
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import updates as notify_store
from ledgerline.storage.stores.linking import consent_scopes

CATEGORIES = ("balances", "transactions", "low_balance", "receipts", "shipments")
MAX_ACCOUNTS = 50
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
KEYS = (
    "categories",
    "min_transaction_amount",
    "low_balance_thresholds",
    "quiet_hours",
    "digest_time",
)


@dataclass(frozen=True, slots=True)
class Preferences:
    categories: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, True))
    min_transaction_amount: dict[str, str] | None = None
    low_balance_thresholds: dict[str, dict[str, str]] = field(default_factory=dict)
    quiet_hours: dict[str, str] | None = None  # {"start": "22:00", "end": "07:00"}, local
    digest_time: str | None = None  # "20:00" local: one digest of transactions a day

    def wants(self, category: str) -> bool:
        return self.categories.get(category, True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "categories": dict(self.categories),
            "min_transaction_amount": self.min_transaction_amount,
            "low_balance_thresholds": dict(self.low_balance_thresholds),
            "quiet_hours": self.quiet_hours,
            "digest_time": self.digest_time,
        }

    def quiet_until(self, local: datetime) -> datetime | None:
        """The end of the quiet hours ``local`` falls in (same timezone), or None."""
        if self.quiet_hours is None:
            return None
        start, end = _clock(self.quiet_hours["start"]), _clock(self.quiet_hours["end"])
        now = local.time().replace(second=0, microsecond=0, tzinfo=None)
        if start == end:
            return None
        inside = start <= now < end if start < end else (now >= start or now < end)
        if not inside:
            return None
        until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        return until if until > local else until + timedelta(days=1)

    def next_digest(self, local: datetime) -> datetime | None:
        """The next digest time strictly after ``local``; None without a digest."""
        if self.digest_time is None:
            return None
        at = _clock(self.digest_time)
        when = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
        return when if when > local else when + timedelta(days=1)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _hhmm(value: Any, param: str) -> str:
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise InvalidParameter(f"param {param} must be a local time HH:MM (24-hour)")
    return value


def parse(body: dict[str, Any], base: Preferences | None = None) -> Preferences:
    """Validate a (partial) preferences body over ``base``; unknown keys are refused."""
    base = base or Preferences()
    unknown = set(body) - set(KEYS)
    if unknown:
        raise InvalidParameter(f"param {sorted(unknown)[0]} is not a preference")
    categories = dict(base.categories)
    if body.get("categories") is not None:
        raw = body["categories"]
        if not isinstance(raw, dict):
            raise InvalidParameter("param categories must be an object")
        for name, on in raw.items():
            if name not in CATEGORIES:
                raise InvalidParameter(f"param categories[{str(name)[:40]}] is not a category")
            if not isinstance(on, bool):
                raise InvalidParameter(f"param categories[{name}] must be true or false")
            categories[name] = on
    minimum = base.min_transaction_amount
    if "min_transaction_amount" in body:
        raw_min = body["min_transaction_amount"]
        minimum = None if raw_min is None else parse_amount(raw_min, "min_transaction_amount")
    thresholds = dict(base.low_balance_thresholds)
    if "low_balance_thresholds" in body:
        raw_thr = body["low_balance_thresholds"] or {}
        if not isinstance(raw_thr, dict) or len(raw_thr) > MAX_ACCOUNTS:
            raise InvalidParameter(
                f"param low_balance_thresholds must be an object of at most {MAX_ACCOUNTS} accounts"
            )
        thresholds = {}
        for account, value in raw_thr.items():
            if not isinstance(account, str) or not 0 < len(account) <= 64:
                raise InvalidParameter("param low_balance_thresholds keys must be account ids")
            if value is not None:
                thresholds[account] = parse_amount(value, f"low_balance_thresholds[{account}]")
    quiet = base.quiet_hours
    if "quiet_hours" in body:
        raw_quiet = body["quiet_hours"]
        if raw_quiet is None:
            quiet = None
        elif not isinstance(raw_quiet, dict):
            raise InvalidParameter('param quiet_hours must be {"start": "HH:MM", "end": "HH:MM"}')
        else:
            quiet = {
                "start": _hhmm(raw_quiet.get("start"), "quiet_hours[start]"),
                "end": _hhmm(raw_quiet.get("end"), "quiet_hours[end]"),
            }
    digest = base.digest_time
    if "digest_time" in body:
        raw_digest = body["digest_time"]
        digest = None if raw_digest is None else _hhmm(raw_digest, "digest_time")
    return Preferences(categories, minimum, thresholds, quiet, digest)


def load(uow: UnitOfWork, page_id: str, user_id: str) -> Preferences:
    stored = notify_store.get_preferences(uow.conn, page_id, user_id)
    return Preferences() if stored is None else parse(stored)


def save(uow: UnitOfWork, page_id: str, user_id: str, prefs: Preferences, now: int) -> None:
    notify_store.put_preferences(uow.conn, page_id, user_id, prefs.to_dict(), now)


def below(amount: dict[str, str], threshold: dict[str, str] | None) -> bool:
    """``amount`` is under ``threshold`` (never across currencies)."""
    if threshold is None or threshold["currency"] != amount["currency"]:
        return False
    return Decimal(amount["amount"]) < Decimal(threshold["amount"])


def _require_link(uow: UnitOfWork, page_id: str, user_id: str, now: int) -> None:
    if consent_scopes(uow.conn, page_id, user_id, now) is None:
        raise NotFound("You are not linked to this business")


def get_for_person(uow: UnitOfWork, *, page_id: str, user_id: str, now: int) -> dict[str, Any]:
    """The person's preferences for a business they are linked to (a query)."""
    _require_link(uow, page_id, user_id, now)
    return load(uow, page_id, user_id).to_dict()


def do_update(
    uow: UnitOfWork, *, page_id: str, user_id: str, body: dict[str, Any], now: int
) -> dict[str, Any]:
    """Change some preferences (the keys given); returns them all."""
    _require_link(uow, page_id, user_id, now)
    prefs = parse(body, load(uow, page_id, user_id))
    save(uow, page_id, user_id, prefs, now)
    return prefs.to_dict()
