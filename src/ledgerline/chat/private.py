"""Private chat messages: a message built from a person's financial data (an update, a
receipt, a fraud alert, the assistant's answer) keeps its body in the vault.

The body is sealed under the (person, business) data key as a ``chat_message`` record whose
id is the message's mid; the ``messages`` table keeps only a placeholder (its kind and
Messenger tag, never content); the live frame carries the real content after commit. Read
back for the person with purpose ``user_access`` (audited). Unlinking destroys the key, so
the messages go with the data they came from: the thread then shows a line saying so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ledgerline.audit import Actor
from ledgerline.chat.wire import client_message
from ledgerline.domain.events import MessageCreated
from ledgerline.domain.ids import new_mid
from ledgerline.domain.records import NewRecord, RecordAccess, RecordKind, VaultPort
from ledgerline.domain.scopes import Purpose
from ledgerline.domain.window import MessageTag
from ledgerline.language.formatter import Formatter
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    people as people_store,
    threads as thread_store,
)
from ledgerline.storage.stores.threads import MessageRow, ThreadRow

# What Messenger tag each kind of private message goes out under: account and post-purchase
# updates are outside the 24-hour window's rules; the assistant's answers are responses.
TAGS: dict[str, MessageTag] = {
    "balance": MessageTag.ACCOUNT_UPDATE,
    "digest": MessageTag.ACCOUNT_UPDATE,
    "low_balance": MessageTag.ACCOUNT_UPDATE,
    "transaction": MessageTag.ACCOUNT_UPDATE,
    "fraud_alert": MessageTag.ACCOUNT_UPDATE,
    "receipt": MessageTag.POST_PURCHASE_UPDATE,
    "shipment": MessageTag.POST_PURCHASE_UPDATE,
}


def _placeholder(kind: str, state: dict[str, Any] | None = None) -> dict[str, Any]:
    """What ``messages`` keeps of a vault-held message: its kind and tag, never content; and
    the state of the question it asks, if any (``chat.state``: no financial data)."""
    placeholder: dict[str, Any] = {"vault": True, "kind": kind}
    if kind in TAGS:
        placeholder["tag"] = str(TAGS[kind])
    if state is not None:
        placeholder["state"] = state
    return placeholder


def post_private_messages(
    uow: UnitOfWork,
    *,
    access: RecordAccess,
    thread: ThreadRow,
    messages: Sequence[tuple[str, dict[str, Any], int]],
    now: int,
    actor: Actor,
    states: Sequence[dict[str, Any] | None] | None = None,
    mids: Sequence[str | None] | None = None,
) -> list[MessageRow]:
    """Post ``(kind, message, occurred_at)`` messages as the page, in order: their bodies
    encrypted in the vault under their mids (one vault write, one audit entry for all), a
    placeholder in ``messages``, the real content on the live frame only. ``occurred_at``
    is the source record's time, so retention deletes a message with its source.
    ``access``: the vault access of the thread's (business, person); ``states``: the
    state of each message's question (``chat.state``), kept beside it; ``mids``: a
    message's mid when it was made already (a button in it names it)."""
    if not messages:
        return []
    if (access.page_id, access.user_id) != (thread.page_id, thread.user_id):
        raise ValueError("the vault access is not the thread's business and person")
    states = list(states) if states is not None else [None] * len(messages)
    given = list(mids) if mids is not None else [None] * len(messages)
    made = [mid or new_mid() for mid in given]
    access.put_many(
        [
            NewRecord(
                kind=RecordKind.CHAT_MESSAGE,
                payload=message,
                occurred_at=occurred_at,
                record_id=mid,
            )
            for mid, (_, message, occurred_at) in zip(made, messages, strict=True)
        ],
        actor=actor,
    )
    placeholders = [
        (mid, _placeholder(kind, state))
        for mid, (kind, _, _), state in zip(made, messages, states, strict=True)
    ]
    stored = thread_store.insert_page_messages(
        uow.conn, thread=thread, items=placeholders, created_at=now
    )
    rows = []
    for (seq, number), mid, (_, message, _), state in zip(
        stored, made, messages, states, strict=True
    ):
        body = message if state is None else {**message, "state": state}
        row = MessageRow(
            seq=seq, mid=mid, sender="page", body=body, created_at=now, thread_seq=number
        )
        uow.emit(MessageCreated(thread.page_id, thread.user_id, client_message(row)))
        rows.append(row)
    return rows


def post_private_message(
    uow: UnitOfWork,
    *,
    access: RecordAccess,
    thread: ThreadRow,
    kind: str,
    message: dict[str, Any],
    now: int,
    actor: Actor,
    occurred_at: int | None = None,
    state: dict[str, Any] | None = None,
) -> MessageRow:
    """One message (see :func:`post_private_messages`). ``kind`` names what it is (an update
    kind of ``TAGS``, or e.g. the assistant's answer, which is a response in the 24-hour
    window and has no tag)."""
    at = now if occurred_at is None else occurred_at
    return post_private_messages(
        uow,
        access=access,
        thread=thread,
        messages=[(kind, message, at)],
        now=now,
        actor=actor,
        states=[state],
    )[0]


# -- reading the encrypted messages back ------------------------------------------------------
def erased_text(fmt: Formatter, business: str, *, linked: bool) -> str:
    if linked:  # still linked: the business's retention period removed it
        return fmt._("This update was deleted after {bank}'s retention period.", bank=business)
    return fmt._("This update was erased when you unlinked {bank}.", bank=business)


def is_private(row: MessageRow) -> bool:
    return row.sender == "page" and row.body.get("vault") is True


def resolve_messages(
    uow: UnitOfWork,
    *,
    vault: VaultPort[UnitOfWork],
    user_id: str,
    items: Sequence[tuple[str, MessageRow]],
) -> list[MessageRow]:
    """The rows with their bodies decrypted for the person (purpose ``user_access``,
    audited); an erased body becomes a placeholder text naming the business."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for page_id, row in items:
        if is_private(row):
            wanted[page_id].append(row.mid)
    if not wanted:
        return [row for _page, row in items]
    found: dict[str, dict[str, Any]] = {}
    erased: dict[str, str] = {}
    notices: dict[str, dict[str, str]] = {}
    person = people_store.get_user(uow.conn, user_id)
    fmt = Formatter.for_person(
        None if person is None else person.locale, None if person is None else person.timezone
    )
    for page_id, mids in wanted.items():
        access = vault.access(uow, page_id=page_id, user_id=user_id)
        records = access.reading(Purpose.USER_ACCESS, actor=Actor.person(user_id)).get_many(mids)
        found.update({mid: dict(rec.payload) for mid, rec in records.items()})
        business = business_store.get_business(uow.conn, page_id)
        linked = access.scopes() is not None
        erased[page_id] = erased_text(fmt, "" if business is None else business.name, linked=linked)
        # Marked, so an app can fold a run of them into one line (the web app does).
        notices[page_id] = {"kind": "erased", "reason": "retention" if linked else "unlinked"}
    out = []
    for page_id, row in items:
        if not is_private(row):
            out.append(row)
            continue
        body = found.get(row.mid) or {"text": erased[page_id], "notice": notices[page_id]}
        if row.mid in found and "state" in row.body:
            body = {**body, "state": row.body["state"]}
        out.append(
            MessageRow(
                seq=row.seq,
                mid=row.mid,
                sender=row.sender,
                body=body,
                created_at=row.created_at,
                thread_seq=row.thread_seq,
            )
        )
    return out


class MessageResolver:
    """What the person API uses to show messages whose body is in the vault, without
    importing the vault itself (built by ``bootstrap``)."""

    def __init__(self, db: Database, vault: VaultPort[UnitOfWork]) -> None:
        self.db = db
        self.vault = vault

    async def resolve(
        self, user_id: str, items: Sequence[tuple[str, MessageRow]]
    ) -> list[MessageRow]:
        if not any(is_private(row) for _page, row in items):
            return [row for _page, row in items]
        return await self.db.write(
            resolve_messages,
            vault=self.vault,
            user_id=user_id,
            items=list(items),
        )
