"""``dapcore goroutines|bt|crash`` on real cores: text and the JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dapcore.cli import main
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.oracle import parse_traceback

SPECS = [make_spec("1.27", "default", "goroutinepanic"), make_spec("1.19", "default", "nilptr"),
         make_spec("1.23", "pie", "custompanic")]
ids = [s.id for s in SPECS]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_goroutines_json_shape(spec: FixtureSpec, fixture: Fixture,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "goroutines", str(fixture.binary), str(fixture.core), "--json")
    assert code == 0
    doc = json.loads(out)
    tb = parse_traceback(fixture.stderr_text())
    assert {g["id"] for g in doc["goroutines"]} == {g.id for g in tb.goroutines}
    keys = {"id", "status", "waitReason", "thread", "crashed", "system", "labels",
            "startFunction", "createdBy"}
    for g in doc["goroutines"]:
        assert keys <= set(g)
    crashed = [g for g in doc["goroutines"] if g["crashed"]]
    assert [g["id"] for g in crashed] == [fixture.facts()["crashGoroutine"]]
    assert crashed[0]["thread"] is not None
    assert doc["crash"]["kind"] == "panic"
    assert doc["crash"]["goroutine"] == crashed[0]["id"]
    assert doc["crash"]["message"].startswith(fixture.facts()["crashMessage"])


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_bt_json_frames(spec: FixtureSpec, fixture: Fixture,
                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bt", str(fixture.binary), str(fixture.core), "--json")
    assert code == 0
    [g] = json.loads(out)["goroutines"]
    assert g["crashed"]
    for fr in g["frames"]:
        assert {"function", "file", "line", "pc", "sp", "inlined"} <= set(fr)
    assert fixture.facts()["crashFunction"] in [f["function"] for f in g["frames"]]


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_crash_text_is_the_runtimes_header(spec: FixtureSpec, fixture: Fixture,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "crash", str(fixture.binary), str(fixture.core))
    assert code == 0
    tb = parse_traceback(out)
    theirs = parse_traceback(fixture.stderr_text())
    assert [p.message for p in tb.panics] == [p.message for p in theirs.panics]
    assert tb.goroutines[0].id == theirs.goroutines[0].id
    assert tb.goroutines[0].functions() == theirs.goroutines[0].functions()


def test_labels_and_locked_thread(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.factory import ensure

    for go in ("1.19", "1.27"):  # classic map labels, then the sorted slice
        fx = ensure(make_spec(go, "default", "goroutinepanic"))
        code, out, _ = run(capsys, "goroutines", str(fx.binary), str(fx.core), "--json")
        assert code == 0
        by_id = {g["id"]: g for g in json.loads(out)["goroutines"]}
        facts = fx.facts()
        for goid, labels in facts["labels"].items():
            assert by_id[int(goid)]["labels"] == labels
        assert by_id[facts["lockedOSThread"]]["lockedToThread"]
        unlabeled = [g for g in by_id.values() if g["labels"]]
        assert len(unlabeled) == len(facts["labels"])
        system = {g["id"] for g in by_id.values() if g["system"]}
        assert facts["goroutines"]["main"] not in system
        assert not system & set(facts["goroutines"].values())
        assert system, "GC and finalizer goroutines are system goroutines"


def test_json_lists_panics_in_flight(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.factory import ensure

    fx = ensure(make_spec("1.27", "default", "inflight"))
    code, out, _ = run(capsys, "goroutines", str(fx.binary), str(fx.core), "--json")
    assert code == 0
    by_id = {g["id"]: g for g in json.loads(out)["goroutines"]}
    for goid, message in fx.facts()["inflightPanics"].items():
        assert by_id[int(goid)]["panics"] == [message]
    assert by_id[1]["panics"] == ["inflight: main gives up"]


GP = make_spec("1.27", "default", "goroutinepanic")
MANY = make_spec("1.27", "default", "many")


@pytest.mark.parametrize("spec", [GP], ids=[GP.id])
def test_locals_default_to_the_frame_an_editor_lands_on(
        spec: FixtureSpec, fixture: Fixture, capsys: pytest.CaptureFixture[str]) -> None:
    """Without -f: the user's crash frame on the crashing goroutine (not
    runtime.raise), the top user frame on another one; stderr names it."""
    facts = fixture.facts()
    files = (str(fixture.binary), str(fixture.core))
    code, _, err = run(capsys, "locals", *files, "--json")
    assert code == 0, err
    bt = json.loads(run(capsys, "bt", *files, "--json")[1])["goroutines"][0]["frames"]
    [line] = err.splitlines()
    n = int(line.split("frame ")[1].split(":")[0])
    assert bt[n]["function"] == facts["crashFunction"]
    assert line == (f"dapcore: goroutine {facts['crashGoroutine']}, frame {n}: "
                    f"{facts['crashFunction']} at {bt[n]['file']}:{bt[n]['line']}")
    # the same frame as -f N, and -f 0 still is the runtime's
    assert run(capsys, "locals", *files)[1] == run(capsys, "locals", *files, "-f", str(n))[1]
    assert run(capsys, "locals", *files, "-f", "0")[2] == ""
    # another goroutine: its top user frame (below gopark and chanrecv)
    goid = facts["goroutines"]["nested"]
    code, _, err = run(capsys, "print", *files, "-g", str(goid), "b")
    assert code == 0, err
    assert f"goroutine {goid}, frame " in err and f": {facts['nestedFrames'][0]} at " in err


def test_print_defaults_to_the_crash_frame_of_the_demo(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's example: ``dapcore print BIN CORE o`` on the demo."""
    from dapcore.demo import unpack

    binary, core, _, _ = unpack(tmp_path)
    code, out, err = run(capsys, "print", str(binary), str(core), "o")
    assert code == 0, err
    assert 'Customer: "grace"' in out
    assert ": main.(*Inventory).remember (inlined) at demo/main.go:57" in err
    code, out, err = run(capsys, "locals", str(binary), str(core))
    assert code == 0 and out != "(no locals)\n" and "o = *main.Order" in out


@pytest.mark.parametrize("spec", [MANY], ids=[MANY.id])
def test_closed_pipe_is_quiet(spec: FixtureSpec, fixture: Fixture) -> None:
    """``dapcore bt -a --json … | head``: no BrokenPipeError traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "dapcore", "bt", "-a", "--json",
                             str(fixture.binary), str(fixture.core)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert err == ""


@pytest.mark.parametrize("spec", [GP], ids=[GP.id])
def test_goroutines_are_named_by_their_go_statement(
        spec: FixtureSpec, fixture: Fixture, capsys: pytest.CaptureFixture[str]) -> None:
    """One naming (the DAP's threads'): the function the go statement named,
    not Go 1.22+'s gowrap wrapper; every line says where the goroutine is."""
    files = (str(fixture.binary), str(fixture.core))
    doc = json.loads(run(capsys, "goroutines", *files, "--json")[1])
    names = {g["id"]: g["startFunction"] for g in doc["goroutines"]}
    roles = fixture.facts()["goroutines"]
    assert names[roles["main"]] == "main.main"
    assert names[roles["chanRecv"]] == "main.parkChanRecv"
    assert names[roles["nested"]] == "main.parkNested"
    assert not [n for n in names.values() if n is None or "gowrap" in n]
    assert {names[g["id"]] for g in doc["goroutines"] if g["system"]} >= {
        "runtime.bgsweep", "runtime.bgscavenge", "runtime.forcegchelper"}
    code, text, _ = run(capsys, "goroutines", *files)
    assert code == 0
    lines = text.splitlines()
    assert "gowrap" not in text
    for ln in lines[:-1]:
        assert ln == ln.rstrip() and " at " in ln and ln.rsplit(":", 1)[-1].split()[0].isdigit()
    by_id = {int(ln[2:].split()[1]): ln for ln in lines[:-1]}
    assert " main.parkNested in main.nestedInner at " in by_id[roles["nested"]]
    system = [by_id[g["id"]] for g in doc["goroutines"] if g["system"]]
    assert system and all(ln.endswith("(system)") for ln in system)
    assert any("runtime.bgsweep at " in ln and "mgcsweep.go:" in ln for ln in system)


@pytest.mark.parametrize("command", ["dap", "demo", "executable", "goroutines", "bt", "crash",
                                     "locals", "print"])
def test_every_command_describes_itself(command: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    usage, _, rest = capsys.readouterr().out.partition("\n\n")
    assert usage.startswith(f"usage: dapcore {command}")
    description = rest.split("\n\n")[0]
    assert not description.lstrip().startswith(("positional arguments", "options"))
    assert len(description.split()) >= 8, description


def test_project_metadata_has_home_page_and_authors() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())[
        "project"]
    assert project["authors"] == [{"name": "dapcore developers"}]
    for key in ("Homepage", "Repository", "Issues"):
        assert project["urls"][key].startswith("https://github.com/dapcore/dapcore")


@pytest.mark.parametrize("spec", SPECS[:1], ids=ids[:1])
def test_executable_names_the_program_and_its_build(spec: FixtureSpec, fixture: Fixture,
                                                    capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    """``dapcore executable CORE`` (what the VS Code extension asks): the
    executable the core names with the Go build ID of the core's copy, and
    the executables next to the core, the same build first."""
    from dapcore.elf.executable import Executable

    build_id = Executable(fixture.binary).go_build_id
    core = tmp_path / "core"
    core.symlink_to(fixture.core)
    (tmp_path / "prog").symlink_to(fixture.binary)
    (tmp_path / "notes.txt").write_text("x")
    code, out, _ = run(capsys, "executable", str(core))
    doc = json.loads(out)
    assert code == 0 and doc["core"]["named"] and doc["core"]["goBuildId"] == build_id
    assert [(c["path"], c["match"]) for c in doc["nextTo"]] == [(str(tmp_path / "prog"), True)]
    code, out, _ = run(capsys, "executable", str(tmp_path / "notes.txt"))
    assert code == 0 and json.loads(out) == {
        "core": None, "nextTo": [dict(doc["nextTo"][0], match=False)]}
