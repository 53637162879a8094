"""The pclntab decoder against the Go runtime's own tracebacks.

For every fixture, every physical frame the runtime printed is looked up in
the binary's pclntab (never DWARF): the function (as the runtime prints its
name), the inlined frames printed before it, file and line of each, the
``+0x…`` offset from the entry, and the frame size (``fp − sp − 8`` on amd64,
``fp − sp`` on arm64, is ``pcsp`` at the frame's pc: ``runtime/traceback.go``
sets ``frame.fp = frame.sp + funcspdelta(f, frame.pc)`` then adds the return
address slot where a call pushes one).

Which pc the runtime symbolised (``unwinder.symPC`` ≥ 1.21, ``tracepc`` in
1.19's gentraceback): the frame's pc when the frame was interrupted (the
innermost frame of a traceback started from a signal context, or a frame
called by an injected ``sigpanic`` — and ``asyncPreempt``/``debugCallV2``
from 1.21) or when the pc is the function entry; else pc − 1, inside the
CALL instruction.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from dapcore.elf.executable import Executable
from dapcore.errors import ExecutableError, UnsupportedError
from dapcore.gobin import funcid
from dapcore.gobin.pclntab import Func, PCLnTab, SourceFrame, package_of, print_name
from tests.factory import Fixture, FixtureSpec, full_matrix
from tests.factory.matrix import spec as make_spec
from tests.oracle import Elision, Frame, Traceback, parse_traceback

SPECS = full_matrix()
ids = [s.id for s in SPECS]
AT_ENTRY = 9
PTR = 8


@cache
def _exe(path: Path) -> Executable:
    return Executable(path)


@cache
def _table(path: Path) -> PCLnTab:
    return PCLnTab.from_executable(_exe(path))


def _minor(spec: FixtureSpec) -> int:
    return int(spec.toolchain.minor.split(".")[1])


def _oracle(fx: Fixture) -> tuple[Traceback, bool]:
    """The runtime's traceback and whether it prints fp/sp/pc (a crash with
    GOTRACEBACK=crash does; a snapshot's runtime.Stack does not)."""
    if fx.spec.scenario.trigger == "snapshot":
        return parse_traceback(fx.side_file("stack.txt").read_text(errors="replace")), False
    return parse_traceback(fx.stderr_text()), True


def _pie_bias(fx: Fixture, exe: Executable) -> int:
    """AT_ENTRY of the process (from the core's NT_AUXV) − e_entry."""
    if not exe.is_pie:
        return 0
    with fx.core.open("rb") as f:
        for seg in ELFFile(f).iter_segments():
            if seg.header.p_type != "PT_NOTE":
                continue
            for note in seg.iter_notes():
                if note["n_type"] == "NT_AUXV":
                    raw = note["n_descdata"]
                    for key, value in struct.iter_unpack("<QQ", raw[: len(raw) // 16 * 16]):
                        if key == AT_ENTRY:
                            return value - exe.entry
    raise AssertionError("PIE core without AT_ENTRY in NT_AUXV")


def _namer(spec: FixtureSpec) -> Callable[[str], str]:
    """printFuncName of the fixture's release: 1.19 prints raw names (but
    panic), 1.21–1.26 cut generic shapes to [...], 1.27 keeps the method of
    a generic type's generic method."""
    minor = _minor(spec)
    if minor < 21:
        return lambda n: "panic" if n == "runtime.gopanic" else n
    return lambda n: print_name(n, nested_generics=minor >= 27)


def _runtime_hides(name: str) -> bool:
    """showfuncinfo at GOTRACEBACK=single/all: unexported runtime functions
    (and names without a package) are left out of runtime.Stack output."""
    if "." not in name:
        return True
    if not name.startswith("runtime."):
        return False
    base = name[len("runtime."):]
    rcvr, _, meth = base.rpartition(".")
    rcvr = rcvr.removeprefix("(*").removesuffix(")")
    return not (meth[:1].isupper() and (not rcvr or rcvr[:1].isupper()))


@dataclass
class Checker:
    spec: FixtureSpec
    tab: PCLnTab
    bias: int
    show: Callable[[str], str]
    injected: frozenset[str]
    errors: list[str] = field(default_factory=list)
    physical: int = 0
    inlined: int = 0
    sizes: int = 0
    _by_print: dict[str, list[Func]] | None = None

    def fail(self, where: str, msg: str) -> None:
        self.errors.append(f"{where}: {msg}")

    def by_print_name(self, name: str) -> list[Func]:
        if self._by_print is None:
            self._by_print = {}
            for f in self.tab.funcs():
                self._by_print.setdefault(self.show(f.name), []).append(f)
        return self._by_print.get(name, [])

    # -- one stack ------------------------------------------------------------

    def stack(self, where: str, frames: list[Frame | Elision], trap_pc: int | None,
              with_pcs: bool) -> None:
        pending: list[Frame] = []
        callee: str | None = None
        innermost, cut = True, False
        for fr in frames:
            if isinstance(fr, Elision):
                pending, callee, innermost, cut = [], None, False, True
                continue
            if fr.function == "non-Go function":
                pending, callee, innermost = [], None, False
                continue
            if fr.inlined:
                pending.append(fr)
                continue
            label = f"{where} {fr.function} {fr.file}:{fr.line}"
            if with_pcs:
                trap = innermost and trap_pc is not None and fr.pc == trap_pc
                callee = self.frame_with_pc(label, pending, fr, trap or callee in self.injected,
                                            cut)
            else:
                self.frame_by_name(label, pending, fr)
            pending, innermost, cut = [], False, False
        if pending and with_pcs:
            self.fail(where, f"inlined frames without their physical frame: {pending}")
        elif pending:
            self.orphans(where, pending)

    def frame_with_pc(self, where: str, inl: list[Frame], fr: Frame, trap: bool,
                      cut: bool) -> str | None:
        if fr.pc is None or fr.fp is None or fr.sp is None:
            self.fail(where, "frame printed without fp/sp/pc")
            return None
        pc = fr.pc - self.bias
        f = self.tab.func_at(pc)
        if f is None:
            self.fail(where, f"no function at pc {pc:#x}")
            return None
        if self.show(f.name) != fr.function:
            self.fail(where, f"pc {pc:#x} is in {f.name}")
            return None
        want_off = pc - f.entry if pc > f.entry else None
        if fr.offset != want_off:
            self.fail(where, f"offset +{fr.offset} but pc − entry = {want_off}")
        sym = pc if trap or pc == f.entry else pc - 1
        self.compare(where, inl, fr, self.tab.frames_at(sym), cut)
        size = self.tab.pcsp(f, pc)
        slot = PTR if self.spec.arch == "amd64" else 0  # the pushed return address
        if fr.fp - fr.sp - slot != size:
            self.fail(where, f"fp − sp − {slot} = {fr.fp - fr.sp - slot} but pcsp = {size}")
        else:
            self.sizes += 1
        return self.tab.func_kind(f)

    def frame_by_name(self, where: str, inl: list[Frame], fr: Frame) -> None:
        """runtime.Stack output: no pc; find the function by its printed name
        (generic shapes make names ambiguous: any candidate may match)."""
        cands = self.by_print_name(fr.function)
        if not cands:
            self.fail(where, "no function of that name")
            return
        reasons: list[str] = []
        for f in cands:
            pc = f.entry + (fr.offset or 0)
            if pc >= f.end:
                continue
            sym = pc - 1 if pc > f.entry else pc
            got = self.tab.frames_at(sym)
            probe = Checker(self.spec, self.tab, self.bias, self.show, self.injected)
            probe.compare(where, inl, fr, got, cut=False, filtered=True)
            if not probe.errors:
                self.physical += probe.physical
                self.inlined += probe.inlined
                return
            reasons += probe.errors
        self.fail(where, "no candidate matches: " + "; ".join(reasons[:3]))

    def orphans(self, where: str, inl: list[Frame]) -> None:
        """runtime.Stack hid the physical frame (a wrapper such as a ``go``
        statement's ``gowrap``): some hidden function must have a pc whose
        inlined frames are the printed ones."""
        want = [(p.function, p.file, p.line) for p in inl]
        for f in self.tab.funcs():
            if not (_runtime_hides(f.name) or self.tab.func_kind(f) == "wrapper"):
                continue
            inltree = self.tab.table(self.tab.pcdata_offset(f, self.tab.inline_pcdata_index()))
            for idx, start, _end in inltree:
                if idx < 0:
                    continue
                got = self.tab.frames_at(f.entry + start)
                if [(self.show(g.function), g.file, g.line) for g in got[:-1]] == want:
                    self.inlined += len(want)
                    return
        self.fail(where, f"inlined frames {want} are in no hidden function")

    # -- logical frames at one pc ------------------------------------------------

    def compare(self, where: str, inl: list[Frame], fr: Frame, got: list[SourceFrame],
                cut: bool, filtered: bool = False) -> None:
        if not got or got[-1].inlined:
            self.fail(where, f"pclntab gives no physical frame: {got}")
            return
        phys = got[-1]
        if self.show(phys.function) != fr.function or (phys.file, phys.line) != (fr.file, fr.line):
            self.fail(where, f"physical frame is {phys.function} {phys.file}:{phys.line}")
            return
        self.physical += 1
        want = got[:-1]
        printed = inl
        # runtime.Stack leaves out runtime internals; Go 1.15 judged
        # an inlined frame by its physical function's name (showfuncinfo; 1.19 by its own).
        if filtered:
            by_name = _minor(self.spec) >= 16
            want = [w for w in want if not (by_name and _runtime_hides(w.function))
                    and not (self.tab.kind_of_id(w.func_id) == "wrapper")]
        if cut:  # the elision may have swallowed the innermost inlined frames
            want = want[len(want) - len(printed):] if len(printed) <= len(want) else want
        if len(want) != len(printed):
            self.fail(where, f"inlined frames printed {[p.function for p in printed]}, "
                             f"pclntab has {[w.function for w in want]}")
            return
        for w, p in zip(want, printed, strict=True):
            if not w.inlined:
                self.fail(where, f"{w.function} should be an inlined frame")
            if (self.show(w.function), w.file, w.line) != (p.function, p.file, p.line):
                self.fail(where, f"inlined frame {p.function} {p.file}:{p.line} but pclntab "
                                 f"has {w.function} {w.file}:{w.line}")
            else:
                self.inlined += 1

    def created_by(self, where: str, function: str, file: str | None, line: int | None,
                   offset: int | None) -> None:
        """``created by F``: gopc − 1 in the physical function (no inlining)."""
        for f in self.by_print_name(function):
            pc = f.entry + (offset or 0)
            if pc < f.end and self.tab.line_at(f, pc - 1 if offset else pc) == (file, line):
                return
        self.fail(where, f"created by {function} {file}:{line} +{offset} not found")


def _stacks(tb: Traceback) -> Iterator[tuple[str, list[Frame | Elision], int | None]]:
    for n, section in enumerate(tb.sections):
        trap_pc = section.context.pc if section.context is not None else None
        if section.runtime_stack is not None:
            yield f"section {n} runtime stack", section.runtime_stack, trap_pc
        for g in section.goroutines:
            yield f"section {n} goroutine {g.id}", g.frames, trap_pc


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_pclntab_matches_the_runtime_traceback(spec: FixtureSpec, fixture: Fixture) -> None:
    tab = _table(fixture.binary)
    exe = _exe(fixture.binary)
    tb, with_pcs = _oracle(fixture)
    injected = {"sigpanic"} if _minor(spec) < 21 else {"sigpanic", "asyncPreempt", "debugCallV2"}
    check = Checker(spec, tab, _pie_bias(fixture, exe), _namer(spec), frozenset(injected))
    for where, frames, trap_pc in _stacks(tb):
        check.stack(where, frames, trap_pc, with_pcs)
    for section in tb.sections:
        for g in section.goroutines:
            c = g.created_by
            if c is not None:
                check.created_by(f"goroutine {g.id} created by", c.function, c.file, c.line,
                                 c.offset)
    assert not check.errors, f"{len(check.errors)} mismatches:\n" + "\n".join(check.errors[:30])
    assert check.physical >= 3, "the traceback gave (almost) no frame to check"
    if with_pcs:
        assert check.sizes == check.physical
    if spec.scenario.name == "nilmap" and spec.variant.name != "noopt":
        assert check.inlined >= 1, "the nilmap crash is in an inlined frame"


_NAMED = [make_spec(v, "default", "values") for v in ("1.19", "1.27")] + [
    make_spec("1.15", "default", "nilptr")]


@pytest.mark.parametrize("spec", _NAMED, ids=[s.id for s in _NAMED])
def test_name_search_agrees_with_the_name_index(spec: FixtureSpec, fixture: Fixture) -> None:
    """funcs_by_name's first lookups search for the names alone (issue #16:
    no index of every name before the first locals); they find what the
    index of every name finds, absent names included."""
    def fresh() -> PCLnTab:
        return PCLnTab.from_executable(_exe(fixture.binary))

    every = fresh()
    every.func_by_name("main.main")
    assert every._names is not None
    every._names.index = every._names.build_index()  # the reference: every name indexed
    names = sorted({f.name for f in every.funcs()})
    absent = ["main.no_such_function", "runtime.jmpdefer_not", "", "runtime.mai"]
    picks = [*names[:3], *names[len(names) // 2:len(names) // 2 + 3], *names[-3:],
             "runtime.main", "main.main", *absent]
    for name in picks:
        tab = fresh()
        got = tab.func_by_name(name)
        want = every.func_by_name(name)
        assert (got.index if got else None) == (want.index if want else None), name
        if _minor(spec) >= 16:
            assert tab._names is not None and tab._names.index is None, f"{name}: indexed"
    # every name at once, and the runtime's special functions (their
    # kinds are read first: funcid.KIND_FUNCTIONS)
    special = [n for ns in funcid.KIND_FUNCTIONS.values() for n in ns]
    for batch in (names + absent, special + absent):
        tab = fresh()
        got = {k: f.index for k, f in tab.funcs_by_name(batch).items()}
        assert got == {k: f.index for k, f in every.funcs_by_name(batch).items()}
        if _minor(spec) >= 16:
            assert tab._names is not None and tab._names.index is None


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_symbols_and_moduledata_agree(spec: FixtureSpec, fixture: Fixture) -> None:
    """A stripped reading (moduledata found by scanning) gives the same text
    start and gofunc as the symbol table; names resolve both ways."""
    exe = _exe(fixture.binary)
    tab = _table(fixture.binary)
    bare = PCLnTab.from_executable(exe, use_symbols=False)
    assert bare.text_start == tab.text_start
    assert bare.gofunc == tab.gofunc
    minor = _minor(spec)
    assert tab.version == ("1.2" if minor < 16 else "1.16" if minor < 18 else "1.18"
                           if minor < 20 else "1.20")
    if spec.variant.name != "stripped":
        text = exe.symbol("runtime.text")
        assert text is not None and tab.text_start == text.value
        for name in ("main.main", "runtime.main", "runtime.goexit", "runtime.gopanic"):
            f = tab.func_by_name(name)
            sym = exe.symbol(name) or exe.symbol(name + ".abi0")  # assembly: ABI0 symbol
            assert f is not None and sym is not None and f.entry == sym.value, name
    for name, kind in (("runtime.goexit", "goexit"), ("runtime.mstart", "mstart"),
                       ("runtime.sigpanic", "sigpanic"), ("runtime.gopanic", "gopanic"),
                       ("runtime.systemstack", "systemstack"), ("runtime.mcall", "mcall"),
                       ("runtime.morestack", "morestack"), ("runtime.main", "runtime_main"),
                       ("runtime.asyncPreempt", "asyncPreempt"), ("runtime.rt0_go", "rt0_go")):
        f = tab.func_by_name(name)
        assert f is not None, name
        assert tab.func_kind(f) == kind, name
        assert tab.func_at(f.entry) == f and tab.func_at(f.end - 1) == f
    assert tab.is_topframe(tab.func_by_name("runtime.goexit"))  # type: ignore[arg-type]
    if minor >= 17:  # function flags came with Go 1.17
        assert tab.is_spwrite(tab.func_by_name("runtime.systemstack"))  # type: ignore[arg-type]
    assert tab.func_kind(tab.func_by_name("main.main")) is None  # type: ignore[arg-type]
    wrapper = tab.func_by_name("runtime.deferreturn")
    assert wrapper is not None and tab.func_kind(wrapper) == "wrapper"
    assert tab.func_by_name("main.no_such_function") is None


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_addresses_outside_go_text(spec: FixtureSpec, fixture: Fixture) -> None:
    tab = _table(fixture.binary)
    funcs = list(tab.funcs())
    assert len(funcs) == tab.nfunc
    first, last = funcs[0], funcs[-1]
    assert tab.func_at(0) is None
    assert tab.func_at(first.entry - 1) is None
    assert tab.func_at(last.end) is None
    assert tab.func_at(tab.addr) is None  # the pclntab itself is data
    assert tab.frames_at(last.end + 0x1000) == []
    ends = [f.entry for f in funcs[1:]] + [last.end]
    assert all(f.end == e for f, e in zip(funcs, ends, strict=True))


def _runs_reference(buf: bytes, off: int, quantum: int) -> list[tuple[int, int]]:
    """(value, end pc offset) of each run, by a line-by-line port of the
    runtime's pcvalue/step/readvarint loop (the slow way)."""
    pc, val, first, p = 0, -1, True, off
    runs: list[tuple[int, int]] = []

    def varint() -> int:
        nonlocal p
        v = shift = 0
        while True:
            b = buf[p]
            p += 1
            v |= (b & 0x7F) << shift
            if b & 0x80 == 0:
                return v
            shift += 7

    while True:
        uv = varint()
        if uv == 0 and not first:
            return runs
        first = False
        val += -(uv & 1) ^ (uv >> 1)
        pc += varint() * quantum
        runs.append((val, pc))


ONE_PER_RELEASE = [s for s in SPECS if s.variant.name == "default" and s.scenario.name == "nilmap"]


@pytest.mark.parametrize("spec", ONE_PER_RELEASE, ids=[s.id for s in ONE_PER_RELEASE])
def test_pc_value_tables_decode_like_the_runtime(spec: FixtureSpec, fixture: Fixture) -> None:
    """Every pcsp/pcfile/pcln and PCDATA table of every function decodes as
    the runtime's own loop does, and covers the function's code."""
    tab = PCLnTab.from_executable(_exe(fixture.binary))
    buf = bytes(_exe(fixture.binary).data)
    pctab = tab.pctab_fileoff
    checked = 0
    for f in tab.funcs():
        offs = [f.pcsp, f.pcfile, f.pcln]
        offs += [tab.pcdata_offset(f, i) for i in range(f.npcdata)]
        for off in offs:
            if off == 0:
                continue
            table = tab.table(off)
            want = _runs_reference(buf, pctab + off, tab.quantum)
            assert [(v, e) for v, _s, e in table] == want, (f.name, off)
            # A table covers the code; alignment padding may follow it.
            assert 0 < table.ends[-1] <= f.end - f.entry, f.name
            checked += 1
    assert checked > 5_000


NO_HEADERS = [s for s in SPECS if s.scenario.name == "cgocrash"
              and s.variant.name in ("pie", "stripped", "default")]


@pytest.mark.parametrize("spec", NO_HEADERS, ids=[s.id for s in NO_HEADERS])
def test_binary_without_section_headers(spec: FixtureSpec, fixture: Fixture,
                                        tmp_path: Path) -> None:
    """With no section headers (and so no .symtab), the pclntab and the
    moduledata are found by scanning the segments; everything agrees with
    the normal reading. cgocrash binaries are externally linked: the text
    start is not the start of .text, and PIE puts the pclntab in .data.rel.ro."""
    raw = bytearray(fixture.binary.read_bytes())
    assert raw[4] == 2, "ELF64 expected"
    struct.pack_into("<Q", raw, 0x28, 0)  # e_shoff
    struct.pack_into("<HH", raw, 0x3C, 0, 0)  # e_shnum, e_shstrndx
    bare_path = tmp_path / "noheaders"
    bare_path.write_bytes(bytes(raw))
    exe = Executable(bare_path)
    try:
        assert exe.sections == {}
        bare = PCLnTab.from_executable(exe)
        tab = _table(fixture.binary)
        assert (bare.addr, bare.version, bare.text_start, bare.gofunc) == (
            tab.addr, tab.version, tab.text_start, tab.gofunc)
        text = _exe(fixture.binary).sections[".text"]
        assert tab.text_start != text.addr, "external linking should move the text start"
        for f in list(tab.funcs())[:: max(1, tab.nfunc // 300)]:
            pc = f.entry + (f.end - f.entry) // 2
            assert bare.frames_at(pc) == tab.frames_at(pc)
            g = bare.func_at(pc)
            assert g is not None and bare.pcsp(g, pc) == tab.pcsp(f, pc)
    finally:
        exe.close()


ONE = ONE_PER_RELEASE[-1:]


@pytest.mark.parametrize("spec", ONE, ids=[s.id for s in ONE])
def test_errors_are_typed(spec: FixtureSpec, fixture: Fixture, tmp_path: Path) -> None:
    """An unknown magic is UnsupportedError; no pclntab is ExecutableError."""
    binary = fixture.binary
    exe = _exe(binary)
    raw = bytearray(binary.read_bytes())
    fo = exe.sections[".gopclntab"].offset
    struct.pack_into("<I", raw, fo, 0xFFFFFFF7)
    (tmp_path / "future").write_bytes(bytes(raw))
    future = Executable(tmp_path / "future")
    with pytest.raises(UnsupportedError, match="magic 0xfffffff7"):
        PCLnTab.from_executable(future)
    future.close()
    with pytest.raises(ExecutableError, match="no Go pclntab"):
        PCLnTab.from_executable(Executable("/bin/true"))


# -- damaged line tables: a clear error, never an internal one ---------------------------


def _damaged_copy(fx: Fixture, tmp: Path, poke: Callable[[PCLnTab, bytearray], None]) -> Path:
    tab = PCLnTab.from_executable(Executable(fx.binary))
    data = bytearray(Path(fx.binary).read_bytes())
    poke(tab, data)
    out = tmp / "zoo"
    out.write_bytes(bytes(data))
    out.chmod(0o755)
    return out


def _funcoff_at(tab: PCLnTab, name: str) -> int:
    """File offset of ``name``'s funcoff word in the functab."""
    f = tab.func_by_name(name)
    assert f is not None
    width = 4 if tab.version in ("1.18", "1.20") else tab.ptr_size
    return tab._ftab + (2 * f.index + 1) * width


_DAMAGED = [make_spec("1.19", "default", "nilptr"), make_spec("1.27", "default", "nilptr")]


@pytest.mark.parametrize("spec", _DAMAGED, ids=[s.id for s in _DAMAGED])
@pytest.mark.parametrize("target", ["funcoff", "name", "pcsp"])
def test_offsets_out_of_the_section_are_a_clear_error(spec: FixtureSpec, fixture: Fixture,
                                                      target: str, tmp_path: Path) -> None:
    """A flipped offset in .gopclntab (found by the fuzzer: struct.error and
    'internal error') is reported as damaged line tables, exit status 1."""
    import subprocess
    import sys

    def poke(tab: PCLnTab, data: bytearray) -> None:
        f = tab.func_by_name("main.main")
        assert f is not None
        if target == "funcoff":
            at = _funcoff_at(tab, "main.main")
        elif target == "name":
            at = f.record + tab._name_at
        else:  # the pcsp field: the word after the name, args and deferreturn fields
            at = f.record + tab._name_at + 12
        order = "<" if tab._order == "<" else ">"
        data[at:at + 4] = struct.pack(order + "I", 0x7FFFFFF0)

    exe = _damaged_copy(fixture, tmp_path, poke)
    r = subprocess.run([sys.executable, "-m", "dapcore", "bt", "-a", str(exe), str(fixture.core)],
                       capture_output=True, text=True, timeout=120)
    assert "internal error" not in r.stderr
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    assert ".gopclntab) are damaged" in r.stderr, r.stderr


def test_package_of_a_function_name() -> None:
    assert package_of("main.f") == "main"
    assert package_of("github.com/a/b.(*T).M") == "github.com/a/b"
    assert package_of("net/http.(*Client).Do.func1") == "net/http"
    assert package_of("main.Map[example.com/x.T].Get") == "main"
    assert package_of("example.com/m/p.G[go.shape.struct { a/b.T }]") == "example.com/m/p"
    assert package_of("gofunc") == "gofunc"
