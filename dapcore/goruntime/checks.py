"""Cross-checks of what the engine reads from a core.

A core is bytes: a flipped bit in a goroutine record, a note or a program
header gives data that still parses. What the runtime's own invariants say
must hold is compared here, and whatever does not add up is said in
``proc.warnings`` (the CLI prints them, the DAP server shows them in the
session's output) instead of being presented as the process's state.

Every check is a comparison of values already read (per goroutine: fields of
its ``runtime.g`` record, and one pclntab lookup memoised per start PC), so
that a core with 100,000 goroutines pays a few milliseconds.
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from itertools import pairwise
from typing import Protocol

from dapcore.arch import Arch
from dapcore.elf.core import NT_FILE, PT_LOAD, PT_NOTE, CoreFile
from dapcore.errors import UnreadableMemory
from dapcore.gobin.pclntab import PCLnTab
from dapcore.goruntime.goroutines import Goroutine, M, ProcessView
from dapcore.goruntime.status import (
    G_COPYSTACK,
    G_LEAKED,
    G_PREEMPTED,
    G_RUNNABLE,
    G_RUNNING,
    G_SYSCALL,
    G_WAITING,
)


class CheckedProcess(ProcessView, Protocol):
    """What the checks need of the process
    (:class:`dapcore.goruntime.process.Process` is one)."""

    core: CoreFile
    bias: int
    arch: Arch

    @property
    def pclntab(self) -> PCLnTab: ...


# Goroutines named per kind of problem before "and N more".
_LISTED = 4
# The smallest goroutine stack (runtime._FixedStack on linux).
_MIN_STACK = 2048
# Statuses a goroutine on allgs can have (dead ones are already left out).
# Not G_IDLE: newproc1 makes a g _Gdead before allgadd, which throws on _Gidle.
_STATUSES = {G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING, G_COPYSTACK, G_PREEMPTED}
# Note owners the kernel and gdb write.
_NOTE_NAMES = (b"CORE\0", b"LINUX\0", b"GNU\0", b"GDB\0")


class Findings:
    """Problems grouped by kind: one warning per kind, naming a few goroutines."""

    def __init__(self) -> None:
        self._by_kind: dict[str, list[str]] = {}

    def add(self, kind: str, detail: str) -> None:
        self._by_kind.setdefault(kind, []).append(detail)

    def warnings(self) -> list[str]:
        out = []
        for kind, details in self._by_kind.items():
            shown = "; ".join(details[:_LISTED])
            more = f"; and {len(details) - _LISTED} more" if len(details) > _LISTED else ""
            out.append(f"{kind} ({shown}{more}): the core is damaged there, and what dapcore "
                       "shows of it may be wrong")
        return out


class StackFindings:
    """Goroutines whose stack does not add up (by default: does not unwind to
    ``runtime.goexit``): one warning, rewritten in place as stacks are
    unwound (lazily, by whoever asks for them)."""

    def __init__(self, title: str = "goroutine stacks that do not unwind to runtime.goexit",
                 meaning: str = "their records or stacks in the core are damaged, and those "
                 "frames may be wrong") -> None:
        self._title = title
        self._meaning = meaning
        self._seen: set[str] = set()
        self._details: list[str] = []
        self._at: int | None = None

    def note(self, warnings: list[str], detail: str) -> None:
        if detail in self._seen:
            return
        self._seen.add(detail)
        self._details.append(detail)
        shown = "; ".join(self._details[:_LISTED])
        more = (f"; and {len(self._details) - _LISTED} more" if len(self._details) > _LISTED
                else "")
        text = f"{self._title} ({shown}{more}): {self._meaning}"
        if self._at is None or self._at >= len(warnings):
            self._at = len(warnings)
            warnings.append(text)
        else:
            warnings[self._at] = text


# -- the core file ---------------------------------------------------------------


def check_core(core: CoreFile) -> list[str]:
    """The program headers and notes against the kernel's way of writing
    them: segments in address order, their bytes one after another in the
    file, every mapped file's range made of whole segments, note owners
    named, the signal of the first thread the one NT_SIGINFO names."""
    out: list[str] = []
    data = core.data
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phnum = (len(data) - phoff) // 56 if phoff < len(data) else 0
    phnum = min(phnum, struct.unpack_from("<H", data, 56)[0]) if phnum else 0
    loads: list[tuple[int, int, int, int, int]] = []  # index, vaddr, memsz, offset, filesz
    notes: list[tuple[int, int]] = []
    for i in range(phnum):
        ptype, _flags, off, vaddr, _pa, filesz, memsz, _al = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * 56)
        if ptype == PT_LOAD:
            loads.append((i, vaddr, memsz, off, filesz))
        elif ptype == PT_NOTE:
            notes.append((off, filesz))
    bad: list[str] = []
    for (i, va, msz, off, fsz), (j, va2, _m2, off2, fsz2) in pairwise(loads):
        if va2 < va + msz:
            bad.append(f"segment {j} at {va2:#x} overlaps or precedes segment {i} "
                       f"({va:#x}-{va + msz:#x})")
        elif fsz and fsz2 and off2 < off + fsz:
            bad.append(f"the bytes of segment {j} (file offset {off2:#x}) overlap those of "
                       f"segment {i} ({off:#x}+{fsz:#x})")
    for i, va, msz, _off, fsz in loads:
        if fsz > msz:
            bad.append(f"segment {i} at {va:#x} holds more bytes ({fsz:#x}) than it maps "
                       f"({msz:#x})")
        if va % 4096:
            bad.append(f"segment {i} starts at {va:#x}, not on a page boundary")
    if core.files:
        # A segment is one mapping of the process: it never straddles the
        # start or end of a mapped file (gdb leaves some out, never splits).
        spans = sorted((va, va + msz) for _i, va, msz, _o, _f in loads)
        starts = [lo for lo, _hi in spans]
        for f in core.files:
            k = bisect_right(starts, f.start) - 1
            for lo, hi in spans[max(k, 0):bisect_left(starts, f.end)]:
                if lo < f.end and hi > f.start and (lo < f.start or hi > f.end):
                    bad.append(f"the mapping of {f.path} at {f.start:#x}-{f.end:#x} "
                               f"(NT_FILE) cuts the segment at {lo:#x}-{hi:#x}")
                    break
    if bad:
        out.append("the core's program headers or its NT_FILE note do not add up: "
                   + "; ".join(bad[:_LISTED]) + (f"; and {len(bad) - _LISTED} more"
                                                  if len(bad) > _LISTED else ""))
    out += _check_notes(core, notes)
    return out


def _check_notes(core: CoreFile, notes: list[tuple[int, int]]) -> list[str]:
    data = core.data
    out = []
    for off, length in notes:
        pos, end = off, min(off + length, len(data))
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            name = bytes(data[pos + 12:pos + 12 + namesz])
            if name not in _NOTE_NAMES:
                out.append(f"the core's notes are damaged at file offset {pos:#x} (a note "
                           f"owned by {name[:16]!r}): threads, registers or mapped files "
                           "after it are missing")
                break
            if ntype == NT_FILE and descsz >= 16:
                count = struct.unpack_from("<Q", data, pos + 12 + ((namesz + 3) & ~3))[0]
                if 16 + count * 24 > descsz:
                    out.append(f"the core's NT_FILE note is damaged ({count} mapped files "
                               f"do not fit in its {descsz} bytes): mapped files are unknown")
            pos += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    first = core.crashing_thread
    sig = core.siginfo
    # (gdb's cores have no signal in NT_PRSTATUS.)
    if first is not None and sig is not None and first.signal and first.signal != sig.signo:
        out.append(f"the core's first thread (LWP {first.lwp}) took signal {first.signal} but "
                   f"NT_SIGINFO says signal {sig.signo}: the notes are damaged")
    lwps = [t.lwp for t in core.threads]
    if len(set(lwps)) != len(lwps) or any(lwp <= 0 for lwp in lwps):
        out.append("the core's thread ids (NT_PRSTATUS notes) are damaged: "
                   + ", ".join(str(x) for x in lwps[:8]))
    return out


# -- the runtime's globals ---------------------------------------------------------


def check_allgs(proc: CheckedProcess, length: int, cap: int, allglen: int | None) -> None:
    if length > cap or (allglen is not None and allglen != length):
        proc.warnings.append(
            f"runtime.allgs does not add up (len {length}, cap {cap}, allglen "
            f"{allglen if allglen is not None else '?'}): the list of goroutines is damaged")


def check_dead(proc: CheckedProcess, dead: list[Goroutine]) -> None:
    """Dead records on ``allgs`` (exited goroutines kept for reuse) still
    hold an id the runtime gave out and no stack or a Go stack; one that
    does not is not a g at all: an ``allgs`` entry points elsewhere, and
    the goroutine it stood for is missing from the list."""
    if not dead:
        return
    top = goidgen(proc)
    found = Findings()
    for g in dead:
        size = g.stack_hi - g.stack_lo
        sane_stack = (g.stack_lo == 0 and g.stack_hi == 0) or (
            size >= _MIN_STACK and not size & (size - 1))
        if not sane_stack or g.goid < 0 or (top is not None and g.goid > top):
            found.add("runtime.allgs entries that point at no goroutine record (a goroutine "
                      "may be missing from the list)", f"{g.addr:#x}")
    proc.warnings.extend(found.warnings())


def goidgen(proc: CheckedProcess) -> int | None:
    """``runtime.sched.goidgen``: every goroutine id is at most this."""
    addr = proc.global_addr("runtime.sched", required=False)
    lay = proc.layout
    if addr is None or not lay.has_struct("runtime.schedt"):
        return None
    sched = lay.struct("runtime.schedt")
    if not sched.has("goidgen"):
        return None
    try:
        return proc.memory.u64(addr + sched.off("goidgen"))
    except UnreadableMemory:
        return None


# -- goroutines --------------------------------------------------------------------


def check_goroutines(proc: CheckedProcess, gs: Iterable[Goroutine], ms: dict[int, M]) -> None:
    """Each goroutine's record against the runtime's invariants (and the Ms')."""
    checker = GoroutineChecker(proc, ms)
    for g in gs:
        checker.add(g)
    checker.finish()


class GoroutineChecker:
    """:func:`check_goroutines` one record at a time (a stream of 1,000,000
    records need not be kept to be checked)."""

    def __init__(self, proc: CheckedProcess, ms: dict[int, M]) -> None:
        self.proc = proc
        self.ms = ms
        self.found = Findings()
        self.count = 0
        statuses = set(_STATUSES)
        if proc.buildinfo.release >= (1, 26):
            statuses.add(G_LEAKED)
        self.statuses = statuses
        self.top = goidgen(proc)
        self.entries: dict[int, bool] = {}
        try:
            self.reasons = len(proc.layout.wait_reasons())  # 0: unknown
        except KeyError:  # before Go 1.11 the reason was text, not an index
            self.reasons = 0
        self.seen_goids: set[int] = set()
        self.seen_addrs: set[int] = set()
        self.curgs = {m.curg for m in ms.values() if m.curg}
        self.by_addr: dict[int, Goroutine] = {}  # the goroutines Ms run

    def add(self, g: Goroutine) -> None:
        found, top, ms = self.found, self.top, self.ms
        self.count += 1
        gid = f"goroutine {g.goid}"
        if g.addr in self.seen_addrs:
            found.add("goroutines listed twice in runtime.allgs", f"{g.addr:#x}")
        self.seen_addrs.add(g.addr)
        if g.addr in self.curgs:
            self.by_addr[g.addr] = g
        if g.goid <= 0 or (top is not None and g.goid > top):
            found.add("goroutine ids out of range", f"{g.goid} at {g.addr:#x}"
                      + (f", ids go up to {top}" if top is not None else ""))
        elif g.goid in self.seen_goids:
            found.add("goroutine ids used twice", f"{g.goid}")
        self.seen_goids.add(g.goid)
        if top is not None and not 0 <= g.parent_id <= top:
            found.add("goroutines with a parent id out of range", f"{gid}: {g.parent_id}")
        status = g.status
        if status == G_WAITING and self.reasons and g.wait_reason_code >= self.reasons:
            found.add("waiting goroutines with a wait reason the runtime does not have",
                      f"{gid}: {g.wait_reason_code}")
        if status not in self.statuses:
            found.add("goroutine status values the runtime does not use",
                      f"{gid}: {status:#x}")
        lo, hi = g.stack_lo, g.stack_hi
        size = hi - lo
        if size < _MIN_STACK or size & (size - 1):
            found.add("goroutine stack bounds that are not a Go stack",
                      f"{gid}: {lo:#x}-{hi:#x}")
        elif status in (G_WAITING, G_RUNNABLE, G_PREEMPTED, G_LEAKED) and not (
                lo <= g.sched_sp <= hi):
            found.add("parked goroutines whose saved SP is outside their stack",
                      f"{gid}: sp {g.sched_sp:#x}, stack {lo:#x}-{hi:#x}")
        elif status == G_SYSCALL and g.syscall_sp and not lo <= g.syscall_sp <= hi:
            found.add("goroutines in a system call whose SP is outside their stack",
                      f"{gid}: sp {g.syscall_sp:#x}, stack {lo:#x}-{hi:#x}")
        if g.panic_ptr and not lo <= g.panic_ptr < hi:
            found.add("panics recorded outside their goroutine's stack",
                      f"{gid}: _panic {g.panic_ptr:#x}")
        m = ms.get(g.m) if g.m else None
        if status in (G_RUNNING, G_SYSCALL):
            if g.m and m is None:
                found.add("goroutines on an M that is not on runtime.allm",
                          f"{gid}: m {g.m:#x}")
            elif status == G_RUNNING and m is not None and m.curg != g.addr:
                found.add("running goroutines whose M runs another goroutine",
                          f"{gid}: m {g.m:#x} runs {m.curg:#x}")
        elif g.m and status in (G_WAITING, G_RUNNABLE) and (m is None or m.curg != g.addr):
            # (Between parking and dropg() a goroutine and its M still name
            # each other.)
            found.add("parked goroutines that name an M", f"{gid}: m {g.m:#x}")
        if g.locked_m and g.locked_m not in ms:
            found.add("goroutines locked to an M that is not on runtime.allm",
                      f"{gid}: lockedm {g.locked_m:#x}")
        ok = self.entries.get(g.start_pc)
        if ok is None:
            proc = self.proc
            f = proc.pclntab.func_at(g.start_pc - proc.bias)
            ok = self.entries[g.start_pc] = f is not None and f.entry == g.start_pc - proc.bias
        if not ok:
            found.add("goroutines whose start function is not a function",
                      f"{gid}: startpc {g.start_pc:#x}")

    def finish(self) -> None:
        proc, found = self.proc, self.found
        if not self.count:
            proc.warnings.append(
                "the core holds no live goroutine (runtime.allgs is empty or unreadable): "
                "a Go program has at least one, so the core's memory is damaged (zeroed or "
                "missing) and what dapcore shows of this process is not its state")
            return
        by_addr = self.by_addr
        for m in self.ms.values():
            # (A cgo callback thread's M may run a goroutine that is dead.)
            if m.curg and m.curg in by_addr and by_addr[m.curg].m != m.addr:
                g = by_addr[m.curg]
                found.add("Ms whose current goroutine does not name them",
                          f"m {m.id} runs goroutine {g.goid}, which names m {g.m:#x}")
        proc.warnings.extend(found.warnings())


def check_threads(proc: CheckedProcess, ms: list[M]) -> None:
    """Ms against the core's threads: an M running a goroutine has its
    thread in the core (the kernel dumps every thread). (Threads that are no
    M are not damage: a thread leaving mexit, C threads.)"""
    found = Findings()
    lwps = {t.lwp for t in proc.core.threads}
    for m in ms:
        if m.procid and m.procid not in lwps and m.curg:
            found.add("Ms running a goroutine whose thread is not in the core",
                      f"m {m.id}: thread {m.procid}")
    for t in proc.core.threads:
        regs = t.registers
        sp, pc = regs.sp, regs.pc
        align = proc.arch.ptr_size  # every push, call and frame moves SP by whole words
        if sp % align:
            found.add(f"threads whose stack pointer is not {align}-byte aligned",
                      f"thread {t.lwp}: sp {sp:#x}")
        if not _mapped(proc, pc) or not _mapped(proc, sp):
            found.add("threads whose pc or stack pointer is outside the process's memory",
                      f"thread {t.lwp}: pc {pc:#x}, sp {sp:#x}")
        elif proc.arch.in_syscall(regs.values):
            try:
                code = proc.memory.read(pc - proc.arch.syscall_window, proc.arch.syscall_window)
            except UnreadableMemory:
                continue
            if not proc.arch.follows_syscall(code):
                found.add("threads stopped in a system call whose pc does not follow a "
                          "system call instruction", f"thread {t.lwp}: pc {pc:#x}")
    proc.warnings.extend(found.warnings())


def _mapped(proc: CheckedProcess, addr: int) -> bool:
    """Whether the process had ``addr`` mapped (in the core's segments, which
    list every mapping, dumped or not)."""
    return any(s.vaddr <= addr < s.vaddr + s.memsz for s in proc.core.segments)
