"""The export people can read (issue 19 part 2) over HTTP: the ZIP (JSON, transactions CSV,
printable HTML), the printable copy in the browser, ISO 8601 times only, fraud answers in
words, the access log included — and the person API's JSON export with the same content."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.forms import person_sign_up
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import running_platform

SCOPES = ["transactions", "fraud_alerts"]


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with running_platform(database_url, tmp_path) as live, linked_world(live, "Demo Bank") as w:
        yield w


def _linked(world: LinkedWorld, http: httpx.Client) -> tuple[str, str]:
    csrf = person_sign_up(http, "an.export", locale="en")
    started = http.post(
        f"/api/v1/threads/{world.business['page_id']}/account_link",
        json={"url": world.bank.authorize_url, "scopes": SCOPES},
        headers={"X-CSRF-Token": csrf},
    )
    assert started.status_code == 200, started.text
    with httpx.Client(timeout=30, follow_redirects=True, cookies=http.cookies) as bank_side:
        assert 'data-outcome="linked"' in bank_side.get(started.json()["redirect_url"]).text
    return world.psid_of_login("an.export"), csrf


def _epoch_ms(value: Any, path: str = "") -> list[str]:
    """Paths of integers that look like epoch milliseconds."""
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _epoch_ms(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for n, item in enumerate(value) for found in _epoch_ms(item, f"{path}[{n}]")]
    if isinstance(value, int) and not isinstance(value, bool) and value > 10**11:
        return [path]
    return []


def _answer_not_me(world: LinkedWorld, http: httpx.Client, csrf: str) -> None:
    page_id = world.business["page_id"]
    messages = http.get(f"/api/v1/threads/{page_id}/messages").json()["data"]
    *_, button = [
        b
        for m in messages
        for b in ((m.get("attachment") or {}).get("payload") or {}).get("buttons") or []
        if str(b.get("payload", "")).startswith("LEDGERLINE_FRAUD_ALERT")
        and str(b["payload"]).endswith(":fraud")
    ]
    said = http.post(
        f"/api/v1/threads/{page_id}/messages",
        json={"postback": {"title": button["title"], "payload": button["payload"]}},
        headers={"X-CSRF-Token": csrf},
    )
    assert said.status_code == 201, said.text


def test_the_export_as_an_archive_and_a_printable_copy(world: LinkedWorld) -> None:
    with httpx.Client(
        base_url=world.live.url, timeout=30, headers={"Origin": world.live.url}
    ) as http:
        psid, csrf = _linked(world, http)
        sent = world.bank_post(
            "transactions",
            {
                "psid": psid,
                "transactions": [
                    {
                        "transaction_id": "t-1",
                        "card_last4": "4321",
                        "amount": {"amount": "2131000", "currency": "VND"},
                        "credit_debit": "debit",
                        "booked_at": "2026-11-29T06:54:00+07:00",
                        "merchant": {"name": "Highlands Coffee", "city": "Hà Nội"},
                    }
                ],
            },
        )
        assert sent.status_code == 200, sent.text
        alert = world.bank_post(
            "fraud_alerts", {"psid": psid, "transaction_id": "t-1", "reason": "unusual"}
        )
        assert alert.status_code == 200, alert.text
        _answer_not_me(world, http, csrf)

        download = http.get("/privacy/export")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/zip"
        disposition = download.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="ledgerline-export-')
        with zipfile.ZipFile(io.BytesIO(download.content)) as zipped:
            by_name = {name.split("/")[-1]: name for name in zipped.namelist()}
            assert set(by_name) == {"export.json", "transactions.csv", "export.html", "README.txt"}
            data = json.loads(zipped.read(by_name["export.json"]))
            rows = list(
                csv.DictReader(
                    io.StringIO(zipped.read(by_name["transactions.csv"]).decode("utf-8-sig"))
                )
            )
            html = zipped.read(by_name["export.html"]).decode()
        assert _epoch_ms(data) == []
        (record,) = [r for r in data["financial_records"] if r["kind"] == "transaction"]
        assert datetime.fromisoformat(record["occurred_time"]) == datetime(
            2026, 11, 28, 23, 54, tzinfo=UTC
        )
        assert record["page_name"] == "Demo Bank"
        (answered,) = data["fraud_alerts"]
        assert answered["verdict"] == "fraud"
        assert answered["verdict_text"] == "You said the payment was not yours (fraud)"
        assert answered["raised_by_text"] == "Demo Bank"
        assert datetime.fromisoformat(data["links"][0]["granted_time"]).tzinfo is not None
        log_texts = [entry["text"] for entry in data["access_log"]]
        assert "Demo Bank shared your transactions" in log_texts
        assert all(set(entry) >= {"time", "text"} for entry in data["access_log"])
        (row,) = rows
        assert datetime.fromisoformat(row["booked_time"]) == datetime(
            2026, 11, 28, 23, 54, tzinfo=UTC
        )
        assert (row["amount"], row["currency"], row["merchant"]) == (
            "2131000",
            "VND",
            "Highlands Coffee",
        )
        assert "<style>" in html  # readable on its own, out of the archive
        assert "You said the payment was not yours (fraud)" in html
        assert "−₫2,131,000" in html
        assert "LEDGERLINE_FRAUD_ALERT" not in html

        printable = http.get("/privacy/export/print?lang=en")
        assert printable.status_code == 200
        assert "<h1>Your data from Ledgerline</h1>" in printable.text
        assert 'href="/static/export.css"' in printable.text  # the CSP allows no inline style
        assert "Demo Bank shared your transactions" in printable.text
        vi = http.get("/privacy/export/print", headers={"Accept-Language": "vi"})
        assert vi.status_code == 200

        # Another site may not start a download; the API's JSON export has the same content.
        other = http.get("/privacy/export", headers={"Sec-Fetch-Site": "cross-site"})
        assert other.status_code == 403
        api = http.get("/api/v1/me/export").json()
        assert _epoch_ms(api) == []
        assert api["fraud_alerts"][0]["verdict_text"].startswith("You said")
