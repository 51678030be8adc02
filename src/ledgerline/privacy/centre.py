"""What the privacy centre (the web app's ``/privacy``) does, bound to the platform's vault
and linking hooks by the composition root. Each method runs in the caller's unit of work
(``db.write(centre.unlink, ...)``)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ledgerline.domain.records import VaultPort
from ledgerline.domain.scopes import Scope
from ledgerline.linking.actions import do_change_scopes, do_person_unlink
from ledgerline.linking.hooks import LinkingHooks
from ledgerline.privacy.access_log import AccessLogPage, LogQuery, do_access_log_page
from ledgerline.privacy.account import do_delete_account
from ledgerline.privacy.actions import do_export_person
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores.linking import ConsentRow


@dataclass(frozen=True, slots=True)
class PrivacyCentre:
    vault: VaultPort[UnitOfWork]
    linking_hooks: LinkingHooks

    def delete_account(self, uow: UnitOfWork, *, user_id: str, now: int) -> None:
        """End every link (erasing what was shared), the tokens and sessions; the person
        stays only as a tombstone (``privacy.account``)."""
        do_delete_account(uow, user_id=user_id, now=now, hooks=self.linking_hooks, vault=self.vault)

    def export(self, uow: UnitOfWork, *, user_id: str) -> dict[str, Any]:
        return do_export_person(uow, vault=self.vault, user_id=user_id)

    def access_log(
        self,
        uow: UnitOfWork,
        *,
        user_id: str,
        locale: str,
        day_of: Callable[[int], Hashable],
        query: LogQuery,
    ) -> AccessLogPage:
        return do_access_log_page(
            uow, vault=self.vault, user_id=user_id, locale=locale, day_of=day_of, query=query
        )

    def held_kinds(self, uow: UnitOfWork, *, page_id: str, user_id: str) -> dict[str, int]:
        """How many records of each kind the business shared that are still held (what
        unlinking erases, kinds switched off since included): counts kept in clear, no
        value read."""
        return self.vault.held_kinds(uow, page_id=page_id, user_id=user_id)

    def change_scopes(
        self,
        uow: UnitOfWork,
        *,
        page_id: str,
        user_id: str,
        scopes: frozenset[Scope] | None,
        renew: bool,
        now: int,
    ) -> ConsentRow:
        """Narrow, widen or renew (NotFound when no link is in force any more)."""
        return do_change_scopes(
            uow,
            page_id=page_id,
            user_id=user_id,
            scopes=scopes,
            renew=renew,
            now=now,
            hooks=self.linking_hooks,
        )

    def unlink(self, uow: UnitOfWork, *, page_id: str, user_id: str, now: int) -> None:
        """Unlink and erase (NotFound when already unlinked)."""
        do_person_unlink(uow, page_id=page_id, user_id=user_id, now=now, hooks=self.linking_hooks)
