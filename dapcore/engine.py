"""The engine's one facade: what the front ends (the DAP server, the command
line, :mod:`dapcore.render`) ask of a core.

:class:`Engine` opens an executable and its core and answers in Go terms:
goroutines and ``goroutine(goid)``, stacks, the crash, the frame an editor
lands on, frame values, evaluation, package globals, registers, the source
files of the line tables, memory and function code. The front ends import
this module (and the value model, :mod:`dapcore.govalues`), never the
layers below it; the types they name (:class:`Goroutine`, :class:`Frame`,
:class:`Stack`, :class:`Crash`, :class:`CreatedBy`, :class:`Code`) are
re-exported here.

Importing this module imports the engine up to the runtime's state (its
own ELF, DWARF and pclntab readers; pyelftools only with the first C
frame): the DAP server imports it when a launch opens a core, not when it
starts. The value model and the expression evaluator (about
40 ms more of imports) load with the first value asked for, so that
opening a core and unwinding its stacks do not pay for them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from dapcore.elf.core import open_core
from dapcore.elf.executable import Executable
from dapcore.elf.files import open_regular
from dapcore.engine_process import ProcessFacade
from dapcore.engine_triage import TriageFacade
from dapcore.errors import CoreFormatError, DapcoreError
from dapcore.gobin.identity import executable_for, executable_path_in_core, named_executable
from dapcore.gobin.pclntab import print_name
from dapcore.gobin.releases import explain
from dapcore.goruntime.checks import StackFindings
from dapcore.goruntime.crash import FATAL, PANIC, SIGNAL, SNAPSHOT, Crash, analyse, read_panics
from dapcore.goruntime.crash import signal_name as _signal_name
from dapcore.goruntime.goroutines import Goroutine
from dapcore.goruntime.listing import Listing, Traits, list_goroutines
from dapcore.goruntime.process import Process
from dapcore.goruntime.procstats import CoreNotes, ProcStats, Reading
from dapcore.goruntime.status import G_LEAKED, G_WAITING, status_name
from dapcore.goruntime.traceback import (
    CreatedBy,
    created_by,
    format_frame,
    goroutine_name,
    header,
    name_by_start,
    printed_frames,
)
from dapcore.goruntime.unwind import Frame, Stack, Unwinder
from dapcore.goruntime.userframe import (
    is_user_function,
    landing_frame,
    main_module,
    package_of,
    top_user_frame,
)
from dapcore.indexcache import IndexSetting

if TYPE_CHECKING:
    from dapcore.govalues.frame import FrameRef
    from dapcore.govalues.values import Value, ValueContext

__all__ = ["Code", "CoreNotes", "Crash", "CreatedBy", "Engine", "Frame", "Goroutine", "Listing",
           "MappedFile", "ProcStats", "Reading", "Stack", "Traits"]


class Code(NamedTuple):
    """A Go function's machine code, at run-time addresses ``[start, end)``."""

    name: str
    start: int
    end: int


class MappedFile(NamedTuple):
    """A file the process had mapped (the core's file notes), and where."""

    path: str
    start: int


@dataclass
class Engine(TriageFacade, ProcessFacade):
    proc: Process
    _stacks: dict[int, Stack] = field(default_factory=dict)

    # The crash kinds (``engine.crash.kind``).
    PANIC = PANIC
    FATAL = FATAL
    SIGNAL = SIGNAL
    SNAPSHOT = SNAPSHOT

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, binary: str | Path | None, core: str | Path,
             debug_dirs: Sequence[str | Path] = (), index_cache: IndexSetting = None) -> Engine:
        """The core ``core`` (plain, or compressed with gzip, xz, zstd or LZ4)
        read with the executable ``binary``; ``binary=None``: the executable
        the core names (:class:`dapcore.errors.ExecutableNotFound` when it is
        not on this machine, saying which one and how to get it); a stripped
        binary's separate debug file is looked for in the standard places and
        ``debug_dirs`` (:mod:`dapcore.elf.debugfile`); ``index_cache``: :func:`save_index`."""
        core_file = open_core(core)
        try:
            if binary is None:
                binary = executable_for(core_file)
            return cls(Process(binary, core_file, debug_dirs=debug_dirs, index_cache=index_cache))
        except BaseException:
            core_file.close()
            raise

    def close(self) -> None:
        """Let the core go now rather than when the engine is collected (a
        decompressed core's temporary file is freed with it). Nothing may be
        asked of the engine afterwards."""
        self.proc.close()

    @staticmethod
    def executable_in_core(core: str | Path) -> str | None:
        """The executable path the core's notes name (None: it names none);
        raises :class:`CoreFormatError` for a file that is not a readable core."""
        core_file = open_core(core)
        try:
            return executable_path_in_core(core_file)
        finally:
            core_file.close()

    @staticmethod
    def core_executable(core: str | Path) -> tuple[str | None, str | None]:
        """(path, Go build ID) of the executable the core names: the path as
        :meth:`executable_in_core` finds it, the build ID from the core's copy
        of that file's first page (the kernel dumps it; the Go linker puts
        its build ID note there), None when the core holds no such page.
        Raises :class:`CoreFormatError` for a file that is not a readable core."""
        core_file = open_core(core)
        try:
            return named_executable(core_file)
        finally:
            core_file.close()

    @staticmethod
    def executable_build_id(path: str | Path) -> str | None:
        """The Go build ID of the executable ``path`` (None: it has none);
        raises :class:`dapcore.errors.ExecutableError` when ``path`` is not
        an ELF executable."""
        exe = Executable(path)
        try:
            return exe.go_build_id
        finally:
            exe.close()

    def check_readable(self, program: str | None = None) -> None:
        """Read now what every later question needs (the line tables, the
        runtime's layout), so that a core dapcore cannot read fails at once
        with the reason (for a program built by a Go release older than
        dapcore reads: that release first; ``program``: the executable's
        name in that message, by default its path)."""
        try:
            _ = self.proc.pclntab, self.proc.layout
        except DapcoreError as exc:
            name = program if program is not None else self.executable_path
            raise explain(name, self.proc.go_version, exc,
                          self.proc.buildinfo.version_source) from exc

    # -- what the core is ----------------------------------------------------

    @property
    def executable_path(self) -> str:
        return str(self.proc.exe.path)

    @property
    def go_version(self) -> str:
        return self.proc.go_version

    @property
    def has_dwarf(self) -> bool:
        """Whether DWARF is at hand (the executable's or its debug file's)."""
        return bool(self.proc.exe.has_dwarf)

    @property
    def dwarf_path(self) -> str | None:
        """The file the DWARF is read from: the executable, its separate
        debug file, or None without DWARF."""
        f = self.proc.exe.dwarf_file
        return str(f.path) if f is not None else None

    @property
    def debug_info_source(self) -> str | None:
        """``debug information from /x/zoo.debug (found through …)`` when a
        separate debug file is in use, else None."""
        _ = self.proc.dwarf  # the lookup happens with the first need of DWARF
        return self.proc.debug_files.source_text()

    @property
    def missing_debug_info(self) -> str | None:
        """Why values cannot be read when the executable names a separate
        debug file that was not found (which file, where it was looked
        for); None otherwise."""
        if self.proc.exe.has_dwarf:
            return None
        return self.proc.debug_files.missing_text(self.proc.exe)

    @property
    def bias(self) -> int:
        """Load bias of a position-independent executable (0 otherwise)."""
        return self.proc.bias

    @property
    def main_module(self) -> str | None:
        """The main module's path from the build info (None when not recorded)."""
        return main_module(self.proc)

    @property
    def build_settings(self) -> dict[str, str]:
        """The build settings of the build info (``-gcflags``, ``GOARCH`` …)."""
        return self.proc.buildinfo.settings

    @property
    def has_go_version(self) -> bool:
        """Whether the build info names the Go release."""
        return bool(self.proc.buildinfo.go_version)

    def mapped_files(self) -> list[MappedFile]:
        return [MappedFile(f.path, f.start) for f in self.proc.core.files]

    @property
    def core_signal(self) -> int:
        """The signal the core was written on (0: none recorded)."""
        ct = self.proc.core.crashing_thread
        return ct.signal if ct is not None else 0

    @property
    def warnings(self) -> list[str]:
        """What the engine found damaged so far (grows as stacks are read)."""
        return self.proc.warnings

    @property
    def notices(self) -> list[str]:
        """What the user is told that is not damage: how a compressed core
        was decompressed (``decompressed core.zst (zstd, 41.9 MB) in 0.12 s``),
        where the DWARF came from, a debug file that was not found."""
        _ = self.proc.dwarf
        return self.proc.notices

    # -- goroutines and stacks -----------------------------------------------

    @property
    def goroutines(self) -> list[Goroutine]:
        return self.proc.goroutines

    @property
    def crashed_goroutine(self) -> Goroutine | None:
        return self.proc.crashed_goroutine

    def release_pages(self) -> None:
        """Let go of the core's pages read so far (resident memory while
        walking every goroutine of a big core); they are read again when needed."""
        self.proc.memory.release_pages()

    def each_goroutine(self) -> Iterator[Goroutine]:
        """:attr:`goroutines` one at a time, not kept unless they were read
        before (listing 1,000,000 goroutines)."""
        return self.proc.each_goroutine()

    def check_goroutines(self) -> int:
        """Check every goroutine's record once (:attr:`warnings`) without
        keeping them; their number."""
        return self.proc.check_goroutines()

    @property
    def goroutine_count(self) -> int:
        """How many live goroutines the core holds (the records read)."""
        if self.proc.goroutines_read:
            return len(self.proc.goroutines)
        return len(self.proc.goroutine_index)

    @property
    def has_goroutines(self) -> bool:
        """Whether the core holds any live goroutine (without reading them all)."""
        return len(self.proc.goroutine_index) > 0

    def default_goid(self) -> int:
        g = self.proc.crashed_goroutine
        if g is not None:
            return g.goid
        idx = self.proc.goroutine_index
        if not len(idx):
            raise CoreFormatError(
                f"the core {self.proc.core.path} holds no goroutine (runtime.allgs is empty or "
                "unreadable): its memory is damaged")
        goid = idx.first_live()
        assert goid is not None
        return goid

    @cached_property
    def _by_goid(self) -> dict[int, Goroutine]:
        """Goroutines by id (the first one, as ``Process.goroutine`` finds it):
        ``bt -a`` looks every goroutine up."""
        out: dict[int, Goroutine] = {}
        for g in self.proc.goroutines:
            out.setdefault(g.goid, g)
        return out

    def goroutine(self, goid: int) -> Goroutine:
        """Goroutine ``goid`` (the first one of that id); :class:`DapcoreError`
        when the core holds none."""
        if not self.proc.goroutines_read:
            # read alone (the crash, a thread the editor shows): not every one
            g = self.proc.single_goroutine(goid)
            if g is None:
                raise DapcoreError(f"no goroutine {goid} in the core")
            return g
        g = self._by_goid.get(goid)
        if g is None:
            raise DapcoreError(f"no goroutine {goid} in the core")
        return g

    def frame(self, goid: int, index: int) -> FrameRef:
        """Frame ``index`` of goroutine ``goid``, as the value model names it."""
        # the value model: loaded on first use (module docstring)
        from dapcore.govalues.frame import FrameRef

        return FrameRef(self.proc, goid, self.stack(self.goroutine(goid)), index)

    @cached_property
    def unwinder(self) -> Unwinder:
        return Unwinder(self.proc)

    def stack(self, g: Goroutine, keep: bool = True) -> Stack:
        """``g``'s stack. ``keep=False``: a stack not unwound yet is not kept
        (listing 100,000 goroutines needs their top frames only; keeping
        every stack would take hundreds of MB)."""
        st = self._stacks.get(g.goid)
        if st is None:
            st = self._unwind(g)
            if keep:
                self._stacks[g.goid] = st
        return st

    def _unwind(self, g: Goroutine) -> Stack:
        """``g``'s stack, checked: every goroutine's stack ends in
        ``runtime.goexit``; one that does not was read from damaged memory
        (said once in ``proc.warnings``, naming the goroutines)."""
        st = self.unwinder.goroutine_stack(g)
        frames = st.frames
        if st.missing:
            self._gap_findings.note(self.proc.warnings, f"goroutine {g.goid}: {st.error}")
        elif st.error or not frames or frames[-1].func_kind != "goexit":
            why = st.error or (f"ends in {frames[-1].function}" if frames else "no frame")
            self._stack_findings.note(self.proc.warnings, f"goroutine {g.goid}: {why}")
        if st.suspect_pc is not None:
            name = next((f.function for f in frames if f.pc == st.suspect_pc and not f.inlined),
                        "?")
            self._call_findings.note(self.proc.warnings, f"goroutine {g.goid}: {name} at "
                                     f"{st.suspect_pc:#x}")
        return st

    @cached_property
    def _stack_findings(self) -> StackFindings:
        return StackFindings()

    @cached_property
    def _gap_findings(self) -> StackFindings:
        return StackFindings("goroutine stacks cut short by memory the core does not hold",
                             "the frames up to there are shown, the callers are not in the core")

    @cached_property
    def _call_findings(self) -> StackFindings:
        return StackFindings("goroutine stacks with a return address that does not follow a "
                             "call")

    def listing(self, hide_system: bool = False) -> Listing:
        """Every live goroutine's id and kind, the crashing one first, then
        by id, without an object per goroutine (:func:`list_goroutines`);
        each kind's traits are named by :meth:`traits_name`."""
        if self.proc.goroutine_index.text_reasons:  # before Go 1.11: from the full records
            return Listing.of_goroutines(self.goroutines, hide_system)
        return list_goroutines(self.proc, hide_system)

    def traits_name(self, traits: Traits) -> tuple[str | None, str]:
        """(the name the goroutines go by, their status text) of :meth:`listing`'s traits."""
        pc, status, reason, _, _, _ = traits
        text = reason if status in (G_WAITING, G_LEAKED) and reason else status_name(status)
        return name_by_start(self.proc, pc), text

    def goroutine_name(self, g: Goroutine) -> str | None:
        """The function ``g``'s ``go`` statement named (the runtime's name for it)."""
        return goroutine_name(self.proc, g)

    def created_by(self, g: Goroutine) -> CreatedBy | None:
        """Where ``go`` started ``g`` (none for goroutine 1 and runtime-made gs)."""
        return created_by(self.proc, g)

    def panic_messages(self, g: Goroutine) -> list[str]:
        """The messages of ``g``'s panics, innermost first (none without a panic)."""
        if not g.panic_ptr:
            return []
        return [p.message for p in read_panics(self.proc, g.panic_ptr)]

    # -- the crash -----------------------------------------------------------

    @cached_property
    def crash(self) -> Crash:
        return analyse(self.proc)

    def printed_frames(self, g: Goroutine) -> list[Frame]:
        """``g``'s frames as the runtime's own traceback of the crash printed
        them (the crash handler's frames above them left out)."""
        return printed_frames(self.stack(g).frames, self.crash, g.crashed)

    def landing_frame(self, goid: int) -> int:
        """The frame an editor lands on for goroutine ``goid``
        (:func:`dapcore.goruntime.userframe.landing_frame`)."""
        g = self.goroutine(goid)
        return landing_frame(self.stack(g).frames, self.crash, g.crashed, main_module(self.proc))

    @staticmethod
    def traceback_header(g: Goroutine) -> str:
        """``goroutine 1 [running]:``, as the runtime prints it."""
        return header(g)

    @staticmethod
    def traceback_frame(f: Frame) -> str:
        """One frame as the runtime's traceback prints it (two lines)."""
        return format_frame(f)

    @staticmethod
    def signal_name(signo: int) -> str:
        return _signal_name(signo)

    # -- Go names ------------------------------------------------------------

    @staticmethod
    def print_name(function: str) -> str:
        """A function's name as the runtime prints it (``main.(*T).m``)."""
        return print_name(function)

    @staticmethod
    def package_of(function: str) -> str:
        """``github.com/a/b.(*T).M`` → ``github.com/a/b``."""
        return package_of(function)

    @staticmethod
    def is_user_function(function: str, module: str | None) -> bool:
        """Whether the user wrote ``function`` (``module``: the main module's path)."""
        return is_user_function(function, module)

    @staticmethod
    def top_user_frame(frames: list[Frame], module: str | None) -> int | None:
        """Index of the innermost user frame of the goroutine's own stack, or None."""
        return top_user_frame(frames, module)

    # -- values --------------------------------------------------------------

    def frame_values(self, goid: int, index: int, ctx: ValueContext | None = None
                     ) -> list[tuple[str, Value]]:
        """Arguments and locals of frame ``index`` of goroutine ``goid``, as
        (kind, value) with kind ``"param"`` or ``"local"``."""
        # the value model: loaded on first use (module docstring)
        from dapcore.govalues.frame import frame_values

        return list(frame_values(self.frame(goid, index), ctx))

    def package_globals(self, package: str, ctx: ValueContext) -> list[Value]:
        """The package variables of ``package``."""
        # the value model: loaded on first use (module docstring)
        from dapcore.govalues.pkgvars import package_globals

        return list(package_globals(self.proc, package, ctx))

    def registers(self, goid: int, index: int) -> list[tuple[str, str]]:
        """(name, text) of the registers known in frame ``index`` (none when
        they are not known there)."""
        # the value model: loaded on first use (module docstring)
        from dapcore.govalues.frameregs import frame_register_values

        return frame_register_values(self.proc, self.stack(self.goroutine(goid)), index)

    def evaluate(self, goid: int, index: int, text: str, ctx: ValueContext | None = None
                 ) -> Value:
        """A Go expression's value in frame ``index`` of goroutine ``goid``;
        a name the expression parser refuses (``net/http.DefaultClient``) is
        still looked up as a variable name. A syntax error raises
        :class:`dapcore.goexpr.lexer.ParseError` (its ``caret(text)`` points
        at the column)."""
        # the evaluator: loaded on first use (module docstring)
        from dapcore.goexpr.frame import evaluate_or_lookup

        return evaluate_or_lookup(self.frame(goid, index), text, ctx)

    def disassembler(self, detail: bool = False) -> Any:
        """A disassembler for the core's architecture (capstone's ``Cs``)."""
        return self.proc.arch.disassembler(detail)

    # -- code and sources ----------------------------------------------------

    def function_at(self, pc: int) -> Code | None:
        """The Go function whose code holds run-time ``pc`` (None outside Go text)."""
        f = self.proc.pclntab.func_at(pc - self.proc.bias)
        if f is None:
            return None
        return Code(f.name, f.entry + self.proc.bias, f.end + self.proc.bias)

    def line_at(self, pc: int) -> tuple[str, int]:
        """File and line of run-time ``pc`` (no inlining); ("?", 0) when unknown."""
        tab = self.proc.pclntab
        f = tab.func_at(pc - self.proc.bias)
        if f is None:
            return "?", 0
        return tab.line_at(f, pc - self.proc.bias)

    def function_line(self, name: str) -> tuple[str, int] | None:
        """File and line of the entry of the function named ``name`` (None: no such function)."""
        tab = self.proc.pclntab
        f = tab.func_by_name(name)
        if f is None:
            return None
        return tab.line_at(f, f.entry)

    @staticmethod
    def open_regular(path: str, follow_link: bool = True) -> BinaryIO:
        """``path`` opened for binary reading when it is a regular file (never
        blocks; ``follow_link=False``: not through a symbolic link at the last
        step): :func:`dapcore.elf.files.open_regular`."""
        return open_regular(path, follow_link)

    def read_memory(self, addr: int, size: int) -> bytes:
        """``size`` bytes of the process at ``addr``; raises
        :class:`dapcore.errors.UnreadableMemory` (saying from where) when
        they are not all in the core or the executable."""
        return self.proc.memory.read(addr, size)

    def source_files(self) -> set[str]:
        """Every file name in the line tables' file table (Go ≥ 1.16 layouts;
        empty for older ones), and those of the C code's line tables once a
        stack with C frames was unwound."""
        return self.proc.pclntab.file_names() | self.unwinder.c_source_files()


def save_index(engine: Engine) -> None:
    """Write now what the index cache (:mod:`dapcore.indexcache`) gained with
    ``engine``: what was derived from its executable alone, kept for the next
    core of the same build. :meth:`Engine.open`'s ``index_cache`` says where
    (None: ``$DAPCORE_INDEX_CACHE``, else the platform's cache directory;
    False: nowhere; or a directory). It is written anyway in the background
    a second after the last addition, by :meth:`Engine.close` and at exit;
    the DAP server calls this when its session ends (it leaves with
    ``os._exit``)."""
    engine.proc.save_index()
