"""The privacy centre's export (``/privacy/export``): everything held about the person as a
ZIP archive (the JSON, the transactions as CSV, a printable HTML copy) and the printable copy
on its own (``/privacy/export/print``), in the person's language. Each download is audited
(the vault's ``export``, purpose ``user_access``), and another site may not start one."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from ledgerline.domain.clock import to_ms
from ledgerline.domain.scopes import Scope
from ledgerline.language.formatter import Formatter
from ledgerline.linking.texts import catalogue as scope_catalogue
from ledgerline.privacy.export_formats import archive, transaction_rows
from ledgerline.privacy.texts import record_phrase
from ledgerline.web.config import web_config
from ledgerline.web.pages import Person, signed_in_person, to_sign_in
from ledgerline.web.privacy import HOME, centre_of, refused_page
from ledgerline.web.render import environment
from ledgerline.web.security import secure_headers
from ledgerline.web.texts import translate

router = APIRouter(prefix="/privacy", include_in_schema=False)
SCOPE_NAMES = frozenset(scope.value for scope in Scope)
STYLES = resources.files("ledgerline.web").joinpath("static/export.css")


def _when(fmt: Formatter, iso: str | None) -> str:
    if not iso:
        return "—"
    try:
        return fmt.when(to_ms(datetime.fromisoformat(iso)))
    except ValueError:
        return iso


def _scopes(names: list[str], locale: str) -> str:
    texts = scope_catalogue(locale)
    return ", ".join(texts.scope_name(Scope(name)) for name in names if name in SCOPE_NAMES)


def export_view(data: dict[str, Any], person: Person, exported: str) -> dict[str, Any]:
    """What the printable copy shows, formatted for the person (amounts, times, words)."""
    fmt = Formatter.for_person(person.locale, person.timezone)
    locale = fmt.lang
    transactions = []
    for row in transaction_rows(data):
        amount = {"amount": row["amount"], "currency": row["currency"]}
        sign = "−" if row["direction"] == "debit" else "+"
        transactions.append(
            {
                **row,
                "when": _when(fmt, row["booked_time"]),
                "money": fmt.money(amount, sign=sign) if row["amount"] else "—",
                "card": fmt.card(row["card_last4"]) or "",
            }
        )
    others = [
        {
            "bank": record["page_name"],
            "when": _when(fmt, record["occurred_time"]),
            "kind": translate(locale, f"export_kind_{record['kind']}"),
            "what": record_phrase(record["kind"], record["data"], locale) or "—",
        }
        for record in data["financial_records"]
        if record["kind"] != "transaction"
    ]
    return {
        "exported": exported,
        "profile": {
            **data["profile"],
            "created": _when(fmt, data["profile"]["created_time"]),
        },
        "links": [
            {
                "bank": link["page_name"],
                "scopes": _scopes(link["scopes"], locale),
                "status": link["status"],
                "granted": _when(fmt, link["granted_time"] or link["given_time"]),
                "expires": _when(fmt, link["expires_time"]),
                "ended": _when(fmt, link["ended_time"]) if link["ended_time"] else "",
            }
            for link in data["links"]
        ],
        "transactions": transactions,
        "others": others,
        "alerts": [
            {**alert, "when": _when(fmt, alert["raised_time"])} for alert in data["fraud_alerts"]
        ],
        "service": data["customer_service"],
        "threads": [
            {
                "bank": thread["page_name"],
                "messages": [
                    {
                        "when": _when(fmt, message.get("created_time")),
                        "from": message.get("from"),
                        "text": message.get("text") or _template_text(message),
                    }
                    for message in thread["messages"]
                ],
            }
            for thread in data["threads"]
        ],
        "log": [
            {"when": _when(fmt, entry["time"]), "text": entry["text"]}
            for entry in data["access_log"]
        ],
    }


def _template_text(message: dict[str, Any]) -> str:
    attachment = message.get("attachment")
    payload = attachment.get("payload") if isinstance(attachment, dict) else None
    if isinstance(payload, dict):
        return str(payload.get("text") or payload.get("template_type") or "")
    return ""


def printable(
    data: dict[str, Any], person: Person, exported: str, *, standalone: bool = False
) -> str:
    """The copy as HTML; ``standalone`` (in the ZIP) carries its own styles."""
    locale = person.locale

    def t(key: str, **kw: object) -> str:
        return translate(locale, key, **kw)

    template = environment().get_template("privacy_export.html")
    css = STYLES.read_text(encoding="utf-8") if standalone else None
    return template.render(
        locale=locale, t=t, inline_css=css, **export_view(data, person, exported)
    )


async def _export(request: Request) -> tuple[Person | None, dict[str, Any] | None, Response | None]:
    person = await signed_in_person(request)
    if person is None:
        return None, None, to_sign_in(request, HOME)
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return person, None, refused_page(request, person)  # no downloads started elsewhere
    config = web_config(request)
    data = await config.db.write(
        centre_of(request).export,
        user_id=person.user_id,
        partition=f"export:{person.user_id}",
    )
    return person, data, None


@router.get("/export")
async def export(request: Request) -> Response:
    """Everything held about the person, as a ZIP archive download (audited)."""
    person, data, refused = await _export(request)
    if refused is not None or person is None or data is None:
        return refused or to_sign_in(request, HOME)
    now = web_config(request).clock.now()
    day = now.strftime("%Y-%m-%d")
    fmt = Formatter.for_person(person.locale, person.timezone)
    html = printable(data, person, _when(fmt, now.isoformat()), standalone=True)
    name = f"ledgerline-export-{day}"
    response = Response(
        archive(data, html=html, folder=name),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}.zip"'},
    )
    secure_headers(response)
    return response


@router.get("/export/print")
async def export_print(request: Request) -> Response:
    """The printable copy, in the browser (audited like the download)."""
    person, data, refused = await _export(request)
    if refused is not None or person is None or data is None:
        return refused or to_sign_in(request, HOME)
    now = web_config(request).clock.now()
    exported = _when(Formatter.for_person(person.locale, person.timezone), now.isoformat())
    response = HTMLResponse(printable(data, person, exported))
    secure_headers(response)
    return response
