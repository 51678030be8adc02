"""A person deletes their account.

In one transaction: every link ends as if the person unlinked it (the bank gets the
``unlinked`` webhook, the data shared under it is crypto-shredded), whatever the vault still
holds for them is erased, every customer-service record about them (the agent inbox's
conversations and agents' notes, ``privacy.service_records``) is erased, so are the
payloads of the webhook events about them (those not sent yet are withdrawn, except the
banks' ``unlinked`` events: ``privacy.webhook_records``), their tokens and sessions are
revoked, their browsers' push subscriptions are deleted, so are the menus banks set for them
alone (``custom_user_settings``), the photos and files they sent are
no longer served (their records deleted; ``workers.blob_sweep`` removes the bytes), their sign-in and name are removed, and the account is marked deleted — from then on every business's Send API call to them answers ``(#551)`` and
stores nothing. Their threads stay with the businesses, as on Messenger, without their name.
"""

from __future__ import annotations

from ledgerline.audit import Actor
from ledgerline.domain.records import VaultPort
from ledgerline.linking.actions import do_unlink
from ledgerline.linking.hooks import LinkingHooks
from ledgerline.privacy import service_records, webhook_records
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    attachments as attachment_store,
    linking as linking_store,
    page_profile as profile_store,
    people,
    push as push_store,
)


def do_delete_account(
    uow: UnitOfWork,
    *,
    user_id: str,
    now: int,
    hooks: LinkingHooks,
    vault: VaultPort[UnitOfWork] | None,
) -> bool:
    """Delete the account (see the module docstring). False when it was already deleted."""
    for link in linking_store.list_links(uow.conn, user_id):
        do_unlink(
            uow, page_id=link.consent.page_id, user_id=user_id, by="person", now=now, hooks=hooks
        )
    actor = Actor.person(user_id)
    if vault is not None:
        vault.erase_person(uow, actor=actor, user_id=user_id)
    service_records.erase_person_txn(uow, actor=actor, user_id=user_id, now=now)
    webhook_records.erase_person_txn(uow, actor=actor, user_id=user_id, now=now)
    push_store.delete_person(uow.conn, user_id)  # no more notifications to their browsers
    attachment_store.delete_person_txn(uow.conn, user_id)  # their photos' URLs stop working
    profile_store.delete_person_menus_of(uow.conn, user_id)  # menus banks set for them alone
    return people.forget_person_txn(uow.conn, user_id=user_id, now=now)
