"""The vault: envelope-encrypted financial records; every read names a purpose and is audited.

``Vault.access(uow, page_id=…, user_id=…)`` gives one (business, person)'s records within the
caller's unit of work (``vault/access.py``): a record, its audit entry and the caller's own
changes and outbox events commit — or roll back — together. What concerns a person at every
business (export, erasure of the account) or every business (retention) is on the vault.
Refusals are audited too: through ``refusal_recorder`` (its own transaction, so the entry
survives the caller rolling back) or, without one, in the caller's transaction.

Every call writes (its audit entry), reads included: call the vault from an action on a
``Database`` writer (``db.write``/``db.write_sync``), not from ``db.read``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from ledgerline.audit import Action, Actor, ActorKind, AuditEvent, AuditLog, Outcome
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.errors import PurposeNotAllowed
from ledgerline.domain.records import (
    ErasureResult,
    NewRecord,
    PurgeResult,
    PutResult,
    Record,
)
from ledgerline.domain.scopes import Purpose, Scope
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import vault as store
from ledgerline.vault.access import PersonAccess
from ledgerline.vault.crypto import DataKey, MasterKey, unwrap
from ledgerline.vault.errors import VaultKeyError
from ledgerline.vault.keyring import FixedKeys, MasterKeys

if TYPE_CHECKING:
    from sqlalchemy import Connection

DAY_MS = 86_400_000

__all__ = [
    "ConsentLookup",
    "ErasureResult",
    "NewRecord",
    "PurgeResult",
    "PutResult",
    "Record",
    "RefusalRecorder",
    "Vault",
]


class ConsentLookup(Protocol):
    """The linking part's answer: the scopes a person currently grants a business.

    Returns None when the person is not linked to that business (or the link expired).
    """

    def __call__(
        self, uow: UnitOfWork, page_id: str, user_id: str, /
    ) -> frozenset[Scope] | None: ...


RefusalRecorder = Callable[[AuditEvent, int], None]
"""Makes a refusal's audit entry durable on its own: ``recorder(event, at_ms)``."""


class Vault:
    """Envelope-encrypted, purpose-checked, audited store of financial records (the
    ``VaultPort`` of ``domain.records``).

    Args:
        master_key: the key-encryption key (see ``load_or_create_master_key``).
        consent: the linking part's ``ConsentLookup``.
        clock: every time the vault records comes from here.
        audit: the audit log to append to (default: ``AuditLog(clock)``).
        refusal_recorder: writes a refusal's audit entry in its own transaction
            (``database_refusal_recorder(db)``); without it the entry goes into the
            caller's transaction and is lost if the caller rolls back.
        keys: the master keys it may wrap and unwrap with (``vault.keyring``: the key files
            followed during a rotation); default: ``master_key`` alone.
    """

    def __init__(
        self,
        master_key: MasterKey,
        consent: ConsentLookup,
        clock: Clock,
        *,
        audit: AuditLog | None = None,
        refusal_recorder: RefusalRecorder | None = None,
        keys: MasterKeys | None = None,
    ) -> None:
        self.master_key = master_key
        self.keys: MasterKeys = keys or FixedKeys(master_key)
        self.consent = consent
        self.clock = clock
        self.audit = audit or AuditLog(clock)
        self.refusal_recorder = refusal_recorder

    def access(self, uow: UnitOfWork, *, page_id: str, user_id: str) -> PersonAccess:
        """One (business, person)'s records in ``uow``: consent, data key and the records
        it stores are loaded once, for every purpose it reads for (see ``vault/access.py``)."""
        return PersonAccess(self, uow, page_id, user_id)

    # -- keys -----------------------------------------------------------------------------
    def _unwrap(self, row: store.KeyRow) -> DataKey:
        master = self.keys.get(row.master_key_id)
        if master is None:
            raise VaultKeyError(
                f"data key {row.key_id} is wrapped by master key {row.master_key_id}, "
                f"not by the loaded {self.master_key.key_id} (finish a rotation with "
                "`ledgerline keys rotate`, or load the right key)"
            )
        return unwrap(
            master,
            row.wrapped_key,
            page_id=row.page_id,
            user_id=row.user_id,
            key_id=row.key_id,
        )

    def _now(self) -> int:
        return to_ms(self.clock.now())

    def _refuse(self, conn: Connection, event: AuditEvent, error: Exception) -> Exception:
        if self.refusal_recorder is not None:
            self.refusal_recorder(event, self._now())
        else:
            self.audit.append(conn, event)
        return error

    # -- a person everywhere ----------------------------------------------------------------
    def export(self, uow: UnitOfWork, *, actor: Actor, user_id: str) -> list[Record]:
        """All of a person's records across businesses (purpose ``user_access``), audited.

        Only the person may export their data: ``actor`` must be ``Actor.person(user_id)``.
        """
        if actor.kind is not ActorKind.PERSON or actor.id != user_id:
            event = AuditEvent(
                actor=actor,
                action=Action.EXPORT,
                outcome=Outcome.REFUSED,
                user_id=user_id,
                purpose=Purpose.USER_ACCESS,
                detail={"reason": "not_the_person"},
            )
            raise self._refuse(
                uow.conn,
                event,
                PurposeNotAllowed(
                    "only the person may export their own data", reason="not_the_person"
                ),
            )
        result: list[Record] = []
        for key_row in store.keys_for_user(uow.conn, user_id):
            rows = store.list_records(uow.conn, key_row.page_id, user_id)
            access = self.access(uow, page_id=key_row.page_id, user_id=user_id)
            records = access._decrypt_rows(rows)
            self.audit.append(
                uow.conn,
                AuditEvent(
                    actor=actor,
                    action=Action.EXPORT,
                    page_id=key_row.page_id,
                    user_id=user_id,
                    purpose=Purpose.USER_ACCESS,
                    record_ids=tuple(r.record_id for r in records),
                    detail={"records": len(records)},
                ),
            )
            result.extend(records)
        return result

    def erase_person(
        self, uow: UnitOfWork, *, actor: Actor, user_id: str, reason: str = "account_deleted"
    ) -> list[ErasureResult]:
        """Erase the person's data at every business (e.g. when the account is deleted)."""
        return [
            self.access(uow, page_id=key.page_id, user_id=user_id).erase(actor=actor, reason=reason)
            for key in store.keys_for_user(uow.conn, user_id)
        ]

    def held_kinds(self, uow: UnitOfWork, *, page_id: str, user_id: str) -> dict[str, int]:
        """Counts by kind for (business, person): no value is read, so no purpose is named
        and nothing is audited."""
        return store.kind_counts(uow.conn, page_id, user_id)

    # -- retention ------------------------------------------------------------------------
    def retention_days(self, uow: UnitOfWork, page_id: str) -> int:
        """The business's retention period (default 400 days)."""
        return store.get_retention_days(uow.conn, page_id)

    def set_retention_days(self, uow: UnitOfWork, *, actor: Actor, page_id: str, days: int) -> None:
        if days < 1 or days > 36_500:
            raise ValueError("retention must be between 1 and 36500 days")
        store.set_retention_days_txn(uow.conn, page_id, days, at=self._now())
        self.audit.append(
            uow.conn,
            AuditEvent(
                actor=actor,
                action=Action.SET_RETENTION,
                page_id=page_id,
                detail={"retention_days": days},
            ),
        )

    def purge_expired(
        self,
        uow: UnitOfWork,
        *,
        actor: Actor | None = None,
        page_ids: Sequence[str] | None = None,
    ) -> list[PurgeResult]:
        """Delete records older than each business's retention period, one audit entry per
        person. (Run it in an action of its own: an access that stored records earlier in the
        same action would still hold them.)"""
        conn = uow.conn
        actor = actor or Actor.component("retention")
        now = self._now()
        results: list[PurgeResult] = []
        for page_id in page_ids if page_ids is not None else store.pages_with_records(conn):
            days = store.get_retention_days(conn, page_id)
            cutoff = now - days * DAY_MS
            counts = store.expired_counts(conn, page_id, cutoff)
            if not counts:
                continue
            deleted = store.delete_expired_txn(conn, page_id, cutoff)
            for user_id, count in counts:
                self.audit.append(
                    conn,
                    AuditEvent(
                        actor=actor,
                        action=Action.PURGE,
                        page_id=page_id,
                        user_id=user_id,
                        purpose=Purpose.ERASURE,
                        detail={"records": count, "retention_days": days},
                    ),
                )
            results.append(PurgeResult(page_id, days, cutoff, deleted, len(counts)))
        return results
