"""Separate debug info (issue #15): a stripped executable and its debug file
give what the unstripped binary gives.

The fixtures (``tests/factory/debugsplit.py``) are real zoo binaries split
the way distributions do: ``debuglink`` (``objcopy --only-keep-debug``,
then ``--strip-debug --add-gnu-debuglink``: the debug file next to the
executable, the symbol table kept) and ``buildid`` (linked with a GNU build
id, the debug file in a ``.build-id/xx/yyyy.debug`` tree named as a debug
directory, the executable ``--strip-all``: no symbol table). The process ran
the stripped executable, as in production. What the engine reads is checked
against the runtime's own traceback (stderr.txt) and the program's own
``values.json``, and against the unstripped default build of the same
release, whose code is the same. Both architectures: amd64's fixtures and
arm64's (run under qemu, split with the aarch64 cross binutils' objcopy).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from dapcore.elf.executable import Executable
from dapcore.engine import Engine
from dapcore.errors import NoDwarf
from dapcore.govalues.framevars import frame_registers
from dapcore.govalues.values import ValueContext, value_of_variable
from tests.dap.harness import REPO, Client, start_session
from tests.factory import Fixture, FixtureSpec, ensure
from tests.factory.matrix import debuginfo_matrix
from tests.factory.matrix import spec as make_spec
from tests.oracle import Traceback, parse_traceback
from tests.oracle.names import printed_function
from tests.test_dap_clients import crash_line
from tests.test_engine import assert_same_frames
from tests.test_values import _drop_errors, _first_diff, canon

SPECS = debuginfo_matrix()
VALUES = [s for s in SPECS if s.scenario.name == "values"]
BUILDID = [s for s in SPECS if s.variant.name == "buildid"]
DEBUGLINK = [s for s in SPECS if s.variant.name == "debuglink"]
BUILDID_VALUES = [s for s in VALUES if s.variant.name == "buildid"]
DEBUGLINK_CRASH = [s for s in DEBUGLINK if s.scenario.name == "nilmap"]
BUILDID_NILPTR = [s for s in BUILDID if s.scenario.name == "nilptr"]
_SHF_COMPRESSED = 0x800
_MACHINES = {"amd64": "EM_X86_64", "arm64": "EM_AARCH64"}


def _ids(specs: list[FixtureSpec]) -> list[str]:
    return [s.id for s in specs]


def _oracle(fx: Fixture) -> Traceback:
    return parse_traceback(fx.stderr_text())


def _unstripped(spec: FixtureSpec) -> Fixture:
    """The default build of the same release, architecture and scenario
    (same code, DWARF kept)."""
    return ensure(make_spec(spec.toolchain.minor, "default", spec.scenario.name, spec.arch))


def assert_matches_the_runtime(rep: Engine, fx: Fixture) -> None:
    """Every goroutine, its status and stack, ``created by``, the crash
    header and the frame an editor lands on equal the runtime's traceback."""
    tb = _oracle(fx)
    printed = {g.id for g in tb.goroutines if g.id != 0}
    assert {g.goid for g in rep.goroutines} == printed
    for og in tb.goroutines:
        if og.id == 0:
            continue
        g = rep.goroutine(og.id)
        assert g.status_text == og.status.removesuffix(" (scan)"), f"goroutine {og.id}"
        assert_same_frames(rep.printed_frames(g), tb.goroutine(og.id) or og,
                           f"goroutine {og.id}")
        cb = rep.created_by(g)
        assert (cb is None) == (og.created_by is None), f"goroutine {og.id}"
        if cb is not None and og.created_by is not None:
            assert (cb.function, cb.file, cb.line) == (
                og.created_by.function, og.created_by.file, og.created_by.line)
    crash = rep.crash
    assert crash.kind == tb.kind
    if tb.kind == "panic":
        assert [p.message for p in crash.panics] == [p.message for p in tb.panics]
    goid, want = crash_line(fx)
    assert crash.goroutine == goid
    landed = rep.stack(rep.goroutine(goid)).frames[rep.landing_frame(goid)]
    assert (rep.print_name(landed.function), landed.line, os.path.basename(landed.file)) == (
        want.function, want.line, os.path.basename(want.file or ""))


def _with_debug(fx: Fixture) -> Engine:
    return Engine.open(fx.binary, fx.core, fx.debug_dirs)


# -- the debug file found and used -------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=_ids(SPECS))
def test_stacks_and_crash_equal_the_runtime_with_the_debug_file(spec: FixtureSpec,
                                                                fixture: Fixture) -> None:
    rep = _with_debug(fixture)
    exe = rep.proc.exe
    assert not exe.has_own_dwarf  # the executable really is stripped
    assert exe.machine == rep.proc.arch.elf_machine_name == _MACHINES[spec.arch]
    assert exe.has_own_symbols == (spec.variant.name == "debuglink")
    assert "debug_file" not in exe.__dict__  # opening looked for nothing yet
    assert_matches_the_runtime(rep, fixture)
    assert fixture.debug_file is not None
    assert rep.dwarf_path == str(fixture.debug_file)
    assert rep.proc.layout.source == "dwarf"
    assert exe.has_symbols and exe.symbol("runtime.allgs") is not None
    how = "GNU build id" if spec.variant.name == "buildid" else ".gnu_debuglink, CRC32"
    source = rep.debug_info_source
    assert source is not None and str(fixture.debug_file) in source and how in source
    assert source in rep.notices and not rep.warnings
    # Go's DWARF stays compressed in the debug file (SHF_COMPRESSED) and is read so.
    debug = exe.dwarf_file
    assert debug is not None and debug.sections[".debug_info"].flags & _SHF_COMPRESSED
    assert debug.machine == exe.machine


@pytest.mark.parametrize("spec", VALUES, ids=_ids(VALUES))
def test_values_equal_the_program_and_the_unstripped_build(spec: FixtureSpec,
                                                           fixture: Fixture) -> None:
    """Every variable of the ``values`` frames: available exactly where it is
    in the unstripped build, and then equal to what the program wrote."""
    ours = _frame_values(_with_debug(fixture), fixture)
    theirs = _frame_values(Engine.open(_unstripped(spec).binary, _unstripped(spec).core),
                           _unstripped(spec))
    assert {k: v[0] for k, v in ours.items()} == {k: v[0] for k, v in theirs.items()}
    problems = []
    for e in json.loads(fixture.side_file("values.json").read_text())["variables"]:
        available, got = ours[(e["function"], e["name"])]
        if available and got != _drop_errors(e["value"]):
            problems.append(f"{e['function']} {e['name']}: {_first_diff(got, e['value'])}")
    assert not problems, "\n".join(problems)
    assert sum(1 for a, _ in ours.values() if a) >= 60


def _frame_values(rep: Engine, fx: Fixture) -> dict[tuple[str, str], tuple[bool, Any]]:
    """(function, name) → (available, canonical value) of every variable
    values.json lists."""
    ctx = ValueContext(rep.proc)
    g = rep.crashed_goroutine
    assert g is not None
    stack = rep.stack(g)
    by_function: dict[str, int] = {}
    for i, f in enumerate(stack.frames):
        by_function.setdefault(printed_function(f.function), i)
    out: dict[tuple[str, str], tuple[bool, Any]] = {}
    frames: dict[int, Any] = {}
    for e in json.loads(fx.side_file("values.json").read_text())["variables"]:
        i = by_function[e["function"]]
        if i not in frames:
            regs = frame_registers(rep.proc, stack, i)
            frames[i] = ctx.reader.frame_variables(stack.frames, i, regs)
        var = frames[i].get(e["name"])
        assert var is not None, (e["function"], e["name"])
        val = value_of_variable(ctx, var)
        out[(e["function"], e["name"])] = (var.available,
                                           canon(val) if var.available else None)
    return out


# -- no debug file, or the wrong one -------------------------------------------------


def _copy_binary(fx: Fixture, where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    binary = where / fx.binary.name
    shutil.copy2(fx.binary, binary)
    return binary


def assert_pclntab_only(rep: Engine, fx: Fixture) -> None:
    """Stacks and the crash from the pclntab (and the per-release layout
    table): the same as with DWARF; values refused with the reason."""
    assert not rep.has_dwarf and rep.dwarf_path is None
    assert rep.proc.layout.source == "table"
    assert_matches_the_runtime(rep, fx)
    goid = rep.default_goid()
    with pytest.raises(NoDwarf) as err:
        rep.frame_values(goid, rep.landing_frame(goid))
    assert "debug file" in str(err.value) or "no DWARF" in str(err.value)


@pytest.mark.parametrize("spec", BUILDID, ids=_ids(BUILDID))
def test_without_the_debug_file_stacks_come_from_the_pclntab(spec: FixtureSpec,
                                                             fixture: Fixture) -> None:
    rep = Engine.open(fixture.binary, fixture.core)  # the .build-id tree not named
    assert_pclntab_only(rep, fixture)
    build_id = rep.proc.exe.gnu_build_id
    assert build_id is not None and not rep.warnings
    missing = rep.missing_debug_info
    assert missing is not None and missing in rep.notices
    assert f"GNU build id {build_id}" in missing
    assert f"/usr/lib/debug/.build-id/{build_id[:2]}/{build_id[2:]}.debug" in missing
    assert "values need the debug file" in missing and "--debug-dir" in missing
    goid = rep.default_goid()
    with pytest.raises(NoDwarf, match=re.escape(missing)):
        rep.frame_values(goid, rep.landing_frame(goid))


@pytest.mark.parametrize("spec", DEBUGLINK_CRASH, ids=_ids(DEBUGLINK_CRASH))
def test_a_missing_debuglink_file_is_named_with_where_it_was_looked_for(
        spec: FixtureSpec, fixture: Fixture, tmp_path: Path) -> None:
    binary = _copy_binary(fixture, tmp_path / "bin")
    rep = Engine.open(binary, fixture.core)
    assert_pclntab_only(rep, fixture)
    missing = rep.missing_debug_info
    assert missing is not None and "'zoo.debug' named by .gnu_debuglink" in missing
    for place in (tmp_path / "bin" / "zoo.debug", tmp_path / "bin" / ".debug" / "zoo.debug",
                  Path("/usr/lib/debug") / str(tmp_path / "bin").lstrip("/") / "zoo.debug"):
        assert str(place) in missing, place


@pytest.mark.parametrize("spec", DEBUGLINK_CRASH, ids=_ids(DEBUGLINK_CRASH))
def test_the_debuglink_file_is_found_in_dot_debug_and_named_directories(
        spec: FixtureSpec, fixture: Fixture, tmp_path: Path) -> None:
    assert fixture.debug_file is not None
    binary = _copy_binary(fixture, tmp_path / "bin")
    (tmp_path / "bin" / ".debug").mkdir()
    shutil.copy2(fixture.debug_file, tmp_path / "bin" / ".debug" / "zoo.debug")
    (tmp_path / "bin" / "zoo.debug").write_text("not an ELF file\n")  # passed over quietly
    rep = Engine.open(binary, fixture.core)
    assert rep.dwarf_path == str(tmp_path / "bin" / ".debug" / "zoo.debug")
    assert_matches_the_runtime(rep, fixture)
    assert not rep.warnings
    # only the standard places were looked at, in gdb's order
    looked = [str(p) for p in rep.proc.debug_files.looked]
    build_id = rep.proc.exe.gnu_build_id  # Go 1.25+ links one by default
    first = ([f"/usr/lib/debug/.build-id/{build_id[:2]}/{build_id[2:]}.debug"]
             if build_id is not None else [])
    assert looked == [*first, str(tmp_path / "bin" / "zoo.debug"),
                      str(tmp_path / "bin" / ".debug" / "zoo.debug")]
    # a directory the user names
    binary = _copy_binary(fixture, tmp_path / "elsewhere")
    (tmp_path / "dbg").mkdir()
    shutil.copy2(fixture.debug_file, tmp_path / "dbg" / "zoo.debug")
    rep = Engine.open(binary, fixture.core, [tmp_path / "dbg"])
    assert rep.dwarf_path == str(tmp_path / "dbg" / "zoo.debug")
    assert rep.proc.layout.source == "dwarf" and not rep.warnings


@pytest.mark.parametrize("spec", DEBUGLINK_CRASH, ids=_ids(DEBUGLINK_CRASH))
def test_a_debuglink_crc_mismatch_is_refused(spec: FixtureSpec, fixture: Fixture,
                                             tmp_path: Path) -> None:
    """A debug file of the right name whose contents changed (its CRC32 no
    longer the one the executable records) is not used: a warning names both
    checksums, and stacks come from the pclntab."""
    assert fixture.debug_file is not None
    binary = _copy_binary(fixture, tmp_path)
    data = bytearray(fixture.debug_file.read_bytes())
    data += b"\0" * 16  # still a valid ELF file, the same build ids
    (tmp_path / "zoo.debug").write_bytes(data)
    rep = Engine.open(binary, fixture.core)
    assert_pclntab_only(rep, fixture)
    link = rep.proc.exe.debuglink
    assert link is not None
    crc = f"{zlib.crc32(bytes(data)):#010x}"
    warning = next(w for w in rep.warnings if "is not the debug file" in w)
    assert str(tmp_path / "zoo.debug") in warning
    assert crc in warning and f"{link[1]:#010x}" in warning and "not used" in warning


def _build_id(path: Path) -> str | None:
    exe = Executable(path)
    try:
        return exe.gnu_build_id
    finally:
        exe.close()


@pytest.mark.parametrize("spec", BUILDID_NILPTR, ids=_ids(BUILDID_NILPTR))
def test_a_debug_file_of_another_build_is_refused(spec: FixtureSpec, fixture: Fixture,
                                                  tmp_path: Path) -> None:
    """Another release's debug file (same architecture) filed under this
    executable's build id: a warning names both GNU build ids; nothing of it
    is used."""
    other_minor = "1.23" if spec.toolchain.minor != "1.23" else "1.27"
    other = ensure(make_spec(other_minor, "buildid", spec.scenario.name, spec.arch))
    assert other.debug_file is not None
    ours, their_id = _build_id(fixture.binary), _build_id(other.debug_file)
    assert ours is not None and their_id is not None and ours != their_id
    wrong, warning = _filed_under_our_build_id(fixture, other.debug_file, tmp_path)
    assert str(wrong) in warning and ours in warning and their_id in warning


def _filed_under_our_build_id(fixture: Fixture, debug_file: Path, tmp_path: Path
                              ) -> tuple[Path, str]:
    """``debug_file`` copied where ``fixture``'s executable's GNU build id
    says its debug file is, under ``tmp_path``; the open refuses it (stacks
    from the pclntab only): (where it was put, the warning saying so)."""
    ours = _build_id(fixture.binary)
    assert ours is not None
    wrong = tmp_path / ".build-id" / ours[:2] / f"{ours[2:]}.debug"
    wrong.parent.mkdir(parents=True)
    shutil.copy2(debug_file, wrong)
    rep = Engine.open(fixture.binary, fixture.core, [tmp_path])
    assert_pclntab_only(rep, fixture)
    return wrong, next(w for w in rep.warnings if "is not the debug file" in w)


ARM64_BUILDID_NILPTR = [s for s in BUILDID_NILPTR if s.arch == "arm64"]


@pytest.mark.parametrize("spec", ARM64_BUILDID_NILPTR, ids=_ids(ARM64_BUILDID_NILPTR))
def test_a_debug_file_of_another_architecture_is_refused(spec: FixtureSpec, fixture: Fixture,
                                                         tmp_path: Path) -> None:
    """amd64's debug file of the same release and program filed under the
    arm64 executable's build id: a warning names both machines; stacks come
    from the pclntab."""
    amd64 = ensure(make_spec(spec.toolchain.minor, spec.variant.name, spec.scenario.name))
    assert amd64.debug_file is not None
    wrong, warning = _filed_under_our_build_id(fixture, amd64.debug_file, tmp_path)
    assert str(wrong) in warning and _MACHINES["amd64"] in warning
    assert _MACHINES["arm64"] in warning


@pytest.mark.parametrize("spec", DEBUGLINK_CRASH, ids=_ids(DEBUGLINK_CRASH))
def test_a_debuglink_name_cannot_leave_the_directories_searched(
        spec: FixtureSpec, fixture: Fixture, tmp_path: Path) -> None:
    """A .gnu_debuglink holding a path (``a/o.debug``, patched into a copy of
    the executable at the same length as ``zoo.debug``) is not followed:
    only the build id's places are looked at."""
    binary = _copy_binary(fixture, tmp_path)
    data = bytearray(binary.read_bytes())
    exe = Executable(binary)
    sec = exe.sections[".gnu_debuglink"]
    exe.close()
    assert bytes(data[sec.offset:sec.offset + 10]) == b"zoo.debug\0"
    data[sec.offset:sec.offset + 9] = b"a/o.debug"
    binary.write_bytes(data)
    (tmp_path / "a").mkdir()
    assert fixture.debug_file is not None
    shutil.copy2(fixture.debug_file, tmp_path / "a" / "o.debug")
    rep = Engine.open(binary, fixture.core, [tmp_path])
    assert not rep.has_dwarf
    assert all(".build-id" in str(p) for p in rep.proc.debug_files.looked)


# -- the command line and DAP ----------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "dapcore", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


_ADDRESS = re.compile(r"0x[0-9a-f]+")


@pytest.mark.parametrize("spec", BUILDID_VALUES, ids=_ids(BUILDID_VALUES))
def test_cli_debug_dir_gives_the_unstripped_builds_locals(spec: FixtureSpec,
                                                          fixture: Fixture) -> None:
    default = _unstripped(spec)
    rep = Engine.open(default.binary, default.core)
    frame = next(i for i, f in enumerate(rep.stack(rep.goroutine(rep.default_goid())).frames)
                 if f.function == "main.valuesScalars")
    ours = _cli("locals", str(fixture.binary), str(fixture.core), "-f", str(frame),
                "--debug-dir", "/nonexistent", "--debug-dir", fixture.debug_dirs[0])
    theirs = _cli("locals", str(default.binary), str(default.core), "-f", str(frame))
    assert ours.returncode == 0 and theirs.returncode == 0, ours.stderr
    assert _ADDRESS.sub("0x…", ours.stdout) == _ADDRESS.sub("0x…", theirs.stdout)
    assert "count = -42" in ours.stdout
    assert f"dapcore: debug information from {fixture.debug_file}" in ours.stderr
    assert "warning" not in ours.stderr
    # without the flag: the stacks, and values refused, naming what is missing
    bt = _cli("bt", str(fixture.binary), str(fixture.core))
    assert bt.returncode == 0 and "main.valuesScalars" in bt.stdout
    assert "values need the debug file" in bt.stderr
    bare = _cli("locals", str(fixture.binary), str(fixture.core), "-f", str(frame))
    assert bare.returncode == 1 and "--debug-dir" in bare.stderr
    assert bare.stderr.strip().count("\n") == 0


def _launch(fx: Fixture, **extra: Any) -> dict[str, Any]:
    return {"type": "gocore", "request": "launch", "program": str(fx.binary),
            "coreFilePath": str(fx.core), **extra}


@pytest.mark.parametrize("spec", BUILDID_VALUES, ids=_ids(BUILDID_VALUES))
def test_dap_debug_info_directories_reach_the_locals(spec: FixtureSpec,
                                                     fixture: Fixture) -> None:
    want = {e["name"] for e in json.loads(fixture.side_file("values.json").read_text())[
        "variables"] if e["function"] == "main.valuesScalars"}
    with Client.spawn() as c:
        stopped = start_session(c, _launch(fixture, debugInfoDirectories=fixture.debug_dirs))
        summary = c.summary()  # it follows the stop
        assert f"Debug information from {fixture.debug_file}" in summary
        frames = c.ok("stackTrace", {"threadId": stopped["body"]["threadId"]})["stackFrames"]
        frame = next(f for f in frames if f["name"] == "main.valuesScalars")
        scope = c.ok("scopes", {"frameId": frame["id"]})["scopes"][0]
        names = {v["name"] for v in c.ok("variables", {
            "variablesReference": scope["variablesReference"]})["variables"]}
        assert want <= names
        count = c.ok("evaluate", {"expression": "count", "frameId": frame["id"],
                                  "context": "watch"})
        assert count["result"] == "-42"
        mods = c.ok("modules", {})["modules"]
        assert mods[0]["symbolFilePath"] == str(fixture.debug_file)
        assert mods[0]["symbolStatus"] == "DWARF from a separate debug file"
        assert not c.problems, c.problems
    with Client.spawn() as c:  # without the attribute: why the locals are missing
        stopped = start_session(c, _launch(fixture))
        summary = c.summary()
        assert "values need the debug file" in summary and "debugInfoDirectories" in summary
        frames = c.ok("stackTrace", {"threadId": stopped["body"]["threadId"]})["stackFrames"]
        frame = next(f for f in frames if f["name"] == "main.valuesScalars")
        r = c.request("evaluate", {"expression": "count", "frameId": frame["id"],
                                   "context": "watch"})
        assert not r["success"] and "debug file" in r["message"]
    with Client.spawn() as c:
        c.ok("initialize", {"adapterID": "dapcore"})
        r = c.request("launch", _launch(fixture, debugInfoDirectories=[1]))
        assert not r["success"] and "debugInfoDirectories" in r["message"]
