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
    env = dict(os.environ, DAPCORE_CACHE=str(tmp_path_factory.mktemp("cache")))
    proc = subprocess.run([sys.executable, "-m", "dapcore", "demo"], capture_output=True,
                          text=True, env=env, cwd=tmp_path_factory.mktemp("cwd"), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def test_demo_shows_the_crash(demo_output: str) -> None:
    out = demo_output
    assert "■ stopped: exception — panic: assignment to entry in nil map" in out
    assert "Exception\n  panic: assignment to entry in nil map\n" in out
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
    from dapcore.go.report import Report

    binary = tmp_path / "demo"
    binary.write_bytes(lzma.decompress((DEMO / MANIFEST["binary"]).read_bytes()))
    core = tmp_path / "core"
    core.write_bytes(lzma.decompress((DEMO / MANIFEST["core"]).read_bytes()))
    assert Executable(binary).go_build_id == MANIFEST["buildID"]
    report = Report.open(str(binary), str(core))
    assert "assignment to entry in nil map" in report.crash_text()
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
