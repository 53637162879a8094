"""``dapcore demo``: the bundled demo opens through the real DAP server, and
the bundled files are what the fixture factory makes for the recorded spec."""

from __future__ import annotations

import json
import lzma
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dapcore.elf.executable import Executable
from tests.factory import matrix

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "dapcore" / "demo"
MANIFEST = json.loads((DEMO / "demo.json").read_text())
SPEC = matrix.spec(MANIFEST["spec"]["go"], MANIFEST["spec"]["variant"],
                   MANIFEST["spec"]["scenario"])


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    # A machine without the Go toolchain's sources (a fresh HOME): runtime
    # frames below the user's have no local source.
    env = dict(os.environ, DAPCORE_CACHE=str(tmp_path_factory.mktemp("cache")),
               HOME=str(tmp_path_factory.mktemp("home")))
    proc = subprocess.run([sys.executable, "-m", "dapcore", "demo"], capture_output=True,
                          text=True, env=env, cwd=tmp_path_factory.mktemp("cwd"), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def test_demo_shows_the_crash(demo_output: str) -> None:
    out = demo_output
    assert "■ stopped: exception — panic: assignment to entry in nil map" in out
    assert out.count("assignment to entry in nil map") == 1  # said once
    # threads: the crashing goroutine first, marked
    assert "→ [Go 1] main.main · running" in out
    assert "⚡ crashed" in out
    # the idle workers, named by their go statement's function, not the wrapper
    assert out.count("main.worker · chan receive") == 3
    # the stack lands on the inlined user frame, served from the bundled source
    assert "→ main.(*Inventory).remember (inlined)" in out
    assert "src/main.go:57" in out
    assert "* main.(*Inventory).reserve" in out
    assert "* main.place" in out
    assert "* main.main" in out
    # the crash line with its context, and the values that explain it
    assert ">   57  \tinv.index[o.Customer] = o" in out
    assert "func (inv *Inventory) remember(o *Order) {" in out
    assert "Variables of main.(*Inventory).remember" in out
    assert "index: map[string]*main.Order nil" in out
    assert 'Customer: "grace"' in out
    assert "Traceback (exceptionInfo)" in out


def test_demo_is_small_and_documented() -> None:
    sizes = {p.name: p.stat().st_size for p in DEMO.iterdir()}
    assert sizes[MANIFEST["binary"]] + sizes[MANIFEST["core"]] < 5_000_000
    assert set(sizes) == {MANIFEST["binary"], MANIFEST["core"], "demo.json", "README",
                          "go.mod", *MANIFEST["sources"]}
    readme = (DEMO / "README").read_text()
    assert SPEC.id in readme and MANIFEST["goVersion"] in readme
    assert (ROOT / "scripts" / "make_demo.py").is_file()


def test_bundled_files_open_and_match(tmp_path: Path) -> None:
    """The compressed binary carries the recorded Go build ID; the server's
    engine opens it with the core (identity check included); its line table
    names the bundled sources."""
    from dapcore import render
    from dapcore.engine import Engine

    binary = tmp_path / "demo"
    binary.write_bytes(lzma.decompress((DEMO / MANIFEST["binary"]).read_bytes()))
    core = tmp_path / "core"
    core.write_bytes(lzma.decompress((DEMO / MANIFEST["core"]).read_bytes()))
    assert Executable(binary).go_build_id == MANIFEST["buildID"]
    report = Engine.open(str(binary), str(core))
    assert "assignment to entry in nil map" in render.crash_text(report)
    files = {fr.file for g in report.proc.goroutines for fr in report.stack(g).frames}
    for name in MANIFEST["sources"]:
        assert f"{MANIFEST['sourceDir']}/{name}" in files


@pytest.mark.parametrize("spec", [SPEC], ids=[SPEC.id])
def test_bundled_binary_is_the_factory_build(fixture: matrix.Fixture) -> None:
    """Same Go build ID as the factory's build of the recorded spec (a
    -trimpath build: the checkout's location does not enter the binary)."""
    assert fixture.meta["buildID"] == MANIFEST["buildID"], (
        "the factory builds a different binary now: run python scripts/make_demo.py")
    assert fixture.meta["goVersion"] == MANIFEST["goVersion"]


def test_wheel_carries_the_demo(tmp_path: Path) -> None:
    """``pip install . && dapcore demo`` needs the demo files in the package."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps",
         "--disable-pip-version-check", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheel = next(tmp_path.glob("dapcore-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("demo.json", "README", MANIFEST["binary"], MANIFEST["core"],
                 *MANIFEST["sources"]):
        assert f"dapcore/demo/{name}" in names
    assert "dapcore/demo.py" in names


def test_demo_says_what_it_opens_and_where(demo_output: str) -> None:
    header = demo_output.split("\n\n")[0]
    assert header.startswith(
        f"dapcore demo: a Go {MANIFEST['goVersion']} program built with -trimpath that "
        "panicked")
    assert SPEC.id not in demo_output  # no fixture jargon
    unpacked = next(ln for ln in header.splitlines() if "unpacked into" in ln)
    folder = Path(unpacked.split("unpacked into", 1)[1].strip())
    assert folder.parent.name == "demo" and (folder / "core").is_file()
    assert f"executable    {folder / 'demo'}" in header


def test_demo_frames_read_as_go_locations(demo_output: str) -> None:
    """Runtime frames without a local Go source show the Go file:line (not
    the line of a disassembly listing); frames the server sends without a
    source carry their location in their name."""
    stack = demo_output.split("Call stack of the crashing goroutine")[1].split("\n\n")[0]
    assert "· runtime.main  runtime/proc.go:" in stack
    line = stack.split("· runtime.main  runtime/proc.go:")[1].split()[0]
    assert f"runtime.main()\n\truntime/proc.go:{line} " in _crash_text()
    assert "(no local source)" in stack
    assert "disassembly)" not in stack and "?:0" not in stack


def test_demo_says_how_much_traceback_is_left_out(demo_output: str) -> None:
    tb = demo_output.split("Traceback (exceptionInfo)\n")[1].split("\n\n")[0].splitlines()
    total = len(_crash_text().rstrip("\n").splitlines()) - 2  # the runtime's text, no header
    assert len(tb) == 13 and tb[-1].startswith(f"  … {total - 12} more lines (all of it: ")


def test_demo_without_local_sources(tmp_path: Path) -> None:
    """User frames whose files are not found: Go file:line from the
    disassembly listing, no line for a frame sharing its callee's (inlined)
    instruction."""
    import io

    from dapcore.demo import run

    (tmp_path / "empty").mkdir()
    out = io.StringIO()
    assert run(out, tmp_path / "unpacked", tmp_path / "empty") == 0
    text = out.getvalue()
    assert "→ main.(*Inventory).remember (inlined)  demo/main.go:57 (no local source)" in text
    assert "* main.(*Inventory).reserve  demo/main.go (no local source)" in text
    assert "* main.place  demo/main.go:76 (no local source)" in text
    assert "* main.main  demo/main.go:107 (no local source)" in text
    assert "disassembly)" not in text


def _crash_text() -> str:
    """``dapcore crash`` on the bundled files: the runtime-style traceback."""
    from dapcore import render
    from dapcore.demo import unpack
    from dapcore.engine import Engine

    binary, core, _, _ = unpack()
    return render.crash_text(Engine.open(binary, core))


def test_demo_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    """``dapcore demo | head -1``: no traceback, no "Broken pipe" error."""
    env = dict(os.environ, DAPCORE_CACHE=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "dapcore", "demo"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert err == ""
