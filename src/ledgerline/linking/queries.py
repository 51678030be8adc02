"""Reads for the APIs: a person's links as they see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledgerline.chat.actions import same_link_target
from ledgerline.chat.wire import iso_time
from ledgerline.domain.messages import account_link_buttons
from ledgerline.domain.scopes import Scope, scopes_of
from ledgerline.linking.texts import ordered
from ledgerline.linking.tokens import digest
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import linking as store, threads as thread_store

RECENT_MESSAGES = 50  # how far back the consent screen looks for the business's request
_SCOPE_VALUES = frozenset(s.value for s in Scope)
STATUS = {store.ACTIVE: "linked", store.EXPIRED: "expired", store.REVOKED: "unlinked"}


@dataclass(frozen=True, slots=True)
class LinkView:
    page_id: str
    page_name: str
    status: str  # linked | expired | unlinked
    scopes: list[Scope]
    consent_version: str
    granted_at: int | None
    expires_at: int
    ended_at: int | None
    reminded_at: int | None


def view(consent: store.ConsentRow, page_name: str, now: int) -> LinkView:
    status = STATUS.get(consent.status, consent.status)
    ended_at = consent.ended_at
    if consent.status == store.ACTIVE and consent.expires_at <= now:
        status, ended_at = "expired", consent.expires_at
    return LinkView(
        page_id=consent.page_id,
        page_name=page_name,
        status=status,
        scopes=ordered(scopes_of(consent.scopes)),
        consent_version=consent.text_version,
        granted_at=consent.granted_at,
        expires_at=consent.expires_at,
        ended_at=ended_at,
        reminded_at=consent.reminded_at,
    )


def list_links(uow: UnitOfWork, user_id: str, now: int) -> list[LinkView]:
    """Every business the person linked, with the latest consent's scopes and times."""
    return [view(link.consent, link.page_name, now) for link in store.list_links(uow.conn, user_id)]


def get_link(uow: UnitOfWork, user_id: str, page_id: str, now: int) -> LinkView | None:
    for link in store.list_links(uow.conn, user_id):
        if link.consent.page_id == page_id:
            return view(link.consent, link.page_name, now)
    return None


def consent_records(uow: UnitOfWork, user_id: str) -> list[dict[str, Any]]:
    """The person's consent records, machine-readable (for the privacy export): who, to
    whom, which scopes, which text version, when and until when, and how each ended."""
    return [
        {
            "consent_id": c.consent_id,
            "page_id": c.page_id,
            "scopes": [s.value for s in ordered(scopes_of(c.scopes))],
            "consent_version": c.text_version,
            "locale": c.locale,
            "status": c.status,
            "given_time": iso_time(c.given_at),
            "granted_time": None if c.granted_at is None else iso_time(c.granted_at),
            "expires_time": iso_time(c.expires_at),
            "ended_time": None if c.ended_at is None else iso_time(c.ended_at),
            "ended_by": c.ended_by,
            "reminded_time": None if c.reminded_at is None else iso_time(c.reminded_at),
            "previous_id": c.previous_id,
        }
        for c in store.consents_of(uow.conn, user_id)
    ]


def callback_partition(uow: UnitOfWork, state: str) -> str | None:
    """The writer partition (``page_id:user_id``) of the link a callback ``state`` belongs
    to, so the callback is ordered with the person's other changes to that link."""
    token = store.token_by_state(uow.conn, digest(state))
    return None if token is None else f"{token.page_id}:{token.user_id}"


def requested_scopes(uow: UnitOfWork, *, page_id: str, user_id: str, url: str) -> frozenset[Scope]:
    """What the business asked the person to share: the ``scopes`` of its newest
    ``account_link`` button to ``url`` in their thread (among the last ``RECENT_MESSAGES``).
    Empty when it named none, or sent no such button: the consent screen then ticks nothing.

    Read from the thread, never from the request, so a crafted consent-screen URL cannot
    make more scopes start ticked than the business asked for."""
    conn = uow.conn
    thread = thread_store.get_thread(conn, page_id, user_id)
    if thread is None:
        return frozenset()
    for row in reversed(thread_store.list_messages(conn, thread.thread_id, limit=RECENT_MESSAGES)):
        if row.sender != "page":
            continue
        for button in account_link_buttons(row.body):
            if same_link_target(str(button.get("url") or ""), url):
                asked = button.get("scopes") or []
                return frozenset(
                    Scope(v) for v in asked if isinstance(v, str) and v in _SCOPE_VALUES
                )
    return frozenset()
