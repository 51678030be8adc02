"""Per-card and per-terminal feature state, updated incrementally and serialised to bytes.

The features are the ones ``ledgerline.fraud.offline.features`` defines.

A card's windows count whole UTC hours and days (``features``), so a card keeps totals, not
transactions: per day over the 30 days before today and today (transactions, cents, squared
cents, and how many had a lagged ratio above ``HIGH_RATIO``), per hour over the last 24 hours
(transactions, cents), and the time of its last transaction. A new transaction adds to
today's and this hour's totals; a new hour or day shifts the periods (at most 31 and 24), and
a new day sums the closed days of the 7-day, 30-day and lagged windows once. Serialised, only
the days and hours with transactions are written, bit-packed at the widths this card needs:
about 210 bytes for a card paying twice a day, 240 at 6 a day, 300 at 50 and 380 at 1,000 a
day ($1–200 payments), 620 at 1,000 a day at the platform's cap (1,000,000). The widths grow
with the logarithm of a day's totals (≈ 22 bytes per doubling of the volume), so a card stays
under 1 KB sealed up to millions of payments a day. States of the first two formats (one
entry per transaction) are converted on reading (``_state_v1``, ``_state_v2``).

A terminal's windows count whole hours and days (``features``), so a terminal keeps only its
transaction counts: per hour from the day its known windows end on (the last 7 to 8 days),
per day before that (30 days), the sequence number of its oldest counted transaction, and the
sequence numbers people said were fraud (serialised as runs: a compromised terminal's frauds
are consecutive). About 250 bytes at 50 transactions a day, 300 at 1,000; an idle terminal's
empty hours are skipped.

Chat-speed labels (``ledgerline.fraud.offline.reports``): a terminal also keeps, for the cards
that reported one of its payments ("Not me", or "not me" to an alert) in the last 7 days, a
32-bit tag of the card (a hash of terminal and card: it links nothing across terminals) and
the time of its latest report — at most ``MAX_REPORTING_CARDS + 1`` of them, the most recent,
which is all the capped counts need (about 9 bytes each). Terminal states of format 2 have
no reports and read as such; format 3 adds them.

Time only moves forward inside a state: a transaction older than the newest one the state has
seen is taken to happen at that newest time (documented default for out-of-order input).
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from itertools import accumulate

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.online import _state_v1, _state_v2
from ledgerline.fraud.online._codec import (
    Truncated,
    get_varint,
    get_varints,
    pack_ints,
    put_varint,
    put_varints,
    unpack_ints,
    unzigzag_optional,
    zigzag_optional,
)
from ledgerline.fraud.online.features import (
    CUSTOMER_WINDOWS,
    DELAY_DAYS,
    HIGH_RATIO,
    HISTORY_DAYS,
    HOURS_PER_DAY,
    LAG_DAYS,
    LIVE_WINDOWS,
    MAX_REPORTING_CARDS,
    NO_PREVIOUS_SECONDS,
    NO_REPORT_SECONDS,
    REPORT_WINDOW_HOURS,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    TERMINAL_WINDOWS,
    amount_zscore,
    reporting_cards_per_tx,
    to_cents,
)

_CARD_VERSION = 3
_TERMINAL_VERSION = 3
_TERMINAL_VERSION_WITHOUT_REPORTS = 2
_REPORT_SPAN = int(NO_REPORT_SECONDS)
_MAX_REPORTERS = MAX_REPORTING_CARDS + 1
# Bounds a stored terminal state respects (a damaged one must not make us allocate more): 30
# day counts, and hours since the known windows' end day — up to 40 days' worth for a state
# converted from the first format and not updated since.
_MAX_DAYS = HISTORY_DAYS
_MAX_HOURS = HOURS_PER_DAY * (HISTORY_DAYS + DELAY_DAYS + 3)


class _Periods:
    """Totals (several columns) per period — a UTC hour or day — over the ``span`` periods
    that end with the newest: ``columns[k][i]`` is total k of period ``newest - span + 1 + i``;
    column 0 counts transactions."""

    __slots__ = ("columns", "newest", "span")

    def __init__(self, span: int, width: int) -> None:
        self.span = span
        self.newest: int | None = None
        self.columns = [[0] * span for _ in range(width)]

    def advance(self, period: int) -> bool:
        """Make ``period`` the newest (what leaves the span is forgotten); True if it moved."""
        if self.newest is not None and period <= self.newest:
            return False
        shift = self.span if self.newest is None else min(period - self.newest, self.span)
        for column in self.columns:
            del column[:shift]
            column.extend([0] * shift)
        self.newest = period
        return True

    def add(self, values: tuple[int, ...]) -> None:
        """Add one transaction's values to the newest period."""
        for column, value in zip(self.columns, values, strict=True):
            column[-1] += value

    def totals(self, start: int = 0, stop: int | None = None) -> list[int]:
        """Each column's total over positions ``start`` to ``stop`` (default: all)."""
        return [sum(column[start:stop]) for column in self.columns]

    def newest_totals(self) -> list[int]:
        """Each column's total in the newest period."""
        return [column[-1] for column in self.columns]

    def put(self, out: bytearray) -> None:
        """A mask of the periods with transactions (bit k: k periods before the newest), the
        columns' widths in bits, then those periods' totals bit-packed, newest first."""
        rows = [row for row in zip(*self.columns, strict=True) if row[0]][::-1]
        mask = sum(1 << (self.span - 1 - i) for i, count in enumerate(self.columns[0]) if count)
        widths = [max(column).bit_length() for column in self.columns]
        put_varint(out, mask)
        put_varints(out, widths)
        out += pack_ints(rows, widths)

    def read(self, data: bytes, offset: int, newest: int) -> int:
        """Totals as ``put`` wrote them for ``newest``; the offset after them."""
        mask, offset = get_varint(data, offset)
        if mask >> self.span:
            raise ValueError("periods outside the span")
        ages = [k for k in range(self.span) if mask >> k & 1]
        widths, offset = get_varints(data, offset, len(self.columns))
        rows, offset = unpack_ints(data, offset, len(ages), widths)
        self.advance(newest)
        for age, row in zip(ages, rows, strict=True):
            if not row[0]:
                raise ValueError("a period without transactions")
            for column, value in zip(self.columns, row, strict=True):
                column[self.span - 1 - age] = value
        return offset


class CardState:
    """A card's totals per UTC day (the last 30 days and today) and per UTC hour (the last
    24 hours), and the time of its last transaction."""

    __slots__ = ("closed", "days", "hours", "lagged", "last_t")

    def __init__(self) -> None:
        self.last_t: int | None = None
        # per day: transactions, cents, squared cents, lagged ratios above HIGH_RATIO
        self.days = _Periods(HISTORY_DAYS + 1, 4)
        # per hour: transactions, cents
        self.hours = _Periods(HOURS_PER_DAY, 2)
        # totals of the days before today in the 7- and 30-day windows, and the lagged window
        self.closed: dict[int, list[int]] = {}
        self.lagged = [0, 0, 0, 0]

    def __len__(self) -> int:
        """Transactions in the card's 30-day window."""
        return sum(self.days.columns[0])

    def update(self, t: int, amount: float, out: dict[str, float]) -> None:
        """Add a transaction at ``t`` (epoch seconds) and write the card features into ``out``."""
        previous = self.last_t
        if previous is not None and t < previous:
            t = previous
        self._advance(t)
        month = _plus(self.closed[HISTORY_DAYS], self.days.newest_totals())
        lag_count, lag_sum, lag_sq, _ = self.lagged
        lag_mean = lag_sum / max(lag_count, 1) / 100
        lag_ratio = amount / lag_mean if lag_count > 0 and lag_mean > 0 else -1.0
        out["CUSTOMER_AMOUNT_ZSCORE_30DAY"] = amount_zscore(amount, *month[:3])
        out["CUSTOMER_AMOUNT_RATIO_LAGGED"] = lag_ratio
        out["CUSTOMER_AMOUNT_ZSCORE_LAGGED"] = amount_zscore(amount, lag_count, lag_sum, lag_sq)
        gap = NO_PREVIOUS_SECONDS if previous is None else min(t - previous, NO_PREVIOUS_SECONDS)
        out["CUSTOMER_SECONDS_SINCE_PREV"] = float(gap)
        c = to_cents(amount)
        self.days.add((1, c, c * c, 1 if lag_ratio > HIGH_RATIO else 0))
        self.hours.add((1, c))
        today = self.days.newest_totals()
        for n in CUSTOMER_WINDOWS:
            count, total = self.hours.totals() if n == 1 else _plus(self.closed[n], today)[:2]
            average = total / count / 100
            out[f"CUSTOMER_ID_NB_TX_{n}DAY_WINDOW"] = float(count)
            out[f"CUSTOMER_ID_AVG_AMOUNT_{n}DAY_WINDOW"] = average
            if n != 1:
                out[f"CUSTOMER_AMOUNT_RATIO_{n}DAY"] = amount / average if average > 0 else 1.0
        out["CUSTOMER_NB_HIGH_RATIO_7DAY"] = float(self.closed[7][3] + today[3])

    def _advance(self, t: int) -> None:
        """Move the windows to time ``t``: new hours and days, the days before today re-added
        when the day changed."""
        self.last_t = t
        self.hours.advance(t // SECONDS_PER_HOUR)
        if self.days.advance(t // SECONDS_PER_DAY) or not self.closed:
            today = HISTORY_DAYS  # the position of today in self.days
            self.closed = {n: self.days.totals(today - n, today) for n in CUSTOMER_WINDOWS if n > 1}
            self.lagged = self.days.totals(0, today - LAG_DAYS)

    def to_bytes(self) -> bytes:
        """Version, last time, then the day totals and the hour totals (``_Periods.put``)."""
        out = bytearray()
        put_varints(out, (_CARD_VERSION, zigzag_optional(self.last_t)))
        if self.last_t is not None:
            if min(self.days.columns[1]) < 0:
                raise FraudInputError("card state: amounts must not be negative")
            self.days.put(out)
            self.hours.put(out)
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> CardState:
        if data[:1] in (bytes([_state_v1.VERSION]), bytes([_state_v2.VERSION])):
            return cls._from_entries(data)
        state = cls()
        try:
            (version, last), offset = get_varints(data, 0, 2)
            if version != _CARD_VERSION:
                raise ValueError(f"unknown card state version {version}")
            last_t = unzigzag_optional(last)
            if last_t is not None:
                offset = state.days.read(data, offset, last_t // SECONDS_PER_DAY)
                offset = state.hours.read(data, offset, last_t // SECONDS_PER_HOUR)
                state._advance(last_t)
            if offset != len(data):
                raise ValueError("trailing bytes")
        except ValueError as exc:  # Truncated too
            raise FraudInputError(f"corrupt card state: {exc}") from exc
        return state

    @classmethod
    def _from_entries(cls, data: bytes) -> CardState:
        """A state of the first two formats (one entry per transaction) as hour and day
        totals: exact for the transactions it kept, with the high-ratio flags they had."""
        reader = _state_v1.card if data[0] == _state_v1.VERSION else _state_v2.card
        try:
            fields = reader(data)
        except (struct.error, ValueError, OverflowError) as exc:
            raise FraudInputError(f"corrupt card state: {exc}") from exc
        state = cls()
        for t, cents, high in zip(fields.ts, fields.cents, fields.high, strict=True):
            state._advance(t)
            state.days.add((1, cents, cents * cents, high))
            state.hours.add((1, cents))
        if fields.last_t is not None:
            state._advance(fields.last_t)
        return state


def _plus(a: list[int], b: list[int]) -> list[int]:
    return [x + y for x, y in zip(a, b, strict=True)]


class TerminalState:
    """A terminal's transaction counts over the last 7 + 30 days (per hour for the newest
    ones, per day for the older), and which of its transactions were said to be fraud."""

    __slots__ = ("base_seq", "days", "first_day", "fraud_seqs", "hours", "last_t", "reports")

    def __init__(self) -> None:
        self.last_t: int | None = None
        # days[i]: transactions on day first_day + i, through the day before the hours' first
        self.first_day = 0
        self.days: list[int] = []
        # hours[i]: transactions in hour 24 * (first_day + len(days)) + i, through the newest
        self.hours: list[int] = []
        self.base_seq = 0  # the sequence number of the first counted transaction
        self.fraud_seqs: list[int] = []  # sorted; only those still counted
        self.reports: dict[int, int] = {}  # card tag -> time of its latest report

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

    def add_report(self, tag: int, received: int) -> None:
        """A card (``tag``) reported one of this terminal's payments at ``received``."""
        reports = self.reports
        reports[tag] = max(reports.get(tag, received), received)
        self._forget_reports(max(received, self.last_t or received))

    def _forget_reports(self, now: int) -> None:
        """Drop reports older than every window, then all but the most recent cards."""
        reports = self.reports
        for tag in [k for k, when in reports.items() if when < now - _REPORT_SPAN]:
            del reports[tag]
        if len(reports) > _MAX_REPORTERS:
            newest = sorted(reports.items(), key=lambda item: (-item[1], item[0]))
            self.reports = dict(newest[:_MAX_REPORTERS])

    def report_features(self, tag: int | None, out: dict[str, float]) -> None:
        """The report features of the transaction just added (``update``) by card ``tag``:
        other cards' reports received before it (``ledgerline.fraud.offline.reports``)."""
        t = self.last_t if self.last_t is not None else 0
        self._forget_reports(t)
        seen = [when for k, when in self.reports.items() if k != tag and when < t]
        for h in REPORT_WINDOW_HOURS:
            recent = sum(1 for when in seen if when >= t - h * SECONDS_PER_HOUR)
            out[f"TERMINAL_REPORTING_CARDS_{h}H"] = float(min(recent, MAX_REPORTING_CARDS))
        since = float(t - max(seen)) if seen else NO_REPORT_SECONDS
        out["TERMINAL_SECONDS_SINCE_REPORT"] = min(since, NO_REPORT_SECONDS)
        week = out[f"TERMINAL_REPORTING_CARDS_{max(REPORT_WINDOW_HOURS)}H"]
        out["TERMINAL_REPORTING_CARDS_PER_TX_168H"] = reporting_cards_per_tx(
            week, out["TERMINAL_NB_TX_LIVE_7DAY"]
        )

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
        put_varints(out, (_TERMINAL_VERSION, zigzag_optional(self.last_t), self.base_seq))
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
        put_varint(out, len(self.reports))
        anchor = self.last_t or 0
        for tag, when in sorted(self.reports.items()):
            out += tag.to_bytes(4, "big")
            put_varint(out, zigzag_optional(when - anchor))
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> TerminalState:
        if data[:1] == bytes([_state_v1.VERSION]):
            return cls._from_v1(data)
        state = cls()
        try:
            (version, last, base_seq, day_count), offset = get_varints(data, 0, 4)
            if version not in (_TERMINAL_VERSION, _TERMINAL_VERSION_WITHOUT_REPORTS):
                raise ValueError(f"unknown terminal state version {version}")
            state.last_t = unzigzag_optional(last)
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
            if version == _TERMINAL_VERSION:
                offset = state._read_reports(data, offset)
            if offset != len(data):
                raise ValueError("trailing bytes")
        except (Truncated, ValueError) as exc:
            raise FraudInputError(f"corrupt terminal state: {exc}") from exc
        return state

    def _read_reports(self, data: bytes, offset: int) -> int:
        count, offset = get_varint(data, offset)
        if count > _MAX_REPORTERS:
            raise ValueError("more reports than a state keeps")
        anchor = self.last_t or 0
        for _ in range(count):
            if offset + 4 > len(data):
                raise Truncated("report tag")
            tag = int.from_bytes(data[offset : offset + 4], "big")
            delta, offset = get_varint(data, offset + 4)
            moved = unzigzag_optional(delta)
            if moved is None:
                raise ValueError("a report without a time")
            self.reports[tag] = anchor + moved
        return offset

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


def time_flags(t: int) -> tuple[float, float]:
    """``(TX_DURING_WEEKEND, TX_DURING_NIGHT)`` for epoch seconds ``t`` (UTC wall clock)."""
    days = t // SECONDS_PER_DAY
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    hour = (t - days * SECONDS_PER_DAY) // 3600
    return (1.0 if weekday >= 5 else 0.0, 1.0 if hour <= 6 else 0.0)
