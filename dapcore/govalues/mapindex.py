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
that hold entries (``array('Q')``) and, per entry, its bucket's number and
slot (``array('I')``, ``number << 3 | slot``): about 5 bytes per entry. It is
built as far as a page needs (a page at the start reads only the start of
the map); the memory it covers is read in blocks of up to
:data:`_CHUNK` bytes. A walk that meets unreadable memory keeps the entries
before it and the error."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class MapLayout:
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

    def key_at(self, slot: int) -> int:
        return self.key_off + slot * self.key_stride

    def val_at(self, slot: int) -> int:
        return self.val_off + slot * self.val_stride


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
                addr, slots = next(self._walk)
            except StopIteration:
                self.done = True
                break
            except UnreadableMemory as exc:
                self.error, self.done = exc, True
                break
            base = len(blocks) << 3
            blocks.append(addr)
            entries.extend(base | s for s in slots)
        return len(entries)

    def locations(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """(bucket or group address, slot) of entries ``start`` … ``end``
        (indexed ones only)."""
        blocks = self.blocks
        for e in self.entries[start:end]:
            yield blocks[e >> 3], e & 7


def _chunks(mem: Memory, base: int, count: int, size: int) -> Iterator[tuple[int, bytes]]:
    """(address, bytes) of ``count`` blocks of ``size`` bytes from ``base``,
    read :data:`_CHUNK` bytes at a time (block by block where a chunk is
    unreadable, so the walk stops at the first unreadable block)."""
    per = max(_CHUNK // max(size, 1), 1)
    for first in range(0, count, per):
        n = min(per, count - first)
        addr = base + first * size
        try:
            raw = mem.read(addr, n * size)
        except UnreadableMemory:
            for j in range(n):
                yield addr + j * size, mem.read(addr + j * size, size)
            continue
        for j in range(n):
            yield addr + j * size, raw[j * size:(j + 1) * size]


def _full_tophash(raw: bytes | memoryview) -> list[int]:
    return [i for i in range(SLOTS) if raw[i] >= _MIN_TOPHASH]


def _walk_classic(mem: Memory, hdr: bytes, rep: GoType, lay: MapLayout
                  ) -> Iterator[tuple[int, list[int]]]:
    flags = hdr[_field(rep, "flags")[0]]
    b = hdr[_field(rep, "B")[0]]
    buckets = int.from_bytes(hdr[_field(rep, "buckets")[0]:][:8], "little")
    old = int.from_bytes(hdr[_field(rep, "oldbuckets")[0]:][:8], "little")
    size, ovf = lay.block_size, lay.overflow_off

    def chain(addr: int, raw: bytes, skip_evacuated: bool) -> Iterator[tuple[int, list[int]]]:
        seen = 0
        while True:
            seen += 1
            if skip_evacuated and 1 < raw[0] < _MIN_TOPHASH:
                return  # evacuated: its entries are in the new buckets
            full = _full_tophash(raw)
            if full:
                yield addr, full
            addr = int.from_bytes(raw[ovf:ovf + 8], "little")
            if not addr or seen >= _MAX_CHAIN:
                return
            raw = mem.read(addr, size)

    if buckets:
        for addr, raw in _chunks(mem, buckets, 1 << b, size):
            yield from chain(addr, raw, False)
    if old:
        n_old = 1 << b if flags & _SAME_SIZE_GROW else 1 << max(b - 1, 0)
        for addr, raw in _chunks(mem, old, n_old, size):
            yield from chain(addr, raw, True)


def _walk_swiss(mem: Memory, hdr: bytes, rep: GoType, lay: MapLayout
                ) -> Iterator[tuple[int, list[int]]]:
    dir_ptr = int.from_bytes(hdr[_field(rep, "dirPtr")[0]:][:8], "little")
    dir_len = int.from_bytes(hdr[_field(rep, "dirLen")[0]:][:8], "little", signed=True)
    size, ctrl_off = lay.block_size, lay.ctrl_off

    def groups(base: int, count: int) -> Iterator[tuple[int, list[int]]]:
        for addr, raw in _chunks(mem, base, count, size):
            ctrl = raw[ctrl_off:ctrl_off + SLOTS]
            full = [i for i in range(SLOTS) if not ctrl[i] & _CTRL_EMPTY]
            if full:
                yield addr, full

    if not dir_ptr:
        return
    if dir_len == 0:  # a small map: one group, no directory
        yield from groups(dir_ptr, 1)
        return
    assert lay.table_type is not None
    _, gref = _field(lay.table_type, "groups")
    go = _field(lay.table_type, "groups")[0]
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
