"""Where each entry of a map lives, in the order maps are listed: an index
built once per map, in one pass over raw memory, so that a page of entries
at any offset reads only its own buckets or groups (issue #16).

The listing order is the storage order :mod:`dapcore.govalues.maps`
defines: for the classic ``hmap`` (Go ≤1.23) the buckets in order, each
followed by its overflow chain, then — while the map grows — the old
buckets not yet evacuated; for Swiss tables (Go ≥1.24) the directory's
tables in order (each once), their groups in order. In every bucket or
group, the full slots in slot order.

An index is two compact arrays: the addresses of the buckets or groups
walked (``array('Q')``) and, per entry, its bucket's or group's number and
slot (``array('I')``, ``number << 3 | slot``): 5–8 bytes per entry (a
100,000-entry map: 0.5–0.9 MB). It is built as far as a page needs (a page
at the start reads only the start of the map), from the bucket or group
arrays read :data:`_CHUNK` bytes at a time: the control words (Swiss) or
tophash bytes (classic) of a whole chunk are picked out by a strided
memoryview and mapped to full/empty by one ``bytes.translate``, so Python
loops only over overflow buckets. A walk that meets unreadable memory keeps
the entries before it and the error."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from itertools import compress
from typing import NamedTuple

from dapcore.elf.memory import AddressSpace as Memory
from dapcore.errors import UnreadableMemory
from dapcore.govalues.types import GoType

__all__ = ["MapIndex", "MapLayout", "map_layout"]

SLOTS = 8  # abi.MapBucketCount / abi.SwissMapGroupSlots
_MIN_TOPHASH = 5  # tophash: 0,1 empty; 2..4 evacuated (runtime/map.go)
_SAME_SIZE_GROW = 8  # hmap.flags
_CTRL_EMPTY = 0x80  # ctrl bytes with this bit: empty or deleted
_CHUNK = 1 << 18  # bytes of buckets or groups read at once
_MAX_CHAIN = 1 << 20  # overflow buckets followed in one chain at most


def _field(t: GoType, name: str) -> tuple[int, GoType]:
    f = t.field(name)
    if f is None:
        raise KeyError(f"{t.name} has no field {name}")
    return f.offset, f.type


def _elem(t: GoType) -> GoType:
    if t.elem is None:
        raise KeyError(f"{t.name} has no element type")
    return t.elem


class MapLayout(NamedTuple):
    """Where a map type's entries are, from the DWARF the linker writes
    for it: the bucket (classic) or group (Swiss) size, the offsets of slot
    0's key and value in it and the strides, the slots' types."""

    swiss: bool
    block_size: int
    key_off: int
    key_stride: int
    val_off: int
    val_stride: int
    key_type: GoType  # as stored (a pointer for keys stored indirectly)
    val_type: GoType
    ctrl_off: int  # Swiss: the control word's offset in a group
    overflow_off: int  # classic: the overflow pointer's offset in a bucket
    table_type: GoType | None  # Swiss: the table struct


def map_layout(rep: GoType, swiss: bool) -> MapLayout:
    """The layout of the map whose header type is ``rep``."""
    if not swiss:
        bt = _elem(_field(rep, "buckets")[1])
        ko, kt = _field(bt, "keys")
        vo, vt = _field(bt, "values")
        oo, _ = _field(bt, "overflow")
        ke, ve = _elem(kt), _elem(vt)
        return MapLayout(False, bt.size, ko, ke.size, vo, ve.size, ke, ve, 0, oo, None)
    table_t = _elem(_elem(_field(rep, "dirPtr")[1]))
    _, gref = _field(table_t, "groups")
    group_t = _elem(_field(gref, "data")[1])
    so, st = _field(group_t, "slots")
    co, _ = _field(group_t, "ctrl")
    slot_t = _elem(st)
    ko, kt = _field(slot_t, "key")
    eo, et = _field(slot_t, "elem")
    return MapLayout(True, group_t.size, so + ko, slot_t.size, so + eo, slot_t.size, kt, et,
                     co, 0, table_t)


class MapIndex:
    """The entries of one map (header at ``header``), indexed as far as
    asked (:meth:`ensure`)."""

    __slots__ = ("_walk", "blocks", "done", "entries", "error", "layout")

    def __init__(self, mem: Memory, header: int, rep: GoType, layout: MapLayout) -> None:
        self.layout = layout
        self.blocks = array("Q")
        self.entries = array("I")
        self.error: UnreadableMemory | None = None
        self.done = False
        hdr = mem.read(header, rep.size)
        self._walk = (_walk_swiss(mem, hdr, rep, layout) if layout.swiss
                      else _walk_classic(mem, hdr, rep, layout))

    def ensure(self, n: int) -> int:
        """Index at least ``n`` entries (fewer when the map has fewer, or
        unreadable memory ends the walk); how many are indexed."""
        entries, blocks = self.entries, self.blocks
        while len(entries) < n and not self.done:
            try:
                addrs, full = next(self._walk)
            except StopIteration:
                self.done = True
                break
            except UnreadableMemory as exc:
                self.error, self.done = exc, True
                break
            base = len(blocks) << 3
            blocks.extend(addrs)
            entries.extend(compress(range(base, base + len(full)), full))
        return len(entries)

    def locations(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """(bucket or group address, slot) of entries ``start`` … ``end``
        (indexed ones only)."""
        blocks = self.blocks
        for e in self.entries[start:end]:
            yield blocks[e >> 3], e & 7


# A run of buckets or groups: their addresses, and one byte per slot (slot i
# of block j at 8*j + i), 1 when the slot holds an entry.
Run = tuple[Sequence[int], bytes]

# tophash bytes (classic) and control bytes (Swiss) to 1 for a full slot, 0
# for the others; the first tophash byte of an evacuated old bucket to 1
_FULL_TOPHASH = bytes(int(c >= _MIN_TOPHASH) for c in range(256))
_FULL_CTRL = bytes(int(not c & _CTRL_EMPTY) for c in range(256))
_EVACUATED = bytes(int(1 < c < _MIN_TOPHASH) for c in range(256))


def _column(raw: bytes, off: int, size: int, n: int) -> bytes:
    """The 8 bytes at ``off`` of each of ``n`` blocks of ``size`` bytes in
    ``raw``, one after the other (``size`` and ``off`` multiples of 8)."""
    return memoryview(raw).cast("Q")[off >> 3::size >> 3][:n].tobytes()


def _words(raw: bytes, off: int, size: int, n: int) -> list[int]:
    return memoryview(raw).cast("Q")[off >> 3::size >> 3][:n].tolist()


def _chunks(mem: Memory, base: int, count: int, size: int) -> Iterator[tuple[int, bytes, int]]:
    """(address, bytes, count) of runs of the ``count`` blocks of ``size``
    bytes from ``base``, read :data:`_CHUNK` bytes at a time (block by
    block where a chunk is unreadable, so the walk stops at the first
    unreadable block)."""
    per = max(_CHUNK // max(size, 1), 1)
    for first in range(0, count, per):
        n = min(per, count - first)
        addr = base + first * size
        try:
            raw = mem.read(addr, n * size)
        except UnreadableMemory:
            for j in range(n):
                yield addr + j * size, mem.read(addr + j * size, size), 1
            continue
        yield addr, raw, n


def _walk_classic(mem: Memory, hdr: bytes, rep: GoType, lay: MapLayout) -> Iterator[Run]:
    flags = hdr[_field(rep, "flags")[0]]
    b = hdr[_field(rep, "B")[0]]
    buckets = int.from_bytes(hdr[_field(rep, "buckets")[0]:][:8], "little")
    old = int.from_bytes(hdr[_field(rep, "oldbuckets")[0]:][:8], "little")
    size, ovf = lay.block_size, lay.overflow_off
    if size % 8 or ovf % 8:
        raise UnreadableMemory(buckets, size, f"a map bucket of {size} bytes is not aligned")

    def overflow(addr: int, old: bool) -> Iterator[tuple[int, bytes]]:
        """(address, one byte per slot) of the overflow buckets chained from ``addr``."""
        for _ in range(_MAX_CHAIN):
            if not addr:
                return
            raw = mem.read(addr, size)
            if old and 1 < raw[0] < _MIN_TOPHASH:
                return  # evacuated: its entries are in the new buckets
            yield addr, raw[:SLOTS].translate(_FULL_TOPHASH)
            addr = int.from_bytes(raw[ovf:ovf + 8], "little")

    def array_of(base: int, count: int, old: bool) -> Iterator[Run]:
        """The buckets of one array, each followed by its overflow chain: one
        run per chunk read (a chain that meets unreadable memory ends the
        run before it, and the error follows)."""
        for addr, raw, n in _chunks(mem, base, count, size):
            full = _column(raw, 0, size, n).translate(_FULL_TOPHASH)
            nexts = _words(raw, ovf, size, n)
            if old:  # an evacuated bucket: neither it nor its chain is listed
                evac = raw[0::size][:n].translate(_EVACUATED)
                if any(evac):
                    cleared = bytearray(full)
                    for j in compress(range(n), evac):
                        cleared[8 * j:8 * j + 8] = bytes(8)
                        nexts[j] = 0
                    full = bytes(cleared)
            if not any(nexts):
                yield range(addr, addr + n * size, size), full
                continue
            addrs: list[int] = []
            parts: list[bytes] = []
            j = 0
            try:
                for k in compress(range(n), nexts):  # the run up to a chain, then the chain
                    addrs.extend(range(addr + j * size, addr + (k + 1) * size, size))
                    parts.append(full[8 * j:8 * k + 8])
                    j = k + 1
                    for at, full_slots in overflow(nexts[k], old):
                        addrs.append(at)
                        parts.append(full_slots)
            except UnreadableMemory:
                yield addrs, b"".join(parts)
                raise
            if j < n:
                addrs.extend(range(addr + j * size, addr + n * size, size))
                parts.append(full[8 * j:])
            yield addrs, b"".join(parts)

    if buckets:
        yield from array_of(buckets, 1 << b, False)
    if old:
        yield from array_of(old, 1 << b if flags & _SAME_SIZE_GROW else 1 << max(b - 1, 0), True)


def _walk_swiss(mem: Memory, hdr: bytes, rep: GoType, lay: MapLayout) -> Iterator[Run]:
    dir_ptr = int.from_bytes(hdr[_field(rep, "dirPtr")[0]:][:8], "little")
    dir_len = int.from_bytes(hdr[_field(rep, "dirLen")[0]:][:8], "little", signed=True)
    size, ctrl_off = lay.block_size, lay.ctrl_off
    if size % 8 or ctrl_off % 8:
        raise UnreadableMemory(dir_ptr, size, f"a map group of {size} bytes is not aligned")

    def groups(base: int, count: int) -> Iterator[Run]:
        for addr, raw, n in _chunks(mem, base, count, size):
            full = _column(raw, ctrl_off, size, n).translate(_FULL_CTRL)
            yield range(addr, addr + n * size, size), full

    if not dir_ptr:
        return
    if dir_len == 0:  # a small map: one group, no directory
        yield from groups(dir_ptr, 1)
        return
    assert lay.table_type is not None
    go, gref = _field(lay.table_type, "groups")
    data_off = go + _field(gref, "data")[0]
    mask_off = go + _field(gref, "lengthMask")[0]
    seen: set[int] = set()
    dir_raw = mem.read(dir_ptr, 8 * dir_len)
    for j in range(dir_len):
        tp = int.from_bytes(dir_raw[8 * j:8 * j + 8], "little")
        if not tp or tp in seen:
            continue
        seen.add(tp)
        traw = mem.read(tp, lay.table_type.size)
        data = int.from_bytes(traw[data_off:data_off + 8], "little")
        mask = int.from_bytes(traw[mask_off:mask_off + 8], "little")
        yield from groups(data, mask + 1)
