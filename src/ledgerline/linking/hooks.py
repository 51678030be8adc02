"""Ports the composition root fills: erasure and audit on unlink, audit of consent changes.

Linking does not import the vault or the audit log itself; ``bootstrap`` builds the hooks
and hands them to the actions that need them. Each hook runs *inside* the action's transaction (``uow``): if a hook raises, the
unlink (or link) rolls back as a whole, so data is never left behind an unlinked account.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ledgerline.storage.database import UnitOfWork

UnlinkedBy = Literal["person", "business", "expiry"]
ActorKindName = Literal["person", "business", "component"]
AuditValue = str | int | bool | None


@dataclass(frozen=True, slots=True)
class Unlinked:
    """A (business, person) link ended: the data shared under it must be erased."""

    page_id: str
    user_id: str
    psid: str
    by: UnlinkedBy
    at: int  # epoch ms

    @property
    def reason(self) -> str:
        return "expired" if self.by == "expiry" else "unlinked"


@dataclass(frozen=True, slots=True)
class LinkAudit:
    """A consent fact for the audit log (identifiers and codes only, never a token)."""

    action: str  # link | unlink | change_scopes | renew | expire | cancel | refuse
    actor_kind: ActorKindName
    actor_id: str
    page_id: str
    user_id: str
    detail: Mapping[str, AuditValue]
    at: int  # epoch ms


UnlinkHook = Callable[[UnitOfWork, Unlinked], None]
AuditHook = Callable[[UnitOfWork, LinkAudit], None]
# What (business, person) has held, counted by kind (the vault's ``held_kinds``).
HeldHook = Callable[[UnitOfWork, str, str], Mapping[str, int]]


@dataclass
class LinkingHooks:
    """What linking calls out to. Empty by default (tests, the CLI)."""

    on_unlink: list[UnlinkHook] = field(default_factory=list)
    on_audit: list[AuditHook] = field(default_factory=list)
    held: HeldHook | None = None

    def held_kinds(self, uow: UnitOfWork, page_id: str, user_id: str) -> Mapping[str, int]:
        """What ending this link would erase, by kind; nothing when no vault is wired."""
        return {} if self.held is None else self.held(uow, page_id, user_id)

    def unlinked(self, uow: UnitOfWork, event: Unlinked) -> None:
        for hook in self.on_unlink:
            hook(uow, event)

    def audit(self, uow: UnitOfWork, event: LinkAudit) -> None:
        for hook in self.on_audit:
            hook(uow, event)
