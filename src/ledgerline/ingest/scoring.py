"""Online fraud scoring of ingested card transactions, inside the ingestion's transaction.

``score_ingested`` runs in ``do_ingest`` right after the vault stored a batch of
transactions (and after their notifications). For a person whose consent includes
``fraud_alerts`` it reads the new records back from the vault with purpose
``fraud_detection`` (one consent-checked, audited read per batch), maps them to the engine's
cards, terminals and amounts (``fraud.platform``), updates the feature state through
``SqlFraudStateStore`` (card states sealed under the person's data key) and scores the whole
batch with one model call. Transactions at or above the business's threshold get an alert
(``raise_fraud_alert``: the "Was it you?" message) and an entry in the response's ``alerts``;
the features behind each alert are kept, sealed, so the person's verdict becomes a label.

A person without the ``fraud_alerts`` scope is not scored at all: nothing is read, no state
is kept. The person's verdict (``answer_fraud_alert``) reaches ``record_verdict`` through the
``on_fraud_verdict`` hook: it is stored with the alert's features and counts in the
terminal's risk once the transaction is 7 days old.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import structlog

from ledgerline.audit import Action, Actor, AuditEvent, AuditLog
from ledgerline.domain.scopes import Purpose, Scope
from ledgerline.fraud.budget import (
    AlertBudget,
    AlertCurve,
    AlertPolicy,
    FixedThreshold,
    MinPrecision,
    derive_threshold,
)
from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.feature_spec import ALL_FEATURES
from ledgerline.fraud.model import FraudModel, default_model_path
from ledgerline.fraud.online import OnlineScorer, label_terminal
from ledgerline.fraud.platform import to_engine
from ledgerline.ingest.notify import on_fraud_verdict, raise_fraud_alert
from ledgerline.linking.actions import consent_scopes
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import fraud as fraud_store
from ledgerline.storage.stores.notify import AlertRow
from ledgerline.vault import RecordKind, Vault

log = structlog.get_logger(__name__)

SCORER = Actor.component("fraud")
TRAINER = Actor.component("fraud_training")
DEFAULT_POLICY: AlertPolicy = MinPrecision(0.8)
POLICY_KINDS = ("threshold", "per_thousand", "precision")
_EMPTY_CURVE = AlertCurve((), (), (), 0, 0)
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def policy_from(kind: str, value: float) -> AlertPolicy:
    """A stored (kind, value) as an ``AlertPolicy``; bad values raise ``FraudInputError``."""
    policy: AlertPolicy
    if kind == "threshold":
        policy = FixedThreshold(value)
    elif kind == "per_thousand":
        policy = AlertBudget(value)
    elif kind == "precision":
        policy = MinPrecision(value)
    else:
        raise FraudInputError(f"unknown alert policy {kind!r}; use one of {POLICY_KINDS}")
    derive_threshold(policy, _EMPTY_CURVE)  # validates the value's range
    return policy


def policy_parts(policy: AlertPolicy) -> tuple[str, float]:
    if isinstance(policy, FixedThreshold):
        return "threshold", policy.value
    if isinstance(policy, AlertBudget):
        return "per_thousand", policy.per_thousand
    return "precision", policy.precision


def do_set_fraud_policy(
    uow: UnitOfWork, *, audit: AuditLog, page_id: str, kind: str, value: float, now: int
) -> AlertPolicy:
    """Store a business's alert policy (validated, audited); it applies from the next
    transaction."""
    policy = policy_from(kind, value)
    fraud_store.put_policy(uow.conn, page_id, kind, value, now)
    audit.append(
        uow.conn,
        AuditEvent(
            actor=Actor.business(page_id),
            action="set_fraud_policy",
            page_id=page_id,
            detail={"policy": kind, "value": f"{value:g}"},
        ),
    )
    return policy


@dataclass
class FraudEngine:
    """The platform's model and what scoring needs around it (built once, in ``bootstrap``)."""

    model: FraudModel
    source: str
    default_policy: AlertPolicy = DEFAULT_POLICY
    _thresholds: dict[AlertPolicy, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, setting: str | None) -> FraudEngine | None:
        """``LEDGERLINE_FRAUD_MODEL``: unset or ``default`` → the model shipped with the
        package; ``off`` → no scoring; anything else → a model file from ``fraud train``."""
        if setting is not None and setting.strip().lower() in ("off", "none", "disabled"):
            return None
        if setting is None or setting.strip().lower() in ("", "default"):
            return cls(FraudModel.load(default_model_path()), source="default")
        path = Path(setting).expanduser()
        return cls(FraudModel.load(path), source=str(path))

    def threshold(self, policy: AlertPolicy) -> float:
        with self._lock:
            if policy not in self._thresholds:
                self._thresholds[policy] = self.model.threshold_for(policy)
            return self._thresholds[policy]

    def policy_of(self, uow: UnitOfWork, page_id: str) -> AlertPolicy:
        """The business's policy, or the default when it has not chosen one."""
        row = fraud_store.get_policy(uow.conn, page_id)
        return self.default_policy if row is None else self.policy_of_row(row.policy, row.value)

    def policy_of_row(self, kind: str, value: float) -> AlertPolicy:
        try:
            return policy_from(kind, value)
        except FraudInputError:  # pragma: no cover - values are validated when saved
            return self.default_policy

    def scorer(self, store: fraud_store.SqlFraudStateStore) -> OnlineScorer:
        return OnlineScorer(self.model, store)


def score_ingested(
    uow: UnitOfWork,
    *,
    engine: FraudEngine,
    vault: Vault,
    page_id: str,
    user_id: str,
    record_ids: Sequence[str],
    now: int,
) -> list[dict[str, Any]]:
    """Score newly stored transactions of (business, person); the alerts raised.

    Scoring never costs the bank its data: if it fails (e.g. a damaged state row), what it
    wrote is rolled back, the failure is logged, and the ingestion goes on without alerts.
    """
    if not record_ids:
        return []
    granted = consent_scopes(uow.conn, page_id, user_id, now) or frozenset()
    if Scope.FRAUD_ALERTS not in granted:
        return []  # (before the savepoint: most people are not scored)
    try:
        with uow.savepoint():
            return _score(
                uow,
                engine=engine,
                vault=vault,
                page_id=page_id,
                user_id=user_id,
                record_ids=record_ids,
                now=now,
            )
    except Exception:
        log.exception("fraud_scoring_failed", page_id=page_id, records=len(record_ids))
        return []


def _score(
    uow: UnitOfWork,
    *,
    engine: FraudEngine,
    vault: Vault,
    page_id: str,
    user_id: str,
    record_ids: Sequence[str],
    now: int,
) -> list[dict[str, Any]]:
    records = vault.get_many(
        uow.conn,
        actor=SCORER,
        purpose=Purpose.FRAUD_DETECTION,
        page_id=page_id,
        user_id=user_id,
        record_ids=list(record_ids),
    )
    txs = []
    for record_id in record_ids:
        record = records.get(record_id)
        if record is None or record.kind is not RecordKind.TRANSACTION:
            continue
        tx = to_engine(record.payload)
        if tx is not None:
            txs.append(tx)
    if not txs:
        return []
    cipher = vault.derived_cipher(uow.conn, page_id, user_id)
    store = fraud_store.SqlFraudStateStore(uow.conn, page_id, user_id, cipher)
    store.preload([tx.card_id for tx in txs], [tx.terminal_id for tx in txs])
    threshold = engine.threshold(engine.policy_of(uow, page_id))
    results = engine.scorer(store).score_batch(txs, threshold)
    store.flush(now)
    alerts: list[dict[str, Any]] = []
    for tx, result in zip(txs, results, strict=True):
        if not result.alert:
            continue
        alert = raise_fraud_alert(
            uow,
            vault=vault,
            page_id=page_id,
            user_id=user_id,
            transaction_id=tx.transaction_id,
            score=result.score,
            now=now,
        )
        sealed = cipher.seal(
            f"score:{tx.transaction_id}",
            json.dumps({"features": result.features, "ref": result.ref.to_json()}).encode(),
        )
        fraud_store.insert_score(
            uow.conn,
            fraud_store.ScoreRow(
                page_id=page_id,
                user_id=user_id,
                transaction_ref=tx.transaction_id,
                terminal_key=None if fraud_store.is_ephemeral(tx.terminal_id) else tx.terminal_id,
                terminal_seq=result.ref.terminal_seq,
                score=result.score,
                sealed=sealed,
                verdict=None,
                created_at=now,
                answered_at=None,
            ),
        )
        alerts.append(
            {
                "alert_id": alert.alert_id,
                "transaction_id": tx.transaction_id,
                "score": round(result.score, 4),
            }
        )
    if alerts:
        log.info("fraud_alerts_raised", page_id=page_id, alerts=len(alerts), scored=len(txs))
    return alerts


def record_verdict(uow: UnitOfWork, alert: AlertRow, verdict: str, now: int) -> None:
    """The person answered an alert: keep the verdict as a label with the alert's features
    and let it count in the terminal's risk (``on_fraud_verdict`` hook of ``ingest.notify``).
    Alerts the engine did not score (a bank's own) have no features: nothing to do."""
    row = fraud_store.get_score(uow.conn, alert.page_id, alert.user_id, alert.transaction_ref)
    if row is None:
        return
    fraud_store.set_verdict(
        uow.conn, alert.page_id, alert.user_id, alert.transaction_ref, verdict, now
    )
    if row.terminal_key is None:
        return
    store = fraud_store.SqlFraudStateStore(uow.conn, alert.page_id, alert.user_id, _NO_CIPHER)
    if label_terminal(store, row.terminal_key, row.terminal_seq, verdict == "fraud"):
        store.flush(now)


class _TerminalOnly:
    """Terminal states are not sealed: a store used only for them needs no cipher."""

    def seal(self, name: str, data: bytes) -> bytes:  # pragma: no cover - never called
        raise RuntimeError("no card state here")

    def open(self, name: str, sealed: bytes) -> bytes | None:  # pragma: no cover
        return None


_NO_CIPHER = _TerminalOnly()

on_fraud_verdict(record_verdict)


def verdict_rows(uow: UnitOfWork, *, vault: Vault, now: int) -> tuple[FloatArray, IntArray]:
    """The features and labels of every answered alert (``fraud train --with-verdicts``):
    a matrix in ``ALL_FEATURES`` order and 1 for fraud, 0 for genuine.

    Only people who still grant ``fraud_alerts`` count (purpose ``fraud_detection``); each
    one's use is audited (one entry per person and business, in their access log). Alerts
    whose person unlinked since (the key is gone) are skipped."""
    by_person: dict[tuple[str, str], list[fraud_store.ScoreRow]] = {}
    for row in fraud_store.labelled_scores(uow.conn):
        by_person.setdefault((row.page_id, row.user_id), []).append(row)
    rows: list[list[float]] = []
    labels: list[int] = []
    for (page_id, user_id), answered in by_person.items():
        granted = consent_scopes(uow.conn, page_id, user_id, now) or frozenset()
        if Scope.FRAUD_ALERTS not in granted:
            continue
        cipher = vault.derived_cipher(uow.conn, page_id, user_id)
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
            vault.audit.append(
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
