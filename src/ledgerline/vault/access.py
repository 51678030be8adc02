"""One (business, person)'s records within one unit of work: what ``Vault.access`` returns.

A ``PersonAccess`` loads what it needs once and keeps it for the rest of the action — the
consent in force, the data key (read or created, and unwrapped), the records it stored (so
reading them back needs neither a SELECT nor a decryption). ``reading(purpose, actor=…)``
gives a ``Reading`` that shares all of it: an ingestion that stores, notifies and scores one
person's records reads each of them once.

If a savepoint of the unit of work rolls back (``uow.savepoint()``), what the access loaded
may have been undone with it (a data key it created, records it stored): it forgets all of
it and loads again when next asked.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from ledgerline.audit import Action, Actor, ActorKind, AuditEvent, Outcome
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import ConsentRequired, NotFound, PurposeNotAllowed
from ledgerline.domain.records import (
    ErasureResult,
    NewRecord,
    PutResult,
    Record,
    RecordKind,
)
from ledgerline.domain.scopes import Purpose, Scope
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import vault as store
from ledgerline.vault.crypto import (
    Binding,
    DataKey,
    open_,
    open_bytes,
    payload_plaintext,
    ref_hash,
    seal_bytes,
    seal_plaintext,
    wrap,
)
from ledgerline.vault.errors import VaultKeyError
from ledgerline.vault.purposes import CONSENT_FREE, read_scopes, write_scopes

if TYPE_CHECKING:
    from ledgerline.vault.vault import Vault

MAX_REF_LENGTH = 200


class _Unknown:
    """Not loaded yet (``None`` is an answer: not linked, no data key)."""


_UNKNOWN: Final = _Unknown()


def _new_record_id() -> str:
    return "rec_" + secrets.token_hex(12)


def _new_key_id() -> str:
    return "dk_" + secrets.token_hex(12)


def _ms(value: datetime | int) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("record times must be timezone-aware")
        return to_ms(value)
    return int(value)


class PersonAccess:
    """The ``RecordAccess`` port, for (``page_id``, ``user_id``) on ``uow``'s connection."""

    def __init__(self, vault: Vault, uow: UnitOfWork, page_id: str, user_id: str) -> None:
        self._vault = vault
        self._uow = uow
        self._conn = uow.conn
        self._page_id = page_id
        self._user_id = user_id
        self._rollbacks = uow.rollbacks
        self._granted: frozenset[Scope] | _Unknown | None = _UNKNOWN
        self._key: DataKey | _Unknown | None = _UNKNOWN
        self._written: dict[str, Record] = {}  # what it stored, by id: read back without I/O

    @property
    def page_id(self) -> str:
        return self._page_id

    @property
    def user_id(self) -> str:
        return self._user_id

    # -- what is loaded once ------------------------------------------------------------------
    def _current(self) -> None:
        """Forget what a savepoint rolled back since it was loaded."""
        if self._uow.rollbacks != self._rollbacks:
            self._rollbacks = self._uow.rollbacks
            self._granted = _UNKNOWN
            self._key = _UNKNOWN
            self._written = {}

    def scopes(self) -> frozenset[Scope] | None:
        self._current()
        if isinstance(self._granted, _Unknown):
            self._granted = self._vault.consent(self._uow, self._page_id, self._user_id)
        return self._granted

    def _read_key(self) -> DataKey | None:
        """The data key, unwrapped; None when there is none (nothing stored, or erased)."""
        self._current()
        if isinstance(self._key, _Unknown):
            row = store.get_key(self._conn, self._page_id, self._user_id)
            self._key = None if row is None else self._vault._unwrap(row)
        return self._key

    def _write_key(self) -> DataKey:
        """The data key, created when the person has none yet."""
        key = self._read_key()
        if key is not None:
            return key
        vault = self._vault
        fresh = DataKey.generate(_new_key_id())
        master = vault.keys.wrapping()  # the next master key while a rotation runs
        candidate = store.KeyRow(
            page_id=self._page_id,
            user_id=self._user_id,
            key_id=fresh.key_id,
            master_key_id=master.key_id,
            wrapped_key=wrap(master, fresh, page_id=self._page_id, user_id=self._user_id),
        )
        if store.insert_key_txn(self._conn, candidate, created_at=vault._now()):
            self._key = fresh
            return fresh
        row = store.get_key(self._conn, self._page_id, self._user_id)  # another writer won
        if row is None:  # pragma: no cover - the conflicting row was deleted meanwhile
            raise VaultKeyError("the data key was erased while it was being created")
        self._key = vault._unwrap(row)
        return self._key

    # -- writes -------------------------------------------------------------------------------
    def put(self, record: NewRecord, *, actor: Actor) -> PutResult:
        """Store one record (see :meth:`put_many`)."""
        return self.put_many([record], actor=actor)[0]

    def put_many(self, records: Sequence[NewRecord], *, actor: Actor) -> list[PutResult]:
        """Encrypt and store records, with one audit entry per kind.

        A record whose ``ref`` is already stored for that kind is a duplicate: nothing is
        stored and the existing record id is returned. The unique index decides, so
        concurrent duplicates are stored once. Raises ConsentRequired (audited) when the
        person's consent does not cover a kind.
        """
        page_id, user_id, conn = self._page_id, self._user_id, self._conn
        kinds = sorted({RecordKind(r.kind) for r in records})
        granted = self.scopes()
        for kind in kinds:
            if granted is None or not write_scopes(kind) <= granted:
                reason = "not_linked" if granted is None else "scope_missing"
                event = AuditEvent(
                    actor=actor,
                    action=Action.STORE,
                    outcome=Outcome.REFUSED,
                    page_id=page_id,
                    user_id=user_id,
                    record_kind=kind,
                    detail={"reason": reason, "records": len(records)},
                )
                raise self._vault._refuse(
                    conn, event, ConsentRequired(f"no consent to store {kind} data ({reason})")
                )
        if not records:
            return []
        key = self._write_key()
        now = self._vault._now()
        rows: list[store.RecordRow] = []
        plaintexts: list[bytes] = []
        for new in records:
            kind = RecordKind(new.kind)
            record_id = new.record_id or _new_record_id()
            occurred_at = _ms(new.occurred_at)
            hashed = None
            if new.ref is not None:
                if not new.ref or len(new.ref) > MAX_REF_LENGTH:
                    raise ValueError(f"a record ref must have 1 to {MAX_REF_LENGTH} characters")
                hashed = ref_hash(key, kind, new.ref)
            binding = Binding(record_id, page_id, user_id, kind, occurred_at)
            plaintext = payload_plaintext(new.payload)
            plaintexts.append(plaintext)
            rows.append(
                store.RecordRow(
                    record_id=record_id,
                    page_id=page_id,
                    user_id=user_id,
                    kind=kind,
                    key_id=key.key_id,
                    ref_hash=hashed,
                    occurred_at=occurred_at,
                    created_at=now,
                    ciphertext=seal_plaintext(key, binding, plaintext),
                )
            )
        inserted = store.insert_records_txn(conn, rows)
        written = self._written  # a read later in this action needs no SELECT nor decryption
        for row, plaintext in zip(rows, plaintexts, strict=True):
            if row.record_id in inserted:
                written[row.record_id] = Record(
                    record_id=row.record_id,
                    page_id=page_id,
                    user_id=user_id,
                    kind=RecordKind(row.kind),
                    occurred_at=row.occurred_at,
                    created_at=row.created_at,
                    payload=json.loads(plaintext),  # what opening it would give
                )
        existing: dict[tuple[str, str], str] = {}
        if len(inserted) < len(rows):  # some were skipped: find what they duplicate
            refs = [row.ref_hash for row in rows if row.ref_hash]
            existing = store.record_ids_by_refs(conn, page_id, user_id, refs)
        results: list[PutResult] = []
        stored: dict[RecordKind, list[str]] = defaultdict(list)
        duplicates: dict[RecordKind, int] = defaultdict(int)
        for row in rows:
            kind = RecordKind(row.kind)
            if row.record_id in inserted:
                inserted.discard(row.record_id)  # a repeated record_id counts once
                stored[kind].append(row.record_id)
                results.append(PutResult(row.record_id, "stored"))
                continue
            original = existing.get((row.kind, row.ref_hash or ""))
            if original is None:
                raise ValueError("a record with this record_id already exists")
            duplicates[kind] += 1
            results.append(PutResult(original, "duplicate"))
        for kind in kinds:
            self._vault.audit.append(
                conn,
                AuditEvent(
                    actor=actor,
                    action=Action.STORE,
                    outcome=Outcome.ALLOWED if stored[kind] else Outcome.DUPLICATE,
                    page_id=page_id,
                    user_id=user_id,
                    record_kind=kind,
                    record_ids=tuple(stored[kind]),
                    detail={"stored": len(stored[kind]), "duplicates": duplicates[kind]},
                ),
            )
        return results

    # -- reads ----------------------------------------------------------------------------------
    def reading(self, purpose: Purpose, *, actor: Actor) -> Reading:
        """Reads for ``purpose`` by ``actor``, sharing what this access has loaded."""
        return Reading(self, Purpose(purpose), actor)

    def _decrypt(self, key: DataKey, row: store.RecordRow) -> Record:
        kind = RecordKind(row.kind)
        binding = Binding(row.record_id, row.page_id, row.user_id, kind, row.occurred_at)
        return Record(
            record_id=row.record_id,
            page_id=row.page_id,
            user_id=row.user_id,
            kind=kind,
            occurred_at=row.occurred_at,
            created_at=row.created_at,
            payload=open_(key, binding, row.ciphertext),
        )

    def _decrypt_rows(self, rows: list[store.RecordRow]) -> list[Record]:
        if not rows:
            return []
        key = self._read_key()
        if key is None:  # records without their key: shredded data is unreadable
            return []
        return [self._decrypt(key, row) for row in rows]

    # -- derived data, erasure ------------------------------------------------------------------
    def derived_cipher(self) -> PersonCipher:
        """A ``DerivedCipher`` under this (business, person)'s data key."""
        return PersonCipher(self)

    def erase(self, *, actor: Actor, reason: str = "unlinked") -> ErasureResult:
        """Crypto-shred (business, person): destroy the data key, delete the rows, audit it.

        Runs in the caller's transaction (e.g. with the unlink itself). The audit entry keeps
        only counts and ids, so the chain stays verifiable.
        """
        conn, page_id, user_id = self._conn, self._page_id, self._user_id
        deleted = store.delete_records_txn(conn, page_id, user_id)
        key_id = store.delete_key_txn(conn, page_id, user_id)
        self._key = None
        self._written = {}
        self._vault.audit.append(
            conn,
            AuditEvent(
                actor=actor,
                action=Action.ERASE,
                page_id=page_id,
                user_id=user_id,
                purpose=Purpose.ERASURE,
                detail={"records": deleted, "key_id": key_id, "reason": reason},
            ),
        )
        return ErasureResult(page_id, user_id, deleted, key_id is not None)


class Reading:
    """The ``PurposeReader`` port: one access's reads for one purpose by one actor."""

    def __init__(self, access: PersonAccess, purpose: Purpose, actor: Actor) -> None:
        self._access = access
        self._purpose = purpose
        self._actor = actor

    @property
    def purpose(self) -> Purpose:
        return self._purpose

    def _check(self, kinds: Iterable[RecordKind], record_ids: tuple[str, ...] = ()) -> None:
        """Raise PurposeNotAllowed (after auditing the refusal) unless every kind may be read."""
        access, purpose, actor = self._access, self._purpose, self._actor
        wanted = sorted(set(kinds))
        reason: str | None = None
        refused_kind: RecordKind | None = None
        if purpose is Purpose.USER_ACCESS:
            if actor.kind is not ActorKind.PERSON or actor.id != access.user_id:
                reason = "not_the_person"
        elif purpose not in CONSENT_FREE:
            granted = access.scopes()
            if granted is None and not wanted:  # nothing found is still no business of theirs
                reason = "not_linked"
            for kind in wanted:
                needed = read_scopes(purpose, kind)
                if needed is None:
                    reason, refused_kind = "purpose_not_for_kind", kind
                elif granted is None:
                    reason, refused_kind = "not_linked", kind
                elif not needed <= granted:
                    reason, refused_kind = "scope_missing", kind
                if reason is not None:
                    break
        if reason is None:
            return
        record_kind = refused_kind or (wanted[0] if len(wanted) == 1 else None)
        event = AuditEvent(
            actor=actor,
            action=Action.READ,
            outcome=Outcome.REFUSED,
            page_id=access.page_id,
            user_id=access.user_id,
            purpose=purpose,
            record_kind=record_kind,
            record_ids=record_ids,
            detail={"reason": reason},
        )
        kind_text = f" {record_kind}" if record_kind else ""
        raise access._vault._refuse(
            access._conn,
            event,
            PurposeNotAllowed(
                f"purpose {purpose} may not read{kind_text} data of this person ({reason})",
                reason=reason,
            ),
        )

    def _audit_reads(self, records: list[Record], requested: Sequence[RecordKind]) -> None:
        access = self._access
        by_kind: dict[RecordKind, list[str]] = defaultdict(list)
        for record in records:
            by_kind[record.kind].append(record.record_id)
        audit = access._vault.audit
        if not by_kind:
            audit.append(
                access._conn,
                AuditEvent(
                    actor=self._actor,
                    action=Action.READ,
                    page_id=access.page_id,
                    user_id=access.user_id,
                    purpose=self._purpose,
                    record_kind=requested[0] if len(requested) == 1 else None,
                    detail={"found": 0},
                ),
            )
        for kind in sorted(by_kind):
            audit.append(
                access._conn,
                AuditEvent(
                    actor=self._actor,
                    action=Action.READ,
                    page_id=access.page_id,
                    user_id=access.user_id,
                    purpose=self._purpose,
                    record_kind=kind,
                    record_ids=tuple(by_kind[kind]),
                    detail={"found": len(by_kind[kind])},
                ),
            )

    def _open_audited(
        self,
        rows: list[store.RecordRow],
        requested: Sequence[RecordKind],
        already_open: Sequence[Record] = (),
    ) -> list[Record]:
        """Decrypt rows the purpose was allowed to read, and audit what was read (with
        ``already_open``: records this action stored, read without I/O)."""
        records = [*already_open, *self._access._decrypt_rows(rows)]
        self._audit_reads(records, requested)
        return records

    def get(self, record_id: str) -> Record:
        """Read one record; NotFound if absent (or erased), PurposeNotAllowed."""
        access = self._access
        row = store.get_record(access._conn, access.page_id, access.user_id, record_id)
        if row is None:
            raise NotFound("no such record")
        kind = RecordKind(row.kind)
        self._check([kind], (record_id,))
        records = access._decrypt_rows([row])
        if not records:
            raise NotFound("no such record")
        self._audit_reads(records, [kind])
        return records[0]

    def get_many(self, record_ids: Sequence[str]) -> dict[str, Record]:
        """Read several records at once (e.g. the chat messages of a thread page).

        Missing or erased ids are simply absent from the result. The purpose must be
        allowed for every kind found; one audit entry per kind.
        """
        access = self._access
        access._current()
        wanted = list(dict.fromkeys(record_ids))
        written = access._written
        fresh = [written[rid] for rid in wanted if rid in written]
        fresh_ids = {record.record_id for record in fresh}
        rows = store.get_records(
            access._conn,
            access.page_id,
            access.user_id,
            [rid for rid in wanted if rid not in fresh_ids],
        )
        kinds = sorted({RecordKind(row.kind) for row in rows} | {r.kind for r in fresh})
        self._check(kinds)
        records = self._open_audited(rows, kinds, already_open=fresh)
        return {record.record_id: record for record in records}

    def read(
        self,
        *,
        kinds: Sequence[RecordKind] | None = None,
        since: datetime | int | None = None,
        until: datetime | int | None = None,
        limit: int | None = None,
    ) -> list[Record]:
        """Records of the (business, person), oldest first.

        ``kinds`` None means every kind (so the purpose must be allowed for every kind);
        ``until`` is exclusive. One audit entry per kind returned.
        """
        access = self._access
        wanted = sorted({RecordKind(k) for k in kinds} if kinds is not None else set(RecordKind))
        self._check(wanted)
        rows = store.list_records(
            access._conn,
            access.page_id,
            access.user_id,
            kinds=None if kinds is None else [str(k) for k in wanted],
            since=None if since is None else _ms(since),
            until=None if until is None else _ms(until),
            limit=limit,
        )
        return self._open_audited(rows, wanted)

    def find(self, kind: RecordKind, ref: str) -> Record | None:
        """The record of ``kind`` stored under the bank's ``ref`` (e.g. a transaction id)."""
        access = self._access
        kind = RecordKind(kind)
        self._check([kind])
        rows: list[store.RecordRow] = []
        key = access._read_key()
        if key is not None:
            conn, page_id, user_id = access._conn, access.page_id, access.user_id
            hashed = ref_hash(key, kind, ref)
            record_id = store.record_id_by_ref(conn, page_id, user_id, kind, hashed)
            row = None if record_id is None else store.get_record(conn, page_id, user_id, record_id)
            rows = [] if row is None else [row]
        records = self._open_audited(rows, [kind])
        return records[0] if records else None


class PersonCipher:
    """The ``DerivedCipher`` port: the platform's own data derived from one (business,
    person)'s records — e.g. the fraud engine's card state — sealed under their data key, so
    it is erased with it. Not a read of the bank's records (those are read with a purpose,
    audited); nothing here is audited."""

    def __init__(self, access: PersonAccess) -> None:
        self._access = access

    def _aad(self, name: str) -> bytes:
        access = self._access
        return f"ledgerline.derived.v1\x00{access.page_id}\x00{access.user_id}\x00{name}".encode()

    def seal(self, name: str, data: bytes) -> bytes:
        return seal_bytes(self._access._write_key(), self._aad(name), data)

    def open(self, name: str, sealed: bytes) -> bytes | None:
        """None when the data key is gone (erased) or the bytes fail authentication."""
        key = self._access._read_key()
        if key is None:
            return None
        return open_bytes(key, self._aad(name), sealed)
