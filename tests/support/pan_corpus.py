"""A labelled corpus for the card-number detector (``domain.luhn``), generated from a seed.

Positives: Luhn-valid PANs of every issuer range and length the detector knows, written the
ways people and systems write them (together, in groups with spaces, double spaces, dashes,
dots, slashes or bars, Amex's 4-6-5, followed by an expiry and a security code, glued to
them), inside a sentence. Negatives: a bank's 13-19-digit numeric identifiers in the
identifier fields of a transactions body, phone numbers, amounts, dates and times, and
random 16-digit numbers in free text (reported apart: in free text they cannot be told from
a PAN when they start with an issuer range and pass Luhn).

``bench/pan_corpus.py`` prints the figures; ``tests/unit/domain/test_pan_corpus.py`` holds
the detector to them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ledgerline.domain.luhn import _RANGES, find_card_number

SENTENCES = (
    "{}",
    "số thẻ của tôi là {} nhé",
    "my card is {} thanks",
    "Card: {} exp",
    "pls refund to {}.",
    "({})",
)


def luhn_complete(body: str) -> str:
    """``body`` plus the check digit that makes it pass Luhn."""
    for check in "0123456789":
        digits = body + check
        total = 0
        for index, char in enumerate(reversed(digits)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def random_pan(rng: random.Random, low: str, high: str, length: int) -> str:
    prefix = str(rng.randint(int(low), int(high))).zfill(len(low))
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return luhn_complete(body)


def _groups(pan: str, sizes: list[int]) -> list[str]:
    out, at = [], 0
    for size in sizes:
        out.append(pan[at : at + size])
        at += size
    if at < len(pan):
        out.append(pan[at:])
    return [g for g in out if g]


def layouts(pan: str, rng: random.Random) -> Iterator[tuple[str, str]]:
    """(name, text) for each way of writing ``pan``."""
    fours = _groups(pan, [4] * 5)
    expiry = f"{rng.randint(1, 12):02d}/{rng.randint(26, 35)}"
    cvv = "".join(rng.choice("0123456789") for _ in range(3))
    yield "together", pan
    for name, sep in (
        ("spaces", " "),
        ("double spaces", "  "),
        ("dashes", "-"),
        ("dots", "."),
        ("slashes", "/"),
        ("spaced dashes", " - "),
    ):
        yield f"4-4-4-4 {name}", sep.join(fours)
    if len(pan) == 15:
        yield "amex 4-6-5", " ".join(_groups(pan, [4, 6, 5]))
    if len(pan) == 14:
        yield "diners 4-6-4", " ".join(_groups(pan, [4, 6, 4]))
    yield "with expiry and code", f"{pan} {expiry} {cvv}"
    yield "grouped with expiry and code", f"{' '.join(fours)} {expiry} {cvv}"
    yield "bars with expiry and code", f"{pan}|{expiry}|{cvv}"
    yield "glued expiry and code", pan + expiry.replace("/", "") + cvv


@dataclass(frozen=True)
class Sample:
    kind: str  # "pan" or a negative's kind
    layout: str
    text: str
    document: Any  # what the detector sees (a JSON body)

    @property
    def positive(self) -> bool:
        return self.kind == "pan"


def pans(rng: random.Random, per_range: int) -> Iterator[Sample]:
    for low, high, lengths in _RANGES:
        for length in lengths:
            if length < 13:
                continue
            for _ in range(per_range):
                pan = random_pan(rng, low, high, length)
                for layout, written in layouts(pan, rng):
                    text = rng.choice(SENTENCES).format(written)
                    # In a free-text field of a transactions body (the merchant's name).
                    body = {"psid": "123", "transactions": [{"merchant": {"name": text}}]}
                    yield Sample("pan", f"{layout} ({low}-{high}, {length})", text, body)


def _numeric_id(rng: random.Random, length: int) -> str:
    return str(rng.randint(10 ** (length - 1), 10**length - 1))


ID_FIELDS = ("transaction_id", "account_id", "terminal_id")


def ids(rng: random.Random, count: int, length: int = 16) -> Iterator[Sample]:
    """A bank's numeric identifiers where a bank puts them: one per transactions body, in
    ``transaction_id``, ``account_id`` or ``terminal_id`` in turn."""
    for index in range(count):
        numeric = _numeric_id(rng, length)
        transaction = {
            "transaction_id": f"tx-{index}",
            "amount": {"amount": "125000", "currency": "VND"},
            "merchant": {"name": "Highlands Coffee"},
            ID_FIELDS[index % 3]: numeric,
        }
        body = {"psid": "123", "transactions": [transaction]}
        yield Sample(f"{length}-digit ids", ID_FIELDS[index % 3], numeric, body)


def _in_text(kind: str, make: Callable[[random.Random], str], rng: random.Random) -> Sample:
    text = rng.choice(SENTENCES).format(make(rng))
    return Sample(kind, "free text", text, {"reason": text})


def _phone(rng: random.Random) -> str:
    vn = f"{rng.choice(['09', '03', '07', '08'])}{rng.randint(0, 99_999_999):08d}"
    e164 = f"{rng.randint(1, 998)}{rng.randint(10**8, 10**11 - 1)}"[:15]
    return rng.choice(
        [
            vn,
            f"{vn[:4]} {vn[4:7]} {vn[7:]}",
            f"+84 {vn[1:4]} {vn[4:7]} {vn[7:]}",
            f"+84{vn[1:]}",
            f"0084 {vn[1:4]} {vn[4:7]} {vn[7:]}",
            f"+{e164}",
            f"+{e164[:2]} {e164[2:6]} {e164[6:]}",
            f"({vn[:3]}) {vn[3:6]}-{vn[6:]}",
        ]
    )


def _amount(rng: random.Random) -> str:
    value = rng.randint(1, 10**13)
    return rng.choice(
        [
            f"{value:,}".replace(",", ".") + " ₫",
            f"{value:,}.00",
            f"{value:,}".replace(",", " ") + " VND",
            str(value),
            f"{value / 100:.2f} USD",
        ]
    )


def _date(rng: random.Random) -> str:
    y, m, d = rng.randint(1970, 2099), rng.randint(1, 12), rng.randint(1, 28)
    hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    return rng.choice(
        [
            f"{y}-{m:02d}-{d:02d}",
            f"{d:02d}/{m:02d}/{y}",
            f"{y}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}+07:00",
            f"{y}{m:02d}{d:02d}{hh:02d}{mm:02d}{ss:02d}",
            f"{d:02d}/{m:02d}/{y} {hh:02d}:{mm:02d}",
            f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}.{rng.randint(0, 999):03d}",
        ]
    )


def negatives(rng: random.Random, count: int) -> Iterator[Sample]:
    for _ in range(count):
        yield _in_text("phone numbers", _phone, rng)
        yield _in_text("amounts", _amount, rng)
        yield _in_text("dates and times", _date, rng)


def random_numbers_in_text(rng: random.Random, count: int) -> Iterator[Sample]:
    for _ in range(count):
        yield _in_text("random 16-digit numbers in free text", lambda r: _numeric_id(r, 16), rng)


@dataclass
class Tally:
    total: int = 0
    flagged: int = 0

    @property
    def rate(self) -> float:
        return self.flagged / self.total if self.total else 0.0


def measure(seed: int = 17, per_range: int = 20, negatives_each: int = 10_000) -> dict[str, Any]:
    """Run the detector over the corpus: recall on PANs, false positives per negative kind,
    and the missed samples (there should be none)."""
    rng = random.Random(seed)
    tallies: dict[str, Tally] = {}
    missed: list[str] = []
    samples = [
        *pans(rng, per_range),
        *ids(rng, negatives_each),
        *(s for length in (13, 14, 15, 17, 18, 19) for s in ids(rng, negatives_each // 5, length)),
        *negatives(rng, negatives_each),
        *random_numbers_in_text(rng, negatives_each),
    ]
    for sample in samples:
        tally = tallies.setdefault(sample.kind, Tally())
        tally.total += 1
        if find_card_number(sample.document):
            tally.flagged += 1
        elif sample.positive:
            missed.append(f"{sample.layout}: {sample.text}")
    pan = tallies.pop("pan")
    return {
        "seed": seed,
        "pans": pan.total,
        "pan_recall": pan.rate,
        "missed": missed[:20],
        "negatives": {
            kind: {"samples": t.total, "flagged": t.flagged, "false_positive_rate": t.rate}
            for kind, t in sorted(tallies.items())
        },
    }
