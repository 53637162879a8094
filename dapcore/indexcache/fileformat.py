"""The index cache's file format: a verified header, then the parts.

::

    offset 0   8 bytes   magic b"DAPCIDX\\0"
           8   u32       format version (FORMAT)
          12   u32       header length H (little-endian)
          16   32 bytes  SHA-256 of the header bytes
          48   H bytes   header: JSON {"key": str, "parts": [[name, kind,
                         offset, length, crc32, [source sections], source crc]]}
        48+H   ...       the parts' bytes, at their offsets from here

A part is ``b`` (bytes, e.g. a decompressed section or packed integer
arrays) or ``j`` (JSON text). Everything read is checked: the magic, the
version, the header's hash, its shape, each part's bounds and, when the
part is read, its CRC-32. JSON is parsed with :mod:`json` only; nothing in
a cache file is ever evaluated.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Callable, Iterable
from typing import NamedTuple

__all__ = ["FORMAT", "HEAD_SIZE", "BadFile", "PartInfo", "ReadAt", "encode", "parse_header"]

MAGIC = b"DAPCIDX\0"
FORMAT = 1
_HEAD = struct.Struct("<8sII32s")
HEAD_SIZE = _HEAD.size
MAX_HEADER = 16 << 20
KINDS = ("b", "j")

# Reads ``size`` bytes of the file at ``offset``.
ReadAt = Callable[[int, int], bytes]


class BadFile(Exception):
    """A cache file that is not one, is damaged, or is of another format."""


class PartInfo(NamedTuple):
    name: str
    kind: str  # "b" or "j"
    offset: int  # from the start of the data (after the header)
    length: int
    crc: int  # CRC-32 of the part's bytes
    sources: tuple[str, ...]  # the sections it was derived from
    source_crc: int  # their CRC when it was derived


def encode(key: str, parts: Iterable[tuple[str, str, bytes, tuple[str, ...], int]]
           ) -> list[bytes]:
    """The chunks of a cache file holding ``parts`` ((name, kind, data,
    sources, source crc) each) under ``key``."""
    table: list[list[object]] = []
    blobs: list[bytes] = []
    offset = 0
    for name, kind, data, sources, source_crc in parts:
        table.append([name, kind, offset, len(data), zlib.crc32(data), list(sources),
                      source_crc])
        blobs.append(data)
        offset += len(data)
    header = json.dumps({"key": key, "parts": table}, separators=(",", ":")).encode()
    head = _HEAD.pack(MAGIC, FORMAT, len(header), hashlib.sha256(header).digest())
    return [head, header, *blobs]


def parse_header(head: bytes, read_header: ReadAt, file_size: int
                 ) -> tuple[str, dict[str, PartInfo], int]:
    """(key, parts by name, where the data starts) of a cache file whose
    first HEAD_SIZE bytes are ``head``; ``read_header(offset, n)`` reads
    more of it. Raises :class:`BadFile` for anything that does not check."""
    if len(head) < HEAD_SIZE:
        raise BadFile("shorter than its header")
    magic, version, hlen, digest = _HEAD.unpack_from(head)
    if magic != MAGIC:
        raise BadFile("not an index cache file")
    if version != FORMAT:
        raise BadFile(f"format {version}, not {FORMAT}")
    if hlen > MAX_HEADER or HEAD_SIZE + hlen > file_size:
        raise BadFile("truncated header")
    header = read_header(HEAD_SIZE, hlen)
    if len(header) != hlen or hashlib.sha256(header).digest() != digest:
        raise BadFile("damaged header")
    try:
        doc = json.loads(header)
        key = doc["key"]
        if not isinstance(key, str) or not isinstance(doc["parts"], list):
            raise BadFile("malformed header")
        start = HEAD_SIZE + hlen
        parts = {}
        for row in doc["parts"]:
            info = _part(row, file_size - start)
            parts[info.name] = info
    except (ValueError, KeyError, TypeError) as exc:
        raise BadFile(f"malformed header ({exc})") from None
    return key, parts, start


def _part(row: object, room: int) -> PartInfo:
    if not isinstance(row, list) or len(row) != 7:
        raise BadFile("malformed part")
    name, kind, offset, length, crc, sources, source_crc = row
    ints = (offset, length, crc, source_crc)
    if not isinstance(name, str) or kind not in KINDS or not all(
            isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in ints) or \
            not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise BadFile("malformed part")
    if offset + length > room:
        raise BadFile(f"part {name} lies past the end of the file (truncated)")
    return PartInfo(name, kind, offset, length, crc, tuple(sources), source_crc)
