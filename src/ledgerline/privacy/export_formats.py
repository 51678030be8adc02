"""The export as files a person can keep: a ZIP archive with the whole export as JSON, the
transactions as CSV (one row each, ISO 8601 times, amounts as decimal strings) and the
printable HTML copy (GDPR art. 20: structured, commonly used, machine-readable)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

TRANSACTION_COLUMNS = (
    "booked_time",
    "bank",
    "transaction_id",
    "account_id",
    "card_last4",
    "direction",
    "amount",
    "currency",
    "status",
    "merchant",
    "merchant_city",
    "merchant_country",
    "merchant_category_code",
)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _part(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def transaction_rows(export: Mapping[str, Any]) -> list[dict[str, str]]:
    """The transactions of the export, oldest first, flattened for a table."""
    rows = []
    for record in export.get("financial_records", []):
        if record.get("kind") != "transaction":
            continue
        data = record.get("data") or {}
        amount = _part(data, "amount")
        merchant = _part(data, "merchant")
        rows.append(
            {
                "booked_time": _cell(data.get("booked_at") or record.get("occurred_time")),
                "bank": _cell(record.get("page_name")),
                "transaction_id": _cell(data.get("transaction_id")),
                "account_id": _cell(data.get("account_id")),
                "card_last4": _cell(data.get("card_last4")),
                "direction": _cell(data.get("credit_debit")),
                "amount": _cell(amount.get("amount")),
                "currency": _cell(amount.get("currency")),
                "status": _cell(data.get("status")),
                "merchant": _cell(merchant.get("name")),
                "merchant_city": _cell(merchant.get("city")),
                "merchant_country": _cell(merchant.get("country")),
                "merchant_category_code": _cell(merchant.get("category_code")),
            }
        )
    rows.sort(key=lambda row: row["booked_time"])
    return rows


def transactions_csv(export: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=TRANSACTION_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(transaction_rows(export))
    return out.getvalue()


def export_json(export: Mapping[str, Any]) -> str:
    return json.dumps(export, ensure_ascii=False, indent=2)


def archive(export: Mapping[str, Any], *, html: str, folder: str) -> bytes:
    """``folder``/export.json, transactions.csv, export.html and a README, zipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(f"{folder}/export.json", export_json(export))
        # A byte-order mark so spreadsheet programs read the CSV as UTF-8 (Vietnamese).
        zipped.writestr(f"{folder}/transactions.csv", "\ufeff" + transactions_csv(export))
        zipped.writestr(f"{folder}/export.html", html)
        zipped.writestr(f"{folder}/README.txt", README)
    return buffer.getvalue()


README = """Your data from Ledgerline

export.json        everything Ledgerline holds about you: profile, links and consents,
                   messages, the financial data your banks shared, fraud alerts and your
                   answers, customer-service records, and the access log (who accessed your
                   data, when and why). Times are ISO 8601.
transactions.csv   your transactions, one a row (UTF-8, comma-separated).
export.html        the same, readable and printable in a browser.
"""
