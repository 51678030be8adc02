"""Reading the second card state format (2026-11-29 until the card windows became whole hours
and days), so stored card states survive the upgrade: ``state.CardState`` rebuilds its hour
and day totals from these entries. Terminal states of version 2 are still current.

Version 2 kept a card's transactions of its last 30 days: varints (version, count, last time,
then the span from the first entry to the last time and two widths), then per entry its time
gap, cents and high-ratio flag bit-packed at those widths.
"""

from __future__ import annotations

import numpy as np

from ledgerline.fraud.online._codec import get_varints, unpack_fields, unzigzag_optional
from ledgerline.fraud.online._state_v1 import CardFields

VERSION = 2


def card(data: bytes) -> CardFields:
    """The entries of a version-2 card state; ``ValueError`` (``Truncated``) if damaged."""
    (version, n, last), offset = get_varints(data, 0, 3)
    if version != VERSION:
        raise ValueError(f"not a version-2 card state ({version})")
    last_t = unzigzag_optional(last)
    ts: list[int] = []
    cents: list[int] = []
    high = b""
    if n:
        if last_t is None:
            raise ValueError("entries without a time")
        (span, gap_bits, cent_bits), offset = get_varints(data, offset, 3)
        if max(gap_bits, cent_bits) > 64:
            raise ValueError("field wider than 64 bits")
        (gaps, amounts, flags), offset = unpack_fields(data, offset, n, (gap_bits, cent_bits, 1))
        ts = (np.cumsum(gaps.astype(np.int64)) + (last_t - span)).tolist()
        cents = amounts.astype(np.int64).tolist()
        high = flags.astype(np.uint8).tobytes()
    if offset != len(data):
        raise ValueError("trailing bytes")
    return CardFields(last_t, ts, cents, high)
