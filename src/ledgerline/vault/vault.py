"""The vault: envelope-encrypted financial records; every read names a purpose and is audited.

Every method takes the caller's connection (``uow.conn`` inside an action), so a record,
its audit entry and the caller's own changes and outbox events commit — or roll back —
together. Refusals are audited too: through ``refusal_recorder`` (its own transaction, so
the entry survives the caller rolling back) or, without one, in the caller's transaction.

Every call writes (its audit entry), reads included: call the vault from an action on a
``Database`` writer (``db.write``/``db.write_sync``), not from ``db.read``.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ledgerline.audit import Action, Actor, ActorKind, AuditEvent, AuditLog, Outcome
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.errors import ConsentRequired, NotFound
from ledgerline.domain.scopes import Purpose, Scope
from ledgerline.storage.database import action_memo, forget_memo
from ledgerline.storage.stores import vault as store
from ledgerline.vault.crypto import (
    Binding,
    DataKey,
    MasterKey,
    open_,
    open_bytes,
    payload_plaintext,
    ref_hash,
    seal_bytes,
    seal_plaintext,
    unwrap,
    wrap,
)
from ledgerline.vault.errors import PurposeNotAllowed, VaultKeyError
from ledgerline.vault.keyring import FixedKeys, MasterKeys
from ledgerline.vault.purposes import CONSENT_FREE, RecordKind, read_scopes, write_scopes

if TYPE_CHECKING:
    from sqlalchemy import Connection

DAY_MS = 86_400_000
MAX_REF_LENGTH = 200


class ConsentLookup(Protocol):
    """The linking part's answer: the scopes a person currently grants a business.

    Returns None when the person is not linked to that business (or the link expired).
    """

    def __call__(
        self, conn: Connection, page_id: str, user_id: str, /
    ) -> frozenset[Scope] | None: ...


RefusalRecorder = Callable[[AuditEvent, int], None]
"""Makes a refusal's audit entry durable on its own: ``recorder(event, at_ms)``."""


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


class DerivedCipher:
    """Seals the platform's own data derived from one (business, person)'s records — e.g. the
    fraud engine's card state — under their data key, so it is erased with it. Not a read of
    the bank's records (those are read with a purpose, audited); nothing here is audited."""

    def __init__(self, vault: Vault, conn: Connection, page_id: str, user_id: str) -> None:
        self._vault = vault
        self._conn = conn
        self._page_id = page_id
        self._user_id = user_id
        self._key: DataKey | None = None

    def _aad(self, name: str) -> bytes:
        return f"ledgerline.derived.v1\x00{self._page_id}\x00{self._user_id}\x00{name}".encode()

    def seal(self, name: str, data: bytes) -> bytes:
        if self._key is None:
            self._key = self._vault._key_for_write(self._conn, self._page_id, self._user_id)
        return seal_bytes(self._key, self._aad(name), data)

    def open(self, name: str, sealed: bytes) -> bytes | None:
        """None when the data key is gone (erased) or the bytes fail authentication."""
        if self._key is None:
            row = store.get_key(self._conn, self._page_id, self._user_id)
            if row is None:
                return None
            self._key = self._vault._unwrap(self._conn, row)
        return open_bytes(self._key, self._aad(name), sealed)


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


_WRITTEN = "vault_written"
_UNWRAPPED = "vault_unwrapped_keys"


def _forget_written(conn: Connection) -> None:
    """After deletions the action's own writes may be gone: read them from the table."""
    forget_memo(conn, _WRITTEN)


def _written_in_action(conn: Connection) -> dict[str, Record] | None:
    """Records the running action stored, by id (decrypted reads of them need no I/O)."""
    return action_memo(conn, _WRITTEN)


class Vault:
    """Envelope-encrypted, purpose-checked, audited store of financial records.

    Args:
        master_key: the key-encryption key (see ``load_or_create_master_key``).
        consent: the linking part's ``ConsentLookup``.
        clock: every time the vault records comes from here.
        audit: the audit log to append to (default: ``AuditLog(clock)``).
        refusal_recorder: writes a refusal's audit entry in its own transaction
            (``database_refusal_recorder(db)``); without it the entry goes into the
            caller's transaction and is lost if the caller rolls back.
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

    # -- keys -----------------------------------------------------------------------------
    def _unwrap(self, conn: Connection, row: store.KeyRow) -> DataKey:
        """The data key of ``row``, unwrapped once per writer action."""
        memo = action_memo(conn, _UNWRAPPED)
        key: DataKey | None = None if memo is None else memo.get(row.key_id)
        if key is None:
            key = self._unwrap_row(row)
            if memo is not None:
                memo[row.key_id] = key
        return key

    def _unwrap_row(self, row: store.KeyRow) -> DataKey:
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

    def _key_for_write(self, conn: Connection, page_id: str, user_id: str) -> DataKey:
        row = store.get_key(conn, page_id, user_id)
        if row is None:
            fresh = DataKey.generate(_new_key_id())
            master = self.keys.wrapping()
            candidate = store.KeyRow(
                page_id=page_id,
                user_id=user_id,
                key_id=fresh.key_id,
                master_key_id=master.key_id,
                wrapped_key=wrap(master, fresh, page_id=page_id, user_id=user_id),
            )
            if store.insert_key_txn(conn, candidate, created_at=self._now()):
                memo = action_memo(conn, _UNWRAPPED)
                if memo is not None:  # the action's next write needs no unwrapping
                    memo[fresh.key_id] = fresh
                return fresh
            row = store.get_key(conn, page_id, user_id)  # another writer created it first
            if row is None:  # pragma: no cover - the conflicting row was deleted meanwhile
                raise VaultKeyError("the data key was erased while it was being created")
        return self._unwrap(conn, row)

    def _now(self) -> int:
        return to_ms(self.clock.now())

    # -- audit helpers --------------------------------------------------------------------
    def _refuse(self, conn: Connection, event: AuditEvent, error: Exception) -> Exception:
        if self.refusal_recorder is not None:
            self.refusal_recorder(event, self._now())
        else:
            self.audit.append(conn, event)
        return error

    def _check_read(
        self,
        conn: Connection,
        *,
        actor: Actor,
        purpose: Purpose,
        page_id: str,
        user_id: str,
        kinds: Iterable[RecordKind],
        action: Action,
        record_ids: tuple[str, ...] = (),
    ) -> None:
        """Raise PurposeNotAllowed (after auditing the refusal) unless every kind may be read."""
        purpose = Purpose(purpose)
        kinds = sorted(set(kinds))
        reason: str | None = None
        refused_kind: RecordKind | None = None
        if purpose is Purpose.USER_ACCESS:
            if actor.kind is not ActorKind.PERSON or actor.id != user_id:
                reason = "not_the_person"
        elif purpose not in CONSENT_FREE:
            granted = self.consent(conn, page_id, user_id)
            if granted is None and not kinds:  # nothing found is still no business of theirs
                reason = "not_linked"
            for kind in kinds:
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
        record_kind = refused_kind or (kinds[0] if len(kinds) == 1 else None)
        event = AuditEvent(
            actor=actor,
            action=action,
            outcome=Outcome.REFUSED,
            page_id=page_id,
            user_id=user_id,
            purpose=purpose,
            record_kind=record_kind,
            record_ids=record_ids,
            detail={"reason": reason},
        )
        kind_text = f" {record_kind}" if record_kind else ""
        raise self._refuse(
            conn,
            event,
            PurposeNotAllowed(
                f"purpose {purpose} may not read{kind_text} data of this person ({reason})",
                reason=reason,
            ),
        )

    def derived_cipher(self, conn: Connection, page_id: str, user_id: str) -> DerivedCipher:
        """A ``DerivedCipher`` for (business, person) on the caller's connection."""
        return DerivedCipher(self, conn, page_id, user_id)

    # -- writes ---------------------------------------------------------------------------
    def put(
        self, conn: Connection, *, actor: Actor, page_id: str, user_id: str, record: NewRecord
    ) -> PutResult:
        """Store one record (see :meth:`put_many`)."""
        return self.put_many(conn, actor=actor, page_id=page_id, user_id=user_id, records=[record])[
            0
        ]

    def put_many(
        self,
        conn: Connection,
        *,
        actor: Actor,
        page_id: str,
        user_id: str,
        records: Sequence[NewRecord],
    ) -> list[PutResult]:
        """Encrypt and store records of one (business, person), with one audit entry per kind.

        A record whose ``ref`` is already stored for that kind is a duplicate: nothing is
        stored and the existing record id is returned. The unique index decides, so
        concurrent duplicates are stored once. Raises ConsentRequired (audited) when the
        person's consent does not cover a kind.
        """
        kinds = sorted({RecordKind(r.kind) for r in records})
        granted = self.consent(conn, page_id, user_id)
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
                raise self._refuse(
                    conn, event, ConsentRequired(f"no consent to store {kind} data ({reason})")
                )
        if not records:
            return []
        key = self._key_for_write(conn, page_id, user_id)
        now = self._now()
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
        written = _written_in_action(conn)
        if written is not None:  # a read later in this action needs no SELECT nor decryption
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
            self.audit.append(
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

    # -- reads ----------------------------------------------------------------------------
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

    def _decrypt_rows(
        self, conn: Connection, page_id: str, user_id: str, rows: list[store.RecordRow]
    ) -> list[Record]:
        if not rows:
            return []
        key_row = store.get_key(conn, page_id, user_id)
        if key_row is None:  # records without their key: shredded data is unreadable
            return []
        key = self._unwrap(conn, key_row)
        return [self._decrypt(key, row) for row in rows]

    def _open_audited(
        self,
        conn: Connection,
        *,
        actor: Actor,
        purpose: Purpose,
        page_id: str,
        user_id: str,
        rows: list[store.RecordRow],
        requested: Sequence[RecordKind],
        already_open: Sequence[Record] = (),
    ) -> list[Record]:
        """Decrypt rows the purpose was allowed to read, and audit what was read (with
        ``already_open``: records this action stored, read without I/O)."""
        records = [*already_open, *self._decrypt_rows(conn, page_id, user_id, rows)]
        self._audit_reads(
            conn,
            actor=actor,
            purpose=Purpose(purpose),
            page_id=page_id,
            user_id=user_id,
            records=records,
            requested=requested,
        )
        return records

    def _audit_reads(
        self,
        conn: Connection,
        *,
        actor: Actor,
        purpose: Purpose,
        page_id: str,
        user_id: str,
        records: list[Record],
        requested: Sequence[RecordKind],
    ) -> None:
        by_kind: dict[RecordKind, list[str]] = defaultdict(list)
        for record in records:
            by_kind[record.kind].append(record.record_id)
        if not by_kind:
            self.audit.append(
                conn,
                AuditEvent(
                    actor=actor,
                    action=Action.READ,
                    page_id=page_id,
                    user_id=user_id,
                    purpose=purpose,
                    record_kind=requested[0] if len(requested) == 1 else None,
                    detail={"found": 0},
                ),
            )
        for kind in sorted(by_kind):
            self.audit.append(
                conn,
                AuditEvent(
                    actor=actor,
                    action=Action.READ,
                    page_id=page_id,
                    user_id=user_id,
                    purpose=purpose,
                    record_kind=kind,
                    record_ids=tuple(by_kind[kind]),
                    detail={"found": len(by_kind[kind])},
                ),
            )

    def get(
        self,
        conn: Connection,
        *,
        actor: Actor,
        purpose: Purpose,
        page_id: str,
        user_id: str,
        record_id: str,
    ) -> Record:
        """Read one record for ``purpose``; NotFound if absent (or erased), PurposeNotAllowed."""
        row = store.get_record(conn, page_id, user_id, record_id)
        if row is None:
            raise NotFound("no such record")
        kind = RecordKind(row.kind)
        self._check_read(
            conn,
            actor=actor,
            purpose=purpose,
            page_id=page_id,
            user_id=user_id,
            kinds=[kind],
            action=Action.READ,
            record_ids=(record_id,),
        )
        records = self._decrypt_rows(conn, page_id, user_id, [row])
        if not records:
            raise NotFound("no such record")
        self._audit_reads(
            conn,
            actor=actor,
            purpose=Purpose(purpose),
            page_id=page_id,
            user_id=user_id,
            records=records,
            requested=[kind],
        )
        return records[0]

    def get_many(
        self,
        conn: Connection,
        *,
        actor: Actor,
        purpose: Purpose,
        page_id: str,
        user_id: str,
        record_ids: Sequence[str],
    ) -> dict[str, Record]:
        """Read several records at once (e.g. the chat messages of a thread page).

        Missing or erased ids are simply absent from the result. The purpose must be
        allowed for every kind found; one audit entry per kind.
        """
        wanted = list(dict.fromkeys(record_ids))
        written = _written_in_action(conn) or {}
        fresh = [
            written[rid]
            for rid in wanted
            if rid in written and (written[rid].page_id, written[rid].user_id) == (page_id, user_id)
        ]
        fresh_ids = {record.record_id for record in fresh}
        rows = store.get_records(
            conn, page_id, user_id, [rid for rid in wanted if rid not in fresh_ids]
        )
        kinds = sorted({RecordKind(row.kind) for row in rows} | {r.kind for r in fresh})
        self._check_read(
            conn,
            actor=actor,
            purpose=purpose,
            page_id=page_id,
            user_id=user_id,
            kinds=kinds,
            action=Action.READ,
        )
        records = self._open_audited(
            conn,
            actor=actor,
            purpose=purpose,
            page_id=page_id,
            user_id=user_id,
            rows=rows,
            requested=kinds,
            already_open=fresh,
        )
        return {record.record_id: record for record in records}

    def read(
        self,
        conn: Connection,
        *,
        actor: Actor,
        purpose: Purpose,
        page_id: str,
        user_id: str,
        kinds: Sequence[RecordKind] | None = None,
        since: datetime | int | None = None,
        until: datetime | int | None = None,
        limit: int | None = None,
    ) -> list[Record]:
        """Records of one (business, person), oldest first, for ``purpose``.

        ``kinds`` None means every kind (so the purpose must be allowed for every kind);
        ``until`` is exclusive. One audit entry per kind returned.
        """
        wanted = sorted({RecordKind(k) for k in kinds} if kinds is not None else set(RecordKind))
        self._check_read(
            conn,
            actor=actor,
            purpose=purpose,
            page_id=page_id,
            user_id=user_id,
            kinds=wanted,
            action=Action.READ,
        )
        rows = store.list_records(
            conn,
            page_id,
            user_id,
            kinds=None if kinds is None else [str(k) for k in wanted],
            since=None if since is None else _ms(since),
            until=None if until is None else _ms(until),
            limit=limit,
        )
        records = self._open_audited(
            conn,
            actor=actor,
            purpose=purpose,
            page_id=page_id,
            user_id=user_id,
            rows=rows,
            requested=wanted,
        )
        return records

    def find(
        self,
        conn: Connection,
        *,
        actor: Actor,
        purpose: Purpose,
        page_id: str,
        user_id: str,
        kind: RecordKind,
        ref: str,
    ) -> Record | None:
        """The record of ``kind`` stored under the bank's ``ref`` (e.g. a transaction id)."""
        kind = RecordKind(kind)
        self._check_read(
            conn,
            actor=actor,
            purpose=purpose,
            page_id=page_id,
            user_id=user_id,
            kinds=[kind],
            action=Action.READ,
        )
        key_row = store.get_key(conn, page_id, user_id)
        rows: list[store.RecordRow] = []
        if key_row is not None:
            hashed = ref_hash(self._unwrap(conn, key_row), kind, ref)
            record_id = store.record_id_by_ref(conn, page_id, user_id, kind, hashed)
            row = None if record_id is None else store.get_record(conn, page_id, user_id, record_id)
            rows = [] if row is None else [row]
        records = self._open_audited(
            conn,
            actor=actor,
            purpose=purpose,
            page_id=page_id,
            user_id=user_id,
            rows=rows,
            requested=[kind],
        )
        return records[0] if records else None

    def export(self, conn: Connection, *, actor: Actor, user_id: str) -> list[Record]:
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
                conn,
                event,
                PurposeNotAllowed(
                    "only the person may export their own data", reason="not_the_person"
                ),
            )
        result: list[Record] = []
        for key_row in store.keys_for_user(conn, user_id):
            rows = store.list_records(conn, key_row.page_id, user_id)
            records = self._decrypt_rows(conn, key_row.page_id, user_id, rows)
            self.audit.append(
                conn,
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

    # -- erasure and retention ------------------------------------------------------------
    def erase(
        self,
        conn: Connection,
        *,
        actor: Actor,
        page_id: str,
        user_id: str,
        reason: str = "unlinked",
    ) -> ErasureResult:
        """Crypto-shred (business, person): destroy the data key, delete the rows, audit it.

        Runs in the caller's transaction (e.g. with the unlink itself). The audit entry keeps
        only counts and ids, so the chain stays verifiable.
        """
        _forget_written(conn)
        deleted = store.delete_records_txn(conn, page_id, user_id)
        key_id = store.delete_key_txn(conn, page_id, user_id)
        self.audit.append(
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

    def erase_person(
        self, conn: Connection, *, actor: Actor, user_id: str, reason: str = "account_deleted"
    ) -> list[ErasureResult]:
        """Erase the person's data at every business (e.g. when the account is deleted)."""
        return [
            self.erase(conn, actor=actor, page_id=key.page_id, user_id=user_id, reason=reason)
            for key in store.keys_for_user(conn, user_id)
        ]

    def retention_days(self, conn: Connection, page_id: str) -> int:
        """The business's retention period (default 400 days)."""
        return store.get_retention_days(conn, page_id)

    def set_retention_days(
        self, conn: Connection, *, actor: Actor, page_id: str, days: int
    ) -> None:
        if days < 1 or days > 36_500:
            raise ValueError("retention must be between 1 and 36500 days")
        store.set_retention_days_txn(conn, page_id, days, at=self._now())
        self.audit.append(
            conn,
            AuditEvent(
                actor=actor,
                action=Action.SET_RETENTION,
                page_id=page_id,
                detail={"retention_days": days},
            ),
        )

    def purge_expired(
        self,
        conn: Connection,
        *,
        actor: Actor | None = None,
        page_ids: Sequence[str] | None = None,
    ) -> list[PurgeResult]:
        """Delete records older than each business's retention period, one audit entry per person."""
        actor = actor or Actor.component("retention")
        _forget_written(conn)
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
