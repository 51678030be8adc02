"""Compact integer encodings for the online fraud state: varints and fixed-width bit fields."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt


class Truncated(ValueError):
    """The bytes end before the value they promise."""


def put_varint(out: bytearray, value: int) -> None:
    """Append a non-negative integer, 7 bits a byte (LEB128)."""
    if value < 0:
        raise ValueError("varints are non-negative")
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def put_varints(out: bytearray, values: Iterable[int]) -> None:
    for value in values:
        put_varint(out, value)


def get_varint(data: bytes, offset: int) -> tuple[int, int]:
    """The varint at ``offset`` and the offset after it."""
    value = shift = 0
    size = len(data)
    while True:
        if offset >= size:
            raise Truncated("truncated varint")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7


def get_varints(data: bytes, offset: int, count: int) -> tuple[list[int], int]:
    values = []
    for _ in range(count):
        value, offset = get_varint(data, offset)
        values.append(value)
    return values, offset


def pack_fields(columns: Sequence[tuple[npt.NDArray[np.uint64], int]]) -> bytes:
    """Rows of fixed-width unsigned fields, ``(values, width in bits)`` per column, packed
    row after row into as few bytes as the total width needs."""
    rows = len(columns[0][0]) if columns else 0
    parts = [
        ((values[:, None] >> np.arange(width, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
        for values, width in columns
        if width
    ]
    if not parts or rows == 0:
        return b""
    return np.packbits(np.hstack(parts).ravel(), bitorder="little").tobytes()


def unpack_fields(
    data: bytes, offset: int, rows: int, widths: Sequence[int]
) -> tuple[list[npt.NDArray[np.uint64]], int]:
    """The inverse of ``pack_fields``: one array per width, and the offset after them."""
    total = sum(widths)
    size = (rows * total + 7) // 8
    if offset + size > len(data):
        raise Truncated("truncated bit fields")
    raw = np.frombuffer(data, dtype=np.uint8, count=size, offset=offset)
    bits = np.unpackbits(raw, count=rows * total, bitorder="little").reshape(rows, total)
    columns = []
    start = 0
    for width in widths:
        field = bits[:, start : start + width].astype(np.uint64)
        weights = np.uint64(1) << np.arange(width, dtype=np.uint64)
        columns.append((field * weights).sum(axis=1, dtype=np.uint64))
        start += width
    return columns, offset + size
