"""Microsoft's ``DebugClient`` (npm ``@vscode/debugadapter-testsupport``,
Node ≥ 14) runs a session against dapcore: the test client VS Code's own
adapters are tested with. The npm package is installed once into
``~/.cache/dapcore/node`` (from the npm cache when offline)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dapcore.goruntime.userframe import is_user_function
from tests.dap.harness import REPO
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec
from tests.oracle import Frame, parse_traceback

NODE_DIR = Path.home() / ".cache" / "dapcore" / "node"
PACKAGE = "@vscode/debugadapter-testsupport@1.68.0"
SPECS = [make_spec("1.27", "default", "nilmap"), make_spec("1.19", "default", "custompanic")]


def _node_modules() -> Path:
    mods = NODE_DIR / "node_modules"
    if not (mods / "@vscode" / "debugadapter-testsupport").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to install the DebugClient test support", pytrace=False)
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--prefer-offline", "--no-audit", "--no-fund",
                               PACKAGE], cwd=NODE_DIR, capture_output=True, text=True,
                              timeout=300)
        if done.returncode != 0:
            pytest.fail(f"cannot install {PACKAGE}:\n{done.stderr}", pytrace=False)
    return mods


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_debugclient_session(spec: FixtureSpec, fixture: Fixture) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for the DebugClient test", pytrace=False)
    tb = parse_traceback(fixture.stderr_text())
    crashed = tb.goroutines[0]
    user = next(f for f in crashed.frames
                if isinstance(f, Frame) and is_user_function(f.function, "zoo"))
    env = dict(os.environ, NODE_PATH=str(_node_modules()), DAPCORE_REPO=str(REPO),
               DAPCORE_PYTHON=sys.executable, DAPCORE_BINARY=str(fixture.binary),
               DAPCORE_CORE=str(fixture.core),
               DAPCORE_MESSAGE=fixture.stderr_text().splitlines()[0],
               DAPCORE_LINE=str(user.line), DAPCORE_FUNCTION=user.function)
    done = subprocess.run([node, "--test", str(REPO / "tests" / "dap" / "node" /
                                               "session.test.js")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
