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
from typing import TYPE_CHECKING, Any

from dapcore.errors import UnreadableMemory
from dapcore.goruntime.goroutines import AllGs, GoroutineReader, pointers
from dapcore.goruntime.status import G_DEAD, G_DEADEXTRA, G_SCAN

if TYPE_CHECKING:
    from dapcore.goruntime.goroutines import ProcessView

# The index's fields, in its record's order (all read as unsigned).
_FIELDS = ("goid", "status", "wait_reason_code", "start_pc", "m", "locked_m")


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


_DEAD = frozenset({G_DEAD, G_DEADEXTRA})


def build_index(proc: ProcessView, allgs: AllGs) -> GoroutineIndex:
    """The index of ``allgs``' goroutines. A record the core lacks is
    counted (:attr:`GoroutineIndex.unreadable`), as the full read counts it."""
    reader = GoroutineReader(proc)
    offsets = {name: (off, code) for name, off, code in reader.fields}
    present = [n for n in _FIELDS if n in offsets]
    by_off = sorted(present, key=lambda n: offsets[n][0])
    fmt, pos = "<", 0
    for name in by_off:
        off, code = offsets[name]
        fmt += f"{off - pos}x{code[1]}" if off > pos else code[1]
        pos = off + struct.calcsize(code)
    record = struct.Struct(fmt)
    out = GoroutineIndex()
    out.text_reasons = reader.text_reasons
    columns = {"goid": out.goid, "status": out.status, "wait_reason_code": out.reason,
               "start_pc": out.start_pc, "m": out.m, "locked_m": out.locked}
    targets = [(by_off.index(n) if n in by_off else None, columns[n]) for n in _FIELDS]
    raw, length = pointers(proc, allgs)
    mem = proc.memory
    size = record.size
    src: Any = b""
    lo = hi = base = 0  # the core mapping last used: [lo, hi - size], at src[ptr + base]
    rows: list[tuple[int, ...]] = []
    addrs = out.addr
    unpack = record.unpack_from
    for ptr in struct.unpack(f"<{length}Q", raw):
        if lo <= ptr <= hi:
            vals = unpack(src, ptr + base)
        else:
            seg = mem.core_mapping(ptr)
            if seg is not None and ptr + size <= seg.end:
                src, lo, hi, base = seg.source, seg.start, seg.end - size, seg.offset - seg.start
                vals = unpack(src, ptr + base)
            else:
                lo, hi = 1, 0
                try:
                    vals = unpack(mem.read(ptr, size))
                except UnreadableMemory as exc:
                    out.unreadable += 1
                    out.why = out.why or exc.note or str(exc)
                    continue
        rows.append(vals)
        addrs.append(ptr)
        if len(rows) >= 4096:
            _store(rows, targets)
            if not len(addrs) & 0xFFFF:
                mem.release_pages()
    _store(rows, targets)
    mem.release_pages()
    status = out.status
    if status and max(status) & G_SCAN:  # a record in a GC scan (rare): the bit cleared
        out.status = array("H", [s & ~G_SCAN for s in status])
    st = out.status
    out.live = array("I", [i for i in range(len(st)) if st[i] not in _DEAD])
    return out


def _store(rows: list[tuple[int, ...]], targets: list[tuple[int | None, array]]) -> None:  # type: ignore[type-arg]
    """Append a batch of unpacked records, column by column."""
    if not rows:
        return
    cols = list(zip(*rows, strict=True))
    for c, column in targets:
        column.extend(cols[c] if c is not None else (0,) * len(rows))
    rows.clear()
