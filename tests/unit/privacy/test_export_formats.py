"""The export as files: the transactions as CSV (ISO 8601 times, decimal amounts, oldest
first), the ZIP archive's contents, and fraud answers in words (vi, en)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from ledgerline.privacy.export_formats import TRANSACTION_COLUMNS, archive, transactions_csv
from ledgerline.privacy.export_texts import source_text, status_text, verdict_text

EXPORT: dict[str, Any] = {
    "profile": {"name": "Nguyễn An"},
    "financial_records": [
        {
            "kind": "transaction",
            "page_name": "Ngân hàng Demo",
            "occurred_time": "2026-11-29T01:15:00Z",
            "data": {
                "transaction_id": "t-2",
                "account_id": "acc-1",
                "card_last4": "4321",
                "amount": {"amount": "125000", "currency": "VND"},
                "credit_debit": "debit",
                "status": "booked",
                "booked_at": "2026-11-29T08:15:00+07:00",
                "merchant": {"name": "Bách Hoá Xanh, Q1", "city": "Hà Nội", "country": "VN"},
            },
        },
        {"kind": "balance", "page_name": "Ngân hàng Demo", "data": {"available": {}}},
        {
            "kind": "transaction",
            "page_name": "Ngân hàng Demo",
            "occurred_time": "2026-11-28T01:00:00Z",
            "data": {"transaction_id": "t-1", "amount": "not a dict"},
        },
    ],
}


def test_transactions_as_csv_oldest_first_with_iso_times() -> None:
    rows = list(csv.DictReader(io.StringIO(transactions_csv(EXPORT))))
    assert [row["transaction_id"] for row in rows] == ["t-1", "t-2"]
    assert tuple(rows[0]) == TRANSACTION_COLUMNS
    assert rows[1]["booked_time"] == "2026-11-29T08:15:00+07:00"
    assert rows[1]["amount"] == "125000"
    assert rows[1]["currency"] == "VND"
    assert rows[1]["merchant"] == "Bách Hoá Xanh, Q1"  # quoted, comma kept
    assert rows[1]["bank"] == "Ngân hàng Demo"
    assert rows[0]["booked_time"] == "2026-11-28T01:00:00Z"  # the record's time when no booked_at
    assert rows[0]["amount"] == ""


def test_the_archive_holds_json_csv_html_and_a_readme() -> None:
    data = archive(EXPORT, html="<h1>Xin chào</h1>", folder="ledgerline-export-2026-12-07")
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        names = sorted(zipped.namelist())
        assert names == [
            f"ledgerline-export-2026-12-07/{name}"
            for name in ("README.txt", "export.html", "export.json", "transactions.csv")
        ]
        folder = "ledgerline-export-2026-12-07/"
        assert json.loads(zipped.read(folder + "export.json")) == EXPORT
        assert zipped.read(folder + "export.html").decode() == "<h1>Xin chào</h1>"
        text = zipped.read(folder + "transactions.csv").decode("utf-8-sig")
        assert text.startswith("booked_time,bank,")


def test_fraud_answers_and_origins_in_words() -> None:
    assert verdict_text("fraud", "en") == "You said the payment was not yours (fraud)"
    assert verdict_text("genuine", "vi") == "Bạn xác nhận giao dịch là của bạn"
    assert verdict_text(None, "vi") == "Chưa trả lời"
    assert source_text("score", "Demo Bank", "en") == "Ledgerline's fraud check for Demo Bank"
    assert source_text("bank", "Demo Bank", "vi") == "Demo Bank"
    assert source_text("person", "Demo Bank", "en") == "You (“Not me”)"
    assert status_text("open", "en") == "waiting for your answer"
    assert status_text("odd", "xx") == "odd"
