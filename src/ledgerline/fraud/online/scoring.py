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
is kept. The person's verdict (``alerts.answer_fraud_alert``) reaches ``labels.record_verdict``:
it is stored with the alert's features and counts in the terminal's risk once the
transaction is 7 days old.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import structlog

from ledgerline.audit import Actor, AuditEvent, AuditLog
from ledgerline.domain.records import RecordAccess, RecordKind
from ledgerline.domain.scopes import Purpose, Scope
from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.online.alerts import ALERTS, open_bank_alerts, raise_fraud_alert
from ledgerline.fraud.online.budget import (
    AlertBudget,
    AlertCurve,
    AlertPolicy,
    FixedThreshold,
    MinPrecision,
    derive_threshold,
)
from ledgerline.fraud.online.model import FraudModel, default_model_path
from ledgerline.fraud.online.scorer import OnlineScorer
from ledgerline.fraud.online.transactions import to_engine
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.errors import is_conflict
from ledgerline.storage.stores import fraud as fraud_store

log = structlog.get_logger(__name__)

SCORER = Actor.component("fraud")
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
    # Told how long each batch took to score (state, features, model): metrics.
    on_scored: Callable[[float], None] | None = field(default=None, repr=False)

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


def screen_ingested(
    uow: UnitOfWork,
    *,
    engine: FraudEngine | None,
    access: RecordAccess,
    kind: RecordKind,
    record_ids: Sequence[str],
    now: int,
) -> list[dict[str, Any]]:
    """What fraud makes of records just stored (through ``access``): transactions are
    scored (by ``engine``, when the platform runs one), a bank's own alerts ask the person.
    The alerts the engine raised, for the bank's answer."""
    if kind is RecordKind.FRAUD_ALERT:
        records = access.reading(Purpose.NOTIFY, actor=ALERTS).get_many(record_ids)
        found = [records[r] for r in record_ids if r in records]
        open_bank_alerts(uow, access=access, records=found, now=now)
        return []
    if kind is not RecordKind.TRANSACTION or engine is None:
        return []
    return score_ingested(uow, engine=engine, access=access, record_ids=record_ids, now=now)


def score_ingested(
    uow: UnitOfWork,
    *,
    engine: FraudEngine,
    access: RecordAccess,
    record_ids: Sequence[str],
    now: int,
) -> list[dict[str, Any]]:
    """Score newly stored transactions of (business, person); the alerts raised.

    Scoring never costs the bank its data: if it fails (e.g. a damaged state row), what it
    wrote is rolled back, the failure is logged, and the ingestion goes on without alerts.
    """
    if not record_ids:
        return []
    if Scope.FRAUD_ALERTS not in (access.scopes() or frozenset()):
        return []  # (before the savepoint: most people are not scored)
    try:
        with uow.savepoint():
            return _score(uow, engine=engine, access=access, record_ids=record_ids, now=now)
    except Exception as exc:
        if is_conflict(exc):  # another writer changed the shared state: run it all again
            raise
        log.exception("fraud_scoring_failed", page_id=access.page_id, records=len(record_ids))
        return []


def _score(
    uow: UnitOfWork,
    *,
    engine: FraudEngine,
    access: RecordAccess,
    record_ids: Sequence[str],
    now: int,
) -> list[dict[str, Any]]:
    page_id, user_id = access.page_id, access.user_id
    records = access.reading(Purpose.FRAUD_DETECTION, actor=SCORER).get_many(record_ids)
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
    cipher = access.derived_cipher()
    store = fraud_store.SqlFraudStateStore(uow.conn, page_id, user_id, cipher)
    started = time.perf_counter()
    store.preload([tx.card_id for tx in txs], [tx.terminal_id for tx in txs])
    threshold = engine.threshold(engine.policy_of(uow, page_id))
    results = engine.scorer(store).score_batch(txs, threshold)
    store.flush(now)
    if engine.on_scored is not None:
        engine.on_scored(time.perf_counter() - started)
    alerts: list[dict[str, Any]] = []
    for tx, result in zip(txs, results, strict=True):
        if not result.alert:
            continue
        alert = raise_fraud_alert(
            uow,
            access=access,
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
