"""The person's rights: everything held about them (export) and every access (access log)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ledgerline.audit import Actor, access_log
from ledgerline.chat.shapes import client_message, iso_time
from ledgerline.linking.queries import consent_records
from ledgerline.privacy.wording import describe
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import businesses as business_store, people, threads
from ledgerline.vault import RecordKind, Vault


def do_export_person(uow: UnitOfWork, *, vault: Vault, user_id: str) -> dict[str, Any]:
    """Profile, links and consent records, messages and decrypted financial records.

    A write: the vault audits the export (purpose ``user_access``)."""
    conn = uow.conn
    user = people.get_user(conn, user_id)
    if user is None:  # pragma: no cover - the caller authenticated this person
        raise LookupError(user_id)
    records = vault.export(conn, actor=Actor.person(user_id), user_id=user_id)
    # Updates built from financial data keep their bodies in the vault (ingest.notify).
    bodies = {r.record_id: r.payload for r in records if r.kind is RecordKind.CHAT_MESSAGE}
    records = [r for r in records if r.kind is not RecordKind.CHAT_MESSAGE]
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
                    client_message(replace(row, body=bodies[row.mid]) if row.mid in bodies else row)
                    for row in rows
                ],
            }
        )
    return {
        "profile": {
            "user_id": user.user_id,
            "name": user.name,
            "locale": user.locale,
            "timezone": user.timezone,
            "created_time": iso_time(user.created_at),
        },
        "links": consent_records(conn, user_id),
        "threads": conversations,
        "financial_records": [record.to_dict() for record in records],
    }


def access_log_in_words(
    conn: Any, *, user_id: str, limit: int, before: int | None
) -> list[dict[str, Any]]:
    user = people.get_user(conn, user_id)
    locale = user.locale if user is not None else "en"
    entries = access_log(conn, user_id, limit=limit, before_seq=before)
    names = {
        page_id: row.name
        for page_id in {e.page_id for e in entries if e.page_id}
        if (row := business_store.get_business(conn, page_id)) is not None
    }
    return [
        {
            "id": entry.seq,
            "time": iso_time(entry.at),
            "text": describe(entry, locale=locale, business_names=names),
            "actor": {
                "kind": str(entry.actor.kind),
                "name": names.get(entry.page_id or "") if entry.actor.kind != "person" else None,
            },
            "page_id": entry.page_id,
            "action": entry.action,
            "purpose": entry.purpose,
            "record_kind": entry.record_kind,
            "outcome": entry.outcome,
            "records": len(entry.record_ids),
        }
        for entry in entries
    ]
