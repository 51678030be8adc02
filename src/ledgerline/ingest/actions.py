"""Bank data in: card-number refusal, validation, idempotency, consent gate, vault write.

``Ingestor.ingest`` validates everything it can before touching the database, then runs
``do_ingest`` on a writer: three downward calls — *store* (the vault, which checks consent
and audits), *post* (the updates these records make) and *score* (fraud) — on one vault
access for the (business, person), in one transaction with the idempotency record, so a
refused or failed request stores nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from ledgerline.audit import Actor
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.errors import Conflict, InvalidParameter, NoMatchingUser
from ledgerline.domain.ids import token_hash
from ledgerline.domain.luhn import find_card_number
from ledgerline.domain.records import (
    NewRecord,
    PutResult,
    RecordAccess,
    RecordKind,
    VaultPort,
)
from ledgerline.fraud.online.scoring import FraudEngine, screen_ingested
from ledgerline.ingest import validation
from ledgerline.ingest.validation import Item
from ledgerline.storage.database import Database, UnitOfWork, person_partition
from ledgerline.storage.stores import idempotency, threads as thread_store
from ledgerline.updates.notify import notify_records

__all__ = ["CardNumberRefused", "Ingestor", "RecordKind", "check_ingest", "do_ingest"]

IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000
MAX_IDEMPOTENCY_KEY = 255


class CardNumberRefused(InvalidParameter):
    default_message = (
        "The request contains a full card number. Send only the last four digits "
        "(card_last4); nothing was stored."
    )


def _validator(kind: RecordKind) -> Callable[[dict[str, Any], int], list[Item]]:
    match kind:
        case RecordKind.BALANCE:
            return lambda body, _now: validation.balance(body)
        case RecordKind.TRANSACTION:
            return lambda body, _now: validation.transactions(body)
        case RecordKind.RECEIPT:
            return validation.receipt
        case RecordKind.SHIPMENT:
            return validation.shipment
        case RecordKind.FRAUD_ALERT:
            return validation.fraud_alert
    raise InvalidParameter(f"unsupported kind {kind}")  # pragma: no cover


def check_ingest(body: dict[str, Any], kind: RecordKind, now: int) -> tuple[str, list[Item]]:
    """Everything that needs no database: card numbers, shape, amounts, times."""
    if find_card_number(body):
        raise CardNumberRefused()
    return validation.psid_of(body), _validator(kind)(body, now)


def _request_hash(kind: RecordKind, psid: str, items: list[Item]) -> str:
    """What an Idempotency-Key stands for: the validated request, so the same data sent
    differently (a whole JSON number or its string, JSON or a form) is the same request."""
    # (not ``occurred_at``: for some kinds it is the time of arrival, not the bank's data)
    request = [str(kind), psid, [[item.ref, item.payload] for item in items]]
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def store_records(access: RecordAccess, kind: RecordKind, items: list[Item]) -> list[PutResult]:
    """The bank's records into the vault, as the business (consent checked, audited)."""
    return access.put_many(
        [
            NewRecord(kind=kind, payload=item.payload, occurred_at=item.occurred_at, ref=item.ref)
            for item in items
        ],
        actor=Actor.business(access.page_id),
    )


def do_ingest(
    uow: UnitOfWork,
    *,
    vault: VaultPort[UnitOfWork],
    page_id: str,
    psid: str,
    kind: RecordKind,
    items: list[Item],
    idempotency_key: tuple[str, str] | None,
    now: int,
    fraud: FraudEngine | None = None,
) -> dict[str, Any]:
    """Store validated records for (page, psid); replays the first answer to a key.
    ``idempotency_key``: (hash of the key, hash of the request) when the bank sent one.
    New transactions are scored by ``fraud`` (when given) in the same transaction."""
    if idempotency_key is not None:
        key_hash, request_hash = idempotency_key
        prior = idempotency.find(
            uow.conn, page_id=page_id, key_hash=key_hash, not_before=now - IDEMPOTENCY_WINDOW_MS
        )
        if prior is not None:
            if prior[0] != request_hash:
                raise Conflict("Idempotency-Key was already used with a different request")
            return prior[1]
    thread = thread_store.thread_by_psid(uow.conn, page_id, psid)
    if thread is None:
        raise NoMatchingUser()
    access = vault.access(uow, page_id=page_id, user_id=thread.user_id)
    results = store_records(access, kind, items)  # store
    stored = [r.record_id for r in results if not r.duplicate]
    response: dict[str, Any] = {
        "accepted": len(stored),
        "duplicates": len(results) - len(stored),
        "alerts": [],
    }
    if stored:
        notify_records(  # post: the updates these records make, in the person's thread
            uow, access=access, kind=kind, record_ids=stored, now=now, thread=thread
        )
        response["alerts"] = screen_ingested(  # score: payments scored, bank alerts asked
            uow, engine=fraud, access=access, kind=kind, record_ids=stored, now=now
        )
    if idempotency_key is not None:
        key_hash, request_hash = idempotency_key
        idempotency.remember(
            uow.conn,
            page_id=page_id,
            key_hash=key_hash,
            request_hash=request_hash,
            response=response,
            now=now,
        )
    return response


class Ingestor:
    def __init__(
        self,
        *,
        db: Database,
        vault: VaultPort[UnitOfWork],
        clock: Clock,
        fraud: FraudEngine | None = None,
    ) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock
        self.fraud = fraud

    async def ingest(
        self,
        *,
        page_id: str,
        kind: RecordKind,
        body: dict[str, Any],
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        now = to_ms(self.clock.now())
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise InvalidParameter(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
        # An invalid body is refused here, before its key is looked at: it neither uses the
        # key up nor disturbs the answer already stored under it.
        psid, items = check_ingest(body, kind, now)
        return await self.db.write(
            do_ingest,
            vault=self.vault,
            page_id=page_id,
            psid=psid,
            kind=kind,
            items=items,
            idempotency_key=None
            if idempotency_key is None
            else (token_hash(idempotency_key), _request_hash(kind, psid, items)),
            now=now,
            fraud=self.fraud,
            partition=person_partition(page_id, psid),
        )
