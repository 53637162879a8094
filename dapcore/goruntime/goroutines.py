"""Goroutines as the runtime kept them: ``runtime.allgs`` read from the core."""

from __future__ import annotations

import operator
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import NamedTuple, Protocol

from dapcore.elf.core import Thread
from dapcore.elf.memory import AddressSpace
from dapcore.errors import UnreadableMemory
from dapcore.gobin.buildinfo import BuildInfo
from dapcore.goruntime.labels import read_labels
from dapcore.goruntime.layout import Layout
from dapcore.goruntime.status import G_LEAKED, G_SCAN, G_WAITING, is_dead, status_name


class ProcessView(Protocol):
    """What reading goroutines needs of the process
    (:class:`dapcore.goruntime.process.Process` is one)."""

    memory: AddressSpace
    warnings: list[str]

    @property
    def buildinfo(self) -> BuildInfo: ...

    @property
    def layout(self) -> Layout: ...

    def global_addr(self, name: str, required: bool = True) -> int | None: ...


# Fields of runtime.g read for every goroutine: (name in Goroutine, path in
# the g struct, size). Missing paths (older releases) read as 0.
_G_FIELDS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("goid", ("goid",), 8),
    ("status", ("atomicstatus.value", "atomicstatus"), 4),
    ("wait_reason_code", ("waitreason",), 1),
    ("wait_since", ("waitsince",), 8),
    ("m", ("m",), 8),
    ("sched_sp", ("sched.sp",), 8),
    ("sched_pc", ("sched.pc",), 8),
    ("sched_bp", ("sched.bp",), 8),
    ("sched_lr", ("sched.lr",), 8),
    ("sched_ctxt", ("sched.ctxt",), 8),
    ("syscall_sp", ("syscallsp",), 8),
    ("syscall_pc", ("syscallpc",), 8),
    ("stack_lo", ("stack.lo",), 8),
    ("stack_hi", ("stack.hi",), 8),
    ("go_pc", ("gopc",), 8),
    ("start_pc", ("startpc",), 8),
    ("parent_id", ("parentGoid",), 8),
    ("labels_ptr", ("labels",), 8),
    ("locked_m", ("lockedm",), 8),
    ("panic_ptr", ("_panic",), 8),
    ("defer_ptr", ("_defer",), 8),
    ("sig", ("sig",), 4),
    ("sigcode0", ("sigcode0",), 8),
    ("sigcode1", ("sigcode1",), 8),
    ("sigpc", ("sigpc",), 8),
)

_UNPACK = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}


@dataclass(slots=True)
class M:
    """An OS thread as the runtime knew it (``runtime.m``)."""

    addr: int
    id: int
    procid: int  # LWP id
    g0: int
    gsignal: int
    curg: int
    throwing: int
    dying: int  # set by startpanic_m: this M began the fatal panic/throw/signal
    thread: Thread | None  # its registers in the core, when the core has them


@dataclass(slots=True)
class Goroutine:
    """One goroutine of the dead process (raw runtime state; the stack is
    unwound on demand by :mod:`dapcore.goruntime.unwind`)."""

    addr: int  # the *g
    goid: int = 0
    status: int = 0  # atomicstatus without the _Gscan bit
    scan: bool = False
    wait_reason_code: int = 0
    wait_reason: str | None = None
    wait_since: int = 0
    m: int = 0  # *m it runs on (0: none)
    thread: int | None = None  # LWP id of that m's thread
    sched_sp: int = 0
    sched_pc: int = 0
    sched_bp: int = 0
    sched_lr: int = 0
    sched_ctxt: int = 0
    syscall_sp: int = 0
    syscall_pc: int = 0
    stack_lo: int = 0
    stack_hi: int = 0
    go_pc: int = 0
    start_pc: int = 0
    parent_id: int = 0
    labels_ptr: int = 0
    locked_m: int = 0
    panic_ptr: int = 0
    defer_ptr: int = 0
    sig: int = 0
    sigcode0: int = 0
    sigcode1: int = 0
    sigpc: int = 0
    labels: dict[str, str] = field(default_factory=dict)
    system: bool = False
    crashed: bool = False

    @property
    def status_text(self) -> str:
        """What the runtime prints in the header: the wait reason for waiting
        goroutines, else the status name."""
        if self.status in (G_WAITING, G_LEAKED) and self.wait_reason:
            return self.wait_reason
        return status_name(self.status)

    @property
    def locked_to_thread(self) -> bool:
        return self.locked_m != 0


# What follows an unpacked record for _positional: a missing field's 0, the
# defaults of the fields no record holds.
_FILL = (0, False, None)
_DEFAULTS = {"scan": 1, "wait_reason": 2, "thread": 2}  # index into _FILL


def _positional(names: list[str]) -> operator.itemgetter:  # type: ignore[type-arg]
    """The getter that orders an unpacked record (fields ``names``, then
    :data:`_FILL`) as :class:`Goroutine`'s positional fields after ``addr``,
    up to the last one a record holds."""
    order = [f.name for f in fields(Goroutine)][1:]
    last = max(order.index(n) for n, _, _ in _G_FIELDS)
    pos = {n: i for i, n in enumerate(names)}
    n = len(names)
    return operator.itemgetter(*(pos[f] if f in pos else n + _DEFAULTS.get(f, 0)
                                 for f in order[:last + 1]))


class GoroutineReader:
    """Decodes ``runtime.g`` records with the binary's own layout."""

    def __init__(self, proc: ProcessView) -> None:
        self.proc = proc
        g = proc.layout.struct("runtime.g")
        self.g_size = g.size
        self.fields: list[tuple[str, int, str]] = []
        # Before Go 1.11, g.waitreason was the reason's text (a string).
        self._reason_text = (g.off("waitreason") if g.has("waitreason")
                             and g.field("waitreason").type_name == "string" else None)
        for name, paths, size in _G_FIELDS:
            if name == "wait_reason_code" and self._reason_text is not None:
                continue
            for path in paths:
                if g.has(path):
                    self.fields.append((name, g.off(path), _UNPACK[size]))
                    break
        self.wait_reasons = proc.layout.wait_reasons() if self._reason_text is None else []
        # All fields in one unpack: by offset, with pad bytes between them.
        # (Overlapping fields, which no layout has, fall back to one each.)
        by_off = sorted(self.fields, key=lambda f: f[1])
        self._names = [name for name, _, _ in by_off]
        self._record: struct.Struct | None = None
        fmt, pos = "<", 0
        for _, off, code in by_off:
            if off < pos:
                break
            fmt += f"{off - pos}x{code[1]}" if off > pos else code[1]
            pos = off + struct.calcsize(code)
        else:
            self._record = struct.Struct(fmt)
        self._args = _positional(self._names)

    @property
    def text_reasons(self) -> bool:
        """Whether wait reasons are text in the record (before Go 1.11), not codes."""
        return self._reason_text is not None

    def read(self, addr: int) -> Goroutine:
        raw = self.proc.memory.read(addr, self.g_size)
        if self._record is not None:
            # one constructor call with the unpacked record in field order
            # (100,000 goroutines: a third of the time of setting each field)
            g = Goroutine(addr, *self._args(self._record.unpack_from(raw) + _FILL))
        else:
            g = Goroutine(addr)
            for name, off, fmt in self.fields:
                setattr(g, name, struct.unpack_from(fmt, raw, off)[0])
        g.scan = bool(g.status & G_SCAN)
        g.status &= ~G_SCAN
        if 0 < g.wait_reason_code < len(self.wait_reasons):
            g.wait_reason = self.wait_reasons[g.wait_reason_code]
        elif self._reason_text is not None:
            g.wait_reason = self._text_reason(raw, self._reason_text)
        return g

    def _text_reason(self, raw: bytes, off: int) -> str:
        data, length = struct.unpack_from("<QQ", raw, off)
        if not data or not 0 < length < 256:
            return ""
        try:
            return self.proc.memory.read(data, length).decode(errors="replace")
        except UnreadableMemory:
            return ""


class AllGs(NamedTuple):
    """The ``runtime.allgs`` slice header and ``runtime.allglen`` (None when
    the binary has no such variable)."""

    data: int
    length: int
    cap: int
    allglen: int | None


def read_allgs(proc: ProcessView) -> AllGs:
    """``runtime.allgs`` and ``runtime.allglen`` as the core holds them."""
    allgs = proc.global_addr("runtime.allgs")
    mem = proc.memory
    data = mem.ptr(allgs)
    length = mem.ptr(allgs + 8)
    cap = mem.ptr(allgs + 16)
    allglen_addr = proc.global_addr("runtime.allglen", required=False)
    allglen = mem.ptr(allglen_addr) if allglen_addr is not None else None
    return AllGs(data, length, cap, allglen)


@dataclass(slots=True)
class GoroutineRecords:
    """What :func:`read_goroutines` does not yield of the ``runtime.g``
    records ``allgs`` points at: the dead ones (exited, kept for reuse), and
    how many could not be read."""

    dead: list[Goroutine]
    unreadable: int
    why: str = ""  # why the first unreadable one could not be read


def pointers(proc: ProcessView, allgs: AllGs) -> tuple[bytes, int]:
    """The raw ``*g`` pointers of ``allgs`` (its first ``allglen`` entries), and their number."""
    length = allgs.length
    if allgs.allglen is not None:
        length = min(length, allgs.allglen) or length
    return proc.memory.read(allgs.data, length * 8), length


def in_allgs(proc: ProcessView, allgs: AllGs, addr: int) -> bool:
    """Whether ``addr`` is one of the ``*g`` of ``allgs`` (without reading any record)."""
    raw, _ = pointers(proc, allgs)
    needle = struct.pack("<Q", addr)
    i = raw.find(needle)
    while i >= 0:
        if i % 8 == 0:
            return True
        i = raw.find(needle, i + 1)
    return False


def read_goroutines(proc: ProcessView, allgs: AllGs, records: GoroutineRecords
                    ) -> Iterator[Goroutine]:
    """The live records of ``allgs`` (its first ``allglen`` entries), one at
    a time; the dead ones and the count of unreadable ones go to ``records``."""
    raw, length = pointers(proc, allgs)
    reader = GoroutineReader(proc)
    for n, ptr in enumerate(struct.unpack(f"<{length}Q", raw)):
        if not n & 0xFFFF:
            proc.memory.release_pages()  # (records are copied out)
        try:
            g = reader.read(ptr)
        except UnreadableMemory as exc:
            records.unreadable += 1
            records.why = records.why or exc.note or str(exc)
            continue
        if is_dead(g.status):
            records.dead.append(g)
        else:
            yield g


def attach_labels(proc: ProcessView, g: Goroutine) -> None:
    if not g.labels_ptr:  # most goroutines: no labels, nothing to read
        g.labels = {}
        return
    g.labels = read_labels(proc.memory, g.labels_ptr, proc.buildinfo.release)
