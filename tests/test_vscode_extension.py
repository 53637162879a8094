"""The VS Code extension (``vscode-extension/``): its ``node --test`` suite
(stubbed ``vscode`` module) and the ``.vsix`` build. Node and npm are
required: a missing tool fails these tests, it does not skip them."""

from __future__ import annotations

import json
import lzma
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXT = ROOT / "vscode-extension"
DEMO = ROOT / "dapcore" / "demo"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (Node 20 is needed for the extension's tests)",
                    pytrace=False)
    return path


def _run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, cwd=EXT, capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """``npm install`` (the devDependencies: @vscode/vsce) unless done."""
    npm = _tool("npm")
    pkg = json.loads((EXT / "package.json").read_text())
    missing = [d for d in pkg.get("devDependencies", {})
               if not (EXT / "node_modules" / d / "package.json").is_file()]
    if missing:
        _run([npm, "install", "--no-audit", "--no-fund"])
    return EXT / "node_modules"


def test_node_version() -> None:
    out = subprocess.run([_tool("node"), "--version"], capture_output=True, text=True).stdout
    assert int(out.strip().lstrip("v").split(".")[0]) >= 20, out


def test_node_suite(tmp_path: Path) -> None:
    """``node --test``: package.json's contributions, interpreter discovery,
    configuration resolution, error paths; with a real core (the demo's)
    for the executable a core names."""
    core = tmp_path / "core"
    core.write_bytes(lzma.decompress((DEMO / "core.xz").read_bytes()))
    from dapcore.elf.core import open_core
    from dapcore.gobin.identity import executable_path_in_core

    named = executable_path_in_core(open_core(str(core)))
    assert named
    bare = tmp_path / "venv"  # an interpreter that cannot import dapcore
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(bare)
    # "without dapcore" means without it: a PYTHONPATH naming a checkout
    # (a developer's run) would put dapcore back on the bare interpreter's path
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env = dict(base, GOCORE_TEST_CORE=str(core), GOCORE_TEST_CORE_EXECUTABLE=named,
               GOCORE_TEST_PYTHON=sys.executable,
               GOCORE_TEST_PYTHON_WITHOUT_DAPCORE=str(bare / "bin" / "python"))
    files = sorted(str(p.relative_to(EXT)) for p in (EXT / "test").glob("*.test.js"))
    assert files
    proc = subprocess.run([_tool("node"), "--test", *files], cwd=EXT, capture_output=True,
                          text=True, timeout=300, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    counts = {k: int(v) for k, v in
              (line[2:].split(" ", 1) for line in proc.stdout.splitlines()
               if line.startswith("# ") and line[2:].split(" ", 1)[-1].isdigit())}
    assert counts.get("fail") == 0 and counts.get("skipped") == 0, out
    assert counts.get("pass", 0) >= 25, out


def test_vsix_builds(node_modules: Path, tmp_path: Path) -> None:
    out = tmp_path / "gocore.vsix"
    _run(["sh", str(EXT / "package.sh"), str(out)])
    names = set(zipfile.ZipFile(out).namelist())
    assert {"extension/package.json", "extension/extension.js", "extension/goroutines.js",
            "extension/LICENSE.txt",
            "extension.vsixmanifest"} <= names
    assert not any("/test/" in n or "node_modules" in n for n in names), names
    manifest = zipfile.ZipFile(out).read("extension.vsixmanifest").decode()
    assert 'Id="gocore"' in manifest
    assert (node_modules / "@vscode" / "vsce").is_dir()
