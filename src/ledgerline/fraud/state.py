"""Per-card and per-terminal feature state, updated incrementally and serialised to bytes.

The features are the ones ``ledgerline.fraud.features`` defines. Each state keeps only the
transactions still inside its longest window (30 days for a card; 7 + 30 days for a terminal),
plus one pointer and one running sum per window. A new transaction moves each pointer past the
entries that left its window, so every entry is added and removed once: amortised O(1) per
transaction. The serialised form is a small header plus, per card entry, 3 bytes of time, 3 of
cents and one bit (``_PACKED``, when every value fits; 9 bytes otherwise) and per terminal
entry 5 bytes (time, label): a card with 4 transactions a day holds about 120 entries, under
1 KB; a terminal with 10 a day, about 370 entries (1.9 KB).

Time only moves forward inside a state: a transaction older than the newest one the state has
seen is taken to happen at that newest time (documented default for out-of-order input).
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_left, insort

import numpy as np

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.feature_spec import (
    CUSTOMER_WINDOWS,
    DELAY_DAYS,
    HIGH_RATIO,
    LAG_DAYS,
    LIVE_WINDOWS,
    NO_PREVIOUS_SECONDS,
    SECONDS_PER_DAY,
    TERMINAL_WINDOWS,
    amount_zscore,
)

_FORMAT_VERSION = 1
_COMPACT_MIN = 32
_CARD_HEADER = struct.Struct("<BBqqIqqqQQIIIqQQI")
_TERMINAL_HEADER = struct.Struct("<BqqqIIIIIIIIII")
_U32_MAX = 2**32 - 1
_U24 = 2**24
# Card layouts: 4-byte times and cents, 8-byte cents, or (most cards) 3-byte times and cents
# with the high-ratio flags packed 8 to a byte: 6.125 bytes per entry instead of 9.
_PLAIN, _WIDE, _PACKED = 0, 1, 2

LABEL_UNKNOWN = 0
LABEL_FRAUD = 1
LABEL_GENUINE = 2


class CardState:
    """A card's transactions in the last 30 days and running window sums."""

    __slots__ = (
        "cents",
        "high",
        "high7",
        "lag",
        "lag_sq",
        "lag_sum",
        "last_t",
        "sums",
        "sumsq",
        "tails",
        "ts",
    )

    def __init__(self) -> None:
        self.ts: array[int] = array("q")
        self.cents: array[int] = array("q")
        self.last_t: int | None = None
        self.tails = [0, 0, 0]
        self.sums = [0, 0, 0]
        self.sumsq = 0
        self.lag = 0  # first entry newer than t - LAG_DAYS; [tails[2], lag) is the lagged window
        self.lag_sum = 0
        self.lag_sq = 0
        self.high = bytearray()  # 1 where the entry's lagged ratio was above HIGH_RATIO
        self.high7 = 0  # how many of those in the 7-day window

    def __len__(self) -> int:
        return len(self.ts) - self.tails[-1]

    def update(self, t: int, amount: float, out: dict[str, float]) -> None:
        """Add a transaction at ``t`` (epoch seconds) and write the card features into ``out``."""
        if self.last_t is not None and t < self.last_t:
            t = self.last_t
        self.last_t = t
        ts, cents, tails, sums = self.ts, self.cents, self.tails, self.sums
        size = len(ts)
        i = self.lag
        limit = t - LAG_DAYS * SECONDS_PER_DAY
        while i < size and ts[i] <= limit:
            self.lag_sum += cents[i]
            self.lag_sq += cents[i] * cents[i]
            i += 1
        self.lag = i
        for w, n in enumerate(CUSTOMER_WINDOWS):
            limit = t - n * SECONDS_PER_DAY
            i = tails[w]
            while i < size and ts[i] <= limit:
                sums[w] -= cents[i]
                if w == 1:
                    self.high7 -= self.high[i]
                if w == 2:
                    self.sumsq -= cents[i] * cents[i]
                    self.lag_sum -= cents[i]
                    self.lag_sq -= cents[i] * cents[i]
                i += 1
            tails[w] = i
        prev_count = size - tails[2]
        previous_gap = float(t - ts[-1]) if prev_count > 0 else NO_PREVIOUS_SECONDS
        z = amount_zscore(amount, prev_count, sums[2], self.sumsq)
        lag_count = self.lag - tails[2]
        lag_mean = self.lag_sum / max(lag_count, 1) / 100
        lag_ratio = amount / lag_mean if lag_count > 0 and lag_mean > 0 else -1.0
        out["CUSTOMER_AMOUNT_RATIO_LAGGED"] = lag_ratio
        flag = 1 if lag_ratio > HIGH_RATIO else 0
        self.high.append(flag)
        self.high7 += flag
        out["CUSTOMER_NB_HIGH_RATIO_7DAY"] = float(self.high7)
        out["CUSTOMER_AMOUNT_ZSCORE_LAGGED"] = amount_zscore(
            amount, lag_count, self.lag_sum, self.lag_sq
        )
        c = round(amount * 100)
        ts.append(t)
        cents.append(c)
        size += 1
        for w in range(3):
            sums[w] += c
        self.sumsq += c * c
        for w, n in enumerate(CUSTOMER_WINDOWS):
            count = size - tails[w]
            average = sums[w] / count / 100
            out[f"CUSTOMER_ID_NB_TX_{n}DAY_WINDOW"] = float(count)
            out[f"CUSTOMER_ID_AVG_AMOUNT_{n}DAY_WINDOW"] = average
            if n in (7, 30):
                out[f"CUSTOMER_AMOUNT_RATIO_{n}DAY"] = amount / average if average > 0 else 1.0
        out["CUSTOMER_AMOUNT_ZSCORE_30DAY"] = z
        out["CUSTOMER_SECONDS_SINCE_PREV"] = previous_gap
        if tails[2] >= _COMPACT_MIN and tails[2] * 2 >= size:
            self._compact()

    def _compact(self) -> None:
        drop = self.tails[2]
        if drop:
            del self.ts[:drop]
            del self.cents[:drop]
            del self.high[:drop]
            self.tails = [tail - drop for tail in self.tails]
            self.lag -= drop

    def to_bytes(self) -> bytes:
        self._compact()
        n = len(self.ts)
        t0 = self.ts[0] if n else 0
        deltas = array("I", [t - t0 for t in self.ts])
        if all(0 <= c < _U24 for c in self.cents) and all(d < _U24 for d in deltas):
            layout = _PACKED
        elif any(c > _U32_MAX or c < 0 for c in self.cents):
            layout = _WIDE
        else:
            layout = _PLAIN
        header = _CARD_HEADER.pack(
            _FORMAT_VERSION,
            layout,
            -1 if self.last_t is None else self.last_t,
            t0,
            n,
            *self.sums,
            self.sumsq >> 64,
            self.sumsq & (2**64 - 1),
            self.tails[0],
            self.tails[1],
            self.lag,
            self.lag_sum,
            self.lag_sq >> 64,
            self.lag_sq & (2**64 - 1),
            self.high7,
        )
        if layout == _PACKED:
            return (
                header
                + _pack24(deltas)
                + _pack24(array("I", self.cents))
                + np.packbits(np.frombuffer(bytes(self.high), dtype=np.uint8)).tobytes()
            )
        cents = array("q" if layout == _WIDE else "I", self.cents)
        return header + deltas.tobytes() + cents.tobytes() + bytes(self.high)

    @classmethod
    def from_bytes(cls, data: bytes) -> CardState:
        try:
            (
                version,
                layout,
                last_t,
                t0,
                n,
                s1,
                s7,
                s30,
                sq_hi,
                sq_lo,
                tail1,
                tail7,
                lag,
                lag_sum,
                lag_hi,
                lag_lo,
                high7,
            ) = _CARD_HEADER.unpack_from(data)
            if version != _FORMAT_VERSION:
                raise ValueError(f"unknown card state version {version}")
            offset = _CARD_HEADER.size
            if layout == _PACKED:
                deltas = _unpack24(data, offset, n)
                cents = _unpack24(data, offset + 3 * n, n)
                offset += 6 * n
                bits = np.frombuffer(data, dtype=np.uint8, count=(n + 7) // 8, offset=offset)
                high = bytearray(np.unpackbits(bits, count=n).tobytes())
            else:
                deltas = array("I")
                deltas.frombytes(data[offset : offset + 4 * n])
                offset += 4 * n
                cents = array("q" if layout == _WIDE else "I")
                cents.frombytes(data[offset : offset + cents.itemsize * n])
                offset += cents.itemsize * n
                high = bytearray(data[offset : offset + n])
            if len(high) != n or len(deltas) != n or len(cents) != n:
                raise ValueError("truncated")
        except (struct.error, ValueError) as exc:
            raise FraudInputError(f"corrupt card state: {exc}") from exc
        state = cls()
        state.ts = array("q", [t0 + d for d in deltas])
        state.cents = array("q", cents)
        state.last_t = None if last_t == -1 else last_t
        state.sums = [s1, s7, s30]
        state.sumsq = (sq_hi << 64) | sq_lo
        state.tails = [tail1, tail7, 0]
        state.lag = lag
        state.lag_sum = lag_sum
        state.lag_sq = (lag_hi << 64) | lag_lo
        state.high = high
        state.high7 = high7
        return state


class TerminalState:
    """A terminal's transactions in the last 7 + 30 days, their labels, and window sums."""

    __slots__ = (
        "base_seq",
        "fraud_seqs",
        "frauds",
        "labels",
        "last_t",
        "live",
        "matured",
        "tails",
        "ts",
    )

    def __init__(self) -> None:
        self.ts: array[int] = array("q")
        self.labels = bytearray()
        self.base_seq = 0
        self.last_t: int | None = None
        self.live = [0, 0]
        self.matured = 0
        self.tails = [0, 0, 0]
        self.frauds = [0, 0, 0]
        self.fraud_seqs: list[int] = []

    def update(self, t: int, out: dict[str, float]) -> int:
        """Add a transaction at ``t``, write the terminal features; return its sequence number."""
        if self.last_t is not None and t < self.last_t:
            t = self.last_t
        self.last_t = t
        ts, labels, tails, frauds = self.ts, self.labels, self.tails, self.frauds
        size = len(ts)
        for w, n in enumerate(LIVE_WINDOWS):
            limit = t - n * SECONDS_PER_DAY
            i = self.live[w]
            while i < size and ts[i] <= limit:
                i += 1
            self.live[w] = i
        delay = DELAY_DAYS * SECONDS_PER_DAY
        i = self.matured
        while i < size and ts[i] <= t - delay:
            if labels[i] == LABEL_FRAUD:
                for w in range(3):
                    frauds[w] += 1
            i += 1
        matured = self.matured = i
        for w, n in enumerate(TERMINAL_WINDOWS):
            limit = t - delay - n * SECONDS_PER_DAY
            i = tails[w]
            while i < size and ts[i] <= limit:
                if labels[i] == LABEL_FRAUD:
                    frauds[w] -= 1
                i += 1
            tails[w] = i
        base = self.base_seq
        seqs = self.fraud_seqs
        oldest = base + tails[2]
        while seqs and seqs[0] < oldest:
            seqs.pop(0)
        for w, n in enumerate(TERMINAL_WINDOWS):
            count = matured - tails[w]
            out[f"TERMINAL_ID_NB_TX_{n}DAY_WINDOW"] = float(count)
            out[f"TERMINAL_ID_RISK_{n}DAY_WINDOW"] = frauds[w] / count if count > 0 else 0.0
        first_age = last_age = since_last = -1.0
        if seqs and seqs[0] < base + matured:
            first_age = (t - ts[seqs[0] - base]) / SECONDS_PER_DAY
            last = seqs[bisect_left(seqs, base + matured) - 1] - base
            last_age = (t - ts[last]) / SECONDS_PER_DAY
            since_last = float(matured - last - 1)
        out["TERMINAL_FIRST_KNOWN_FRAUD_AGE_DAYS"] = first_age
        out["TERMINAL_LAST_KNOWN_FRAUD_AGE_DAYS"] = last_age
        out["TERMINAL_NB_TX_SINCE_LAST_KNOWN_FRAUD"] = since_last
        ts.append(t)
        labels.append(LABEL_UNKNOWN)
        size += 1
        for w, n in enumerate(LIVE_WINDOWS):
            out[f"TERMINAL_NB_TX_LIVE_{n}DAY"] = float(size - self.live[w])
        seq = base + size - 1
        if tails[2] >= _COMPACT_MIN and tails[2] * 2 >= size:
            self._compact()
        return seq

    def set_label(self, seq: int, fraud: bool) -> bool:
        """Record a verdict for transaction ``seq``; False when it has left the state's windows."""
        i = seq - self.base_seq
        if i < self.tails[2] or i >= len(self.ts):
            return False
        old = self.labels[i] == LABEL_FRAUD
        self.labels[i] = LABEL_FRAUD if fraud else LABEL_GENUINE
        if old == fraud:
            return True
        delta = 1 if fraud else -1
        if i < self.matured:
            for w in range(3):
                if i >= self.tails[w]:
                    self.frauds[w] += delta
        if fraud:
            insort(self.fraud_seqs, seq)
        else:
            self.fraud_seqs.remove(seq)
        return True

    def _compact(self) -> None:
        drop = self.tails[2]
        if drop:
            del self.ts[:drop]
            del self.labels[:drop]
            self.base_seq += drop
            self.live = [p - drop for p in self.live]
            self.matured -= drop
            self.tails = [p - drop for p in self.tails]

    def to_bytes(self) -> bytes:
        self._compact()
        n = len(self.ts)
        t0 = self.ts[0] if n else 0
        header = _TERMINAL_HEADER.pack(
            _FORMAT_VERSION,
            -1 if self.last_t is None else self.last_t,
            t0,
            self.base_seq,
            n,
            *self.live,
            self.matured,
            self.tails[0],
            self.tails[1],
            *self.frauds,
            0,
        )
        return header + array("I", [t - t0 for t in self.ts]).tobytes() + bytes(self.labels)

    @classmethod
    def from_bytes(cls, data: bytes) -> TerminalState:
        try:
            fields = _TERMINAL_HEADER.unpack_from(data)
            version, last_t, t0, base_seq, n, live1, live7, matured, tail1, tail7, f1, f7, f30 = (
                fields[:13]
            )
            if version != _FORMAT_VERSION:
                raise ValueError(f"unknown terminal state version {version}")
            offset = _TERMINAL_HEADER.size
            deltas = array("I")
            deltas.frombytes(data[offset : offset + 4 * n])
            labels = bytearray(data[offset + 4 * n : offset + 5 * n])
            if len(labels) != n:
                raise ValueError("truncated")
        except (struct.error, ValueError) as exc:
            raise FraudInputError(f"corrupt terminal state: {exc}") from exc
        state = cls()
        state.ts = array("q", [t0 + d for d in deltas])
        state.labels = labels
        state.base_seq = base_seq
        state.last_t = None if last_t == -1 else last_t
        state.live = [live1, live7]
        state.matured = matured
        state.tails = [tail1, tail7, 0]
        state.frauds = [f1, f7, f30]
        state.fraud_seqs = [base_seq + i for i, v in enumerate(labels) if v == LABEL_FRAUD]
        return state


def _pack24(values: array[int]) -> bytes:
    """Little-endian unsigned 24-bit values (each below 2**24)."""
    return np.frombuffer(values.tobytes(), dtype=np.uint8).reshape(-1, 4)[:, :3].tobytes()


def _unpack24(data: bytes, offset: int, n: int) -> array[int]:
    raw = np.frombuffer(data, dtype=np.uint8, count=3 * n, offset=offset).reshape(n, 3)
    wide = np.zeros((n, 4), dtype=np.uint8)
    wide[:, :3] = raw
    return array("I", wide.view("<u4").ravel().tolist())


def time_flags(t: int) -> tuple[float, float]:
    """``(TX_DURING_WEEKEND, TX_DURING_NIGHT)`` for epoch seconds ``t`` (UTC wall clock)."""
    days = t // SECONDS_PER_DAY
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    hour = (t - days * SECONDS_PER_DAY) // 3600
    return (1.0 if weekday >= 5 else 0.0, 1.0 if hour <= 6 else 0.0)
