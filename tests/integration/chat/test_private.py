"""Private messages: the body sealed under the thread's own (business, person) data key,
a placeholder in ``messages``, the content back for the person (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from ledgerline.audit import Actor
from ledgerline.chat.accounts import do_create_business, do_create_user
from ledgerline.chat.private import post_private_message, resolve_messages
from ledgerline.domain.clock import FrozenClock, to_ms
from ledgerline.domain.ids import new_psid
from ledgerline.domain.scopes import ALL_SCOPES, Scope
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import threads as thread_store
from ledgerline.storage.stores.threads import MessageRow, ThreadRow
from ledgerline.storage.tables import messages, vault_records
from ledgerline.vault import MasterKey, Vault
from tests.support.audit import audited_database

NOTIFIER = Actor.component("notify")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = audited_database(database_url)
    yield database
    database.close()


class Linked:
    """A ConsentLookup double: everyone is linked with every scope."""

    def __call__(self, uow: object, page_id: str, user_id: str) -> frozenset[Scope] | None:
        return ALL_SCOPES


def _thread(db: Database, now: int) -> tuple[ThreadRow, str]:
    bank = db.write_sync(
        do_create_business,
        secret_key=b"k" * 32,
        name="Ngân hàng Demo",
        webhook_url=None,
        verify_token=None,
        account_link_url=None,
        now=now,
    )
    ann = db.write_sync(
        do_create_user, name="An", locale="vi", timezone="Asia/Ho_Chi_Minh", now=now
    )
    bo = db.write_sync(do_create_user, name="Bo", locale="en", timezone="UTC", now=now)
    thread = db.write_sync(
        lambda uow: thread_store.get_or_create_thread(
            uow.conn, bank.page_id, ann.user_id, now=now, new_psid=new_psid
        )
    )
    return thread, bo.user_id


def test_a_private_message_is_sealed_for_its_own_thread_only(db: Database) -> None:
    clock = FrozenClock(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    vault = Vault(MasterKey.generate(), Linked(), clock)
    now = to_ms(clock.now())
    thread, bo = _thread(db, now)
    message = {"text": "Số dư: 1.250.000 ₫"}

    def post(uow: UnitOfWork, user_id: str) -> MessageRow:
        access = vault.access(uow, page_id=thread.page_id, user_id=user_id)
        return post_private_message(
            uow, access=access, thread=thread, kind="balance", message=message, now=now,
            actor=NOTIFIER,
        )  # fmt: skip

    with pytest.raises(ValueError, match="not the thread's"):  # Bo's key for An's thread
        db.write_sync(post, bo)
    row = db.write_sync(post, thread.user_id)
    stored = db.read_sync(
        lambda c: (
            c.execute(sa.select(messages.c.body).where(messages.c.mid == row.mid)).scalar_one(),
            c.execute(sa.select(sa.func.count()).select_from(vault_records)).scalar_one(),
        )
    )
    assert stored == ('{"vault":true,"kind":"balance","tag":"ACCOUNT_UPDATE"}', 1)
    placeholder = MessageRow(
        seq=row.seq,
        mid=row.mid,
        sender="page",
        body={"vault": True},
        created_at=now,
        thread_seq=row.thread_seq,
    )
    resolved = db.write_sync(
        resolve_messages,
        vault=vault,
        user_id=thread.user_id,
        items=[(thread.page_id, placeholder)],
    )
    assert [r.body for r in resolved] == [message]
