"""C frames of a crash in cgo code, on real cores, against gdb.

The cgo scenarios die inside C: ``cgocrash`` (SIGSEGV in ``zoo_write``)
and ``cgoabort`` (``abort()`` from ``zoo_check``, called by
``zoo_validate``). dapcore unwinds the C frames with the CFI of the
executable and of libc (found through ``NT_FILE``); gdb, which unwinds C
independently, is the oracle: the factory writes its ``thread apply all
bt`` next to the core (``gdb_bt.txt``), or it is run here when the side
file is missing (a skip without gdb). Checked:

* the first C frame is the PC the runtime printed (``PC=0x…``);
* every other C frame's return address is one gdb gives, in gdb's order
  (gdb may show more: inlined and tail-call frames it rebuilds from libc's
  debug information);
* the executable's C frames have gdb's names (GCC's ``.cold`` parts named
  by their symbol) and its file:line;
* the C part ends in ``runtime.asmcgocall`` at gdb's PC, and the Go frames
  after it are the runtime's own traceback of the goroutine;
* DAP shows the C frames above the Go frames (not folded with the crash
  handler's), with no values and no error, and lands on the Go caller;
* a library that is missing or another build stops the C part with a note.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from dapcore.cli import main as cli_main
from dapcore.engine import Engine, Frame
from tests.dap.harness import VSCODE_INIT, Client
from tests.factory import Fixture, FixtureSpec
from tests.factory.capture import GDB_BT, gdb_backtrace
from tests.factory.matrix import spec as make_spec
from tests.oracle import parse_traceback
from tests.oracle.gdb import GdbFrame, parse_gdb_threads

SPECS = [make_spec(go, variant, s)
         for go, variant in (("1.27", "default"), ("1.27", "pie"), ("1.23", "default"),
                             ("1.19", "default"))
         for s in ("cgocrash", "cgoabort")]
ABORT = make_spec("1.27", "default", "cgoabort")
_CLONE = re.compile(r"\.(cold|part\.\d+|isra\.\d+|constprop\.\d+)$")


def ids(s: FixtureSpec) -> str:
    return s.id


def _base(name: str) -> str:
    """A C function's name without GCC's clone suffix (``zoo_check.cold``)."""
    return _CLONE.sub("", name)


def _gdb_text(fx: Fixture) -> str:
    side = fx.side_file(GDB_BT)
    if side.exists():
        return side.read_text(errors="replace")
    text = gdb_backtrace(fx.binary, fx.core)
    if text is None:
        pytest.skip("gdb is not installed and the fixture has no gdb_bt.txt: no oracle for C "
                    "frames")
    return text


def _crash_stack(fx: Fixture) -> tuple[Engine, list[Frame], int]:
    engine = Engine.open(fx.binary, fx.core)
    g = engine.crashed_goroutine
    assert g is not None
    assert g.thread is not None
    return engine, engine.stack(g).frames, g.thread


def _c_part(frames: list[Frame]) -> tuple[int, int]:
    """[first, end) of the C frames, which are contiguous."""
    idx = [i for i, f in enumerate(frames) if f.is_c]
    assert idx, "no C frame"
    assert idx == list(range(idx[0], idx[-1] + 1)), "C frames are not contiguous"
    return idx[0], idx[-1] + 1


def _gdb_c_part(frames: list[GdbFrame]) -> tuple[list[GdbFrame], GdbFrame]:
    """gdb's frames below the last signal frame up to runtime.asmcgocall, and that frame."""
    for i, f in enumerate(frames):
        if f.function == "runtime.asmcgocall":
            return frames[:i], f
    raise AssertionError(f"gdb's stack has no runtime.asmcgocall: {frames}")


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_c_frames_are_gdbs(spec: FixtureSpec, fixture: Fixture) -> None:
    engine, frames, lwp = _crash_stack(fixture)
    first, end = _c_part(frames)
    c_frames = frames[first:end]
    threads = parse_gdb_threads(_gdb_text(fixture))
    assert lwp in threads, f"gdb shows no thread {lwp}: {sorted(threads)}"
    gdb_c, gdb_asm = _gdb_c_part(threads[lwp].after_last_signal())
    assert gdb_c

    # the innermost C frame: the PC the runtime printed for the signal
    tb = parse_traceback(fixture.stderr_text())
    printed_pc = re.search(r"^PC=(0x[0-9a-f]+)", fixture.stderr_text(), re.M)
    if printed_pc is not None:
        assert c_frames[0].pc == int(printed_pc.group(1), 16)
    else:  # Go 1.19's SIGSEGV: "[signal … pc=0x…]"
        assert tb.signal is not None and f"pc={c_frames[0].pc:#x}" in fixture.stderr_text()

    # every caller's return address is one of gdb's, in gdb's order
    gdb_pcs = [f.pc for f in gdb_c if f.pc is not None]
    ours = [f.pc for f in c_frames[1:]]
    it = iter(gdb_pcs)
    assert all(pc in it for pc in ours), ([hex(p) for p in ours], [hex(p) for p in gdb_pcs])

    # the executable's C frames: gdb's names, files and lines
    exe = fixture.binary.name
    by_pc = {f.pc: f for f in gdb_c if f.pc is not None}
    by_pc.setdefault(c_frames[0].pc, gdb_c[0])  # gdb prints no PC for the innermost one
    compared = 0
    for f in c_frames:
        theirs = by_pc.get(f.pc)
        if f.c_object != exe or theirs is None or theirs.function == "??":
            continue
        assert _base(f.function) == theirs.function, (f, theirs)
        if theirs.file is not None:
            assert f.file.endswith(theirs.file.lstrip("./")) and f.line == theirs.line, \
                (f, theirs)
        compared += 1
    assert compared or spec.toolchain.minor == "1.19", "no C frame of the executable compared"

    # what the program says crashed, and its C callers, in order
    facts = fixture.facts()
    names = [_base(f.function) for f in c_frames if f.c_object == exe]
    assert names[0] == facts["crashFunction"]
    if "cFunctions" in facts:
        assert names == facts["cFunctions"]

    # back in Go: asmcgocall at gdb's PC, then the runtime's traceback
    assert frames[end].function == "runtime.asmcgocall" and not frames[end].is_c
    assert frames[end].pc == gdb_asm.pc
    g = engine.crashed_goroutine
    assert g is not None
    printed = [f.function for f in engine.printed_frames(g)]
    theirs_go = tb.goroutine(g.goid)
    assert theirs_go is not None
    assert [engine.print_name(n) for n in printed] == theirs_go.functions()
    assert not engine.stack(g).notes


@pytest.mark.parametrize("spec", [ABORT], ids=ids)
def test_bt_marks_c_frames(spec: FixtureSpec, fixture: Fixture,
                           capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(fixture.binary), str(fixture.core)]
    assert cli_main(["bt", *files]) == 0
    text = capsys.readouterr().out
    assert re.search(r"in zoo_check(\.cold)? \[C, zoocgo\]\n\s+at \S+native\.go:\d+", text)
    assert re.search(r"in abort \[C, libc\.so\.6\]\n\s+at \? \(no line information\)", text)
    assert text.index("[C, zoocgo]") < text.index("in main.validateInC")
    assert cli_main(["bt", *files, "--json"]) == 0
    [g] = json.loads(capsys.readouterr().out)["goroutines"]
    c = [f for f in g["frames"] if f.get("language") == "c"]
    assert [f["object"] for f in c][-2:] == ["zoocgo", "zoocgo"]
    assert "libc.so.6" in {f["object"] for f in c}
    assert all("language" not in f for f in g["frames"] if f not in c)


def _launch(c: Client, fx: Fixture) -> int:
    c.ok("initialize", VSCODE_INIT)
    launch = c.send("launch", {"type": "gocore", "request": "launch", "name": "Go core",
                               "program": str(fx.binary), "coreFilePath": str(fx.core)})
    c.event("initialized")
    c.send("configurationDone")
    assert c.response(launch)["success"]
    return int(c.event("stopped")["body"]["threadId"])


@pytest.mark.parametrize("spec", [ABORT, make_spec("1.19", "default", "cgocrash")], ids=ids)
def test_dap_shows_c_frames_above_the_go_frames(spec: FixtureSpec, fixture: Fixture) -> None:
    facts = fixture.facts()
    with Client.spawn() as c:
        tid = _launch(c, fixture)
        frames: list[dict[str, Any]] = c.ok("stackTrace", {"threadId": tid})["stackFrames"]
        names = [f["name"] for f in frames]
        assert frames[0]["presentationHint"] == "label"  # the crash handler, folded
        c_rows = [i for i, n in enumerate(names) if " [C" in n]
        go_caller = next(i for i, f in enumerate(frames)
                         if f["name"] == facts["goCaller"])
        assert c_rows and c_rows[-1] < go_caller
        assert any(_base(names[i].split(" [C")[0]) == facts["crashFunction"] for i in c_rows)
        # each C frame names its module, as the modules request lists it
        modules = {m["id"]: m["name"] for m in c.ok("modules", {})["modules"]}
        for i in c_rows:
            named = re.search(r"\[C(?:, ([^\]]+))?\]", names[i])
            assert named is not None
            obj = named.group(1) or fixture.binary.name
            assert modules[frames[i]["moduleId"]] == obj, (names[i], modules)
        # the client lands on the Go caller (the C frames above it carry no source)
        landing = next(f for f in frames if f.get("source")
                       and f["source"].get("presentationHint") != "deemphasize")
        assert landing["name"] == facts["goCaller"]
        # a C frame has no values: one line says so, no error
        scopes = c.ok("scopes", {"frameId": frames[c_rows[-1]]["id"]})["scopes"]
        assert [s["name"] for s in scopes][:1] == ["Locals"]
        got = c.ok("variables", {"variablesReference": scopes[0]["variablesReference"]})
        [note] = got["variables"]
        assert "C code" in note["value"] and "Go frames only" in note["value"]
        c.ok("disconnect", {"restart": False})
        assert not c.problems, c.problems


# -- a library that is not the one the process had -------------------------------------


def _core_with_library_path(fx: Fixture, tmp: Path, new_path: str) -> Path:
    """A copy of the fixture's core whose NT_FILE note names libc as
    ``new_path`` (the same length as the real path)."""
    engine = Engine.open(fx.binary, fx.core)
    libc = next(f.path for f in engine.proc.core.files if Path(f.path).name == "libc.so.6")
    assert len(new_path) == len(libc)
    dest = tmp / "core"
    shutil.copyfile(fx.core, dest)  # sparse holes read back as zeros: fine for a test
    data = bytearray(dest.read_bytes())
    old = libc.encode() + b"\0"
    count = data.count(old)
    assert count >= 1
    data[:] = data.replace(old, new_path.encode() + b"\0")
    dest.write_bytes(bytes(data))
    return dest


def _same_length_dir(length: int) -> Path:
    base = Path("/tmp")
    name = "dapcore-cframes-" + "x" * max(0, length - len("/tmp/dapcore-cframes-"))
    return base / name[:length - len("/tmp/")]


@pytest.mark.parametrize("spec", [ABORT], ids=ids)
def test_missing_or_other_library_stops_the_c_frames(spec: FixtureSpec, fixture: Fixture,
                                                     tmp_path: Path) -> None:
    engine = Engine.open(fixture.binary, fixture.core)
    libc = next(f.path for f in engine.proc.core.files if Path(f.path).name == "libc.so.6")
    folder = _same_length_dir(len(libc) - len("/libc.so.6"))
    shutil.rmtree(folder, ignore_errors=True)
    try:
        core = _core_with_library_path(fixture, tmp_path, str(folder / "libc.so.6"))
        _check_stopped(fixture, core, "is not on this machine")
        # an ELF file of another build under libc's name
        folder.mkdir()
        shutil.copyfile(fixture.binary, folder / "libc.so.6")
        _check_stopped(fixture, core, "is another build")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_stopped(fx: Fixture, core: Path, why: str) -> None:
    engine = Engine.open(fx.binary, core)
    g = engine.crashed_goroutine
    assert g is not None
    st = engine.stack(g)
    c = [f for f in st.frames if f.is_c]
    assert [f.c_object for f in c] == ["libc.so.6"]  # the first one, then it stops
    assert len(st.notes) == 1 and why in st.notes[0] and "libc.so.6" in st.notes[0]
    # the Go frames are still the runtime's
    tb = parse_traceback(fx.stderr_text())
    theirs = tb.goroutine(g.goid)
    assert theirs is not None
    assert [engine.print_name(f.function) for f in engine.printed_frames(g)] == \
        theirs.functions()


# -- arm64 (qemu's cores: no NT_FILE) ---------------------------------------------------

ARM64 = [make_spec("1.27", "default", s, "arm64") for s in ("cgocrash", "cgoabort")]


@pytest.mark.parametrize("spec", ARM64, ids=ids)
def test_arm64_c_frames(spec: FixtureSpec, fixture: Fixture) -> None:
    """The executable's C frames unwind by CFI on arm64 too (x30 as the
    return address); libc's cannot be found in a core without NT_FILE,
    which the note says, and the Go frames are still the runtime's."""
    engine, frames, _ = _crash_stack(fixture)
    first, end = _c_part(frames)
    printed_pc = re.search(r"^PC=(0x[0-9a-f]+)", fixture.stderr_text(), re.M)
    assert printed_pc is not None
    assert frames[first].pc == int(printed_pc.group(1), 16)
    g = engine.crashed_goroutine
    assert g is not None
    st = engine.stack(g)
    if spec.scenario.name == "cgocrash":
        assert [f.function for f in frames[first:end]] == ["zoo_write"]
        assert frames[first].file.endswith("native.go") and frames[first].line > 0
        assert frames[end].function == "runtime.asmcgocall"
        assert not st.notes
    else:
        assert [f.c_object for f in frames[first:end]] == ["?"]
        [note] = st.notes
        assert "no NT_FILE note" in note
    theirs = parse_traceback(fixture.stderr_text()).goroutine(g.goid)
    assert theirs is not None
    assert [engine.print_name(f.function) for f in engine.printed_frames(g)] == \
        theirs.functions()


@pytest.mark.parametrize("spec", [s for s in SPECS if s.scenario.name == "cgoabort"], ids=ids)
def test_debug_frame_agrees_with_the_pclntab(spec: FixtureSpec, fixture: Fixture) -> None:
    """The CFI reader on ``.debug_frame`` (which Go's linker writes for Go
    functions): at every Go frame of every goroutine, the CFA it computes
    is the one the pclntab's SP deltas give (the caller's SP)."""
    engine = Engine.open(fixture.binary, fixture.core)
    tables = engine.unwinder.native.objects.exe.tables
    debug = [t for t in tables if not t.eh]
    assert len(debug) == 1
    sp = engine.proc.arch.dwarf_numbers[engine.proc.arch.sp]
    checked = 0
    for g in engine.goroutines:
        for f in engine.stack(g).frames:
            if f.is_c or f.inlined:
                continue
            rules = debug[0].rules_at((f.pc if f.trap else f.pc - 1) - engine.bias)
            if rules is None:
                continue
            assert (rules.cfa_reg, f.sp + rules.cfa_offset) == (sp, f.fp), f
            checked += 1
    assert checked >= 20
