"""Training the intent classifier with scikit-learn (build and test time only).

The shipped, versioned example utterances (``customer_service/assistant/data/intents-v2.jsonl``: one
``{"text","intent","lang"}`` per line, vi — with and without diacritics — and en) train a
scikit-learn pipeline: the features text (``nlu.features_text``) through two TF-IDF
vectorisers, character n-grams within word boundaries (2–5, robust to typos and missing
diacritics) and word uni/bigrams, into a multinomial logistic regression. Training is
deterministic and takes a few seconds.

``export`` turns the fitted pipeline into the numpy ``IntentModel`` the server uses
(``customer_service/assistant/model.py``); ``python -m ledgerline.customer_service.assistant.build`` writes it next to the data.
The server never imports this module (import-linter contract ``lean-serving``).

``evaluate()`` measures accuracy on a stratified held-out split of the same data (the
model it scores never saw those utterances): ``python -m ledgerline.customer_service.assistant.training``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from typing import Any

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline, make_pipeline, make_union

from ledgerline.customer_service.assistant.model import IntentModel, Vectoriser
from ledgerline.customer_service.assistant.nlu import DATA_VERSION, Intent, features_text

__all__ = [
    "SPLIT_SEED",
    "TEST_SHARE",
    "Evaluation",
    "Utterance",
    "evaluate",
    "export",
    "load_utterances",
    "pipeline",
    "train",
    "train_model",
]

SPLIT_SEED = 20261129
TEST_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class Utterance:
    text: str
    intent: Intent
    lang: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    data_version: str
    train_size: int
    test_size: int
    accuracy: float
    accuracy_by_lang: dict[str, float]
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # text, expected, got
    fold_accuracies: list[float] = field(default_factory=list)  # the documented split first

    @property
    def mean_accuracy(self) -> float:
        return sum(self.fold_accuracies) / len(self.fold_accuracies)

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_version": self.data_version,
            "train_size": self.train_size,
            "test_size": self.test_size,
            "accuracy": round(self.accuracy, 4),
            "accuracy_by_lang": {k: round(v, 4) for k, v in self.accuracy_by_lang.items()},
            "fold_accuracies": [round(a, 4) for a in self.fold_accuracies],
            "mean_accuracy": round(self.mean_accuracy, 4),
            "errors": [list(e) for e in self.errors],
        }


def _data_file(version: str) -> Traversable:
    return resources.files("ledgerline.customer_service.assistant") / "data" / f"{version}.jsonl"


def load_utterances(version: str = DATA_VERSION) -> list[Utterance]:
    """The shipped example utterances of ``version`` (package data)."""
    out = []
    text = _data_file(version).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        try:
            out.append(Utterance(str(row["text"]), Intent(row["intent"]), str(row["lang"])))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{version}.jsonl line {number}: {exc}") from exc
    return out


def data_sha256(version: str = DATA_VERSION) -> str:
    """The SHA-256 of the utterance file (recorded in the model file it trains)."""
    return hashlib.sha256(_data_file(version).read_bytes()).hexdigest()


def pipeline() -> Pipeline:
    return make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            TfidfVectorizer(
                analyzer="word",
                ngram_range=(1, 2),
                sublinear_tf=True,
                token_pattern=r"(?u)\b\w+\b",  # noqa: S106 - a regex, not a secret
            ),
        ),
        LogisticRegression(C=20.0, max_iter=5000),
    )


def train(utterances: list[Utterance]) -> Pipeline:
    """The fitted scikit-learn pipeline."""
    model = pipeline()
    model.fit([features_text(u.text) for u in utterances], [str(u.intent) for u in utterances])
    return model


def train_model(version: str = DATA_VERSION) -> IntentModel:
    """The serving model of the shipped utterances of ``version``."""
    return export(train(load_utterances(version)), version, data_sha256(version))


# What the numpy vectoriser reproduces; any other setting would be silently ignored by it.
_SUPPORTED = {
    "input": "content",
    "encoding": "utf-8",
    "strip_accents": None,
    "lowercase": True,
    "preprocessor": None,
    "tokenizer": None,
    "stop_words": None,
    "binary": False,
    "dtype": np.float64,
    "norm": "l2",
    "use_idf": True,
    "sublinear_tf": True,
}


def _vectoriser(fitted: TfidfVectorizer) -> Vectoriser:
    params = fitted.get_params()
    wrong = {k: params[k] for k, v in _SUPPORTED.items() if params[k] != v}
    if wrong:
        raise ValueError(f"the numpy vectoriser does not reproduce {wrong}")
    columns = sorted(fitted.vocabulary_.items(), key=lambda item: int(item[1]))
    if [int(c) for _t, c in columns] != list(range(len(columns))):
        raise ValueError("vocabulary columns are not 0..n-1")
    low, high = params["ngram_range"]
    return Vectoriser(
        analyser=str(params["analyzer"]),
        ngram_range=(int(low), int(high)),
        token_pattern=str(params["token_pattern"]),
        vocabulary=tuple(term for term, _c in columns),
        idf=np.asarray(fitted.idf_, dtype=np.float64).copy(),
    )


def export(fitted: Pipeline, data_version: str, data_sha256: str) -> IntentModel:
    """What the serving model needs of a fitted ``pipeline()``."""
    union, regression = fitted.steps[0][1], fitted.steps[1][1]
    if union.transformer_weights is not None:
        raise ValueError("transformer weights are not reproduced")
    return IntentModel(
        data_version=data_version,
        data_sha256=data_sha256,
        trained_with={"scikit-learn": sklearn.__version__, "numpy": np.__version__},
        vectorisers=tuple(_vectoriser(v) for _name, v in union.transformer_list),
        classes=tuple(str(c) for c in regression.classes_),
        coef=np.asarray(regression.coef_, dtype=np.float64).copy(),
        intercept=np.asarray(regression.intercept_, dtype=np.float64).copy(),
    )


def evaluate(version: str = DATA_VERSION, *, all_folds: bool = False) -> Evaluation:
    """Train on about 75% of the utterances, score the rest (the documented figure).

    The split is stratified by intent and *grouped by folded text*: "số dư" and "so du"
    read the same to the model, so they always fall on the same side (otherwise the
    held-out set would contain sentences the model has effectively seen). It is the first
    of four such folds; ``all_folds`` also scores the other three (``fold_accuracies``).
    """
    utterances = load_utterances(version)
    texts = [features_text(u.text) for u in utterances]
    folds = StratifiedGroupKFold(
        n_splits=round(1 / TEST_SHARE), shuffle=True, random_state=SPLIT_SEED
    )
    splits = list(folds.split(utterances, [str(u.intent) for u in utterances], groups=texts))
    scored = [
        _score(utterances, texts, train_rows, test_rows)
        for train_rows, test_rows in splits[: 4 if all_folds else 1]
    ]
    right, seen, errors = scored[0]
    return Evaluation(
        data_version=version,
        train_size=len(splits[0][0]),
        test_size=len(splits[0][1]),
        accuracy=sum(right.values()) / sum(seen.values()),
        accuracy_by_lang={lang: right[lang] / seen[lang] for lang in sorted(seen)},
        errors=errors,
        fold_accuracies=[sum(r.values()) / sum(n.values()) for r, n, _e in scored],
    )


def _score(
    utterances: list[Utterance], texts: list[str], train_rows: Any, test_rows: Any
) -> tuple[Counter[str], Counter[str], list[tuple[str, str, str]]]:
    model = train([utterances[i] for i in train_rows])
    predicted = model.predict([texts[i] for i in test_rows])
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    errors = []
    for i, got in zip(test_rows, predicted, strict=True):
        utterance = utterances[i]
        seen[utterance.lang] += 1
        if got == utterance.intent:
            right[utterance.lang] += 1
        else:
            errors.append((utterance.text, str(utterance.intent), str(got)))
    return right, seen, errors


if __name__ == "__main__":  # pragma: no cover - a report for people
    report = evaluate(all_folds=True).to_dict()
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
