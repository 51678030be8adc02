"""Online scoring: one transaction in, its features updated, a calibrated score out.

The engine is pure: it reads and writes per-card and per-terminal state (plain bytes) and label
records (plain JSON values) through ``FraudStateStore``, a small storage-agnostic Protocol. The
platform backs it with SQL; ``InMemoryStateStore`` backs it with dicts (tests, bench, demo).

Scoring one transaction::

    scorer = OnlineScorer(FraudModel.load(path), store)
    threshold = scorer.threshold_for(AlertBudget(per_thousand=2))   # once per business policy
    result = scorer.score(Transaction("tx-1", card_id="c1", terminal_id="t9",
                                      amount=42.5, when=datetime(...)), threshold=threshold)
    result.score, result.alert, result.ref  # keep ``result.ref.to_json()`` with the transaction

A person's verdict, later::

    scorer.record_verdict(TransactionRef.from_json(saved), fraud=True)

The verdict updates the terminal's risk state (it counts once the transaction is 7 days old,
the same delay the offline features assume) and is appended to the store's labels for
retraining. Unknown cards and terminals start from an empty history (documented default).
A store implementation must make ``score`` atomic per card and per terminal (e.g. one SQL
transaction with row locks) when several workers score concurrently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.online.budget import AlertPolicy
from ledgerline.fraud.online.model import FraudModel
from ledgerline.fraud.online.state import CardState, TerminalState, time_flags

MAX_AMOUNT = 1_000_000.0
_EPOCH = dt.datetime(1970, 1, 1)  # noqa: DTZ001 - naive on purpose: naive times are UTC here


class FraudStateStore(Protocol):
    """Where the online state lives. Values are opaque bytes and JSON-ready dicts."""

    def get_card(self, card_id: str) -> bytes | None: ...

    def put_card(self, card_id: str, state: bytes) -> None: ...

    def get_terminal(self, terminal_id: str) -> bytes | None: ...

    def put_terminal(self, terminal_id: str, state: bytes) -> None: ...

    def add_label(self, label: dict[str, Any]) -> None: ...


class InMemoryStateStore:
    """``FraudStateStore`` on dicts; ``labels`` keeps the verdicts in arrival order."""

    def __init__(self) -> None:
        self.cards: dict[str, bytes] = {}
        self.terminals: dict[str, bytes] = {}
        self.labels: list[dict[str, Any]] = []

    def get_card(self, card_id: str) -> bytes | None:
        return self.cards.get(card_id)

    def put_card(self, card_id: str, state: bytes) -> None:
        self.cards[card_id] = state

    def get_terminal(self, terminal_id: str) -> bytes | None:
        return self.terminals.get(terminal_id)

    def put_terminal(self, terminal_id: str, state: bytes) -> None:
        self.terminals[terminal_id] = state

    def add_label(self, label: dict[str, Any]) -> None:
        self.labels.append(dict(label))


@dataclass(frozen=True)
class Transaction:
    """A card transaction as the engine sees it. Naive ``when`` values are UTC."""

    transaction_id: str
    card_id: str
    terminal_id: str
    amount: float
    when: dt.datetime


@dataclass(frozen=True)
class TransactionRef:
    """What a verdict needs to find the scored transaction; store it next to the transaction."""

    transaction_id: str
    card_id: str
    terminal_id: str
    terminal_seq: int
    epoch_seconds: int
    amount: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TransactionRef:
        try:
            return cls(
                transaction_id=str(data["transaction_id"]),
                card_id=str(data["card_id"]),
                terminal_id=str(data["terminal_id"]),
                terminal_seq=int(data["terminal_seq"]),
                epoch_seconds=int(data["epoch_seconds"]),
                amount=float(data["amount"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FraudInputError(f"not a transaction reference: {exc}") from exc


@dataclass(frozen=True)
class ScoreResult:
    score: float
    alert: bool
    threshold: float | None
    ref: TransactionRef
    new_card: bool
    new_terminal: bool
    features: dict[str, float] = field(default_factory=dict, repr=False)


def epoch_seconds(when: dt.datetime) -> int:
    """Whole seconds since 1970; naive date-times are taken as UTC."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return math.floor((when - _EPOCH).total_seconds())


def _check(tx: Transaction) -> None:
    try:
        finite = math.isfinite(float(tx.amount))
    except (TypeError, ValueError):
        finite = False
    if not finite:
        raise FraudInputError("amount must be a finite number")
    if not 0 <= tx.amount <= MAX_AMOUNT:
        raise FraudInputError(f"amount must be between 0 and {MAX_AMOUNT:,.0f}")
    if not tx.card_id or not tx.terminal_id:
        raise FraudInputError("card_id and terminal_id must not be empty")
    if not isinstance(tx.when, dt.datetime):
        raise FraudInputError("when must be a datetime")


def card_tag(card_id: str, terminal_id: str) -> int:
    """The 32-bit tag a terminal's state keeps for a card that reported a payment there: a
    hash of both, so the same card's tags at two terminals cannot be linked."""
    digest = hashlib.blake2b(
        f"{len(terminal_id)}:{terminal_id}:{card_id}".encode(), digest_size=4
    ).digest()
    return int.from_bytes(digest, "big")


def update_features(
    card: CardState,
    terminal: TerminalState,
    amount: float,
    t: int,
    out: dict[str, float],
    tag: int | None = None,
) -> int:
    """Update both states with one transaction; write every feature into ``out``.

    ``tag`` (``card_tag``) is the card's tag at this terminal: its own reports never count
    in its report features."""
    weekend, night = time_flags(t)
    out["TX_AMOUNT"] = float(amount)
    out["TX_DURING_WEEKEND"] = weekend
    out["TX_DURING_NIGHT"] = night
    card.update(t, amount, out)
    seq = terminal.update(t, out)
    terminal.report_features(tag, out)
    return seq


class OnlineScorer:
    """Scores transactions one by one against a ``FraudStateStore``."""

    def __init__(self, model: FraudModel, store: FraudStateStore) -> None:
        self.model = model
        self.store = store
        self._features = model.features
        self._width = len(model.features)

    def threshold_for(self, policy: AlertPolicy) -> float:
        """A business's threshold from its policy and the model's validation distribution."""
        return self.model.threshold_for(policy)

    def features(
        self, tx: Transaction, states: _States | None = None
    ) -> tuple[dict[str, float], TransactionRef, bool, bool]:
        """Update the state with ``tx`` and return its features (no model call).

        With ``states`` (a batch), decoded states stay in memory and are written back by
        ``states.flush()``; without, they are read and written for this transaction alone.
        """
        _check(tx)
        t = epoch_seconds(tx.when)
        batch = states if states is not None else _States(self.store)
        card, new_card = batch.card(tx.card_id)
        terminal, new_terminal = batch.terminal(tx.terminal_id)
        out: dict[str, float] = {}
        tag = card_tag(tx.card_id, tx.terminal_id)
        seq = update_features(card, terminal, tx.amount, t, out, tag)
        if states is None:
            batch.flush()
        ref = TransactionRef(
            transaction_id=tx.transaction_id,
            card_id=tx.card_id,
            terminal_id=tx.terminal_id,
            terminal_seq=seq,
            epoch_seconds=t,
            amount=float(tx.amount),
        )
        return out, ref, new_card, new_terminal

    def score(self, tx: Transaction, threshold: float | None = None) -> ScoreResult:
        """Update the state with ``tx`` and return its calibrated fraud score.

        ``alert`` is ``score >= threshold`` (False when no threshold is given).
        """
        out, ref, new_card, new_terminal = self.features(tx)
        row = np.fromiter((out[name] for name in self._features), np.float64, self._width)
        raw = self.model.raw_score_one(row)
        score = self.model.calibrate_one(raw)
        return ScoreResult(
            score=score,
            alert=threshold is not None and score >= threshold,
            threshold=threshold,
            ref=ref,
            new_card=new_card,
            new_terminal=new_terminal,
        )

    def score_batch(
        self, txs: Sequence[Transaction], threshold: float | None = None
    ) -> list[ScoreResult]:
        """``score`` for several transactions, in order, with one model call for all of them.

        The state is updated transaction by transaction (a later one sees the earlier ones);
        each result carries its ``features``.
        """
        if not txs:
            return []
        rows = np.empty((len(txs), self._width), dtype=np.float64)
        parts = []
        states = _States(self.store)
        for i, tx in enumerate(txs):
            out, ref, new_card, new_terminal = self.features(tx, states)
            rows[i] = [out[name] for name in self._features]
            parts.append((out, ref, new_card, new_terminal))
        states.flush()
        if len(txs) == 1:
            raw = np.array([self.model.raw_score_one(rows[0])])
        else:
            raw = self.model.raw_scores(rows, num_threads=1)
        scores = self.model.calibrate(raw)
        return [
            ScoreResult(
                score=float(score),
                alert=threshold is not None and float(score) >= threshold,
                threshold=threshold,
                ref=ref,
                new_card=new_card,
                new_terminal=new_terminal,
                features=out,
            )
            for score, (out, ref, new_card, new_terminal) in zip(scores, parts, strict=True)
        ]

    def record_verdict(self, ref: TransactionRef, fraud: bool, source: str = "person") -> bool:
        """Record a verdict (fraud or genuine) for a scored transaction.

        Returns True when the terminal's risk state took it into account, False when the
        terminal is unknown or the transaction has left its windows (the label is still
        stored for retraining).
        """
        self.store.add_label({**ref.to_json(), "fraud": bool(fraud), "source": source})
        return label_terminal(self.store, ref.terminal_id, ref.terminal_seq, fraud)

    def record_report(self, terminal_id: str, card_id: str, when: dt.datetime) -> None:
        """A card holder said a payment at ``terminal_id`` was not theirs, at ``when``: it
        counts at once in the terminal's report features (other cards' transactions)."""
        report_terminal(self.store, terminal_id, card_id, epoch_seconds(when))


class _States:
    """Decoded card and terminal states of one call or batch, written back by ``flush``."""

    def __init__(self, store: FraudStateStore) -> None:
        self.store = store
        self.cards: dict[str, CardState] = {}
        self.terminals: dict[str, TerminalState] = {}

    def card(self, card_id: str) -> tuple[CardState, bool]:
        """The card's state and whether the card was never seen before."""
        state = self.cards.get(card_id)
        if state is not None:
            return state, False
        data = self.store.get_card(card_id)
        state = self.cards[card_id] = CardState() if data is None else CardState.from_bytes(data)
        return state, data is None

    def terminal(self, terminal_id: str) -> tuple[TerminalState, bool]:
        state = self.terminals.get(terminal_id)
        if state is not None:
            return state, False
        data = self.store.get_terminal(terminal_id)
        state = TerminalState() if data is None else TerminalState.from_bytes(data)
        self.terminals[terminal_id] = state
        return state, data is None

    def flush(self) -> None:
        for card_id, card in self.cards.items():
            self.store.put_card(card_id, card.to_bytes())
        for terminal_id, terminal in self.terminals.items():
            self.store.put_terminal(terminal_id, terminal.to_bytes())


def report_terminal(store: FraudStateStore, terminal_id: str, card_id: str, t: int) -> None:
    """Add a report by ``card_id`` received at ``t`` to the terminal's state (created if the
    terminal was never seen)."""
    data = store.get_terminal(terminal_id)
    terminal = TerminalState() if data is None else TerminalState.from_bytes(data)
    terminal.add_report(card_tag(card_id, terminal_id), t)
    store.put_terminal(terminal_id, terminal.to_bytes())


def label_terminal(store: FraudStateStore, terminal_id: str, seq: int, fraud: bool) -> bool:
    """Apply a verdict to the terminal's risk state (no model needed); see ``record_verdict``."""
    data = store.get_terminal(terminal_id)
    if data is None:
        return False
    terminal = TerminalState.from_bytes(data)
    if not terminal.set_label(seq, bool(fraud)):
        return False
    store.put_terminal(terminal_id, terminal.to_bytes())
    return True
