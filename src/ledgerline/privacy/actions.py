"""The person's rights: everything held about them (export) and every access (access log)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from ledgerline.audit import Actor, ActorKind, access_log
from ledgerline.audit.entries import AuditEntry
from ledgerline.chat.wire import client_message, iso_time
from ledgerline.domain.records import RecordKind, VaultPort
from ledgerline.domain.scopes import Purpose
from ledgerline.linking.queries import consent_records
from ledgerline.linking.texts import SCOPE_ORDER, catalogue
from ledgerline.privacy.service_records import export_service_records
from ledgerline.privacy.texts import RESOLVABLE, describe, record_phrase
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
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


MAX_SHOWN_RECORDS = 200  # records the privacy centre describes per page view


def _resolvable(entry: AuditEntry, user_id: str) -> bool:
    """An entry whose records the privacy centre may describe: another party's read or
    store of a kind with values (the person's own views and exports stay plain)."""
    return (
        entry.page_id is not None
        and entry.action in ("read", "store")
        and entry.record_kind in RESOLVABLE
        and bool(entry.record_ids)
        and not (entry.actor.kind is ActorKind.PERSON and entry.actor.id == user_id)
    )


def _in_words(
    uow: UnitOfWork,
    entries: list[AuditEntry],
    *,
    locale: str,
    phrases: dict[str, str] | None,
    resolvable: set[int],
) -> list[dict[str, Any]]:
    names = {
        page_id: row.name
        for page_id in {e.page_id for e in entries if e.page_id}
        if (row := business_store.get_business(uow.conn, page_id)) is not None
    }
    texts = catalogue(locale)
    scope_names = {s.value: texts.scope_name(s) for s in SCOPE_ORDER}
    lines = []
    for entry in entries:
        shown = None
        if phrases is not None and entry.seq in resolvable:
            shown = [phrases[r] for r in entry.record_ids if r in phrases]
        lines.append(
            {
                "id": entry.seq,
                "time": iso_time(entry.at),
                "at": entry.at,
                "text": describe(
                    entry,
                    locale=locale,
                    business_names=names,
                    shown=shown,
                    scope_names=scope_names,
                ),
                "actor": {
                    "kind": str(entry.actor.kind),
                    "name": names.get(entry.page_id or "")
                    if entry.actor.kind != "person"
                    else None,
                },
                "page_id": entry.page_id,
                "action": entry.action,
                "purpose": entry.purpose,
                "record_kind": entry.record_kind,
                "outcome": entry.outcome,
                "records": len(entry.record_ids),
            }
        )
    return lines


def access_log_in_words(
    uow: UnitOfWork, *, user_id: str, limit: int, before: int | None
) -> list[dict[str, Any]]:
    """``GET /api/v1/me/access-log``: the log as it is, without values (a query)."""
    user = people.get_user(uow.conn, user_id)
    locale = user.locale if user is not None else "en"
    entries = access_log(uow.conn, user_id, limit=limit, before_seq=before)
    lines = _in_words(uow, entries, locale=locale, phrases=None, resolvable=set())
    for line in lines:
        del line["at"]
    return lines


def do_access_log_with_values(
    uow: UnitOfWork,
    *,
    vault: VaultPort[UnitOfWork],
    user_id: str,
    locale: str,
    limit: int,
    before: int | None,
) -> list[dict[str, Any]]:
    """The privacy centre's access log: each entry in words, with what its records were
    ("your transaction of ₫125,000 at Highlands Coffee") while they still exist.

    The values come from one batch read of the person's own records per business
    (purpose ``user_access``, audited like any read); the log itself holds no values.
    A write, because that read is audited."""
    entries = access_log(uow.conn, user_id, limit=limit, before_seq=before)
    wanted: dict[str, list[str]] = defaultdict(list)
    resolvable: set[int] = set()
    budget = MAX_SHOWN_RECORDS
    for entry in entries:
        if budget <= 0 or not _resolvable(entry, user_id):
            continue
        resolvable.add(entry.seq)
        ids = list(entry.record_ids[:budget])
        budget -= len(ids)
        wanted[str(entry.page_id)].extend(ids)
    phrases: dict[str, str] = {}
    for page_id, record_ids in wanted.items():
        access = vault.access(uow, page_id=page_id, user_id=user_id)
        reading = access.reading(Purpose.USER_ACCESS, actor=Actor.person(user_id))
        found = reading.get_many(record_ids)
        for record in found.values():
            phrase = record_phrase(str(record.kind), record.payload, locale)
            if phrase is not None:
                phrases[record.record_id] = phrase
    return _in_words(uow, entries, locale=locale, phrases=phrases, resolvable=resolvable)
