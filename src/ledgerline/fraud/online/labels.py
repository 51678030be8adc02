"""Verdicts as labels: the person's answer to an alert, kept with the features it was scored
on, counts in the terminal's risk and can train the next model (``fraud train
--with-verdicts``)."""

from __future__ import annotations

import json

import numpy as np
import numpy.typing as npt
import structlog

from ledgerline.audit import Action, Actor, AuditEvent, AuditLog
from ledgerline.domain.records import RecordAccess, RecordKind, VaultPort
from ledgerline.domain.scopes import Purpose, Scope
from ledgerline.fraud.online.features import ALL_FEATURES
from ledgerline.fraud.online.scorer import label_terminal, report_terminal
from ledgerline.fraud.online.transactions import to_engine
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.errors import is_conflict
from ledgerline.storage.stores import fraud as fraud_store
from ledgerline.storage.stores.updates import AlertRow

TRAINER = Actor.component("fraud_training")
REPORTER = Actor.component("fraud")  # the access log's "{business}'s fraud check"
log = structlog.get_logger(__name__)
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def record_verdict(uow: UnitOfWork, alert: AlertRow, verdict: str, now: int) -> None:
    """The person answered an alert: keep the verdict as a label with the alert's features
    and let it count in the terminal's risk (called by ``alerts.settle_alert``). Alerts
    the engine did not score (a bank's own) have no features: nothing to do."""
    record_label(uow, alert.page_id, alert.user_id, alert.transaction_ref, verdict, now)


def record_label(
    uow: UnitOfWork, page_id: str, user_id: str, transaction_ref: str, verdict: str, now: int
) -> None:
    """A person's word on one of their transactions — an alert's answer, or "Not me" on a
    payment (``reports``) — as a label: kept with the features the transaction was scored
    on, and counted in the terminal's risk. Until the chat-speed labels (issue 20) land,
    only transactions the engine alerted on keep features; other reports are kept as the
    alert rows they are (``fraud_alerts``, source ``person``) and can be used from there."""
    row = fraud_store.get_score(uow.conn, page_id, user_id, transaction_ref)
    if row is None:
        return
    fraud_store.set_verdict(uow.conn, page_id, user_id, transaction_ref, verdict, now)
    if row.terminal_key is None:
        return
    store = fraud_store.SqlFraudStateStore(uow.conn, page_id, user_id, _NO_CIPHER)
    if label_terminal(store, row.terminal_key, row.terminal_seq, verdict == "fraud"):
        store.flush(now)


def report_payment(uow: UnitOfWork, access: RecordAccess, transaction_ref: str, now: int) -> int:
    """The person said a payment of theirs was not them ("Not me", or "not me" to an alert):
    its terminal counts the report at once (chat-speed labels), at every business that keeps
    a state for that terminal — a bank sees few of a terminal's payers, so the point is to
    pool them. What crosses businesses is one entry in a terminal's state: a 32-bit tag of
    (terminal, card key) and a time, which names no person and no card and is never shown to
    a business; it only raises the report counts other people's payments there are scored
    with. Only for people who share ``fraud_alerts``: the payment is read with purpose
    ``fraud_detection`` (consent-checked and audited: the person's access log shows the
    business's fraud check reading it). Returns how many businesses' terminal states took
    the report (0: not shared, not a scored payment, or no terminal)."""
    if Scope.FRAUD_ALERTS not in (access.scopes() or frozenset()):
        return 0
    try:
        with uow.savepoint():
            record = access.reading(Purpose.FRAUD_DETECTION, actor=REPORTER).find(
                RecordKind.TRANSACTION, transaction_ref
            )
            tx = None if record is None else to_engine(record.payload)
            if tx is None or fraud_store.is_ephemeral(tx.terminal_id):
                return 0
            pages = set(fraud_store.businesses_with_terminal(uow.conn, tx.terminal_id))
            pages.add(access.page_id)
            for page_id in sorted(pages):
                store = fraud_store.SqlFraudStateStore(
                    uow.conn, page_id, access.user_id, _NO_CIPHER
                )
                report_terminal(store, tx.terminal_id, tx.card_id, now // 1000)
                store.flush(now)
            return len(pages)
    except Exception as exc:
        if is_conflict(exc):  # another writer changed a shared state: run it all again
            raise
        log.exception("fraud_report_failed", page_id=access.page_id)
        return 0


class _TerminalOnly:
    """Terminal states are not sealed: a store used only for them needs no cipher."""

    def seal(self, name: str, data: bytes) -> bytes:  # pragma: no cover - never called
        raise RuntimeError("no card state here")

    def open(self, name: str, sealed: bytes) -> bytes | None:  # pragma: no cover
        return None


_NO_CIPHER = _TerminalOnly()


def verdict_rows(
    uow: UnitOfWork, *, vault: VaultPort[UnitOfWork], audit: AuditLog
) -> tuple[FloatArray, IntArray]:
    """The features and labels of every answered alert (``fraud train --with-verdicts``):
    a matrix in ``ALL_FEATURES`` order and 1 for fraud, 0 for genuine.

    Only people who still grant ``fraud_alerts`` count (purpose ``fraud_detection``); each
    one's use is audited in ``audit`` (one entry per person and business, in their access
    log). Alerts whose person unlinked since (the key is gone) are skipped."""
    by_person: dict[tuple[str, str], list[fraud_store.ScoreRow]] = {}
    for row in fraud_store.labelled_scores(uow.conn):
        by_person.setdefault((row.page_id, row.user_id), []).append(row)
    rows: list[list[float]] = []
    labels: list[int] = []
    for (page_id, user_id), answered in by_person.items():
        access = vault.access(uow, page_id=page_id, user_id=user_id)
        if Scope.FRAUD_ALERTS not in (access.scopes() or frozenset()):
            continue
        cipher = access.derived_cipher()
        used = 0
        for row in answered:
            data = cipher.open(f"score:{row.transaction_ref}", row.sealed)
            features = {} if data is None else json.loads(data)["features"]
            if not all(name in features for name in ALL_FEATURES):
                continue
            rows.append([float(features[name]) for name in ALL_FEATURES])
            labels.append(1 if row.verdict == "fraud" else 0)
            used += 1
        if used:
            audit.append(
                uow.conn,
                AuditEvent(
                    actor=TRAINER,
                    action=Action.READ,
                    page_id=page_id,
                    user_id=user_id,
                    purpose=Purpose.FRAUD_DETECTION,
                    record_kind=str(RecordKind.TRANSACTION),
                    detail={"use": "model_training", "labels": used},
                ),
            )
    matrix = np.array(rows, dtype=np.float64).reshape(len(rows), len(ALL_FEATURES))
    return matrix, np.array(labels, dtype=np.int64)
