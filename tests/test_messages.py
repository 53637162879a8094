"""Errors are one line a person can read: text taken from a file (a build
ID, a path in a core) never brings its own line breaks or terminal escape
sequences into a message (found by the fuzzer: a newline byte in the
executable's build ID split the "does not match the core" error)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dapcore.elf.executable import Executable
from dapcore.errors import printable
from tests.dap.harness import REPO
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec

SIGQUIT = make_spec("1.27", "default", "sigquit")


def test_printable_escapes_controls_only() -> None:
    assert printable("a\nb\x1b[31m\x85 é/ü") == "a\\x0ab\\x1b[31m\\x85 é/ü"


@pytest.mark.parametrize("spec", [SIGQUIT], ids=[SIGQUIT.id])
@pytest.mark.parametrize("byte", [b"\n", b"\x1b"])
def test_a_build_id_with_control_bytes(spec: FixtureSpec, fixture: Fixture, byte: bytes,
                                       tmp_path: Path) -> None:
    build_id = Executable(fixture.binary).go_build_id
    assert build_id
    data = bytearray(Path(fixture.binary).read_bytes())
    at = data.find(build_id.encode())
    assert at > 0
    data[at + 20:at + 21] = byte
    exe = tmp_path / "zoo"
    exe.write_bytes(bytes(data))
    exe.chmod(0o755)
    r = subprocess.run([sys.executable, "-m", "dapcore", "crash", str(exe), str(fixture.core)],
                       capture_output=True, text=True, timeout=120, cwd=REPO)
    assert r.returncode == 1, r
    assert "does not match the core" in r.stderr
    assert r.stderr.count("\n") == 1 and "\x1b" not in r.stderr, r.stderr
    assert f"\\x{byte[0]:02x}" in r.stderr
