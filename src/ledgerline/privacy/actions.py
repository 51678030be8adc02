"""The person's right of access: everything held about them (the export)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ledgerline.audit import Actor
from ledgerline.chat.wire import client_message, iso_time
from ledgerline.domain.records import RecordKind, VaultPort
from ledgerline.linking.queries import consent_records
from ledgerline.privacy.access_log import access_log_in_words
from ledgerline.privacy.export_texts import source_text, status_text, verdict_text
from ledgerline.privacy.service_records import export_service_records
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    people,
    push as push_store,
    threads,
    updates as alert_store,
)
from ledgerline.storage.stores.updates import AlertRow


def do_export_person(
    uow: UnitOfWork, *, vault: VaultPort[UnitOfWork], user_id: str
) -> dict[str, Any]:
    """Profile, links and consent records, messages, decrypted financial records, fraud
    alerts with the person's answers in words, the customer-service records about the
    person (``privacy.service_records``) and the access log (GDPR art. 15 and 20). Every time
    is ISO 8601.

    A write: the vault audits the export (purpose ``user_access``)."""
    conn = uow.conn
    user = people.get_user(conn, user_id)
    if user is None:  # pragma: no cover - the caller authenticated this person
        raise LookupError(user_id)
    records = vault.export(uow, actor=Actor.person(user_id), user_id=user_id)
    # Updates built from financial data keep their bodies in the vault (ingest.notify).
    bodies = {r.record_id: r.payload for r in records if r.kind is RecordKind.CHAT_MESSAGE}
    records = [r for r in records if r.kind is not RecordKind.CHAT_MESSAGE]
    alerts = alert_store.alerts_of_person(conn, user_id)
    summaries = threads.list_user_threads(conn, user_id, limit=10_000)
    conversations = []
    for summary in summaries:
        thread = threads.get_thread(conn, summary.page_id, user_id)
        if thread is None:  # pragma: no cover - listed just above
            continue
        rows = threads.list_messages(conn, thread.thread_id, limit=1_000_000)
        conversations.append(
            {
                "page_id": summary.page_id,
                "page_name": summary.page_name,
                "messages": [
                    client_message(replace(row, body=_opened(row.body, bodies[row.mid])))
                    if row.mid in bodies
                    else client_message(row)
                    for row in rows
                ],
            }
        )
    names = _business_names(uow, {r.page_id for r in records} | {a.page_id for a in alerts})
    return {
        "profile": {
            "user_id": user.user_id,
            "name": user.name,
            "locale": user.locale,
            "timezone": user.timezone,
            "created_time": iso_time(user.created_at),
        },
        "links": [
            {**link, "page_name": names.get(link["page_id"], "")}
            for link in consent_records(uow, user_id)
        ],
        "threads": conversations,
        "financial_records": [
            {
                "record_id": record.record_id,
                "page_id": record.page_id,
                "page_name": names.get(record.page_id, ""),
                "kind": str(record.kind),
                "occurred_time": iso_time(record.occurred_at),
                "created_time": iso_time(record.created_at),
                "data": _readable(record.payload),
            }
            for record in records
        ],
        "fraud_alerts": [_alert(alert, names, user.locale) for alert in alerts],
        "customer_service": export_service_records(uow, user_id),
        "push_subscriptions": [
            {
                "endpoint": sub.endpoint,
                "topics": sorted(sub.topics),
                "created_time": iso_time(sub.created_at),
            }
            for sub in push_store.subscriptions_of(uow.conn, user_id)
        ],
        "access_log": access_log_in_words(uow, user_id=user_id, limit=EXPORTED_LOG, before=None),
    }


EXPORTED_LOG = 100_000  # access-log entries in an export (newest first)
# A bank's times, stored as epoch ms (``domain.fields.Moment``), exported as ISO 8601.
MOMENT_FIELDS = ("booked_at", "as_of", "eta")


def _readable(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        key: iso_time(value)
        if key in MOMENT_FIELDS and isinstance(value, int) and not isinstance(value, bool)
        else value
        for key, value in payload.items()
    }


def _business_names(uow: UnitOfWork, page_ids: set[str]) -> dict[str, str]:
    return {
        page_id: row.name
        for page_id in page_ids
        if (row := business_store.get_business(uow.conn, page_id)) is not None
    }


def _alert(alert: AlertRow, names: dict[str, str], locale: str) -> dict[str, Any]:
    """A fraud alert and the person's answer, in words beside the codes."""
    business = names.get(alert.page_id, "")
    return {
        "page_id": alert.page_id,
        "page_name": business,
        "transaction_id": alert.transaction_ref,
        "raised_by": alert.source,
        "raised_by_text": source_text(alert.source, business, locale),
        "raised_time": iso_time(alert.created_at),
        "status": alert.status,
        "status_text": status_text(alert.status, locale),
        "verdict": alert.verdict,
        "verdict_text": verdict_text(alert.verdict, locale),
        "answered_time": None if alert.answered_at is None else iso_time(alert.answered_at),
        "answered_via": alert.answered_via,
    }


def _opened(placeholder: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A private message's body, with the state of its question kept beside it."""
    return {**body, "state": placeholder["state"]} if "state" in placeholder else body
