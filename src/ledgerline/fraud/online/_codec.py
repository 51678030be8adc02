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


def zigzag_optional(value: int | None) -> int:
    """``None`` as 0, any other integer as a positive one (zigzag, plus one): a varint."""
    if value is None:
        return 0
    return (value * 2 if value >= 0 else -value * 2 - 1) + 1


def unzigzag_optional(value: int) -> int | None:
    if value == 0:
        return None
    value -= 1
    return value // 2 if value % 2 == 0 else -(value + 1) // 2


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


def pack_ints(rows: Iterable[Sequence[int]], widths: Sequence[int]) -> bytes:
    """Rows of non-negative integers, one fixed width in bits per column (any width: Python
    integers), packed row after row into as few bytes as the total width needs."""
    packed = shift = 0
    for row in rows:
        for value, width in zip(row, widths, strict=True):
            if not 0 <= value < 1 << width:
                raise ValueError(f"{value} does not fit {width} bits")
            packed |= value << shift
            shift += width
    return packed.to_bytes((shift + 7) // 8, "little")


def unpack_ints(
    data: bytes, offset: int, rows: int, widths: Sequence[int]
) -> tuple[list[list[int]], int]:
    """The inverse of ``pack_ints``: the rows, and the offset after them."""
    size = (rows * sum(widths) + 7) // 8
    if offset + size > len(data):
        raise Truncated("truncated bit fields")
    if rows == 0:
        return [], offset
    packed = int.from_bytes(data[offset : offset + size], "little")
    masks = [(1 << width) - 1 for width in widths]
    out = []
    for _ in range(rows):
        row = []
        for width, mask in zip(widths, masks, strict=True):
            row.append(packed & mask)
            packed >>= width
        out.append(row)
    return out, offset + size


def unpack_fields(
    data: bytes, offset: int, rows: int, widths: Sequence[int]
) -> tuple[list[npt.NDArray[np.uint64]], int]:
    """Rows of fixed-width unsigned fields (at most 64 bits), packed row after row: one
    array per width, and the offset after them."""
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
