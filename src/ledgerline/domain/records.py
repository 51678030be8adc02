"""A person's financial records as the rest of the platform sees them: their kinds and
values, and the ports through which the vault is reached.

Only the composition root (``bootstrap``) and the CLI import the vault itself
(``ledgerline.vault``); every other package types against the Protocols here and is handed
the real object. The shape of a use, inside one unit of work::

    access = vault.access(uow, page_id=page_id, user_id=user_id)   # one (business, person)
    access.put_many(records, actor=Actor.business(page_id))        # the kind's scope needed
    notify = access.reading(Purpose.NOTIFY, actor=NOTIFIER)        # reads for one purpose
    notify.get_many(record_ids)                                    # consent-checked, audited

An access loads what it needs once — the consent in force, the data key, the records it
stored — so one action that stores, posts and scores reads each of them once. Give it to
whatever else the action calls for the same person rather than asking for another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol, TypeVar

from ledgerline.domain.actors import Actor
from ledgerline.domain.scopes import Purpose, Scope


class RecordKind(StrEnum):
    BALANCE = "balance"
    TRANSACTION = "transaction"
    RECEIPT = "receipt"
    SHIPMENT = "shipment"
    FRAUD_ALERT = "fraud_alert"
    CHAT_MESSAGE = "chat_message"  # a chat message built from financial data (opaque JSON)


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record to store. ``ref`` is the bank's own id (e.g. ``transaction_id``): a second
    record of the same kind with the same ref for the same (business, person) is a duplicate."""

    kind: RecordKind
    payload: Mapping[str, Any] = field(repr=False)
    occurred_at: datetime | int  # booked_at / as_of / created; epoch ms or aware datetime
    ref: str | None = None
    record_id: str | None = None


@dataclass(frozen=True, slots=True)
class PutResult:
    record_id: str  # the new record, or the one already stored under that ref
    status: Literal["stored", "duplicate"]

    @property
    def duplicate(self) -> bool:
        return self.status == "duplicate"


@dataclass(frozen=True, slots=True)
class Record:
    record_id: str
    page_id: str
    user_id: str
    kind: RecordKind
    occurred_at: int  # epoch ms
    created_at: int  # epoch ms
    payload: dict[str, Any] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "page_id": self.page_id,
            "kind": str(self.kind),
            "occurred_at": self.occurred_at,
            "created_at": self.created_at,
            "data": self.payload,
        }


@dataclass(frozen=True, slots=True)
class ErasureResult:
    page_id: str
    user_id: str
    records_deleted: int
    key_destroyed: bool


@dataclass(frozen=True, slots=True)
class PurgeResult:
    page_id: str
    retention_days: int
    cutoff: int  # epoch ms; records that occurred before it were deleted
    records_deleted: int
    people: int


# -- ports ---------------------------------------------------------------------------------------


class DerivedCipher(Protocol):
    """Seals the platform's own data derived from one (business, person)'s records (e.g. the
    fraud engine's card state) under their data key, so it is erased with it."""

    def seal(self, name: str, data: bytes) -> bytes: ...

    def open(self, name: str, sealed: bytes) -> bytes | None:
        """None when the data key is gone (erased) or the bytes fail authentication."""
        ...


class PurposeReader(Protocol):
    """Reads of one (business, person)'s records by one actor for one purpose. Each read is
    checked against the purpose and the person's consent (``PurposeNotAllowed``, the refusal
    audited) and audited: one entry per kind read."""

    @property
    def purpose(self) -> Purpose: ...

    def get(self, record_id: str) -> Record:
        """One record; ``NotFound`` if it is absent (or erased)."""
        ...

    def get_many(self, record_ids: Sequence[str]) -> dict[str, Record]:
        """Several records at once, by id; missing or erased ids are simply absent."""
        ...

    def read(
        self,
        *,
        kinds: Sequence[RecordKind] | None = None,
        since: datetime | int | None = None,
        until: datetime | int | None = None,
        limit: int | None = None,
    ) -> list[Record]:
        """Records oldest first (``kinds`` None: every kind; ``until`` exclusive)."""
        ...

    def find(self, kind: RecordKind, ref: str) -> Record | None:
        """The record of ``kind`` stored under the bank's ``ref`` (e.g. a transaction id)."""
        ...


class RecordAccess(Protocol):
    """One (business, person)'s records within one unit of work."""

    @property
    def page_id(self) -> str: ...

    @property
    def user_id(self) -> str: ...

    def scopes(self) -> frozenset[Scope] | None:
        """The scopes the person grants the business (None: not linked), read once."""
        ...

    def put(self, record: NewRecord, *, actor: Actor) -> PutResult: ...

    def put_many(self, records: Sequence[NewRecord], *, actor: Actor) -> list[PutResult]:
        """Seal and store records, one audit entry per kind; ``ConsentRequired`` (audited)
        unless the person shares every kind; a ref already stored is a duplicate."""
        ...

    def reading(self, purpose: Purpose, *, actor: Actor) -> PurposeReader:
        """Reads for ``purpose`` by ``actor`` (sharing what this access has loaded)."""
        ...

    def derived_cipher(self) -> DerivedCipher: ...

    def erase(self, *, actor: Actor, reason: str = "unlinked") -> ErasureResult:
        """Crypto-shred: destroy the data key, delete the records, audit it."""
        ...


UnitOfWorkT = TypeVar("UnitOfWorkT", contravariant=True)


class VaultPort(Protocol[UnitOfWorkT]):
    """The vault as the capability packages reach it. Generic in the unit of work so that
    the domain need not know storage's: they type it ``VaultPort[UnitOfWork]``.

    Every call writes (its audit entries), reads included: call it from an action on a
    ``Database`` writer, with that action's unit of work."""

    def access(self, uow: UnitOfWorkT, *, page_id: str, user_id: str) -> RecordAccess: ...

    def export(self, uow: UnitOfWorkT, *, actor: Actor, user_id: str) -> list[Record]:
        """All of a person's records at every business (only the person may), audited."""
        ...

    def erase_person(
        self, uow: UnitOfWorkT, *, actor: Actor, user_id: str, reason: str = "account_deleted"
    ) -> list[ErasureResult]: ...

    def held_kinds(self, uow: UnitOfWorkT, *, page_id: str, user_id: str) -> dict[str, int]:
        """How many records of each kind are held for (business, person): kinds and counts,
        kept in clear, and no value read (what ending their link would erase)."""
        ...

    def purge_expired(
        self,
        uow: UnitOfWorkT,
        *,
        actor: Actor | None = None,
        page_ids: Sequence[str] | None = None,
    ) -> list[PurgeResult]:
        """Delete the records older than each business's retention period, audited."""
        ...
