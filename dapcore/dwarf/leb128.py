"""LEB128, the project's one variable-length integer decoder.

DWARF's unsigned and signed LEB128 and Go's ``uvarint`` (``encoding/binary``,
used by pclntab's pc-value tables, the build information and ``abi.Name``)
are the same encoding: seven bits a byte, least significant group first,
the high bit set on every byte but the last.

:func:`uleb` and :func:`sleb` decode one number at a position and raise
:class:`IndexError` when the buffer ends inside it. :func:`uleb_matches`
splits a run of numbers written one after the other with a regular
expression (a run of bytes ≥ 0x80, then one < 0x80) instead of a per-byte
Python loop, and leaves the decoding to the caller's loop
(:func:`uleb_value` for numbers longer than a byte): pc-value tables are
decoded for every function on every goroutine's stack, most of their
numbers are one byte long, and a generator yielding decoded values was
measurably slower there (a generator resumption per number).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["sleb", "uleb", "uleb_bytes", "uleb_matches", "uleb_value"]

_ONE_ULEB = re.compile(rb"[\x80-\xff]*[\x00-\x7f]")


def uleb(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 at ``pos``: (value, position after it)."""
    b = buf[pos]
    if b < 0x80:
        return b, pos + 1
    result, shift = b & 0x7F, 7
    pos += 1
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def sleb(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """A signed LEB128 at ``pos``: (value, position after it)."""
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            if b & 0x40:
                result -= 1 << shift
            return result, pos


def uleb_bytes(value: int) -> bytes:
    """The unsigned LEB128 encoding of ``value``."""
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def uleb_matches(buf: bytes | memoryview, start: int) -> Iterator[re.Match[bytes]]:
    """The unsigned LEB128 numbers written one after the other from
    ``start`` to the end of ``buf``, as regular-expression matches of their
    bytes (a number cut short by the end is left out); the caller stops
    iterating where its data ends and reads a match's value with
    :func:`uleb_value` (one-byte numbers, the most common, are the byte
    itself: ``m.group()[0]``)."""
    return _ONE_ULEB.finditer(buf, start)


def uleb_value(raw: bytes) -> int:
    """The value of the unsigned LEB128 whose bytes are exactly ``raw``."""
    value = 0
    for shift, byte in enumerate(raw):
        value |= (byte & 0x7F) << (7 * shift)
    return value
