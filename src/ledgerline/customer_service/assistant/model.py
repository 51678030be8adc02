"""The intent classifier at serve time: fitted parameters and prediction, numpy only.

``customer_service/assistant/training.py`` fits a scikit-learn pipeline (two TF-IDF vectorisers joined side by
side, then a multinomial logistic regression) and exports what prediction needs into an
``IntentModel``; this module redoes the pipeline's ``predict_proba`` step by step, in the
same order of operations, so the server never imports scikit-learn (≈100 MB of a process):

1. per vectoriser: lowercase; n-grams (``char_wb``: characters within words padded with a
   space; ``word``: tokens of the token pattern, then joined n-grams); count those in the
   vocabulary; ``1 + ln(count)`` (sublinear tf); times the idf weight; divided by the row's
   L2 norm (summed in column order);
2. the vectorisers' columns side by side; ``x · coefᵀ + intercept``; a softmax (the largest
   score subtracted first).

The model file (``data/<data version>.model.json.gz``) is JSON: vocabularies as lists
(position = column), floats as ``repr`` (they round-trip exactly). ``python -m
ledgerline.customer_service.assistant.build`` writes it; a test retrains from the shipped utterances and
checks it did not drift.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["FORMAT", "IntentModel", "Vectoriser"]

FORMAT = "ledgerline-intent-model/1"
ANALYSERS = ("char_wb", "word")

FloatArray = npt.NDArray[np.float64]

_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's, for char n-grams


@dataclass(frozen=True, slots=True, eq=False)
class Vectoriser:
    """A fitted ``TfidfVectorizer`` (lowercase, no accent stripping or stop words, sublinear
    tf, L2 norm): its analyser, n-gram range, vocabulary (position = column) and idf."""

    analyser: str
    ngram_range: tuple[int, int]
    token_pattern: str
    vocabulary: tuple[str, ...]
    idf: FloatArray
    _columns: dict[str, int] = field(init=False, repr=False)
    _tokens: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.analyser not in ANALYSERS:
            raise ValueError(f"unsupported analyser {self.analyser!r}")
        low, high = self.ngram_range
        if not 1 <= low <= high:
            raise ValueError(f"bad n-gram range {self.ngram_range}")
        if self.idf.shape != (len(self.vocabulary),):
            raise ValueError("one idf weight per vocabulary entry expected")
        object.__setattr__(self, "_columns", {term: i for i, term in enumerate(self.vocabulary)})
        object.__setattr__(self, "_tokens", re.compile(self.token_pattern))

    @property
    def width(self) -> int:
        return len(self.vocabulary)

    def grams(self, text: str) -> list[str]:
        """The n-grams scikit-learn's analyser makes of ``text``, in its order."""
        text = text.lower()
        if self.analyser == "char_wb":
            return _char_wb_grams(text, self.ngram_range)
        return _word_grams(self._tokens.findall(text), self.ngram_range)

    def row(self, text: str) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """The TF-IDF row of ``text``: its non-zero columns (ascending) and their values."""
        columns = self._columns
        counts = Counter(c for g in self.grams(text) if (c := columns.get(g)) is not None)
        indices = np.array(sorted(counts), dtype=np.intp)
        values = np.array([counts[i] for i in indices], dtype=np.float64)
        np.log(values, out=values)
        values += 1.0
        values *= self.idf[indices]
        norm = 0.0
        for v in values:  # scikit-learn's order of summation (row-wise, column order)
            norm += v * v
        if norm != 0.0:
            values /= np.sqrt(norm)
        return indices, values

    def to_json(self) -> dict[str, Any]:
        return {
            "analyser": self.analyser,
            "ngram_range": list(self.ngram_range),
            "token_pattern": self.token_pattern,
            "vocabulary": list(self.vocabulary),
            "idf": self.idf.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Vectoriser:
        low, high = data["ngram_range"]
        return cls(
            analyser=str(data["analyser"]),
            ngram_range=(int(low), int(high)),
            token_pattern=str(data["token_pattern"]),
            vocabulary=tuple(str(t) for t in data["vocabulary"]),
            idf=np.array(data["idf"], dtype=np.float64),
        )


def _char_wb_grams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    low, high = ngram_range
    grams = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[:n])
            while offset + n < len(padded):
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n counts once
                break
    return grams


def _word_grams(tokens: list[str], ngram_range: tuple[int, int]) -> list[str]:
    low, high = ngram_range
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high + 1, len(tokens) + 1)):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


@dataclass(frozen=True, slots=True, eq=False)
class IntentModel:
    """The vectorisers (columns side by side, in order) and the logistic regression."""

    data_version: str
    data_sha256: str  # of the utterance file it was trained on
    trained_with: dict[str, str]  # library versions, for people
    vectorisers: tuple[Vectoriser, ...]
    classes: tuple[str, ...]
    coef: FloatArray  # (classes, columns)
    intercept: FloatArray  # (classes,)
    _blocks: tuple[FloatArray, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        width = sum(v.width for v in self.vectorisers)
        if len(self.classes) < 3:
            raise ValueError("a multinomial model of three classes or more expected")
        if self.coef.shape != (len(self.classes), width):
            raise ValueError(f"coefficients of shape {(len(self.classes), width)} expected")
        if self.intercept.shape != (len(self.classes),):
            raise ValueError("one intercept per class expected")
        # Each vectoriser's rows of coefᵀ, contiguous, for the dot products of its columns.
        blocks, start = [], 0
        for v in self.vectorisers:
            blocks.append(np.ascontiguousarray(self.coef[:, start : start + v.width].T))
            start += v.width
        object.__setattr__(self, "_blocks", tuple(blocks))

    def decision(self, text: str) -> FloatArray:
        """``x · coefᵀ + intercept`` for the features text ``text``."""
        scores = np.zeros(len(self.classes), dtype=np.float64)
        for vectoriser, block in zip(self.vectorisers, self._blocks, strict=True):
            indices, values = vectoriser.row(text)
            for column, value in zip(indices, values, strict=True):
                scores += value * block[column]
        return scores + self.intercept

    def probabilities(self, text: str) -> FloatArray:
        """Each class's probability (in ``classes`` order) for the features text ``text``."""
        scores = self.decision(text)
        scores -= scores.max()
        np.exp(scores, out=scores)
        scores /= scores.sum()
        return scores

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        return np.array([self.probabilities(t) for t in texts]).reshape(-1, len(self.classes))

    def differences(self, other: IntentModel, tolerance: float = 1e-9) -> list[str]:
        """What differs between two models (library versions aside): vocabularies, settings
        and classes exactly, idf weights and coefficients beyond ``tolerance``."""
        out = [
            name
            for name in ("data_version", "data_sha256", "classes")
            if getattr(self, name) != getattr(other, name)
        ]
        if len(self.vectorisers) != len(other.vectorisers):
            return [*out, "vectorisers"]
        for i, (mine, theirs) in enumerate(zip(self.vectorisers, other.vectorisers, strict=True)):
            for name in ("analyser", "ngram_range", "token_pattern", "vocabulary"):
                if getattr(mine, name) != getattr(theirs, name):
                    out.append(f"vectorisers[{i}].{name}")
            if not _close(mine.idf, theirs.idf, tolerance):
                out.append(f"vectorisers[{i}].idf")
        for name in ("coef", "intercept"):
            if not _close(getattr(self, name), getattr(other, name), tolerance):
                out.append(name)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "data_version": self.data_version,
            "data_sha256": self.data_sha256,
            "trained_with": self.trained_with,
            "vectorisers": [v.to_json() for v in self.vectorisers],
            "classes": list(self.classes),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IntentModel:
        if data.get("format") != FORMAT:
            raise ValueError(f"not an intent model file of format {FORMAT}")
        return cls(
            data_version=str(data["data_version"]),
            data_sha256=str(data["data_sha256"]),
            trained_with={str(k): str(v) for k, v in data["trained_with"].items()},
            vectorisers=tuple(Vectoriser.from_json(v) for v in data["vectorisers"]),
            classes=tuple(str(c) for c in data["classes"]),
            coef=np.array(data["coef"], dtype=np.float64),
            intercept=np.array(data["intercept"], dtype=np.float64),
        )

    def to_bytes(self) -> bytes:
        """The model file's bytes: gzipped JSON, the same bytes for the same model."""
        text = json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))
        return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        try:
            return cls.from_json(json.loads(gzip.decompress(path.read_bytes())))
        except (OSError, EOFError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"damaged intent model file {path}: {exc}") from exc


def _close(a: FloatArray, b: FloatArray, tolerance: float) -> bool:
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tolerance))
