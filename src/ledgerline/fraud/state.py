"""Per-card and per-terminal feature state, updated incrementally and serialised to bytes.

The features are the ones ``ledgerline.fraud.features`` defines.

A card keeps its transactions of the last 30 days (time and integer cents, and one flag bit
for the 7-day high-ratio count), plus one pointer and one running sum per window: a new
transaction moves each pointer past the entries that left its window, so every entry is
added and removed once (amortised O(1)). Serialised, the pointers and sums are left out (they
follow from the entries and the last time) and the entries are bit-packed at the widths this
card needs: time gaps, cents, the flag. A card paying 6 times a day with amounts up to $200
needs about 33 bits a transaction: ≈ 770 bytes.

A terminal's windows count whole hours and days (``features``), so a terminal keeps only its
transaction counts: per hour from the day its known windows end on (the last 7 to 8 days),
per day before that (30 days), the sequence number of its oldest counted transaction, and the
sequence numbers people said were fraud (serialised as runs: a compromised terminal's frauds
are consecutive). About 250 bytes at 50 transactions a day, 300 at 1,000; an idle terminal's
empty hours are skipped.

Time only moves forward inside a state: a transaction older than the newest one the state has
seen is taken to happen at that newest time (documented default for out-of-order input).
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_left, bisect_right
from itertools import accumulate

import numpy as np

from ledgerline.fraud import _state_v1
from ledgerline.fraud._codec import (
    Truncated,
    get_varint,
    get_varints,
    pack_fields,
    put_varint,
    put_varints,
    unpack_fields,
)
from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.feature_spec import (
    CUSTOMER_WINDOWS,
    DELAY_DAYS,
    HIGH_RATIO,
    HISTORY_DAYS,
    HOURS_PER_DAY,
    LAG_DAYS,
    LIVE_WINDOWS,
    NO_PREVIOUS_SECONDS,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    TERMINAL_WINDOWS,
    amount_zscore,
)

_FORMAT_VERSION = 2
_COMPACT_MIN = 32
# Bounds a stored terminal state respects (a damaged one must not make us allocate more): 30
# day counts, and hours since the known windows' end day — up to 40 days' worth for a state
# converted from the first format and not updated since.
_MAX_DAYS = HISTORY_DAYS
_MAX_HOURS = HOURS_PER_DAY * (HISTORY_DAYS + DELAY_DAYS + 3)


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
        """Version, count, last time, widths, then the entries bit-packed (gaps, cents, flag)."""
        self._compact()
        n = len(self.ts)
        out = bytearray()
        put_varints(out, (_FORMAT_VERSION, n, _zigzag_optional(self.last_t)))
        if n == 0:
            return bytes(out)
        times = np.frombuffer(self.ts, dtype=np.int64)
        gaps = np.diff(times, prepend=times[0]).astype(np.uint64)
        cents = np.frombuffer(self.cents, dtype=np.int64)
        if cents.min() < 0:
            raise FraudInputError("card state: amounts must not be negative")
        cents_u = cents.astype(np.uint64)
        gap_bits, cent_bits = int(gaps.max()).bit_length(), int(cents_u.max()).bit_length()
        last_t = self.ts[-1] if self.last_t is None else self.last_t
        put_varints(out, (last_t - self.ts[0], gap_bits, cent_bits))
        flags = np.frombuffer(bytes(self.high), dtype=np.uint8).astype(np.uint64)
        out += pack_fields([(gaps, gap_bits), (cents_u, cent_bits), (flags, 1)])
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> CardState:
        state = cls()
        if data[:1] == bytes([_state_v1.VERSION]):
            return cls._from_v1(data)
        try:
            (version, n, last), offset = get_varints(data, 0, 3)
            if version != _FORMAT_VERSION:
                raise ValueError(f"unknown card state version {version}")
            state.last_t = _unzigzag_optional(last)
            if n:
                if state.last_t is None:
                    raise ValueError("entries without a time")
                (span, gap_bits, cent_bits), offset = get_varints(data, offset, 3)
                if max(gap_bits, cent_bits) > 64:
                    raise ValueError("field wider than 64 bits")
                (gaps, cents, flags), offset = unpack_fields(
                    data, offset, n, (gap_bits, cent_bits, 1)
                )
                times = np.cumsum(gaps.astype(np.int64)) + (state.last_t - span)
                state.ts = array("q", times.tolist())
                state.cents = array("q", cents.astype(np.int64).tolist())
                state.high = bytearray(flags.astype(np.uint8).tobytes())
            if offset != len(data):
                raise ValueError("trailing bytes")
        except (Truncated, ValueError, OverflowError) as exc:
            raise FraudInputError(f"corrupt card state: {exc}") from exc
        state._recount()
        return state

    @classmethod
    def _from_v1(cls, data: bytes) -> CardState:
        try:
            fields = _state_v1.card(data)
        except (struct.error, ValueError) as exc:
            raise FraudInputError(f"corrupt card state: {exc}") from exc
        state = cls()
        state.last_t = fields.last_t
        state.ts = array("q", fields.ts)
        state.cents = array("q", fields.cents)
        state.high = bytearray(fields.high)
        state._recount()
        return state

    def _recount(self) -> None:
        """Pointers and running sums as the last update left them (they follow from the
        entries and the last time)."""
        if self.last_t is None:
            return
        ts, cents, t = self.ts, self.cents, self.last_t
        self.tails = [bisect_right(ts, t - n * SECONDS_PER_DAY) for n in CUSTOMER_WINDOWS]
        self.lag = max(self.tails[2], bisect_right(ts, t - LAG_DAYS * SECONDS_PER_DAY))
        self.sums = [sum(cents[tail:]) for tail in self.tails]
        oldest = self.tails[2]
        self.sumsq = sum(c * c for c in cents[oldest:])
        self.lag_sum = sum(cents[oldest : self.lag])
        self.lag_sq = sum(c * c for c in cents[oldest : self.lag])
        self.high7 = sum(self.high[self.tails[1] :])


class TerminalState:
    """A terminal's transaction counts over the last 7 + 30 days (per hour for the newest
    ones, per day for the older), and which of its transactions were said to be fraud."""

    __slots__ = ("base_seq", "days", "first_day", "fraud_seqs", "hours", "last_t")

    def __init__(self) -> None:
        self.last_t: int | None = None
        # days[i]: transactions on day first_day + i, through the day before the hours' first
        self.first_day = 0
        self.days: list[int] = []
        # hours[i]: transactions in hour 24 * (first_day + len(days)) + i, through the newest
        self.hours: list[int] = []
        self.base_seq = 0  # the sequence number of the first counted transaction
        self.fraud_seqs: list[int] = []  # sorted; only those still counted

    @property
    def hours_day(self) -> int:
        """The day of ``hours[0]``."""
        return self.first_day + len(self.days)

    def update(self, t: int, out: dict[str, float]) -> int:
        """Add a transaction at ``t``, write the terminal features; return its sequence number."""
        if self.last_t is not None and t < self.last_t:
            t = self.last_t
        self.last_t = t
        hour = t // SECONDS_PER_HOUR
        boundary = (t - DELAY_DAYS * SECONDS_PER_DAY) // SECONDS_PER_HOUR
        boundary_day = boundary // HOURS_PER_DAY
        self._advance(boundary_day, hour)
        day_starts = list(accumulate(self.days, initial=self.base_seq))
        hour_starts = list(accumulate(self.hours, initial=day_starts[-1]))
        first_day, first_hour = self.first_day, self.hours_day * HOURS_PER_DAY

        def seq_from_day(day: int) -> int:
            """The sequence number of the first transaction on ``day`` or later (day ≤ the
            boundary's day)."""
            return day_starts[min(max(day - first_day, 0), len(self.days))]

        def seq_from_hour(h: int) -> int:
            return hour_starts[min(max(h - first_hour, 0), len(self.hours))]

        frauds = self.fraud_seqs
        end = seq_from_hour(boundary)
        known = bisect_left(frauds, end)
        for n in TERMINAL_WINDOWS:
            start = seq_from_day(boundary_day - n)
            count = end - start
            risky = known - bisect_left(frauds, start)
            out[f"TERMINAL_ID_NB_TX_{n}DAY_WINDOW"] = float(count)
            out[f"TERMINAL_ID_RISK_{n}DAY_WINDOW"] = risky / count if count > 0 else 0.0
        oldest = bisect_left(frauds, seq_from_day(boundary_day - HISTORY_DAYS))
        first_age = last_age = since_last = risk_since_first = -1.0
        if oldest < known:
            first_day_seen = self._day_of(day_starts, hour_starts, frauds[oldest])
            last_day_seen = self._day_of(day_starts, hour_starts, frauds[known - 1])
            first_age = (t - first_day_seen * SECONDS_PER_DAY) / SECONDS_PER_DAY
            last_age = (t - last_day_seen * SECONDS_PER_DAY) / SECONDS_PER_DAY
            since_last = float(end - frauds[known - 1] - 1)
            risk_since_first = (known - oldest) / (end - frauds[oldest])
        out["TERMINAL_NB_KNOWN_FRAUDS_30DAY"] = float(known - oldest)
        out["TERMINAL_RISK_SINCE_FIRST_KNOWN_FRAUD"] = risk_since_first
        out["TERMINAL_FIRST_KNOWN_FRAUD_AGE_DAYS"] = first_age
        out["TERMINAL_LAST_KNOWN_FRAUD_AGE_DAYS"] = last_age
        out["TERMINAL_NB_TX_SINCE_LAST_KNOWN_FRAUD"] = since_last
        seq = hour_starts[-1]
        self.hours[-1] += 1
        for n in LIVE_WINDOWS:
            live = seq + 1 - seq_from_hour(hour - n * HOURS_PER_DAY + 1)
            out[f"TERMINAL_NB_TX_LIVE_{n}DAY"] = float(live)
        return seq

    def _day_of(self, day_starts: list[int], hour_starts: list[int], seq: int) -> int:
        """The day of transaction ``seq`` (one still counted)."""
        if seq < day_starts[-1]:
            return self.first_day + bisect_right(day_starts, seq) - 1
        hour = self.hours_day * HOURS_PER_DAY + bisect_right(hour_starts, seq) - 1
        return hour // HOURS_PER_DAY

    def _advance(self, boundary_day: int, hour: int) -> None:
        """Fold the hours of days before ``boundary_day`` into day counts, forget the days
        before every window, and extend the hours through ``hour``."""
        days, hours = self.days, self.hours
        if not days and not hours:
            self.first_day = boundary_day
        fold = min(boundary_day - self.hours_day, -(-len(hours) // HOURS_PER_DAY))
        for _ in range(max(fold, 0)):
            days.append(sum(hours[:HOURS_PER_DAY]))
            del hours[:HOURS_PER_DAY]
        if not hours and self.hours_day < boundary_day:
            days.extend([0] * (boundary_day - self.hours_day))
        drop = min(boundary_day - HISTORY_DAYS - self.first_day, len(days))
        if drop > 0:
            self.base_seq += sum(days[:drop])
            del days[:drop]
            self.first_day += drop
            del self.fraud_seqs[: bisect_left(self.fraud_seqs, self.base_seq)]
        while days and days[0] == 0:
            days.pop(0)
            self.first_day += 1
        hours.extend([0] * (hour - self.hours_day * HOURS_PER_DAY + 1 - len(hours)))

    def set_label(self, seq: int, fraud: bool) -> bool:
        """Record a verdict for transaction ``seq``; False when it has left the state's windows."""
        if not self.base_seq <= seq < self.base_seq + sum(self.days) + sum(self.hours):
            return False
        frauds = self.fraud_seqs
        i = bisect_left(frauds, seq)
        present = i < len(frauds) and frauds[i] == seq
        if fraud and not present:
            frauds.insert(i, seq)
        elif not fraud and present:
            del frauds[i]
        return True

    def to_bytes(self) -> bytes:
        """Version, last time, base sequence number, day counts, hour counts (dense, or as
        (zero hours skipped, count) pairs when that is shorter), then the fraud runs."""
        out = bytearray()
        put_varints(out, (_FORMAT_VERSION, _zigzag_optional(self.last_t), self.base_seq))
        put_varint(out, len(self.days))
        put_varints(out, self.days)
        dense = bytearray()
        put_varints(dense, self.hours)
        sparse = bytearray()
        skipped = 0
        for count in self.hours:
            if count:
                put_varints(sparse, (skipped, count))
                skipped = 0
            else:
                skipped += 1
        put_varint(out, len(self.hours))
        if len(sparse) < len(dense):
            put_varint(out, 1)
            put_varint(out, len(sparse))
            out += sparse
        else:
            put_varint(out, 0)
            out += dense
        runs = _runs(self.fraud_seqs)
        put_varint(out, len(runs))
        previous = self.base_seq
        for start, length in runs:
            put_varints(out, (start - previous, length - 1))
            previous = start + length
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> TerminalState:
        if data[:1] == bytes([_state_v1.VERSION]):
            return cls._from_v1(data)
        state = cls()
        try:
            (version, last, base_seq, day_count), offset = get_varints(data, 0, 4)
            if version != _FORMAT_VERSION:
                raise ValueError(f"unknown terminal state version {version}")
            state.last_t = _unzigzag_optional(last)
            state.base_seq = base_seq
            state.days, offset = get_varints(data, offset, day_count)
            (hour_count, sparse), offset = get_varints(data, offset, 2)
            if day_count > _MAX_DAYS or hour_count > _MAX_HOURS:
                raise ValueError("more day or hour counts than a state keeps")
            if sparse:
                size, offset = get_varint(data, offset)
                end = offset + size
                while offset < end:
                    (skipped, count), offset = get_varints(data, offset, 2)
                    if len(state.hours) + skipped >= hour_count:
                        raise ValueError("hour counts do not add up")
                    state.hours.extend([0] * skipped)
                    state.hours.append(count)
                state.hours.extend([0] * (hour_count - len(state.hours)))
            else:
                state.hours, offset = get_varints(data, offset, hour_count)
            if len(state.hours) != hour_count:
                raise ValueError("hour counts do not add up")
            if hour_count:
                if state.last_t is None:
                    raise ValueError("counts without a time")
                newest = state.last_t // SECONDS_PER_HOUR
                hours_day = (newest - hour_count + 1) // HOURS_PER_DAY
                state.first_day = hours_day - day_count
            runs, offset = get_varint(data, offset)
            previous = base_seq
            total = base_seq + sum(state.days) + sum(state.hours)
            for _ in range(runs):
                (gap, extra), offset = get_varints(data, offset, 2)
                start = previous + gap
                previous = start + extra + 1
                if previous > total:
                    raise ValueError("fraud labels beyond the counted transactions")
                state.fraud_seqs.extend(range(start, previous))
            if offset != len(data):
                raise ValueError("trailing bytes")
        except (Truncated, ValueError) as exc:
            raise FraudInputError(f"corrupt terminal state: {exc}") from exc
        return state

    @classmethod
    def _from_v1(cls, data: bytes) -> TerminalState:
        """A version-1 state (one entry per transaction) as day and hour counts."""
        try:
            fields = _state_v1.terminal(data)
        except (struct.error, ValueError) as exc:
            raise FraudInputError(f"corrupt terminal state: {exc}") from exc
        state = cls()
        state.base_seq = fields.base_seq
        state.fraud_seqs = list(fields.fraud_seqs)
        if fields.ts and fields.last_t is not None:
            # Counted as hours from the first entry's day on; the next update folds the
            # hours that are old enough into days.
            state.first_day = fields.ts[0] // SECONDS_PER_DAY
            first_hour = state.first_day * HOURS_PER_DAY
            state.hours = [0] * (fields.last_t // SECONDS_PER_HOUR - first_hour + 1)
            for t in fields.ts:
                state.hours[t // SECONDS_PER_HOUR - first_hour] += 1
        state.last_t = fields.last_t
        return state


def _runs(seqs: list[int]) -> list[tuple[int, int]]:
    """Sorted distinct integers as (start, length) runs of consecutive values."""
    runs: list[tuple[int, int]] = []
    for seq in seqs:
        if runs and runs[-1][0] + runs[-1][1] == seq:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((seq, 1))
    return runs


def _zigzag_optional(value: int | None) -> int:
    """``None`` as 0, any other integer as a positive one (zigzag, plus one)."""
    if value is None:
        return 0
    return (value * 2 if value >= 0 else -value * 2 - 1) + 1


def _unzigzag_optional(value: int) -> int | None:
    if value == 0:
        return None
    value -= 1
    return value // 2 if value % 2 == 0 else -(value + 1) // 2


def time_flags(t: int) -> tuple[float, float]:
    """``(TX_DURING_WEEKEND, TX_DURING_NIGHT)`` for epoch seconds ``t`` (UTC wall clock)."""
    days = t // SECONDS_PER_DAY
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    hour = (t - days * SECONDS_PER_DAY) // 3600
    return (1.0 if weekday >= 5 else 0.0, 1.0 if hour <= 6 else 0.0)
