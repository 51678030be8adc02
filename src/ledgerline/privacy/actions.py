"""The person's right of access: everything held about them (the export)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ledgerline.audit import Actor
from ledgerline.chat.wire import client_message, iso_time
from ledgerline.domain.records import RecordKind, VaultPort
from ledgerline.linking.queries import consent_records
from ledgerline.privacy.service_records import export_service_records
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    people,
    push as push_store,
    threads,
)


def do_export_person(
    uow: UnitOfWork, *, vault: VaultPort[UnitOfWork], user_id: str
) -> dict[str, Any]:
    """Profile, links and consent records, messages, decrypted financial records and the
    customer-service records about the person (``privacy.service_records``).

    A write: the vault audits the export (purpose ``user_access``)."""
    conn = uow.conn
    user = people.get_user(conn, user_id)
    if user is None:  # pragma: no cover - the caller authenticated this person
        raise LookupError(user_id)
    records = vault.export(uow, actor=Actor.person(user_id), user_id=user_id)
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
                    client_message(replace(row, body=_opened(row.body, bodies[row.mid])))
                    if row.mid in bodies
                    else client_message(row)
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
        "links": consent_records(uow, user_id),
        "threads": conversations,
        "financial_records": [record.to_dict() for record in records],
        "customer_service": export_service_records(uow, user_id),
        "push_subscriptions": [
            {
                "endpoint": sub.endpoint,
                "topics": sorted(sub.topics),
                "created_time": iso_time(sub.created_at),
            }
            for sub in push_store.subscriptions_of(uow.conn, user_id)
        ],
    }


def _opened(placeholder: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A private message's body, with the state of its question kept beside it."""
    return {**body, "state": placeholder["state"]} if "state" in placeholder else body
