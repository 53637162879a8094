"""The core-analysis engine against the Go runtime's own traceback.

For every fixture, stripped ones included: the goroutines, their states,
every frame (function, file, line, inlined or not, in order), the ``created
by`` line and the crash header must be what the runtime printed when the
process died — recovered from the core alone. A stripped binary (no symbol
table, no DWARF) is read with the per-release layout tables and the runtime
globals found in the runtime's code (:mod:`dapcore.gobin.symbols`), which are
checked here against the symbol table of every non-stripped binary.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from dapcore.arch import lookup
from dapcore.elf.executable import Executable
from dapcore.engine import Engine
from dapcore.errors import NoDwarf
from dapcore.gobin import symbols as globals_mod
from dapcore.gobin.moduledata import find_symbols
from dapcore.gobin.pclntab import PCLnTab
from dapcore.gobin.symbols import explain
from dapcore.goruntime.traceback import (
    _wrapped_by_disassembly,
    _wrapped_without_disassembler,
    created_by,
    go_statement_function,
    print_name,
    printed_frames,
    start_function,
)
from dapcore.goruntime.unwind import Frame
from tests.factory import Fixture, FixtureSpec, full_matrix
from tests.oracle import Elision, Goroutine, Traceback, parse_traceback
from tests.oracle import Frame as OFrame

SPECS = [s for s in full_matrix() if s.scenario.trigger != "snapshot"]
STRIPPED = [s for s in SPECS if not s.variant.dwarf]
# One fixture per binary with a symbol table: (release, variant, program).
_BY_BINARY: dict[tuple[str, str, str], FixtureSpec] = {}
for _s in SPECS:
    if _s.variant.dwarf:
        _BY_BINARY.setdefault((_s.toolchain.minor, _s.variant.name, _s.scenario.program), _s)
BINARIES = list(_BY_BINARY.values())
GLOBALS = ["runtime.allgs", "runtime.allglen", "runtime.allm", "runtime.firstmoduledata"]


@cache
def _report(spec_id: str, binary: str, core: str) -> Engine:
    return Engine.open(binary, core)


def report(fx: Fixture) -> Engine:
    return _report(fx.spec.id, str(fx.binary), str(fx.core))


@cache
def _oracle(path: str) -> Traceback:
    with open(path, errors="replace") as f:
        return parse_traceback(f.read())


def oracle(fx: Fixture) -> Traceback:
    return _oracle(str(fx.stderr))


def _ours(frames: list[Frame]) -> list[tuple[str, str, int, bool]]:
    return [(print_name(f.function), f.file, f.line, f.inlined) for f in frames]


def _theirs(frames: list[OFrame | Elision]) -> tuple[list[tuple[str, str, int, bool]],
                                                     list[tuple[str, str, int, bool]],
                                                     Elision | None]:
    before: list[tuple[str, str, int, bool]] = []
    after: list[tuple[str, str, int, bool]] = []
    elision = None
    for f in frames:
        if isinstance(f, Elision):
            elision = f
            continue
        (after if elision else before).append((f.function, f.file or "", f.line or 0, f.inlined))
    return before, after, elision


def assert_same_frames(ours: list[Frame], g: Goroutine, what: str) -> None:
    mine = _ours(ours)
    before, after, elision = _theirs(g.frames)
    if elision is None:
        assert mine == before, what
    elif elision.count is None:  # Go < 1.21: the first 100 frames, then nothing
        assert mine[: len(before)] == before, what
        assert len(mine) > len(before), what
    else:  # Go ≥ 1.21: the first and the last 50, the middle counted
        assert mine[: len(before)] == before, what
        assert mine[len(mine) - len(after):] == after, what
        assert len(mine) - len(before) - len(after) == elision.count, what


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_goroutines_match_the_runtime(spec: FixtureSpec, fixture: Fixture) -> None:
    rep = report(fixture)
    tb = oracle(fixture)
    printed = {g.id for g in tb.goroutines if g.id != 0}
    ours = {g.goid: g for g in rep.proc.goroutines}
    assert set(ours) == printed
    for og in tb.goroutines:
        if og.id == 0:
            continue
        g = ours[og.id]
        assert g.status_text == og.status.removesuffix(" (scan)"), f"goroutine {og.id}"
        assert g.locked_to_thread == og.locked_to_thread, f"goroutine {og.id}"


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_stacks_match_the_runtime(spec: FixtureSpec, fixture: Fixture) -> None:
    rep = report(fixture)
    tb = oracle(fixture)
    for og in tb.goroutines:
        if og.id == 0:
            continue
        g = rep.proc.goroutine(og.id)
        assert g is not None
        st = rep.stack(g)
        frames = printed_frames(st.frames, rep.crash, g.crashed)
        assert_same_frames(frames, tb.goroutine(og.id) or og, f"goroutine {og.id}")
        cb = created_by(rep.proc, g)
        if og.created_by is None:
            assert cb is None, f"goroutine {og.id}"
        else:
            assert cb is not None, f"goroutine {og.id}"
            assert (cb.function, cb.file, cb.line) == (
                og.created_by.function, og.created_by.file, og.created_by.line)
            assert cb.goroutine == og.created_by.goroutine


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_crash_header_matches_the_runtime(spec: FixtureSpec, fixture: Fixture) -> None:
    rep = report(fixture)
    tb = oracle(fixture)
    crash = rep.crash
    facts = fixture.facts()
    assert crash.goroutine == facts.get("crashGoroutine", crash.goroutine)
    if tb.kind == "panic":
        assert crash.kind == "panic"
        assert [p.message for p in crash.panics] == [p.message for p in tb.panics]
    elif tb.kind == "fatal error":
        assert crash.kind == "fatal error"
        assert crash.fatal_error == tb.fatal_error
    else:
        assert crash.kind == "signal"
        assert tb.context is not None and crash.fatal_signal is not None
        assert crash.fatal_signal.name == tb.context.name
    if tb.signal is not None:
        assert crash.signal is not None
        assert crash.signal.line() == (
            f"[signal {tb.signal.name}: {tb.signal.description} code={tb.signal.code:#x} "
            f"addr={tb.signal.addr:#x} pc={tb.signal.pc:#x}]")


@pytest.mark.parametrize("spec", BINARIES, ids=[s.id for s in BINARIES])
def test_runtime_globals_found_without_symbols(spec: FixtureSpec, fixture: Fixture) -> None:
    """What the runtime's code shows is what the symbol table says (link-time
    addresses: PIE binaries too), with the pclntab opened as if stripped."""
    exe = Executable(fixture.binary)
    try:
        expected = find_symbols(exe, GLOBALS)
        assert sorted(expected) == sorted(GLOBALS)
        found = explain(exe, PCLnTab.from_executable(exe, use_symbols=False))[0]
        assert found == expected
    finally:
        exe.close()


@pytest.mark.parametrize("spec", BINARIES, ids=[s.id for s in BINARIES])
def test_runtime_globals_fall_back_at_run_time(spec: FixtureSpec, fixture: Fixture,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """With the symbol table hidden, ``global_addr`` gives the same run-time
    addresses (the PIE load bias applied) and the core confirms them."""
    rep = Engine.open(fixture.binary, fixture.core)
    proc = rep.proc
    expected = {name: proc.global_addr(name) for name in GLOBALS}
    monkeypatch.setattr(proc.exe, "symbol", lambda name: None)
    assert {name: proc.global_addr(name) for name in GLOBALS} == expected
    assert proc._runtime_globals[1] == {}


@pytest.mark.parametrize("spec", STRIPPED, ids=[s.id for s in STRIPPED])
def test_stripped_binaries_have_no_symbols(spec: FixtureSpec, fixture: Fixture) -> None:
    """The stripped fixtures really are stripped: what the tests above pass
    on came from the runtime's code."""
    rep = report(fixture)
    assert not rep.proc.exe.has_symbols and not rep.proc.exe.has_dwarf
    assert rep.proc.global_addr("runtime.allgs") is not None


@pytest.mark.parametrize("spec", STRIPPED[:1], ids=[s.id for s in STRIPPED[:1]])
def test_stripped_binaries_say_why_globals_are_not_found(
        spec: FixtureSpec, fixture: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the runtime's code does not show the globals, the user learns
    that the binary is stripped and what could not be found."""
    monkeypatch.setattr(globals_mod, "_disassemble", lambda exe, pclntab, name: None)
    rep = Engine.open(fixture.binary, fixture.core)
    with pytest.raises(NoDwarf, match=r"stripped .* cannot find runtime\.allgs in "
                       r"runtime\.allgadd: the pclntab has no runtime\.allgadd"):
        _ = rep.proc.goroutines


INFLIGHT = [s for s in SPECS if s.scenario.name == "inflight"]


@pytest.mark.parametrize("spec", INFLIGHT, ids=[s.id for s in INFLIGHT])
def test_panics_in_flight_on_other_goroutines(spec: FixtureSpec, fixture: Fixture) -> None:
    """Panics the runtime never printed (their goroutines park in a deferred
    call): their values are derived from memory — errors.New, fmt.Errorf %w,
    runtime bounds and plain errors, strings, numbers."""
    from dapcore.goruntime.crash import read_panics

    rep = report(fixture)
    expected = fixture.facts()["inflightPanics"]
    assert len(expected) == 6
    for goid, message in expected.items():
        g = rep.proc.goroutine(int(goid))
        assert g is not None and g.panic_ptr, goid
        assert [p.message for p in read_panics(rep.proc, g.panic_ptr)] == [message]


@pytest.mark.parametrize("spec", BINARIES, ids=[s.id for s in BINARIES])
def test_go_statement_wrappers_read_without_capstone_as_with_it(spec: FixtureSpec,
                                                                fixture: Fixture) -> None:
    """Thread names read every ``go f(x)`` wrapper's callee from the inline
    table and the call instructions' bytes (importing capstone would cost
    ~80 ms before the first threads response, issue #16): for every wrapper
    of the binary that gives what capstone's disassembly gives."""
    exe = Executable(fixture.binary)
    tab = PCLnTab.from_executable(exe)
    arch = lookup(exe.machine)
    assert arch is not None
    wrappers = [f for f in tab.funcs() if re.search(r"\.gowrap\d+$", f.name)
                and 0 < f.end - f.entry <= 4096]
    for f in wrappers:
        code = exe.read_static(f.entry, f.end - f.entry)
        fast = _wrapped_without_disassembler(tab, arch, f, code)
        assert fast is not None, f.name
        assert fast == _wrapped_by_disassembly(tab, arch, f, code), f.name
    minor = int(spec.toolchain.version.split(".")[1])
    assert (len(wrappers) > 0) == (minor >= 22), len(wrappers)


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_go_statement_functions_match_the_runtime(spec: FixtureSpec, fixture: Fixture) -> None:
    """From Go 1.22 ``go f(x)`` starts a compiler wrapper (``main.main.gowrap1``,
    ``runtime.gcenable.gowrap1``) that calls f; thread names show f, which
    the runtime's traceback prints right above the wrapper (inlined or not).
    Before, the wrapper is a closure (``main.main.func1``) like any other."""
    rep = report(fixture)
    checked = 0
    for og in oracle(fixture).goroutines:
        g = rep.proc.goroutine(og.id) if og.id else None
        start = start_function(rep.proc, g) if g is not None else None
        if g is None or start is None or not re.search(r"\.gowrap\d+$", start):
            continue
        names = [f.function for f in og.frames if isinstance(f, OFrame)]
        wrapper = print_name(start)
        if wrapper not in names or names.index(wrapper) == 0:
            continue  # elided from the printed stack, or the wrapper itself runs
        target = go_statement_function(rep.proc, g)
        assert target is not None and print_name(target) == names[names.index(wrapper) - 1], (
            f"goroutine {og.id}: {target}, the runtime prints {names}")
        checked += 1
    minor = int(spec.toolchain.version.split(".")[1])
    assert (checked > 0) == (minor >= 22), checked  # bgsweep and bgscavenge at least
