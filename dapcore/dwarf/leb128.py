"""LEB128, the project's one variable-length integer decoder.

DWARF's unsigned and signed LEB128 and Go's ``uvarint`` (``encoding/binary``,
used by pclntab's pc-value tables, the build information and ``abi.Name``)
are the same encoding: seven bits a byte, least significant group first,
the high bit set on every byte but the last.

:func:`uleb` and :func:`sleb` decode one number at a position and raise
:class:`IndexError` when the buffer ends inside it. :func:`uleb_stream`
decodes a run of numbers one after the other; it splits them with a regular
expression (a run of bytes ≥ 0x80, then one < 0x80) instead of a per-byte
Python loop, because pc-value tables are decoded for every function of every
goroutine's stack and most of their numbers are one byte long.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["sleb", "uleb", "uleb_bytes", "uleb_stream"]

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


def uleb_stream(buf: bytes | memoryview, start: int) -> Iterator[int]:
    """The unsigned LEB128 numbers written one after the other from
    ``start`` to the end of ``buf`` (a number cut short by the end is left
    out); the caller stops iterating where its data ends."""
    for m in _ONE_ULEB.finditer(buf, start):
        raw = m.group()
        if len(raw) == 1:
            yield raw[0]
        else:
            value = 0
            for shift, byte in enumerate(raw):
                value |= (byte & 0x7F) << (7 * shift)
            yield value
