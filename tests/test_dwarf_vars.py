"""DWARF access, Go types and frame variables against the values fixture.

The ``values`` scenario writes ``values.json`` before it panics: for each of
its variables the function (as the runtime prints it), the kind (param,
local, captured), the Go type and the value. For every values fixture with
DWARF, every expected variable must be listed in its frame of the crashing
goroutine, as a parameter or a local, with a Go type of the expected name;
scalars (bool, integers, floats, uintptr) and string headers that are
available must decode to the expected value. In ``noopt`` builds (-N -l)
every variable must be available; in optimized builds a variable may be
unavailable (optimized out) but never wrong.

What is not (yet) required, and is reported instead of failing: generic
shapes (``go.shape.int``) where the function's dictionary cannot be read.
Captured variables are required to be marked captured on every release
(before Go 1.23 the closure's code places them, not the DWARF).
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from dapcore.dwarf.location import REGISTER, UNAVAILABLE
from dapcore.dwarf.pcindex import read_aranges
from dapcore.dwarf.reader import Dwarf
from dapcore.elf.executable import Executable
from dapcore.engine import Engine
from dapcore.gobin.pclntab import PCLnTab
from dapcore.govalues.framevars import (
    FrameScope,
    FrameVariables,
    Variable,
    VariableReader,
    frame_registers,
)
from dapcore.govalues.types import GoType
from tests.factory import Fixture, FixtureSpec, full_matrix, matrix
from tests.factory.build import build
from tests.factory.toolchains import TOOLCHAINS
from tests.factory.variants import VARIANTS
from tests.oracle.names import printed_function

MATRIX = full_matrix()
VALUES = [s for s in MATRIX if s.variant.dwarf and s.scenario.name == "values"]
# One binary per release (default variant) for whole-binary DWARF checks.
DEFAULT_VALUES = [s for s in VALUES if s.variant.name == "default"]

_INTS = {"int": 8, "int8": 1, "int16": 2, "int32": 4, "int64": 8}
_UINTS = {"uint": 8, "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8, "uintptr": 8}
_FLOATS = {"float32": "<f", "float64": "<d"}
_UNAVAILABLE_OK = re.compile(r"optimized out|not saved in this frame|no location|nil")


def _ids(specs: list[FixtureSpec]) -> list[str]:
    return [s.id for s in specs]


def _minor(spec: FixtureSpec) -> int:
    return int(spec.toolchain.minor.split(".")[1])


@cache
def _report(binary: str, core: str) -> Engine:
    return Engine.open(binary, core)


@cache
def _reader(binary: str, core: str) -> VariableReader:
    return VariableReader.for_process(_report(binary, core).proc)




def _unshape(name: str) -> str:
    """``go.shape.string_0`` (1.19) / ``go.shape.int`` → ``string`` / ``int``."""
    return re.sub(r"go\.shape\.([\w.*\[\]]+?)(_\d+)?(?=[,\]\s)]|$)", r"\1", name)


@dataclass
class Frames:
    """The crashing goroutine's frames and their variables, by printed name."""

    report: Engine
    reader: VariableReader
    by_function: dict[str, int] = field(default_factory=dict)
    _vars: dict[int, FrameVariables] = field(default_factory=dict)

    def variables(self, index: int) -> FrameVariables:
        fv = self._vars.get(index)
        if fv is None:
            stack = self.stack
            regs = frame_registers(self.report.proc, stack, index)
            fv = self._vars[index] = self.reader.frame_variables(stack.frames, index, regs)
        return fv

    @property
    def stack(self) -> Any:
        g = self.report.proc.crashed_goroutine
        assert g is not None
        return self.report.stack(g)


def _frames(fx: Fixture) -> Frames:
    rep = _report(str(fx.binary), str(fx.core))
    fr = Frames(rep, _reader(str(fx.binary), str(fx.core)))
    for i, f in enumerate(fr.stack.frames):
        fr.by_function.setdefault(printed_function(f.function), i)
    return fr


def _expected(fx: Fixture) -> list[dict[str, Any]]:
    return json.loads(fx.side_file("values.json").read_text())["variables"]


def _check_value(v: Variable, want: Any, fx: Fixture) -> str | None:
    """None when the bytes decode to ``want`` (or the kind is not checked
    here), else what differs."""
    kind = v.type.kind
    mem = _report(str(fx.binary), str(fx.core)).proc.memory
    raw = v.read(mem)
    if kind == "bool":
        got: Any = raw[0] != 0
        return None if got == want else f"{got} != {want}"
    if kind in _INTS:
        got = int.from_bytes(raw[:_INTS[kind]], "little", signed=True)
        return None if got == want else f"{got} != {want}"
    if kind in _UINTS:
        got = int.from_bytes(raw[:_UINTS[kind]], "little")
        return None if got == want else f"{got} != {want}"
    if kind in _FLOATS:
        (got,) = struct.unpack(_FLOATS[kind], raw)
        exp = float(want)
        if math.isnan(exp):
            return None if math.isnan(got) else f"{got} != NaN"
        if kind == "float32":
            exp = struct.unpack("<f", struct.pack("<f", exp))[0]
        same = got == exp and math.copysign(1, got) == math.copysign(1, exp)
        return None if same else f"{got!r} != {want}"
    if kind == "string":
        ptr = int.from_bytes(raw[:8], "little")
        n = int.from_bytes(raw[8:16], "little")
        if n != want["len"]:
            return f"len {n} != {want['len']}"
        if n:
            text = mem.read(ptr, n).decode("utf-8", "replace")
            if text != want["string"]:
                return f"{text!r} != {want['string']!r}"
        return None
    return None


_CHECKED_KINDS = {"bool", "string", *_INTS, *_UINTS, *_FLOATS}


@pytest.mark.parametrize("spec", VALUES, ids=_ids(VALUES))
def test_values_fixture_variables(spec: FixtureSpec, fixture: Fixture) -> None:
    """Every expected variable is listed, with the right kind and type;
    available scalars and strings hold the expected value."""
    fr = _frames(fixture)
    noopt = spec.variant.name == "noopt"
    counts: Counter[str] = Counter()
    problems: list[str] = []
    for e in _expected(fixture):
        where = f"{e['function']} {e['name']}"
        idx = fr.by_function.get(e["function"])
        if idx is None:
            problems.append(f"{where}: no frame {e['function']} in the crashing goroutine")
            continue
        fv = fr.variables(idx)
        assert fv.error is None, f"{where}: {fv.error}"
        v = fv.get(e["name"])
        if v is None:
            hidden = [x for x in fv.variables if x.name == e["name"]]
            why = f" (hidden: {hidden[0].hidden})" if hidden else ""
            problems.append(f"{where}: not listed{why}")
            continue
        counts["listed"] += 1
        # kind
        if v.kind != e["kind"]:
            problems.append(f"{where}: kind {v.kind}, want {e['kind']}")
        # type
        if v.type.name != e["type"]:
            if v.type.is_shape and _unshape(v.type.name) == e["type"]:
                counts["shape"] += 1
            else:
                problems.append(f"{where}: type {v.type.name!r}, want {e['type']!r}")
        # availability and value
        if not v.available:
            counts["unavailable"] += 1
            if noopt:
                problems.append(f"{where}: unavailable in a -N -l build: {v.location.why}")
            elif not _UNAVAILABLE_OK.search(v.location.why or ""):
                problems.append(f"{where}: unavailable for an unexpected reason: "
                                f"{v.location.why}")
            continue
        counts["available"] += 1
        if v.type.kind in _CHECKED_KINDS:
            try:
                bad = _check_value(v, e["value"], fixture)
            except Exception as exc:  # unreadable memory is a failure here
                bad = f"{type(exc).__name__}: {exc}"
            if bad is None:
                counts["correct"] += 1
            else:
                problems.append(f"{where} ({v.type.name} at {v.location.describe()}): {bad}")
    print(f"\n{spec.id}: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    assert not problems, "\n".join(problems)
    assert counts["correct"] >= 30, counts  # the scalars and strings were checked


@pytest.mark.parametrize("spec", VALUES, ids=_ids(VALUES))
def test_every_frame_has_its_scope(spec: FixtureSpec, fixture: Fixture) -> None:
    """Every frame of the crashing goroutine finds its function in the
    DWARF, inlined frames their own inlined subroutine (pclntab and DWARF
    agree on the chain, and on the call site: DW_AT_call_file/call_line
    through the line table's file names), and no location uses an
    operation we cannot evaluate."""
    fr = _frames(fixture)
    inlined = 0
    for i, f in enumerate(fr.stack.frames):
        fv = fr.variables(i)
        assert fv.error is None, f"#{i} {f.function}: {fv.error}"
        assert fv.inline_mismatch is None, f"#{i} {f.function}: {fv.inline_mismatch}"
        if f.inlined:  # the DWARF's call site is the caller's frame line
            inlined += 1
            caller = fr.stack.frames[i + 1]
            assert (fv.call_file, fv.call_line) == (caller.file, caller.line), f.function
        for v in fv.variables:
            why = v.location.why or ""
            assert "unsupported" not in why and "malformed" not in why, (
                f"#{i} {f.function} {v.dwarf_name}: {why}")
    if spec.variant.name != "noopt":
        assert inlined, "no inlined frame was exercised"


@pytest.mark.parametrize("spec", VALUES, ids=_ids(VALUES))
def test_interface_dynamic_types(spec: FixtureSpec, fixture: Fixture) -> None:
    """The dynamic type of every available interface variable (its runtime
    type descriptor, read from the core) maps back to the DWARF type the
    program named: DW_AT_go_runtime_type is an offset from
    moduledata.types. Both lookups agree: by name, and by the index of
    every runtime type. Pointer-shaped dynamic values are the data word."""
    fr = _frames(fixture)
    reader = fr.reader
    mem = fr.report.proc.memory
    assert reader.runtime_type is not None
    checked = pointers = 0
    for e in _expected(fixture):
        value = e["value"]
        if not isinstance(value, dict) or "dynamicType" not in value:
            continue
        fv = fr.variables(fr.by_function[e["function"]])
        v = fv.get(e["name"])
        assert v is not None
        if not v.available or v.type.kind != "interface":
            continue
        raw = v.read(mem)
        word = int.from_bytes(raw[:8], "little")
        if v.type.iface_kind == "iface":
            itab = v.type.representation
            assert itab is not None
            word = mem.u64(word + 8)  # itab.Type follows itab.Inter
        t = reader.runtime_type(word)
        assert t is not None, f"{e['name']}: runtime type {word:#x} not in the DWARF"
        assert t.name == value["dynamicType"], e["name"]
        inner = value.get("value")
        if t.kind == "ptr" and isinstance(inner, dict) and "addr" in inner:
            # a pointer is stored in the data word itself (Go 1.19's doubled
            # pieces would give the first word again)
            assert int.from_bytes(raw[8:16], "little") == int(inner["addr"], 16), e["name"]
            pointers += 1
        assert t.runtime_type is not None
        index = reader.types.runtime_type_index()
        assert reader.types.type_at(index[t.runtime_type]).name == t.name
        checked += 1
    assert checked >= 5 and pointers >= 2


@pytest.mark.parametrize("spec", DEFAULT_VALUES, ids=_ids(DEFAULT_VALUES))
def test_subprogram_of_every_function(spec: FixtureSpec, fixture: Fixture) -> None:
    """The PC → unit → subprogram lookup finds every Go function pclntab
    knows (same name; Go 1.19's pclntab shortens some to ``[...]``), and
    building the unit index decodes no DIE but the units' own."""
    exe = Executable(fixture.binary)
    d = Dwarf(exe)
    calls: list[int] = []
    original = d.dies.skip_children

    def counting(pos: int, unit: Any) -> int:
        calls.append(pos)
        return original(pos, unit)

    d.dies.skip_children = counting  # type: ignore[method-assign]
    assert d.pcindex.unit_for_pc(0) is None
    assert not calls, "indexing the units walked DIEs"
    tab = PCLnTab.from_executable(exe)
    missing, wrong = [], []
    for f in tab.funcs():
        sub = d.subprogram_at(f.entry)
        if sub is None:
            missing.append(f.name)
        elif d.attr(sub, 3) != f.name and \
                printed_function(str(d.attr(sub, 3))) != printed_function(f.name):
            wrong.append((f.name, d.attr(sub, 3)))
    assert not wrong
    # Functions without DWARF: the FIPS text markers (1.24+), nothing else.
    assert set(missing) <= {"go:textfipsstart", "go:textfipsend"}, missing


@pytest.mark.parametrize("minor", ["1.19", "1.27"])
def test_subprograms_of_a_cgo_binary(minor: str) -> None:
    """gcc's units in a cgo binary: .debug_aranges covers them (Go's linker
    never writes that section), their DWARF 5 sits next to Go's DWARF 4 in
    Go 1.19; every Go function of pclntab and every C function is found."""
    tc = next(t for t in TOOLCHAINS if t.minor == minor)
    exe = Executable(build(tc, VARIANTS["default"], "zoocgo").binary)
    d = Dwarf(exe)
    covered = read_aranges(d.sections)
    assert covered, "no .debug_aranges in a cgo binary"
    names = d.unit_names(walking=True)
    c_units = {u.offset for u, n in zip(d.units, names, strict=True)
               if n and n.endswith((".c", ".S"))}
    assert c_units and set(covered) <= c_units
    versions = {u.version for u in d.units}
    assert versions == ({4, 5} if minor == "1.19" else {5})
    tab = PCLnTab.from_executable(exe)
    for f in tab.funcs():  # Go code (pclntab has no C functions)
        if f.name in ("go:textfipsstart", "go:textfipsend"):
            continue
        sub = d.subprogram_at(f.entry)
        assert sub is not None, f.name
        assert printed_function(str(d.attr(sub, 3))) == printed_function(f.name)
    found_c = 0
    for u in d.units:  # C code: each function of the C units, at its first PC
        if u.offset not in c_units:
            continue
        for child in d.children(d.top(u)):
            ranges = d.ranges(child) if child.tag == 0x2E else []
            if ranges:
                sub = d.subprogram_at(ranges[0][0])
                assert sub is not None and sub.offset == child.offset, child.name
                found_c += 1
    assert found_c >= 10


@pytest.mark.parametrize("spec", VALUES[:1] + DEFAULT_VALUES[-1:],
                         ids=_ids(VALUES[:1] + DEFAULT_VALUES[-1:]))
def test_one_frame_reads_one_unit(spec: FixtureSpec, fixture: Fixture) -> None:
    """Listing the variables of a frame parses the top level of that
    function's unit only."""
    rep = Engine.open(fixture.binary, fixture.core)
    reader = VariableReader.for_process(rep.proc)
    g = rep.proc.crashed_goroutine
    assert g is not None
    frames = rep.stack(g).frames
    i = next(i for i, f in enumerate(frames) if f.function == "main.valuesScalars")
    fv = reader.frame_variables(frames, i)
    assert fv.get("count") is not None
    assert len(reader.dwarf.pcindex.subprogram_tables) == 1
    # the PC → unit index stopped at main's unit (issue #16), which Go's
    # linker writes before most others
    assert reader.dwarf.pcindex._next_unit < len(reader.dwarf.units) // 2


_COMPRESSED = [s for s in DEFAULT_VALUES if s.toolchain.minor in ("1.19", "1.27")]


@pytest.mark.parametrize("spec", _COMPRESSED, ids=_ids(_COMPRESSED))
def test_list_and_line_sections_are_decompressed_as_far_as_read(spec: FixtureSpec,
                                                                fixture: Fixture) -> None:
    """A frame's variables need a few location lists: of the compressed
    .debug_loclists/.debug_loc only the beginning up to them is
    decompressed (issue #16), and the variables read so are those read from
    the whole sections."""
    from dapcore.dwarf.sections import debug_section

    def variables(whole: bool) -> tuple[list[tuple[object, ...]], Any]:
        rep = Engine.open(fixture.binary, fixture.core)
        reader = VariableReader.for_process(rep.proc)
        if whole:
            for name in ("loclists", "loc", "rnglists", "ranges", "line"):
                reader.dwarf.sections.get(name)
        g = rep.proc.crashed_goroutine
        assert g is not None
        frames = rep.stack(g).frames
        i = next(i for i, f in enumerate(frames) if f.function == "main.valuesScalars")
        out = []
        for v in reader.frame_variables(frames, i).variables:
            data = v.read(rep.proc.memory) if v.available else None
            out.append((v.name, v.type.name, repr(v.location), v.decl_line, data))
        return out, reader.dwarf.sections

    got, sections = variables(whole=False)
    partial = [n for n in ("loclists", "loc", "line") if n in sections._partial]
    assert partial and partial[0] in ("loclists", "loc"), partial
    for name in partial:
        part = sections._partial[name]
        assert len(part.data) < part.size
        assert part.data == debug_section(sections.exe, name)[:len(part.data)]
    want, _ = variables(whole=True)
    assert got == want
    assert sum(1 for v in got if v[4] is not None) >= 10


@pytest.mark.parametrize("spec", DEFAULT_VALUES, ids=_ids(DEFAULT_VALUES))
def test_go_types(spec: FixtureSpec, fixture: Fixture) -> None:
    """Go's kinds and extensions, as the DWARF of each release has them."""
    reader = _reader(str(fixture.binary), str(fixture.core))
    types = reader.types

    def get(name: str) -> GoType:
        t = types.by_name(name)
        assert t is not None, name
        return t

    swiss = _minor(spec) >= 24
    m = get("map[string]int")
    assert (m.kind, m.size, m.key and m.key.name, m.elem and m.elem.name) == (
        "map", 8, "string", "int")
    assert m.map_impl == ("swiss" if swiss else "classic")
    rep = m.representation
    assert rep is not None and rep.kind == "struct"
    assert rep.field("used" if swiss else "count") is not None
    ch = get("chan int")
    assert ch.kind == "chan" and ch.elem is not None and ch.elem.name == "int"
    assert ch.representation is not None and ch.representation.field("qcount") is not None
    assert get("error").iface_kind == "iface"
    assert get("interface {}").iface_kind == "eface"
    assert [f.name for f in get("string").fields] == ["str", "len"]
    sl = get("[]int")
    assert sl.kind == "slice" and sl.size == 24 and sl.elem is not None and sl.elem.name == "int"
    arr = get("[2][3]int8")
    assert (arr.kind, arr.length, arr.size) == ("array", 2, 6)
    assert arr.elem is not None and (arr.elem.name, arr.elem.length) == ("[3]int8", 3)
    item = get("main.ValItem")
    assert [(f.name, f.offset, f.type.name, f.embedded) for f in item.fields] == [
        ("ValBase", 0, "main.ValBase", True), ("ValMeta", 24, "*main.ValMeta", True),
        ("Price", 32, "float64", False), ("count", 40, "uint16", False),
        ("Next", 48, "*main.ValItem", False)]
    nxt = item.field("Next")
    assert nxt is not None and nxt.type.elem is item  # cycles resolve to one object
    assert get("main.ValCelsius").kind == "float64"
    assert get("unsafe.Pointer").kind == "unsafe.Pointer"
    fn = get("func(main.ValPoint) int")
    assert fn.kind == "func" and fn.size == 8
    assert [t.name for t in fn.params] == ["main.ValPoint"]
    assert [t.name for t in fn.results] == ["int"]
    assert get("*main.ValErr").elem is get("main.ValErr")


@pytest.mark.parametrize("spec", DEFAULT_VALUES, ids=_ids(DEFAULT_VALUES))
def test_registers_only_where_known(spec: FixtureSpec, fixture: Fixture) -> None:
    """At main.valuesScalars' entry its parameters are in registers (Go's
    register ABI): with the registers given, each register piece holds that
    register's value (xmm and v registers are 16 bytes); without them, the same
    variables are unavailable because of the register, never read from
    anywhere else. (No fixture frame with known registers has DWARF
    variables: the top frames of a core are assembly.)"""
    rep = _report(str(fixture.binary), str(fixture.core))
    reader = _reader(str(fixture.binary), str(fixture.core))
    f = rep.proc.pclntab.func_by_name("main.valuesScalars")
    assert f is not None
    pc = f.entry + rep.proc.bias
    arch = rep.proc.arch
    regs = {n: (0x0102030405060708 * (n + 1)) % (1 << 64) for n in arch.dwarf_numbers.values()}
    known = reader.scope_variables(FrameScope(pc, 0x7000, 0, trap=True, entry=pc,
                                              registers=regs))
    unknown = reader.scope_variables(FrameScope(pc, 0x7000, 0, trap=True, entry=pc))
    assert known.error is None and unknown.error is None
    in_regs = 0
    for v in known.params:
        regs_used = [p.register for p in v.location.pieces if p.kind == REGISTER]
        if not regs_used:
            continue
        in_regs += 1
        for p in v.location.pieces:
            if p.kind == REGISTER:
                assert p.register is not None
                width = arch.dwarf_sizes.get(p.register, 8)  # xmm, v registers: 16
                assert p.value == regs[p.register].to_bytes(width, "little"), v.name
        u = unknown.get(v.name)
        assert u is not None and not u.available, v.name
        assert any(p.kind == UNAVAILABLE and "not saved in this frame" in (p.why or "")
                   for p in u.location.pieces), (v.name, u.location.describe())
    assert in_regs >= 5
    flag = known.get("flag")
    assert flag is not None and flag.available
    assert flag.read(rep.proc.memory) == regs[0].to_bytes(8, "little")[:1]  # rax


# -- basic types by name, the byte search --------------------------------------------

_BASIC = {"bool": 1, "int": 8, "int8": 1, "int16": 2, "int32": 4, "int64": 8, "uint": 8,
          "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8, "uintptr": 8, "float32": 4,
          "float64": 8, "complex64": 8, "complex128": 16, "string": 16,
          "unsafe.Pointer": 8}


@pytest.mark.parametrize("spec", DEFAULT_VALUES, ids=_ids(DEFAULT_VALUES))
def test_basic_types_by_name(spec: FixtureSpec, fixture: Fixture) -> None:
    """Every predeclared type by name, on every release: the named type
    itself (a byte search for ``bool`` also hits the tail of ``func(…)
    bool``, which decodes as a DIE named ``bool``); ``byte``, ``rune`` and
    ``any`` as the types they alias."""
    types = _reader(str(fixture.binary), str(fixture.core)).types
    for name, size in _BASIC.items():
        t = types.by_name(name)
        assert t is not None, name
        assert (t.name, t.kind, t.size) == (name, name, size), (name, t)
    aliases = {"byte": ("uint8", 1), "rune": ("int32", 4), "any": ("interface {}", 16)}
    for alias, (name, size) in aliases.items():
        t = types.by_name(alias)
        assert t is not None and (t.name, t.size) == (name, size), alias
        assert t is types.by_name(name)
    err = types.by_name("error")
    assert err is not None and err.kind == "interface"
    assert types.by_name("main.noSuchType") is None


@pytest.mark.parametrize("spec", DEFAULT_VALUES, ids=_ids(DEFAULT_VALUES))
def test_byte_search_finds_only_real_dies(spec: FixtureSpec, fixture: Fixture) -> None:
    """``Dwarf.find_by_bytes`` of each named top-level DIE of the types unit
    and of ``runtime``'s constants returns a top-level DIE of that name,
    never the tail of a longer name decoded as a DIE."""
    reader = _reader(str(fixture.binary), str(fixture.core))
    d, types = reader.dwarf, reader.types
    unit = types.types_unit
    assert unit is not None
    kids = list(d.children(d.top(unit)))
    offsets = {c.offset for c in kids}
    names = {c.name for c in kids if c.name}
    tails = sum(1 for n in names if n == "bool" or f"*{n}" in names)
    for c in kids:
        name = c.name
        if not name:
            continue
        found = d.find_by_bytes(c.tag, name, within=unit)
        assert found is not None and found.offset in offsets, (name, c.offset)
        assert found.name == name and found.tag == c.tag
    assert tails > 100  # many names are also the end of longer ones ("*T")
    consts = d.find(0x27, [f"runtime.{n}" for n in (
        "_Gidle", "_Grunnable", "_Grunning", "_Gsyscall", "_Gwaiting", "_Gdead")])
    assert len(consts) == 6


# -- pieces written twice (Go 1.19 to 1.21) ---------------------------------------------


def test_location_fit() -> None:
    """``Location.fit``: repeats of the previous piece are dropped only while
    the pieces describe more than the value."""
    from dapcore.dwarf.location import MEMORY, Location, Piece

    a, b, c = (Piece(MEMORY, 8, address=x) for x in (0x100, 0x200, 0x300))
    gone = Piece(UNAVAILABLE, 8, why="optimized out")
    assert Location((a, a, b, c)).fit(24).pieces == (a, b, c)
    assert Location((a, a, b, b)).fit(16).pieces == (a, b)
    assert Location((a, a, gone, gone)).fit(24).pieces == (a, gone, gone)
    assert Location((a, gone, gone, gone)).fit(24).pieces == (a, gone, gone)
    assert Location((a, gone, gone)).fit(24).pieces == (a, gone, gone)  # exact: kept
    assert Location((a, a)).fit(16).pieces == (a, a)  # two fields, one place: kept
    whole = Location((Piece(MEMORY, None, address=0x100),))
    assert whole.fit(24) is whole and whole.described_size is None
    assert Location((a, a, b, c)).described_size == 32


@pytest.mark.parametrize("spec", VALUES, ids=_ids(VALUES))
def test_no_location_describes_more_than_its_type(spec: FixtureSpec,
                                                  fixture: Fixture) -> None:
    """Go 1.19 to 1.21 write some pieces twice (seen: ``rs []int32`` as four
    8-byte pieces, the first two the same; ``fail error`` and ``box any``
    likewise; which variables get them changes with the rest of the
    package): as the DWARF has them they add up to more than the type, as
    the variables give them never."""
    from dapcore.dwarf.location import Context, evaluate

    fr = _frames(fixture)
    d = fr.reader.dwarf
    doubled: list[str] = []
    for i in range(len(fr.stack.frames)):
        for v in fr.variables(i).variables:
            size = v.location.described_size
            assert size is None or size <= v.type.size, (v.name, v.location.describe())
            if not fr.stack.frames[i].function.startswith("main.values"):
                continue
            die = d.die(v.die_offset)
            expr = d.location_at(die, fr.stack.frames[i].pc - 1 - fr.reader.bias)
            raw = evaluate(expr, Context()).described_size if expr else None
            if raw is not None and raw > v.type.size:
                doubled.append(v.name)
    if _minor(spec) in (19, 21):
        assert doubled, "no doubled pieces: the test checks nothing"
    elif _minor(spec) >= 22:
        assert doubled == []


RESULTS = [matrix.spec(go, "default", "goroutinepanic") for go in ("1.19", "1.23", "1.27")]


@pytest.mark.parametrize("spec", RESULTS, ids=[s.id for s in RESULTS])
def test_unnamed_results_hidden_until_the_function_returns(spec: FixtureSpec,
                                                           fixture: Fixture) -> None:
    """A goroutine parked in select: runtime.selectgo's unnamed results
    (~r0, ~r1) are not set yet and are not listed; chanrecv's named results
    (selected, received) are the user's variables and are."""
    rep = Engine.open(fixture.binary, fixture.core)
    reader = VariableReader.for_process(rep.proc)
    seen_unnamed = seen_named = 0
    for g in rep.proc.goroutines:
        st = rep.stack(g)
        for i, f in enumerate(st.frames):
            if f.function not in ("runtime.selectgo", "runtime.chanrecv"):
                continue
            fv = reader.frame_variables(st.frames, i, frame_registers(rep.proc, st, i))
            results = [v for v in fv.variables if v.is_return]
            assert results, f.function
            for v in results:
                if v.dwarf_name.startswith("~r"):
                    seen_unnamed += 1
                    assert v not in fv.visible and v.hidden and "result" in v.hidden
                else:
                    seen_named += 1
                    assert v in fv.visible
    assert seen_unnamed and seen_named
