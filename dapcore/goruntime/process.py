"""A Go process rebuilt from an executable and its core: the engine's hub.

Opening is cheap (ELF headers, notes, build info, the identity check);
pclntab, runtime layouts and goroutines load on first use.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path

from dapcore.arch import Arch, machine_text
from dapcore.cancellation import check as check_cancelled
from dapcore.dwarf.reader import Dwarf
from dapcore.dwarf.sections import DwarfError
from dapcore.elf.core import CoreFile, open_core
from dapcore.elf.debugfile import DebugFiles
from dapcore.elf.executable import Executable
from dapcore.elf.memory import AddressSpace, load_bias
from dapcore.errors import ExecutableError, MismatchError, NoDwarf, UnreadableMemory
from dapcore.gobin.buildinfo import BuildInfo, read_buildinfo
from dapcore.gobin.identity import check_match
from dapcore.gobin.pclntab import PCLnTab
from dapcore.gobin.symbols import SOURCES as GLOBAL_SOURCES
from dapcore.gobin.symbols import explain as explain_globals
from dapcore.gobin.symbols import verify as verify_globals
from dapcore.goruntime.checks import (
    GoroutineChecker,
    check_allgs,
    check_core,
    check_dead,
    check_threads,
)
from dapcore.goruntime.gindex import GoroutineIndex, build_index
from dapcore.goruntime.goroutines import (
    Goroutine,
    GoroutineReader,
    GoroutineRecords,
    M,
    attach_labels,
    in_allgs,
    read_allgs,
    read_goroutines,
)
from dapcore.goruntime.indexing import open_index_cache
from dapcore.goruntime.layout import Layout
from dapcore.goruntime.layoutcache import cached_layout
from dapcore.goruntime.status import is_dead
from dapcore.indexcache import Entry, IndexSetting

# Signals a debugger's snapshot leaves in NT_SIGINFO: nothing crashed.
_STOP_SIGNALS = {0, 5, 19, 20}  # none, SIGTRAP, SIGSTOP, SIGTSTP


class Process:
    """The dead process. ``Process(exe, core)`` raises a :class:`DapcoreError`
    subclass with a readable message when the files cannot be used together."""

    def __init__(self, exe: str | Path, core: str | Path | CoreFile, check: bool = True,
                 debug_dirs: Sequence[str | Path] = (),
                 index_cache: IndexSetting = False) -> None:
        self.core: CoreFile = core if isinstance(core, CoreFile) else open_core(core)
        self.exe = Executable(exe)
        # What is derived from the executable alone is kept for the next core
        # of the same build (dapcore.indexcache; the setting: where, or False).
        self.exe.set_index_cache(open_index_cache(index_cache))
        # What is not damage but the user should know: how a compressed core
        # was decompressed, where the DWARF came from, that values need a
        # debug file not found.
        self.notices: list[str] = [n for n in (self.core.decompression,) if n]
        self.buildinfo: BuildInfo = read_buildinfo(self.exe)
        self.arch: Arch = self.core.arch  # what knows the instruction set
        if self.exe.machine != self.arch.elf_machine_name:
            raise MismatchError(f"{self.exe.path} is an {machine_text(self.exe.machine)} "
                                f"executable, the core is of an {self.arch.name} process")
        self.bias = load_bias(self.core, self.exe)
        self.memory = AddressSpace(self.core, self.exe, self.bias)
        self.warnings: list[str] = []
        if check:
            weak = check_match(self.core, self.exe, self.memory)
            if weak is not None:
                self.warnings.append(weak)
        missing = self.memory.missing.summary()
        if missing is not None:
            self.warnings.append(missing)
        self.warnings.extend(check_core(self.core))
        self.warnings.extend(self.memory.problems)
        # A stripped executable's separate debug file: looked for in the
        # standard places and ``debug_dirs`` the first time DWARF or symbols
        # are needed (dapcore.elf.debugfile); a file refused is a warning.
        self.debug_files = DebugFiles(debug_dirs, self.warnings.append)
        self.exe.set_debug_finder(self.debug_files)
        # The function each gowrap wrapper's code calls, by wrapper entry
        # (link-time): see dapcore.goruntime.traceback.go_statement_function.
        self.wrapped_functions: dict[int, str | None] = {}
        # By start pc (few distinct ones among 100,000 goroutines): the name
        # each goroutine goes by (traceback.goroutine_name), whether it is a
        # system goroutine (is_system).
        self.goroutine_names: dict[int, str | None] = {}
        self._singles: dict[int, Goroutine] = {}  # by *g: read alone (single_goroutine)
        self._checked = False  # every goroutine record was checked (_stream)
        self._streamed: int | None = None  # goroutines a whole pass of _stream yielded
        self._system_starts: dict[int, bool] = {}

    @property
    def go_version(self) -> str:
        return self.buildinfo.go_version

    def _index_entries(self) -> list[Entry]:
        """The index cache entries in use: the executable's, and its debug
        file's once found."""
        entries = [self.exe.index]
        debug = self.exe.__dict__.get("debug_file")
        if debug is not None:
            entries.append(debug.index)
        return [e for e in entries if e.enabled]

    def save_index(self) -> None:
        """Write what this session added to the index cache now (after a
        write under way); otherwise it is written in the background a second
        after the last addition, or at exit."""
        for e in self._index_entries():
            e.flush()

    def close(self) -> None:
        """Write what the index cache gained, then let the core go."""
        self.save_index()
        self.core.close()

    @cached_property
    def pclntab(self) -> PCLnTab:
        tab = PCLnTab.from_executable(self.exe)
        major, minor = self.buildinfo.release
        if (major, minor) != (0, 0):
            tab.release = (major, minor)
        if (major, minor) != (0, 0) and (major, minor) < (1, 12):
            tab.inline_trees = False
            self.notices.append(
                f"inlined calls are not shown: the program was built with Go {major}.{minor}, "
                "whose inline records have no call-site pc (Go 1.12 added it); each frame is "
                "its physical function")
        return tab

    @cached_property
    def dwarf(self) -> Dwarf | None:
        """The executable's DWARF (or its separate debug file's), opened once
        for the runtime layouts and the variables (None without DWARF; the
        notes say where it came from, or which debug file was missing)."""
        if not self.exe.has_dwarf:
            missing = self.debug_files.missing_text(self.exe)
            if missing is not None:
                self.notices.append(missing)
            return None
        source = self.debug_files.source_text()
        if source is not None:
            self.notices.append(source)
        try:
            return Dwarf(self.exe)
        except NoDwarf:
            return None
        except DwarfError as exc:
            # Stacks do not need it (the pclntab and the per-release layout
            # tables serve, as for a stripped binary); values say why not.
            self.warnings.append(f"{exc}: stacks come from the pclntab alone, values "
                                 "cannot be read")
            return None

    def need_dwarf(self) -> Dwarf:
        """:attr:`dwarf`, or :class:`NoDwarf` saying why there is none (and
        which debug file was looked for, and where)."""
        d = self.dwarf
        if d is not None:
            return d
        missing = None if self.exe.has_dwarf else self.debug_files.missing_text(self.exe)
        if missing is not None:
            raise NoDwarf(missing)
        return Dwarf(self.exe)  # raises NoDwarf (or DwarfError) with the reason

    @cached_property
    def layout(self) -> Layout:
        lay = cached_layout(self.exe, self.buildinfo.go_version, self.dwarf)
        damage = self.dwarf.damage if self.dwarf is not None else None
        if lay.source == "table" and damage is not None:
            # (.debug_info is decompressed as far as read: its damage is met here)
            self.warnings.append(f"{damage}: stacks come from the pclntab alone, values "
                                 "cannot be read")
        return lay

    @cached_property
    def _runtime_globals(self) -> tuple[dict[str, int], dict[str, str]]:
        """The runtime globals a stripped binary does not name, found in the
        runtime's code and checked against the core (and why not, per name)."""
        found, why = explain_globals(self.exe, self.pclntab)
        why.update(verify_globals(self.memory, self.bias, found,
                                  lambda: self.layout.struct("runtime.g").off("goid")))
        return found, why

    def global_addr(self, name: str, required: bool = True) -> int | None:
        """Run-time address of a package-level variable: its symbol, else (a
        few runtime globals) where the runtime's code shows it to be."""
        sym = self.exe.symbol(name)
        if sym is not None:
            return sym.value + self.bias
        why = ""
        if name in GLOBAL_SOURCES:
            found, reasons = self._runtime_globals
            if name in found:
                return found[name] + self.bias
            why = f" in {GLOBAL_SOURCES[name]}: {reasons.get(name, 'not found')}"
        if not required:
            return None
        if not self.exe.has_symbols:
            raise NoDwarf(f"{self.exe.path} is stripped (no symbol table): cannot find {name}{why}")
        raise ExecutableError(f"{self.exe.path} has no symbol {name}")

    # -- threads -------------------------------------------------------------

    @cached_property
    def ms(self) -> list[M]:
        """Every M on ``runtime.allm``, joined with its thread in the core."""
        lay = self.layout.struct("runtime.m")
        offs = {f: lay.off(f) for f in ("id", "procid", "g0", "gsignal", "curg", "alllink")}
        throwing = lay.off("throwing") if lay.has("throwing") else None
        dying = lay.off("dying") if lay.has("dying") else None
        by_lwp = {t.lwp: t for t in self.core.threads}
        out: list[M] = []
        addr = self.memory.ptr(self.global_addr("runtime.allm") or 0)
        seen: set[int] = set()
        while addr and addr not in seen and len(seen) < 100_000:
            seen.add(addr)
            try:
                raw = self.memory.read(addr, lay.size)
            except UnreadableMemory:
                self.warnings.append(f"runtime.m at {addr:#x} cannot be read")
                break

            def q(off: int, raw: bytes = raw) -> int:
                return struct.unpack_from("<Q", raw, off)[0]

            procid = q(offs["procid"])
            out.append(M(
                addr=addr, id=struct.unpack_from("<q", raw, offs["id"])[0], procid=procid,
                g0=q(offs["g0"]), gsignal=q(offs["gsignal"]), curg=q(offs["curg"]),
                throwing=struct.unpack_from("<i", raw, throwing)[0] if throwing is not None
                else 0,
                dying=struct.unpack_from("<i", raw, dying)[0] if dying is not None else 0,
                thread=by_lwp.get(procid),
            ))
            addr = q(offs["alllink"])
        return out

    def m_at(self, addr: int) -> M | None:
        return next((m for m in self.ms if m.addr == addr), None)

    @cached_property
    def crashing_m(self) -> M | None:
        """The M that started the fatal panic, throw or signal dump.

        The runtime marks it (``m.dying``, set by ``startpanic_m``). The
        kernel's first NT_PRSTATUS thread is usually that M, but with
        GOTRACEBACK=crash the SIGQUIT relay can let another thread raise the
        final SIGABRT; ``dying`` tells them apart. Several dying Ms (two
        goroutines throwing at once): prefer the one whose thread the kernel
        lists first."""
        order = {t.lwp: i for i, t in enumerate(self.core.threads)}
        dying = [m for m in self.ms if m.dying > 0]
        if dying:
            return min(dying, key=lambda m: order.get(m.procid, len(order)))
        first = self.core.crashing_thread
        sig = self.core.siginfo
        if first is None or sig is None or sig.signo in _STOP_SIGNALS:
            return None  # a snapshot (gcore stops the process with SIGSTOP)
        return next((m for m in self.ms if m.procid == first.lwp), None)

    # -- goroutines ----------------------------------------------------------

    @cached_property
    def goroutines(self) -> list[Goroutine]:
        """Every live goroutine, with thread, crash flag, system flag, labels."""
        return list(self._stream())

    def each_goroutine(self) -> Iterator[Goroutine]:
        """The goroutines of :attr:`goroutines`, one at a time: not kept when
        they were not all read before (1,000,000 records need not be held
        to be listed or checked)."""
        if self.goroutines_read:
            return iter(self.goroutines)
        return self._stream()

    def _stream(self) -> Iterator[Goroutine]:
        """Every goroutine except dead ones, in ``allgs`` order, finished
        (:meth:`_finish`); a g whose record cannot be read is left out. The
        first complete pass checks them all (the warnings)."""
        check = not self._checked
        allgs = read_allgs(self)
        ms = {m.addr: m for m in self.ms}
        crash_m = self.crashing_m
        crash_g = crash_m.curg if crash_m is not None else 0
        # Goroutines read alone before (crashed_goroutine, single_goroutine):
        # the same objects, so that what was found on them stays.
        alone = dict(self._singles)
        crashed = self.__dict__.get("crashed_goroutine")
        if crashed is not None:
            alone[crashed.addr] = crashed
        checker = GoroutineChecker(self, ms) if check else None
        records = GoroutineRecords([], 0)
        n = -1
        for n, g in enumerate(read_goroutines(self, allgs, records)):
            if not n & 1023:
                check_cancelled()  # (a DAP session's background check gives way)
            known = alone.get(g.addr)
            if known is not None:
                g = known
            else:
                self._finish(g, ms, crash_g)
            if checker is not None:
                checker.add(g)
            yield g
        self._streamed = n + 1  # a whole pass: its count (check_goroutines needs no other)
        if checker is None or self._checked:
            return
        self._checked = True  # (warnings only now: a pass given up says nothing)
        check_allgs(self, allgs.length, allgs.cap, allgs.allglen)
        check_dead(self, records.dead)
        if records.unreadable:
            self.warnings.append(f"{records.unreadable} goroutine record(s) could not be read "
                                 f"from the core ({records.why}): those goroutines are not "
                                 "listed")
        checker.finish()
        check_threads(self, self.ms)

    def check_goroutines(self) -> int:
        """Check every goroutine's record (once: the warnings), without
        keeping them; their number."""
        if self.goroutines_read:
            return len(self.goroutines)
        if self._checked and self._streamed is not None:
            return self._streamed  # checked by a whole pass before (groups, a listing)
        n = 0
        for _ in self._stream():
            n += 1
        return n

    def _finish(self, g: Goroutine, ms: dict[int, M], crash_g: int) -> None:
        """What a goroutine's record alone does not say: its thread, the crash
        and system flags, its labels."""
        m = ms.get(g.m)
        if m is not None and m.curg == g.addr and m.thread is not None:
            g.thread = m.thread.lwp
        g.crashed = g.addr == crash_g and crash_g != 0
        g.system = self.is_system(g)
        attach_labels(self, g)

    @property
    def goroutines_read(self) -> bool:
        """Whether every goroutine was read (:attr:`goroutines`)."""
        return "goroutines" in self.__dict__

    def goroutine(self, goid: int) -> Goroutine | None:
        return next((g for g in self.goroutines if g.goid == goid), None)

    @cached_property
    def goroutine_index(self) -> GoroutineIndex:
        """The live goroutines' listed fields in columns (no object per
        goroutine: what an editor's thread list needs at any size)."""
        return build_index(self, read_allgs(self))

    def single_goroutine(self, goid: int) -> Goroutine | None:
        """Goroutine ``goid``'s full record, read alone (through the index)
        while every goroutine has not been read; the same object later."""
        if self.goroutines_read:
            return self.goroutine(goid)
        crashed = self.crashed_goroutine
        if crashed is not None and crashed.goid == goid:
            return crashed
        i = self.goroutine_index.position(goid)
        return None if i is None else self._single_at(self.goroutine_index.addr[i])

    def _single_at(self, addr: int) -> Goroutine | None:
        """The live goroutine at ``addr`` (a listed one), read alone once."""
        g = self._singles.get(addr)
        if g is None:
            try:
                g = GoroutineReader(self).read(addr)
            except UnreadableMemory:
                return None
            crash_m = self.crashing_m
            self._finish(g, {m.addr: m for m in self.ms}, crash_m.curg if crash_m else 0)
            self._singles[addr] = g
        return g

    @cached_property
    def crashed_goroutine(self) -> Goroutine | None:
        """The goroutine the crashing M was running: its record alone (its
        ``allgs`` entry checked), not every goroutine's, unless they were
        read already: an editor shows the crash first (issue #16)."""
        if self.goroutines_read:
            return next((g for g in self.goroutines if g.crashed), None)
        crash_m = self.crashing_m
        if crash_m is None or not crash_m.curg:
            return None
        if not in_allgs(self, read_allgs(self), crash_m.curg):
            return None  # not a goroutine the runtime lists (as the full read finds it)
        try:
            g = GoroutineReader(self).read(crash_m.curg)
        except UnreadableMemory:
            return None  # the full read leaves it out too (and says so)
        if is_dead(g.status):
            return None
        self._finish(g, {m.addr: m for m in self.ms}, crash_m.curg)
        return g

    def goroutine_at(self, addr: int) -> Goroutine | None:
        """The live goroutine whose ``g`` is at ``addr`` (the crashing one
        without reading the others)."""
        if not self.goroutines_read:
            crash_m = self.crashing_m
            if crash_m is not None and addr == crash_m.curg:
                return self.crashed_goroutine
            if self.goroutine_index.position_of_addr(addr) is None:
                return None
            return self._single_at(addr)
        return next((g for g in self.goroutines if g.addr == addr), None)

    def is_system(self, g: Goroutine) -> bool:
        """The runtime's rule: started in package runtime, except
        runtime.main (and the finalizer/cleanup goroutines while they run
        user code, which a core cannot tell apart: they count as system)."""
        return self.system_start(g.start_pc)

    def system_start(self, start_pc: int) -> bool:
        """:meth:`is_system` of the goroutines that started at ``start_pc``."""
        known = self._system_starts.get(start_pc)
        if known is None:
            known = self._system_starts[start_pc] = self._system_start(start_pc)
        return known

    def _system_start(self, start_pc: int) -> bool:
        f = self.pclntab.func_at(start_pc - self.bias)
        if f is None:
            return False
        if f.name in ("runtime.main", "runtime.corostart", "runtime.handleAsyncEvent"):
            return False
        return f.name.startswith("runtime.")
