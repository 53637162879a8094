"""Programs of older Go releases (#15): the seed's workflow on Go 1.15 (a
typed-nil error in a request goroutine) in the engine, the CLI and a DAP
session, and naming the release of a program without build information.

The ``typednil`` scenario builds with every release of the matrix; its
values are checked against what the program wrote (``values.json``) the same
way as the ``values`` scenario's, which needs generics (Go 1.18+)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from dapcore.cli import main as cli_main
from dapcore.elf.executable import Executable
from dapcore.engine import Engine
from dapcore.errors import DapcoreError
from dapcore.gobin.buildinfo import read_buildinfo
from dapcore.gobin.goversion import release_without_buildinfo
from dapcore.govalues.children import children
from dapcore.govalues.summary import text_of
from dapcore.govalues.values import value_of_variable
from tests.dap.harness import Client, start_session
from tests.factory import Fixture, FixtureSpec, full_matrix
from tests.factory.matrix import spec as make_spec
from tests.test_values import _UNAVAILABLE_OK, _drop_errors, _expected, _first_diff, _fr, canon

TYPEDNIL = [s for s in full_matrix() if s.variant.dwarf and s.scenario.name == "typednil"]
OLDEST = make_spec("1.15", "default", "typednil")
_MAGIC = b"\xff Go buildinf:"


@pytest.mark.parametrize("spec", TYPEDNIL, ids=[s.id for s in TYPEDNIL])
def test_typednil_values_equal_the_program(spec: FixtureSpec, fixture: Fixture) -> None:
    fr = _fr(fixture)
    noopt = spec.variant.name == "noopt"
    problems: list[str] = []
    equal = 0
    for e in _expected(fixture):
        where = f"{e['function']} {e['name']}"
        idx = fr.by_function.get(e["function"])
        var = fr.variables(idx).get(e["name"]) if idx is not None else None
        if var is None:
            problems.append(f"{where}: not listed")
            continue
        val = value_of_variable(fr.ctx, var)
        if not var.available:
            if noopt or not _UNAVAILABLE_OK.search(var.location.why or ""):
                problems.append(f"{where}: unavailable ({var.location.why})")
            continue
        got, want = canon(val), _drop_errors(e["value"])
        if got != want:
            problems.append(f"{where}: {_first_diff(got, want)}")
        else:
            equal += 1
    assert not problems, "\n".join(problems)
    # The crash frame's arguments are live at the panic in every build.
    assert equal >= (6 if noopt else 3), equal


@pytest.mark.parametrize("spec", [OLDEST], ids=[OLDEST.id])
def test_seed_workflow_in_the_engine_and_the_cli(spec: FixtureSpec, fixture: Fixture,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Go 1.15: the crash, the frame landed on, and the typed nil shown as
    Go's %v would not: an error holding a nil *main.TNOrderError."""
    rep = Engine.open(fixture.binary, fixture.core)
    facts = fixture.facts()
    assert rep.go_version == "go1.15.15"
    assert rep.crash.goroutine == facts["crashGoroutine"]
    assert rep.crash.header().splitlines()[0] == facts["crashMessage"]
    g = rep.goroutine(facts["crashGoroutine"])
    frames = rep.stack(g).frames
    landed = frames[rep.landing_frame(g.goid)]
    assert landed.function == "main.tnFail"
    err = _fr(fixture).value("main.tnFail", "err")
    assert text_of(err) == "error(*main.TNOrderError) nil"
    kids = children(err)
    assert len(kids) == 1 and kids[0].type_name == "*main.TNOrderError"
    b, c = str(fixture.binary), str(fixture.core)
    idx = next(i for i, f in enumerate(frames) if f.function == "main.tnFail")
    assert cli_main(["locals", b, c, "-f", str(idx)]) == 0
    out = capsys.readouterr().out
    assert "err = error(*main.TNOrderError) nil\n" in out
    assert cli_main(["print", b, c, "-f", str(idx), "o.Customer"]) == 0
    assert capsys.readouterr().out == '"Ada"\n'
    assert cli_main(["print", b, c, "-f", str(idx), "err == nil"]) == 0
    assert capsys.readouterr().out == "false\n"


@pytest.mark.parametrize("spec", [OLDEST], ids=[OLDEST.id])
def test_seed_workflow_in_a_dap_session(spec: FixtureSpec, fixture: Fixture) -> None:
    facts = fixture.facts()
    with Client.spawn() as c:
        stopped = start_session(c, {"type": "gocore", "request": "launch", "mode": "core",
                                    "program": str(fixture.binary),
                                    "coreFilePath": str(fixture.core)})
        tid = stopped["body"]["threadId"]
        assert tid == facts["crashGoroutine"]
        frames = c.ok("stackTrace", {"threadId": tid})["stackFrames"]
        top = next(f for f in frames if f.get("source")
                   and f.get("presentationHint") != "label"
                   and f["source"].get("presentationHint") != "deemphasize")
        assert top["name"] == "main.tnFail"
        scopes = c.ok("scopes", {"frameId": top["id"]})["scopes"]
        local = next(s for s in scopes if s.get("presentationHint") == "locals")
        names: dict[str, Any] = {
            v["name"]: v for v in c.ok("variables", {
                "variablesReference": local["variablesReference"]})["variables"]}
        assert names["err"]["value"] == "error(*main.TNOrderError) nil"
        got = c.ok("evaluate", {"expression": "o.Total", "frameId": top["id"],
                                "context": "repl"})
        assert got["result"] == "12.5"
        c.ok("disconnect", {"terminateDebuggee": True})
        assert c.close() == 0
        assert c.problems == []


def _without_buildinfo(binary: Path, tmp_path: Path) -> Path:
    """A copy of ``binary`` whose build information is gone, as in a
    program built before Go 1.13: its magic is overwritten in place (same
    size, same layout), so the core still matches the copy."""
    copy = tmp_path / binary.name
    shutil.copy(binary, copy)
    data = bytearray(copy.read_bytes())
    at = data.find(_MAGIC)
    assert at >= 0
    data[at:at + len(_MAGIC)] = bytes(len(_MAGIC))
    copy.write_bytes(bytes(data))
    return copy


WITHOUT = [make_spec("1.15", "default", "nilmap"), make_spec("1.15", "stripped", "nilmap"),
           make_spec("1.27", "stripped", "nilmap")]


@pytest.mark.parametrize("spec", WITHOUT, ids=[s.id for s in WITHOUT])
def test_release_named_without_build_information(spec: FixtureSpec, fixture: Fixture,
                                                 tmp_path: Path) -> None:
    copy = _without_buildinfo(fixture.binary, tmp_path)
    exe = Executable(copy)
    want = fixture.facts()["goVersion"]
    version, source = release_without_buildinfo(exe)
    info = read_buildinfo(exe)
    assert (info.go_version, info.version_source) == (version, source)
    if spec.variant.dwarf:
        # The symbol table names it; so does the compiler's DWARF producer.
        assert (version, source) == (want, "runtime.buildVersion")
        from dapcore.gobin.goversion import _dwarf_producer
        assert _dwarf_producer(exe) == want
        rep = Engine.open(copy, fixture.core)
        rep.check_readable()
        assert rep.crash.goroutine == fixture.facts()["crashGoroutine"]
        return
    # Stripped: only the line tables' format bounds the release.
    assert version == ""
    minor = spec.toolchain.minor_number
    assert source.startswith("Go 1.2–1.15" if minor <= 15 else "Go 1.20 or newer")
    rep = Engine.open(copy, fixture.core)
    with pytest.raises(DapcoreError) as err:
        rep.check_readable()
        _ = rep.goroutines
    text = str(err.value)
    assert "names no Go release" in text and source.split(" (")[0] in text


def test_a_file_without_go_line_tables_is_not_a_go_program(tmp_path: Path) -> None:
    exe = Executable(shutil.which("true") or "/bin/true")
    with pytest.raises(DapcoreError, match="is not a Go program"):
        read_buildinfo(exe)


@pytest.mark.parametrize("spec", [make_spec("1.15", "default", "nilmap")],
                         ids=["go1.15-default-nilmap"])
def test_before_go_1_12_no_inlined_frames_and_a_notice(spec: FixtureSpec, fixture: Fixture,
                                                      tmp_path: Path) -> None:
    """A program whose runtime says Go 1.11 (a 1.15 binary with its build
    information wiped and runtime.buildVersion's text changed): its inline
    records would have no call-site pc, so no inlined frame is made up; each
    physical frame is the runtime's, and a notice says why."""
    copy = _without_buildinfo(fixture.binary, tmp_path)
    data = copy.read_bytes()
    assert b"go1.15.15" in data
    copy.write_bytes(data.replace(b"go1.15.15", b"go1.11.15"))
    rep = Engine.open(copy, fixture.core)
    assert rep.go_version == "go1.11.15"
    g = rep.goroutine(fixture.facts()["crashGoroutine"])
    frames = rep.printed_frames(g)
    assert not any(f.inlined for f in frames)
    assert any("inlined calls are not shown" in n and "Go 1.11" in n for n in rep.notices)
    from tests.oracle import Frame, parse_traceback
    tb = parse_traceback(fixture.stderr_text())
    want = [f.function for f in tb.goroutine(g.goid).frames
            if isinstance(f, Frame) and not f.inlined]
    assert [rep.print_name(f.function) for f in frames] == want
