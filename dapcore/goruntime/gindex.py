"""A compact index of every live goroutine: the few fields a list of them
needs (id, status, wait reason, start function, M, lock), in columns.

Listing 100,000 or 1,000,000 goroutines (the editor's thread list) must not
build an object per goroutine: the index reads each ``runtime.g`` record's
listed fields with one unpack straight from the core's mapping, and keeps
them in arrays (about 40 bytes a goroutine). The full records
(:class:`~dapcore.goruntime.goroutines.Goroutine`) are read when a goroutine
is looked at, or all at once when every field is needed (checks, the CLI).
"""

from __future__ import annotations

import struct
from array import array
from typing import TYPE_CHECKING

from dapcore.errors import UnreadableMemory
from dapcore.forkwork import in_worker
from dapcore.goruntime.goroutines import AllGs, GoroutineReader, pointers
from dapcore.goruntime.status import DEAD_STATUSES as _DEAD
from dapcore.goruntime.status import G_SCAN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dapcore.elf.memory import AddressSpace, Mapping
    from dapcore.goruntime.goroutines import ProcessView

# The index's fields (GoroutineReader's names, all read as unsigned) and the
# GoroutineIndex column each goes to.
_INDEXED = {"goid": "goid", "status": "status", "wait_reason_code": "reason",
            "start_pc": "start_pc", "m": "m", "locked_m": "locked"}


class GoroutineIndex:
    """Columns of the goroutine records of ``allgs``, in its order, dead
    ones included (:attr:`live` lists the others' positions)."""

    def __init__(self) -> None:
        self.addr = array("Q")
        self.goid = array("Q")
        self.status = array("H")  # without the _Gscan bit
        self.reason = array("B")  # wait reason code (0: none or unknown)
        self.start_pc = array("Q")
        self.m = array("Q")
        self.locked = array("Q")  # g.lockedm (0: not locked to a thread)
        self.live = array("I")  # positions of the live goroutines
        self.text_reasons = False  # before Go 1.11: no reason codes (see reasons)
        self.unreadable = 0
        self.why = ""  # why the first unreadable record could not be read

    def __len__(self) -> int:
        """The number of live goroutines."""
        return len(self.live)

    def first_live(self) -> int | None:
        """The goroutine id of the first live goroutine in ``allgs`` order."""
        return self.goid[self.live[0]] if self.live else None

    def position(self, goid: int) -> int | None:
        """The position of the first live goroutine with id ``goid``."""
        goids, status = self.goid, self.status
        start = 0
        while True:
            try:
                i = goids.index(goid, start)
            except ValueError:
                return None
            if status[i] not in _DEAD:
                return i
            start = i + 1

    def position_of_addr(self, addr: int) -> int | None:
        """The position of the live goroutine whose ``g`` is at ``addr``."""
        try:
            i = self.addr.index(addr)
        except ValueError:
            return None
        return None if self.status[i] in _DEAD else i

    def by_goid(self, first: int | None = None) -> list[int]:
        """Live positions in goroutine id order (``first`` ahead of the others)."""
        order = sorted(self.live, key=self.goid.__getitem__)
        if first is not None:
            order.remove(first)
            order.insert(0, first)
        return order


_CHUNK = 1 << 14  # records per batch
# From this many goroutines, a forked worker reads the second half of the
# records on the other CPU (:mod:`dapcore.forkwork`): 0.9 s of reading at
# 1,000,000 goroutines, 0.1 s at 100,000; below, making it costs what it saves.
SPLIT_AT = 50_000
_WORKER_TIMEOUT = 120.0
_COLUMNS = ("addr", "goid", "status", "reason", "start_pc", "m", "locked")


def build_index(proc: ProcessView, allgs: AllGs) -> GoroutineIndex:
    """The index of ``allgs``' goroutines. A record the core lacks is
    counted (:attr:`GoroutineIndex.unreadable`), as the full read counts it.

    A batch of records that one core mapping holds (nearly always: the
    runtime allocates them from its heap) is copied out as one blob of the
    bytes that hold the listed fields, and each field is taken from it as a
    strided view; the others are unpacked one at a time. From
    :data:`SPLIT_AT` goroutines on, a forked worker reads the second half."""
    plan = _Plan(GoroutineReader(proc))
    raw, length = pointers(proc, allgs)
    ptrs = array("Q", raw)
    mid = length // 2 if length >= SPLIT_AT else length
    later = None
    if mid < length:
        later = in_worker(lambda: _encode(plan.read(proc, ptrs[mid:])), _WORKER_TIMEOUT)
    out = plan.read(proc, ptrs[:mid])
    if later is not None:
        data = later()
        rest = _decode(data) if data else None
        if rest is None:  # (no worker, or it failed: read here)
            rest = plan.read(proc, ptrs[mid:])
        for name in _COLUMNS:
            getattr(out, name).extend(getattr(rest, name))
        out.unreadable += rest.unreadable
        out.why = out.why or rest.why
    status = out.status
    if status and max(status) & G_SCAN:  # a record in a GC scan (rare): the bit cleared
        out.status = array("H", [s & ~G_SCAN for s in status])
    st = out.status
    out.live = array("I", [i for i in range(len(st)) if st[i] not in _DEAD])
    return out


class _Plan:
    """How the index's fields are read from a batch of records."""

    def __init__(self, reader: GoroutineReader) -> None:
        self.text_reasons = reader.text_reasons
        fields = [(name, off, code) for name, off, code in reader.fields if name in _INDEXED]
        found = {f for f, _, _ in fields}
        self.missing = [column for n, column in _INDEXED.items() if n not in found]
        self.first = first = min(off for _, off, _ in fields) & ~7
        span = (max(off + struct.calcsize(code) for _, off, code in fields) - first + 7) & ~7
        self.span = span
        self.views = [(_INDEXED[name], (off - first) // struct.calcsize(code),
                       span // struct.calcsize(code), code[1]) for name, off, code in fields]
        self.one = _Record([(_INDEXED[name], off, code) for name, off, code in fields], first)

    def read(self, proc: ProcessView, ptrs: array) -> GoroutineIndex:  # type: ignore[type-arg]
        """The columns of the records ``ptrs`` point to, in their order."""
        out = GoroutineIndex()
        out.text_reasons = self.text_reasons
        mem, first, span = proc.memory, self.first, self.span
        for at in range(0, len(ptrs), _CHUNK):
            for chunk, seg in _runs(mem, ptrs[at:at + _CHUNK], first, span):
                if seg is not None:
                    base = seg.offset - seg.start + first
                    src = seg.source
                    blob = memoryview(b"".join([src[p + base:p + base + span] for p in chunk]))
                    for column, index, stride, code in self.views:
                        getattr(out, column).extend(blob.cast(code)[index::stride])
                    out.addr.extend(chunk)
                    n = len(chunk)
                else:
                    n = self.one.read_each(mem, chunk, out)
                for column in self.missing:
                    col = getattr(out, column)
                    col.extend(bytes(n) if col.itemsize == 1 else [0] * n)
            mem.release_pages()
        return out


def _encode(idx: GoroutineIndex) -> bytes:
    """The worker's columns as bytes (see :func:`_decode`)."""
    cols = [getattr(idx, name) for name in _COLUMNS]
    why = idx.why.encode("utf-8", "replace")
    head = struct.pack(f"<{len(cols) + 2}Q", *(len(c) for c in cols), idx.unreadable, len(why))
    return b"".join([head, *(c.tobytes() for c in cols), why])


def _decode(data: bytes) -> GoroutineIndex | None:
    """The columns :func:`_encode` made; None when ``data`` is not whole."""
    out = GoroutineIndex()
    n = len(_COLUMNS) + 2
    try:
        *lengths, unreadable, why_len = struct.unpack_from(f"<{n}Q", data)
        pos = 8 * n
        for name, count in zip(_COLUMNS, lengths, strict=True):
            col = getattr(out, name)
            size = count * col.itemsize
            if pos + size > len(data):
                return None
            col.frombytes(data[pos:pos + size])
            pos += size
        if pos + why_len != len(data):
            return None
        out.why = data[pos:].decode("utf-8", "replace")
    except struct.error:
        return None
    out.unreadable = unreadable
    return out


_SMALL_RUN = 32  # records below which a run spanning mappings is read one at a time


def _runs(mem: AddressSpace, chunk: array, first: int, span: int  # type: ignore[type-arg]
          ) -> Iterator[tuple[array, Mapping | None]]:  # type: ignore[type-arg]
    """``chunk`` cut, in order, into runs of records one core mapping holds
    whole (with it), and small runs that are not (with None). Records come
    from several heap arenas, each its own mapping in the core: a batch
    across two is halved until each half lies in one."""
    todo = [chunk]
    while todo:
        run = todo.pop()
        lo, hi = min(run), max(run)
        seg = mem.core_mapping(lo)
        if seg is not None and hi + first + span <= seg.end and lo + first >= seg.start:
            yield run, seg
        elif len(run) <= _SMALL_RUN:
            yield run, None
        else:
            mid = len(run) // 2
            todo.append(run[mid:])
            todo.append(run[:mid])


class _Record:
    """The listed fields of one record at a time (records the core holds in
    pieces, or not at all)."""

    def __init__(self, fields: list[tuple[str, int, str]], first: int) -> None:
        by_off = sorted(fields, key=lambda f: f[1])
        fmt, pos = "<", first
        for _, off, code in by_off:
            fmt += f"{off - pos}x{code[1]}" if off > pos else code[1]
            pos = off + struct.calcsize(code)
        self.struct = struct.Struct(fmt)
        self.first = first
        self.columns = [column for column, _, _ in by_off]  # GoroutineIndex column names

    def read_each(self, mem: AddressSpace, chunk: array, out: GoroutineIndex) -> int:  # type: ignore[type-arg]
        """Append the records of ``chunk`` to ``out`` (the unreadable ones
        counted there); how many were appended."""
        n = 0
        for ptr in chunk:
            try:
                vals = self.struct.unpack(mem.read(ptr + self.first, self.struct.size))
            except UnreadableMemory as exc:
                out.unreadable += 1
                out.why = out.why or exc.note or str(exc)
                continue
            for column, value in zip(self.columns, vals, strict=True):
                getattr(out, column).append(value)
            out.addr.append(ptr)
            n += 1
        return n
