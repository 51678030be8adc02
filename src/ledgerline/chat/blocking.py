"""A person blocks a business: the business can no longer reach them through the Send API.

A blocked business's Send API calls — and any call to a person who deleted their account —
answer Messenger's ``(#551) This person isn't available right now`` and store nothing. The
person may not write to a business they blocked either, until they unblock it.
"""

from __future__ import annotations

from ledgerline.domain.errors import Conflict, NoMatchingUser, NotFound, PersonUnavailable
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import blocks, businesses as business_store, threads as thread_store
from ledgerline.storage.stores.threads import ThreadRow


def check_reachable(uow: UnitOfWork, *, page_id: str, user_id: str) -> None:
    """Raise ``PersonUnavailable`` (#551) when the page may not reach this person."""
    if blocks.unreachable(uow.conn, page_id=page_id, user_id=user_id):
        raise PersonUnavailable()


def access_reachable_thread(uow: UnitOfWork, page_id: str, psid: str) -> ThreadRow:
    """The page's thread with this PSID, when the page may reach its person (#100/#551)."""
    thread = thread_store.thread_by_psid(uow.conn, page_id, psid)
    if thread is None:
        raise NoMatchingUser()
    check_reachable(uow, page_id=page_id, user_id=thread.user_id)
    return thread


def check_not_blocked_by(uow: UnitOfWork, *, page_id: str, user_id: str) -> None:
    """The person may not write to a business they blocked (they unblock it first)."""
    if blocks.is_blocked(uow.conn, page_id=page_id, user_id=user_id):
        raise Conflict("You blocked this business. Unblock it to write to it.")


def _require_business(uow: UnitOfWork, page_id: str) -> None:
    if business_store.get_business(uow.conn, page_id) is None:
        raise NotFound(f"No business with page id {page_id[:40]}")


def do_block_business(uow: UnitOfWork, *, user_id: str, page_id: str, now: int) -> bool:
    """Block ``page_id`` for ``user_id``; idempotent. Returns whether it was new."""
    _require_business(uow, page_id)
    return blocks.block(uow.conn, page_id=page_id, user_id=user_id, now=now)


def do_unblock_business(uow: UnitOfWork, *, user_id: str, page_id: str) -> bool:
    """Lift the block; idempotent. Returns whether there was one."""
    _require_business(uow, page_id)
    return blocks.unblock(uow.conn, page_id=page_id, user_id=user_id)
