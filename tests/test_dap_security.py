"""The server's security rules (README, Security), over stdio and over TCP.

- ``source`` serves only files the binary's line tables name: a path
  mapping (``substitutePath``, ``cwd``) may move a file's directory, never
  rename it; what is served is a regular file whose real path (links
  resolved) still ends with the part of the line-table name the mapping
  kept; everything else gets one message, whether or not the file exists.
- ``--listen`` refuses an address beyond loopback unless ``--allow-remote``
  says so, and then warns.
- Over TCP, launch errors do not tell which of the files a client named
  exist.

Every test has a positive control (the same request served when the rule
allows it), so that a rule that refuses everything would fail too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.dap.harness import REPO, Client, start_session
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec

NILPTR = make_spec("1.27", "default", "nilptr")
TRIMPATH = make_spec("1.23", "trimpath", "custompanic")
SECRET = "TOP-SECRET-0123456789"
TRANSPORTS = ["stdio", "tcp"]


@contextmanager
def tcp_server(*args: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "dapcore", "dap", *args],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=REPO)
    try:
        assert proc.stderr is not None
        lines = []
        while True:
            line = proc.stderr.readline().decode()
            assert line, f"the server ended: {lines}"
            lines.append(line)
            m = re.match(r"dapcore: listening on \S+:(\d+)$", line.strip())
            if m:
                yield proc, int(m.group(1))
                return
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def client(transport: str) -> Iterator[Client]:
    if transport == "stdio":
        with Client.spawn("dap") as c:
            yield c
        return
    with tcp_server("--listen", "127.0.0.1:0") as (_, port), Client.connect("127.0.0.1", port) as c:
        yield c


def launched(c: Client, fx: Fixture, **extra: Any) -> None:
    start_session(c, {"type": "gocore", "request": "launch", "program": str(fx.binary),
                      "coreFilePath": str(fx.core), **extra})


@pytest.fixture
def empty_cwd(tmp_path: Path) -> str:
    """A working directory with nothing in it: relative line-table names
    resolve only through the test's mappings."""
    d = tmp_path / "empty"
    d.mkdir()
    return str(d)


def source(c: Client, path: str) -> dict[str, Any]:
    return c.request("source", {"source": {"path": path}, "sourceReference": 0})


def refused(c: Client, path: str) -> str:
    r = source(c, path)
    assert not r["success"], f"{path} was served: {r.get('body', {}).get('content', '')[:80]!r}"
    return str(r["message"])


def never_leaked(c: Client) -> None:
    for m in c.messages:
        assert SECRET not in repr(m), m
    assert c.problems == []


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    p = tmp_path / "secret" / "shadow"
    p.parent.mkdir()
    p.write_text(SECRET + "\n")
    return p


def line_table_dir(fx: Fixture) -> str:
    """The directory the fixture's main package was compiled in, as its line
    tables name it (``zoo`` for a -trimpath build: a relative name, so that
    nothing outside the test's own directories can match it)."""
    from dapcore.engine import Engine

    names = Engine.open(fx.binary, fx.core).source_files()
    main = next(n for n in sorted(names) if n == "zoo/main.go" or n.endswith("/zoo/main.go"))
    return main.rsplit("/", 1)[0]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("spec", [TRIMPATH], ids=[TRIMPATH.id])
def test_a_mapping_never_renames_a_file(spec: FixtureSpec, fixture: Fixture, transport: str,
                                        secret: Path, tmp_path: Path, empty_cwd: str) -> None:
    zoo = line_table_dir(fixture)
    name = f"{zoo}/scenario_nilptr.go"
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(REPO / "tests/fixtures/zoo/scenario_nilptr.go", copy / "scenario_nilptr.go")
    with client(transport) as c:
        launched(c, fixture, cwd=empty_cwd, substitutePath=[
            {"from": name, "to": str(secret)},  # a file onto another file
            {"from": f"{zoo}/main.go", "to": str(secret.parent)},  # a file onto a directory
            {"from": zoo, "to": str(copy)},  # the honest directory mapping
        ])
        text = source(c, name)
        assert text["success"] and "func" in text["body"]["content"]  # the control
        refused(c, f"{zoo}/main.go")  # only in the mapping that renames it
        refused(c, str(secret))
        never_leaked(c)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("spec", [TRIMPATH], ids=[TRIMPATH.id])
def test_links_out_of_a_mapped_directory_are_not_followed(
        spec: FixtureSpec, fixture: Fixture, transport: str, secret: Path,
        tmp_path: Path, empty_cwd: str) -> None:
    zoo = line_table_dir(fixture)
    mapped = tmp_path / "mapped"
    mapped.mkdir()
    (mapped / "main.go").symlink_to(secret)  # a file link to a secret
    (mapped / "internal").symlink_to(secret.parent)  # a directory link elsewhere
    (secret.parent / "harness").mkdir()
    (secret.parent / "harness" / "harness.go").write_text(SECRET)
    os.mkfifo(mapped / "scenario_index.go")  # a special file: never opened, never a hang
    shutil.copy(REPO / "tests/fixtures/zoo/scenario_nilptr.go", mapped / "scenario_nilptr.go")
    (mapped / "scenario_nilmap.go").symlink_to(mapped / "scenario_nilptr.go")  # renaming link
    # a link that keeps the name (a source tree behind a link) is served
    real = tmp_path / "elsewhere"
    real.mkdir()
    shutil.copy(REPO / "tests/fixtures/zoo/blocked.go", real / "blocked.go")
    (mapped / "blocked.go").symlink_to(real / "blocked.go")
    with client(transport) as c:
        launched(c, fixture, cwd=empty_cwd, substitutePath=[{"from": zoo, "to": str(mapped)}])
        assert source(c, f"{zoo}/scenario_nilptr.go")["success"]  # the control
        assert "func" in source(c, f"{zoo}/blocked.go")["body"]["content"]
        messages = {refused(c, f"{zoo}/{n}").replace(n, "NAME") for n in (
            "main.go", "internal/harness/harness.go", "scenario_index.go", "scenario_nilmap.go",
            "no_such_file.go")}
        refused(c, str(mapped / "main.go"))
        refused(c, str(secret))
        refused(c, f"{zoo}/../../../../../../../..{secret}")
        assert len(messages) == 1, messages  # existing or not: the same answer
        never_leaked(c)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("spec", [TRIMPATH], ids=[TRIMPATH.id])
def test_cwd_of_a_trimpath_binary_does_not_follow_links(
        spec: FixtureSpec, fixture: Fixture, transport: str, secret: Path,
        tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "main.go").symlink_to(secret)
    shutil.copy(REPO / "tests/fixtures/zoo/scenario_custompanic.go",
                cwd / "scenario_custompanic.go")
    with client(transport) as c:
        launched(c, fixture, cwd=str(cwd))
        ok = source(c, "zoo/scenario_custompanic.go")
        assert ok["success"] and "func" in ok["body"]["content"]  # the control
        refused(c, "zoo/main.go")
        refused(c, str(cwd / "main.go"))
        never_leaked(c)


def test_listening_beyond_loopback_needs_a_flag() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    r = subprocess.run([sys.executable, "-m", "dapcore", "dap", "--listen", "0.0.0.0:0"],
                       capture_output=True, text=True, env=env, cwd=REPO, timeout=30)
    assert r.returncode == 2
    assert "not a loopback address" in r.stderr and "--allow-remote" in r.stderr
    with tcp_server("--listen", "0.0.0.0:0", "--allow-remote") as (proc, port):
        with Client.connect("127.0.0.1", port) as c:
            assert c.ok("initialize", {"adapterID": "gocore"})["supportsCancelRequest"]
            c.ok("disconnect")
    assert proc.stderr is not None
    with tcp_server("--listen", "localhost:0") as (_, port):  # a loopback name is fine
        with Client.connect("127.0.0.1", port) as c:
            c.ok("initialize", {"adapterID": "gocore"})


def test_the_warning_names_what_is_exposed() -> None:
    from dapcore.dap.options import REMOTE_WARNING, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("no-such-host.invalid")
    text = REMOTE_WARNING.format(where="0.0.0.0:1")
    assert "memory" in text and "source" in text


@pytest.mark.parametrize("spec", [NILPTR], ids=[NILPTR.id])
def test_tcp_launch_errors_do_not_tell_which_files_exist(spec: FixtureSpec, fixture: Fixture,
                                                         tmp_path: Path) -> None:
    unreadable = tmp_path / "unreadable"
    unreadable.write_bytes(b"\x7fELF")
    unreadable.chmod(0)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    text = tmp_path / "notes.txt"
    text.write_text("not a core\n")
    paths = [tmp_path / "missing", tmp_path, fifo, text]
    if os.geteuid() != 0:  # root reads anything
        paths.append(unreadable)

    def messages(c: Client) -> tuple[set[str], set[str]]:
        c.ok("initialize", {"adapterID": "gocore"})
        cores, programs = set(), set()
        for p in [*paths, fixture.binary]:
            r = c.request("launch", {"program": str(fixture.binary), "coreFilePath": str(p)})
            assert not r["success"]
            cores.add(r["message"].replace(str(p), "PATH"))
        for p in [*paths, fixture.core]:
            r = c.request("launch", {"program": str(p), "coreFilePath": str(fixture.core)})
            assert not r["success"]
            programs.add(r["message"].replace(str(p), "PATH"))
        return cores, programs

    with tcp_server("--listen", "127.0.0.1:0") as (_, port), Client.connect("127.0.0.1", port) as c:
        cores, programs = messages(c)
        assert len(cores) == 1 and len(programs) == 1, (cores, programs)
        assert c.problems == []
    with Client.spawn("dap") as c:  # a local user gets the details
        cores, programs = messages(c)
        assert len(cores) >= 4 and len(programs) >= 4, (cores, programs)
