"""Reading the first serialised state format (until 2026-11-29), so stored states survive the
upgrade: ``state.CardState`` and ``state.TerminalState`` rebuild themselves from these fields.

Version 1 kept a fixed header of window pointers and sums, then per card entry its time
offset, cents and a flag byte (or 3-byte times and cents with packed flags), and per
terminal entry a 4-byte time offset and a label byte (1 = fraud).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

VERSION = 1
_CARD_HEADER = struct.Struct("<BBqqIqqqQQIIIqQQI")
_TERMINAL_HEADER = struct.Struct("<BqqqIIIIIIIIII")
_PACKED, _WIDE = 2, 1
_LABEL_FRAUD = 1


@dataclass(frozen=True)
class CardFields:
    last_t: int | None
    ts: list[int]
    cents: list[int]
    high: bytes


@dataclass(frozen=True)
class TerminalFields:
    last_t: int | None
    base_seq: int
    ts: list[int]
    fraud_seqs: list[int]


def card(data: bytes) -> CardFields:
    """The entries of a version-1 card state; ``ValueError`` or ``struct.error`` if damaged."""
    version, layout, last_t, t0, n, *_ = _CARD_HEADER.unpack_from(data)
    if version != VERSION:
        raise ValueError(f"not a version-1 card state ({version})")
    offset = _CARD_HEADER.size
    if layout == _PACKED:
        deltas = _unpack24(data, offset, n)
        cents = _unpack24(data, offset + 3 * n, n)
        offset += 6 * n
        bits = np.frombuffer(data, dtype=np.uint8, count=(n + 7) // 8, offset=offset)
        high = np.unpackbits(bits, count=n).tobytes()
    else:
        deltas = np.frombuffer(data, dtype="<u4", count=n, offset=offset).tolist()
        offset += 4 * n
        wide = layout == _WIDE
        dtype = "<i8" if wide else "<u4"
        cents = np.frombuffer(data, dtype=dtype, count=n, offset=offset).tolist()
        offset += (8 if wide else 4) * n
        high = data[offset : offset + n]
    if len(high) != n:
        raise ValueError("truncated")
    return CardFields(None if last_t == -1 else last_t, [t0 + d for d in deltas], cents, high)


def terminal(data: bytes) -> TerminalFields:
    """The entries of a version-1 terminal state; ``ValueError`` or ``struct.error``."""
    version, last_t, t0, base_seq, n, *_ = _TERMINAL_HEADER.unpack_from(data)
    if version != VERSION:
        raise ValueError(f"not a version-1 terminal state ({version})")
    offset = _TERMINAL_HEADER.size
    deltas = np.frombuffer(data, dtype="<u4", count=n, offset=offset).tolist()
    labels = data[offset + 4 * n : offset + 5 * n]
    if len(labels) != n:
        raise ValueError("truncated")
    frauds = [base_seq + i for i, label in enumerate(labels) if label == _LABEL_FRAUD]
    return TerminalFields(
        None if last_t == -1 else last_t, base_seq, [t0 + d for d in deltas], frauds
    )


def _unpack24(data: bytes, offset: int, n: int) -> list[int]:
    raw = np.frombuffer(data, dtype=np.uint8, count=3 * n, offset=offset).reshape(n, 3)
    wide = np.zeros((n, 4), dtype=np.uint8)
    wide[:, :3] = raw
    return [int(v) for v in wide.view("<u4").ravel()]
