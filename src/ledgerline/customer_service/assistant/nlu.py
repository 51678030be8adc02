"""Understanding a message: its intent (a small trained classifier) and its slots.

The classifier is a TF-IDF + logistic regression model trained with scikit-learn on the
shipped, versioned example utterances (``customer_service/assistant/training.py``, ``DATA_VERSION``) and
shipped as its fitted parameters (``data/<DATA_VERSION>.model.json.gz``, written by
``python -m ledgerline.customer_service.assistant.build``). The server predicts with numpy alone
(``customer_service/assistant/model.py``: the same probabilities as the scikit-learn pipeline), so it never
imports scikit-learn; the file is read on the first message a process classifies.

What it reads is the folded text (``text.fold``) with amounts masked (``slots.extract``),
plus a cue when words undo a lock (``features_text``). The probability of the likeliest
intent is the confidence; below ``THRESHOLD`` the message counts as not understood.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path

from ledgerline.customer_service.assistant.model import IntentModel
from ledgerline.customer_service.assistant.slots import Slots, extract
from ledgerline.customer_service.assistant.text import fold

__all__ = [
    "DATA_VERSION",
    "THRESHOLD",
    "Intent",
    "Understanding",
    "classify",
    "features_text",
    "model_file",
    "understand",
]

DATA_VERSION = "intents-v2"
THRESHOLD = 0.35


class Intent(StrEnum):
    BALANCE = "balance"
    RECENT_TRANSACTIONS = "recent_transactions"
    PAYMENT_LOOKUP = "payment_lookup"
    CARD_FREEZE = "card_freeze"
    CARD_UNFREEZE = "card_unfreeze"
    LOST_CARD = "lost_card"
    DISPUTE = "dispute"
    BRANCH_ATM = "branch_atm"
    HUMAN = "human"
    GREETING = "greeting"
    THANKS = "thanks"
    OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True, slots=True)
class Understanding:
    intent: Intent
    confidence: float
    slots: Slots

    @property
    def understood(self) -> bool:
        """A confident guess at something the assistant can help with."""
        return self.confidence >= THRESHOLD and self.intent is not Intent.OUT_OF_SCOPE


# "mở khóa", "bỏ tạm khóa", "gỡ chặn", "remove the block", "lift the freeze": a word that
# undoes followed (within three words) by a word that locks. Bags of n-grams see "khóa thẻ"
# in both freezing and unfreezing; this cue tells them apart.
_UNDO_LOCK = re.compile(
    r"\b(?:mo|bo|go|huy|undo|remove|lift|cancel|reverse)\b(?:\s+\S+){0,3}?\s+"
    r"(?:khoa|chan|bang|block|freeze|frozen|lock|locked|hold)\b"
)
UNDO_CUE = "undolockcue"


def features_text(text: str) -> str:
    """What the classifier reads: folded, amounts masked, digits as 0, plus ``UNDO_CUE``
    when the words undo a lock."""
    masked = extract(fold(text), date(2000, 1, 1)).masked
    return f"{masked} {UNDO_CUE}" if _UNDO_LOCK.search(masked) else masked


def model_file(version: str = DATA_VERSION) -> Path:
    """The shipped classifier of the utterances of ``version``."""
    return Path(__file__).with_name("data") / f"{version}.model.json.gz"


_loading = threading.Lock()


@cache
def _loaded(version: str) -> IntentModel:
    return IntentModel.load(model_file(version))


def _model(version: str = DATA_VERSION) -> IntentModel:
    with _loading:  # one load per process, even when two threads ask at once
        return _loaded(version)


def classify(text: str) -> tuple[Intent, float]:
    """The most likely intent of ``text`` and its probability."""
    model = _model()
    probabilities = model.probabilities(features_text(text))
    best = int(probabilities.argmax())
    return Intent(model.classes[best]), float(probabilities[best])


def understand(text: str, today: date) -> Understanding:
    """Intent and slots of a message; ``today`` is the person's local date."""
    intent, confidence = classify(text)
    return Understanding(intent, confidence, extract(fold(text), today))
