"""Validate bank data (CONTRACTS §2, financial data) into canonical payloads.

Amounts are decimal strings with an ISO 4217 currency whose minor units come from Babel's
CLDR data; times must carry a timezone; strings are bounded. Error messages name the field,
never its value, so no financial value reaches a log or an error body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledgerline.domain.clock import TIME_RANGE_TEXT, in_time_range, to_ms
from ledgerline.domain.errors import bad_param, require_object
from ledgerline.domain.messages import normalize_page_message
from ledgerline.domain.money import parse_amount, parse_currency

MAX_TRANSACTIONS = 1000
MAX_TEXT = 200
MAX_REASON = 500
SHIPMENT_STATUSES = ("label_created", "in_transit", "out_for_delivery", "delivered", "exception")
_CARD_LAST4 = re.compile(r"\d{4}")
_MCC = re.compile(r"\d{4}")
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class Item:
    """One validated record: its dedup reference, when it happened, its payload."""

    ref: str | None
    occurred_at: int
    payload: dict[str, Any]


def _str(value: Any, param: str, *, limit: int = MAX_TEXT, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise bad_param(param, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise bad_param(param, "must be a string")
    text = str(value).strip()
    if not text and required:
        raise bad_param(param, "is required")
    if len(text) > limit:
        raise bad_param(param, f"must be at most {limit} characters")
    return text or None


def _req(value: Any, param: str, *, limit: int = MAX_TEXT) -> str:
    text = _str(value, param, limit=limit)
    if text is None:  # pragma: no cover - _str raises first
        raise bad_param(param, "is required")
    return text


def moment(value: Any, param: str, *, required: bool = True) -> int | None:
    text = _str(value, param, limit=40, required=required)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_param(param, "must be an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise bad_param(param, "must include a timezone (e.g. +07:00 or Z)")
    try:
        ms = to_ms(parsed)
    except (OverflowError, ValueError):  # e.g. 9999-12-31T23:59:59-12:00 is in year 10000
        ms = -1
    if not in_time_range(ms):
        raise bad_param(param, f"must be {TIME_RANGE_TEXT}")
    return ms


def psid_of(body: dict[str, Any]) -> str:
    return _req(body.get("psid"), "psid", limit=32)


def balance(body: dict[str, Any]) -> list[Item]:
    account_id = _req(body.get("account_id"), "account_id", limit=64)
    as_of = moment(body.get("as_of"), "as_of")
    assert as_of is not None  # noqa: S101 - required above
    payload = {
        "account_id": account_id,
        "account_name": _str(body.get("account_name"), "account_name", required=False),
        "available": parse_amount(body.get("available"), "available", signed=True),
        "current": parse_amount(body.get("current"), "current", signed=True),
        "as_of": as_of,
    }
    return [Item(ref=f"{account_id}@{as_of}", occurred_at=as_of, payload=payload)]


def _transaction(raw: Any, param: str) -> Item:
    tx = require_object(raw, param)
    transaction_id = _req(tx.get("transaction_id"), f"{param}[transaction_id]", limit=128)
    card = tx.get("card_last4")
    if card is not None and (not isinstance(card, str) or not _CARD_LAST4.fullmatch(card)):
        raise bad_param(f"{param}[card_last4]", "must be exactly four digits")
    direction = tx.get("credit_debit", "debit")
    if direction not in ("debit", "credit"):
        raise bad_param(f"{param}[credit_debit]", "must be debit or credit")
    status = tx.get("status", "booked")
    if status not in ("pending", "booked"):
        raise bad_param(f"{param}[status]", "must be pending or booked")
    booked_at = moment(tx.get("booked_at"), f"{param}[booked_at]")
    assert booked_at is not None  # noqa: S101 - required above
    merchant: dict[str, Any] | None = None
    if tx.get("merchant") is not None:
        raw_merchant = require_object(tx["merchant"], f"{param}[merchant]")
        merchant = {
            "name": _str(raw_merchant.get("name"), f"{param}[merchant][name]", required=False)
        }
        mcc = raw_merchant.get("category_code")
        if mcc is not None:
            if not isinstance(mcc, str | int) or not _MCC.fullmatch(str(mcc)):
                raise bad_param(f"{param}[merchant][category_code]", "must be a 4-digit MCC")
            merchant["category_code"] = str(mcc)
        merchant["city"] = _str(
            raw_merchant.get("city"), f"{param}[merchant][city]", required=False
        )
        country = raw_merchant.get("country")
        if country is not None:
            if not isinstance(country, str) or not _COUNTRY.fullmatch(country.upper()):
                raise bad_param(f"{param}[merchant][country]", "must be an ISO 3166 alpha-2 code")
            merchant["country"] = country.upper()
    payload = {
        "transaction_id": transaction_id,
        "account_id": _str(tx.get("account_id"), f"{param}[account_id]", limit=64, required=False),
        "card_last4": card,
        "amount": parse_amount(tx.get("amount"), f"{param}[amount]"),
        "credit_debit": direction,
        "status": status,
        "booked_at": booked_at,
        "merchant": merchant,
        "terminal_id": _str(
            tx.get("terminal_id"), f"{param}[terminal_id]", limit=64, required=False
        ),
    }
    return Item(ref=transaction_id, occurred_at=booked_at, payload=payload)


def transactions(body: dict[str, Any]) -> list[Item]:
    raw = body.get("transactions")
    if not isinstance(raw, list) or not raw:
        raise bad_param("transactions", "must be a non-empty array")
    if len(raw) > MAX_TRANSACTIONS:
        raise bad_param("transactions", f"must hold at most {MAX_TRANSACTIONS} transactions")
    items = [_transaction(tx, f"transactions[{i}]") for i, tx in enumerate(raw)]
    seen: set[str] = set()
    unique = []
    for item in items:  # the same id twice in one request is one transaction
        if item.ref not in seen:
            seen.add(item.ref or "")
            unique.append(item)
    return unique


def receipt(body: dict[str, Any], now: int) -> list[Item]:
    fields = {k: v for k, v in body.items() if k not in ("psid", "access_token")}
    message = normalize_page_message(
        {"attachment": {"type": "template", "payload": {**fields, "template_type": "receipt"}}}
    )
    payload = message["attachment"]["payload"]
    parse_currency(payload["currency"], "currency")
    occurred = now
    if payload.get("timestamp"):
        try:
            occurred = int(float(payload["timestamp"]) * 1000)
        except (ValueError, OverflowError):  # "nan", "1e999"
            raise bad_param("timestamp", "must be a Unix time in seconds") from None
        if not in_time_range(occurred):
            raise bad_param("timestamp", f"must be {TIME_RANGE_TEXT}")
    return [Item(ref=str(payload["order_number"]), occurred_at=occurred, payload=payload)]


def shipment(body: dict[str, Any], now: int) -> list[Item]:
    order_id = _req(body.get("order_id"), "order_id", limit=128)
    tracking = _req(body.get("tracking_number"), "tracking_number", limit=128)
    status = body.get("status")
    if status not in SHIPMENT_STATUSES:
        raise bad_param("status", f"must be one of {', '.join(SHIPMENT_STATUSES)}")
    url = _str(body.get("url"), "url", limit=2000, required=False)
    if url is not None and not url.lower().startswith(("https://", "http://")):
        raise bad_param("url", "must be an http(s) URL")
    payload = {
        "order_id": order_id,
        "carrier": _req(body.get("carrier"), "carrier", limit=100),
        "tracking_number": tracking,
        "status": status,
        "eta": moment(body.get("eta"), "eta", required=False),
        "url": url,
    }
    return [Item(ref=f"{order_id}:{tracking}:{status}", occurred_at=now, payload=payload)]


def fraud_alert(body: dict[str, Any], now: int) -> list[Item]:
    transaction_id = _req(body.get("transaction_id"), "transaction_id", limit=128)
    payload = {
        "transaction_id": transaction_id,
        "reason": _req(body.get("reason"), "reason", limit=MAX_REASON),
    }
    return [Item(ref=transaction_id, occurred_at=now, payload=payload)]
