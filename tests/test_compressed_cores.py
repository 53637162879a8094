"""Compressed cores (gzip, xz, zstd, LZ4 frames: systemd-coredump's and
shipped ones) and cores given alone, on real fixture cores.

Each core is compressed here, at test time, with the formats' own Python
packages (as ``gzip``, ``xz``, ``zstd`` and ``lz4`` on the command line
do, checksums included), and read through the engine, the command line and
a DAP session: goroutines, stacks and the crash must be those of the
uncompressed core and of the Go runtime's own traceback. Damaged and
truncated streams give one clear error; the decompressed copy has no name
in the temporary directory and is gone once the core is closed.
"""

from __future__ import annotations

import gzip
import io
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lz4.frame
import pytest
import zstandard

from dapcore.cli import main
from dapcore.elf.executable import Executable
from dapcore.engine import Engine
from dapcore.errors import CoreFormatError, ExecutableNotFound
from tests.dap.harness import REPO, Client, start_session
from tests.factory import Fixture, FixtureSpec
from tests.factory.capture import run as capture
from tests.factory.matrix import spec as make_spec
from tests.oracle import parse_traceback
from tests.test_dap_security import tcp_server
from tests.test_engine import assert_same_frames

NILMAP = make_spec("1.27", "default", "nilmap")
SIGQUIT = make_spec("1.27", "default", "sigquit")
SPECS = [NILMAP, SIGQUIT]
FORMATS = ["gzip", "xz", "zstd", "lz4"]
SUFFIX = {"gzip": ".gz", "xz": ".xz", "zstd": ".zst", "lz4": ".lz4"}
NOTICE = re.compile(r"decompressed (\S+) \((gzip|xz|zstd|lz4), (\d+\.\d) MB\) in \d+\.\d\d s$")


def _writer(fmt: str, dst: io.BufferedWriter) -> Any:
    """A compressing writer into ``dst``, as each format's command-line tool
    writes by default (with its content checksum)."""
    if fmt == "gzip":
        return gzip.GzipFile(fileobj=dst, mode="wb", compresslevel=1)
    if fmt == "xz":
        return lzma.LZMAFile(dst, "wb", preset=0)
    if fmt == "zstd":
        return zstandard.ZstdCompressor(level=3, write_checksum=True).stream_writer(
            dst, closefd=False)
    return lz4.frame.LZ4FrameFile(dst, "wb", content_checksum=True)


def compress(src: Path, dst: Path, fmt: str) -> Path:
    with src.open("rb") as f, dst.open("wb") as out:
        w = _writer(fmt, out)
        shutil.copyfileobj(f, w, 1 << 20)
        w.close()
    return dst


def compress_bytes(data: bytes, fmt: str) -> bytes:
    out = io.BytesIO()
    w = _writer(fmt, out)  # type: ignore[arg-type]
    w.write(data)
    w.close()
    return out.getvalue()


_made: dict[tuple[str, str], Path] = {}


@pytest.fixture(scope="module")
def compressed(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Fixture, str], Path]:
    """The fixture's core compressed as ``fmt``, named as systemd-coredump
    names its cores (``core.<comm>.<uid>.<boot id>.<pid>.<time>.zst``)."""
    def make(fx: Fixture, fmt: str) -> Path:
        key = (fx.spec.id, fmt)
        if key not in _made:
            d = tmp_path_factory.mktemp(f"{fx.spec.id}-{fmt}")
            name = "core.zoo.0.8a5c0a0f3b2a4e0c9d7f2b1e6a4c3d21.4242.1765000000000000"
            _made[key] = compress(fx.core, d / (name + SUFFIX[fmt]), fmt)
        return _made[key]
    return make


def _goroutines(rep: Engine) -> list[tuple[Any, ...]]:
    return [(g.goid, g.status_text, g.crashed, g.locked_to_thread) for g in rep.goroutines]


def _stacks(rep: Engine) -> dict[int, list[tuple[str, str, int, int, bool]]]:
    return {g.goid: [(f.function, f.file, f.line, f.pc, f.inlined) for f in rep.stack(g).frames]
            for g in rep.goroutines}


def _crash(rep: Engine) -> tuple[Any, ...]:
    c = rep.crash
    return (c.kind, c.goroutine, [p.message for p in c.panics], c.fatal_error,
            c.signal.line() if c.signal else None)


# -- the engine ---------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_engine_reads_a_compressed_core_as_the_plain_one(
        spec: FixtureSpec, fixture: Fixture, fmt: str,
        compressed: Callable[[Fixture, str], Path]) -> None:
    path = compressed(fixture, fmt)
    plain = Engine.open(fixture.binary, fixture.core)
    rep = Engine.open(fixture.binary, path)
    try:
        assert _goroutines(rep) == _goroutines(plain)
        assert _stacks(rep) == _stacks(plain)
        assert _crash(rep) == _crash(plain)
        assert rep.warnings == plain.warnings
        # ... and what the Go runtime printed when it died.
        tb = parse_traceback(fixture.stderr_text())
        assert {g.goid for g in rep.goroutines} == {g.id for g in tb.goroutines if g.id != 0}
        for og in tb.goroutines:
            if og.id:
                g = rep.goroutine(og.id)
                assert_same_frames(rep.printed_frames(g), og, f"goroutine {og.id}")
        [notice] = rep.notices
        m = NOTICE.match(notice)
        assert m, notice
        assert m.group(1) == path.name and m.group(2) == fmt
        assert m.group(3) == f"{fixture.core.stat().st_size / 1e6:.1f}"
        assert plain.notices == []
    finally:
        rep.close()
        plain.close()


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_format_is_told_by_magic_bytes_not_by_name(
        spec: FixtureSpec, fixture: Fixture, tmp_path: Path) -> None:
    """An xz core named ``.zst``, a zstd core with no suffix, a plain core
    named ``.gz``: each is read for what it holds."""
    cases = [(compress(fixture.core, tmp_path / "core.zst", "xz"), "xz"),
             (compress(fixture.core, tmp_path / "core", "zstd"), "zstd")]
    plain_named_gz = tmp_path / "core.gz"
    plain_named_gz.symlink_to(fixture.core)
    want = _crash(Engine.open(fixture.binary, fixture.core))
    for path, fmt in cases:
        rep = Engine.open(fixture.binary, path)
        assert _crash(rep) == want
        assert f"({fmt}, " in rep.notices[0]
        rep.close()
        assert Engine.executable_in_core(path) == str(fixture.binary)
    rep = Engine.open(fixture.binary, plain_named_gz)
    assert _crash(rep) == want and rep.notices == []


def _temp_mappings(directory: Path) -> list[str]:
    return [ln for ln in Path("/proc/self/maps").read_text().splitlines()
            if str(directory) in ln]


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_decompressed_copy_is_unnamed_sparse_and_freed_on_close(
        spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
        compressed: Callable[[Fixture, str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy is made in $TMPDIR (tempfile's directory), never has a name
    there, is sparse (cores are mostly zeros), and is unmapped, so freed by
    the kernel, when the core is closed."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    rep = Engine.open(fixture.binary, compressed(fixture, "zstd"))
    assert list(tmpdir.iterdir()) == []  # no name, ever
    [mapping] = _temp_mappings(tmpdir)  # the unnamed file in $TMPDIR, mapped
    assert mapping.endswith("(deleted)"), mapping
    span = mapping.split()[0]
    st = Path(f"/proc/self/map_files/{span}").stat()
    assert st.st_size == fixture.core.stat().st_size
    assert st.st_blocks * 512 < st.st_size // 4, "the decompressed core is not sparse"
    assert rep.crash.kind == "panic"
    rep.close()
    assert _temp_mappings(tmpdir) == []


def test_temporary_directory_that_cannot_be_written_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    path = tmp_path / "core.gz"
    path.write_bytes(compress_bytes(b"\x7fELF" + bytes(100), "gzip"))
    with pytest.raises(CoreFormatError, match=r"cannot create a temporary file in .*missing "
                                              r".*set TMPDIR"):
        Engine.executable_in_core(path)


# -- damaged input --------------------------------------------------------------

def _damaged(data: bytes) -> bytes:
    """``data`` with a run of bytes in its middle inverted."""
    mid = len(data) // 2
    return data[:mid] + bytes(b ^ 0xFF for b in data[mid:mid + 64]) + data[mid + 64:]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_truncated_or_damaged_stream_is_one_clear_error(
        spec: FixtureSpec, fixture: Fixture, fmt: str, tmp_path: Path,
        compressed: Callable[[Fixture, str], Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    data = compressed(fixture, fmt).read_bytes()
    cases = {
        "truncated": (data[: len(data) // 2], rf"is a truncated {fmt} stream: "),
        "cut short": (data[:-6], rf"is a (truncated|damaged) {fmt} stream: "),
        "damaged": (_damaged(data), rf"is a (damaged|truncated) {fmt} stream: "),
    }
    for what, (blob, message) in cases.items():
        path = tmp_path / f"{what.replace(' ', '-')}{SUFFIX[fmt]}"
        path.write_bytes(blob)
        with pytest.raises(CoreFormatError, match=message):
            Engine.open(fixture.binary, path)
        code = main(["crash", str(fixture.binary), str(path)])
        out = capsys.readouterr()
        assert code == 1 and out.out == "", (what, out)
        [line] = out.err.splitlines()
        assert re.match(rf"dapcore: {re.escape(str(path))} {message}", line), (what, line)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_compressed_file_that_holds_no_core_says_so(
        spec: FixtureSpec, fixture: Fixture, fmt: str, tmp_path: Path) -> None:
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as t:
        t.add(fixture.side_file("facts.json"), "facts.json")
    cases = {
        "text": (b"goroutine 1 [running]:\n" * 50, "that is not an ELF file, so not a core dump"),
        "tar": (tar.getvalue(), "that is a tar archive: unpack it first"),
        "twice": (compress_bytes(b"x" * 1000, "gzip"),
                  "that is a compressed stream again: decompress it first"),
        "empty": (b"", f"is an empty {fmt} stream, not a core dump"),
        "exe": (fixture.binary.read_bytes(), r"is an executable \(ELF type 2\), not a core dump"),
    }
    for what, (content, message) in cases.items():
        path = tmp_path / f"{what}{SUFFIX[fmt]}"
        path.write_bytes(compress_bytes(content, fmt))
        with pytest.raises(CoreFormatError, match=message):
            Engine.core_executable(path)


# -- the command line -------------------------------------------------------------

def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("spec", [SIGQUIT], ids=[SIGQUIT.id])
def test_cli_reads_a_compressed_core(spec: FixtureSpec, fixture: Fixture, fmt: str,
                                     compressed: Callable[[Fixture, str], Path],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = str(compressed(fixture, fmt))
    for command in (["bt", "-a", "--json"], ["goroutines"], ["crash"]):
        code, want, _ = _cli(capsys, command[0], str(fixture.binary), str(fixture.core),
                             *command[1:])
        assert code == 0
        code, out, err = _cli(capsys, command[0], str(fixture.binary), path, *command[1:])
        assert code == 0 and out == want, command
        assert NOTICE.match(err.splitlines()[0].removeprefix("dapcore: ")), err
    # The core alone: the executable it names is here.
    code, out, _ = _cli(capsys, "crash", path)
    assert code == 0 and out == want
    theirs = parse_traceback(fixture.stderr_text())
    ours = parse_traceback(out)
    assert ours.goroutines[0].id == theirs.goroutines[0].id
    code, out, _ = _cli(capsys, "executable", path)
    doc = json.loads(out)["core"]
    assert doc["named"] == str(fixture.binary)
    assert doc["goBuildId"] == doc["namedGoBuildId"] == Executable(fixture.binary).go_build_id


# -- a DAP session ------------------------------------------------------------------

@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_dap_session_on_a_compressed_core(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                                          compressed: Callable[[Fixture, str], Path]) -> None:
    """A truncated core is refused with the reason, the server goes on
    serving, and the same session then opens the zstd core given alone
    (systemd-coredump's file): the same stop, threads and stack as the
    plain core."""
    with Client.spawn() as c:
        plain = start_session(c, {"coreFilePath": str(fixture.core),
                                  "program": str(fixture.binary)})["body"]
        want_threads = c.ok("threads")["threads"]
        want_stack = c.ok("stackTrace", {"threadId": plain["threadId"]})["stackFrames"]
        c.ok("disconnect")
    path = compressed(fixture, "zstd")
    cut = tmp_path / path.name
    cut.write_bytes(path.read_bytes()[:-100])
    with Client.spawn() as c:
        c.ok("initialize", {"adapterID": "gocore"})
        r = c.request("launch", {"coreFilePath": str(cut)})
        assert not r["success"]
        assert r["message"] == f"{cut} is a truncated zstd stream: it ends inside a frame"
        c.event("terminated")
        c.ok("launch", {"coreFilePath": str(path)})
        c.ok("configurationDone")
        body = c.event("stopped")["body"]
        assert body == plain
        assert body["text"] == fixture.stderr_text().splitlines()[0]
        assert c.ok("threads")["threads"] == want_threads
        assert c.ok("stackTrace", {"threadId": body["threadId"]})["stackFrames"] == want_stack
        summary = c.summary()
        assert f"Opened core {path} of {fixture.binary} " in summary
        assert re.search(rf"\. Decompressed {re.escape(path.name)} \(zstd, \d+\.\d MB\) in "
                         r"\d+\.\d\d s\. ", summary), summary
        c.ok("disconnect")
        assert c.problems == []


# -- the core alone, its executable elsewhere (a container's core) -------------------

@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_core_alone_from_a_container_names_its_executable(
        spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A real core of a program that ran from a path that does not exist
    here (as in a container: /app/server inside, nothing there on the
    host). Given alone, the error names that path, its Go build ID and how
    to get the executable; a copy of the same build given explicitly, under
    another name, reads it."""
    ran = tmp_path / "container" / "app" / "server"
    ran.parent.mkdir(parents=True)
    shutil.copy2(fixture.binary, ran)
    work = tmp_path / "run"
    work.mkdir()
    capture(ran, spec.scenario, work)
    image = tmp_path / "from-image" / "server"  # what `docker cp` / `kubectl cp` give
    image.parent.mkdir()
    shutil.move(ran, image)
    core = compress(work / "core", tmp_path / "core.server.0.1.4242.1765000000000000.zst", "zstd")
    build_id = Executable(image).go_build_id
    assert build_id

    with pytest.raises(ExecutableNotFound) as exc:
        Engine.open(None, core)
    assert exc.value.named == str(ran) and exc.value.build_id == build_id
    message = str(exc.value)
    for needle in (f"was produced by {ran} (Go build ID {build_id})", "does not exist on this "
                   "machine", "docker cp", "kubectl cp", "give it explicitly"):
        assert needle in message, message
    assert Engine.core_executable(core) == (str(ran), build_id)

    theirs = parse_traceback((work / "stderr.txt").read_text(errors="replace"))
    rep = Engine.open(image, core)
    assert [p.message for p in rep.crash.panics] == [p.message for p in theirs.panics]
    assert {g.goid for g in rep.goroutines} == {g.id for g in theirs.goroutines if g.id}
    g = rep.goroutine(theirs.goroutines[0].id)
    assert_same_frames(rep.printed_frames(g), theirs.goroutines[0], "crashing goroutine")
    rep.close()

    code, out, err = _cli(capsys, "crash", str(core))
    assert code == 1 and out == ""
    [line] = err.splitlines()
    assert line == f"dapcore: {message}: dapcore crash EXECUTABLE {core}"
    code, out, _ = _cli(capsys, "crash", str(image), str(core))
    assert code == 0
    assert parse_traceback(out).goroutines[0].functions() == theirs.goroutines[0].functions()
    code, out, _ = _cli(capsys, "executable", str(core))
    assert json.loads(out)["core"] == {"named": str(ran), "goBuildId": build_id,
                                       "namedGoBuildId": None}

    with Client.spawn() as c:
        c.ok("initialize", {"adapterID": "gocore"})
        r = c.request("launch", {"coreFilePath": str(core)})
        assert not r["success"] and r["message"] == f"{message}: set 'program' to it", r
        c.event("terminated")
        c.ok("launch", {"coreFilePath": str(core), "program": str(image)})
        c.ok("configurationDone")
        body = c.event("stopped")["body"]
        assert body["text"] == (work / "stderr.txt").read_text().splitlines()[0]
        c.ok("disconnect")
        assert c.problems == []
    # Over TCP (the client may be another user) the refusal tells nothing more.
    with tcp_server("--listen", "127.0.0.1:0") as (_, port), \
            Client.connect("127.0.0.1", port) as c:
        c.ok("initialize", {"adapterID": "gocore"})
        r = c.request("launch", {"coreFilePath": str(core)})
        assert not r["success"] and r["message"] == (
            f"the core {core} names no executable that can be opened here: set 'program'"), r


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_core_alone_uses_the_executable_it_names(spec: FixtureSpec, fixture: Fixture,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rep = Engine.open(None, fixture.core)
    assert rep.executable_path == str(fixture.binary)
    assert _crash(rep) == _crash(Engine.open(fixture.binary, fixture.core))
    code, alone, _ = _cli(capsys, "bt", str(fixture.core), "--json")
    code2, both, _ = _cli(capsys, "bt", str(fixture.binary), str(fixture.core), "--json")
    assert code == code2 == 0 and alone == both
    code, alone, _ = _cli(capsys, "locals", str(fixture.core), "--json")
    code2, both, _ = _cli(capsys, "locals", str(fixture.binary), str(fixture.core), "--json")
    assert code == code2 == 0 and alone == both
    # the first setEntry call (word 0) panics: v is 0; options may come between
    code, out, err = _cli(capsys, "print", str(fixture.core), "-g", "1", "v")
    assert (code, out) == (0, "0\n"), err
    assert f": {fixture.facts()['crashFunction']} (inlined) at " in err


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_no_room_for_the_decompressed_core_says_where_and_what_to_do(
        spec: FixtureSpec, fixture: Fixture, compressed: Callable[[Fixture, str], Path]) -> None:
    """A temporary directory without room for the core (here: a file size
    limit, which fails writes as a full disk does) is one line saying so."""
    script = ("import resource, signal, sys\n"
              "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
              "resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))\n"
              "from dapcore.cli import main\n"
              "sys.exit(main(sys.argv[1:]))\n")
    path = compressed(fixture, "gzip")
    res = subprocess.run([sys.executable, "-c", script, "crash", str(fixture.binary), str(path)],
                         capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=str(REPO), TMPDIR=str(path.parent)))
    assert res.returncode == 1 and res.stdout == "", res
    [line] = res.stderr.splitlines()
    assert re.fullmatch(rf"dapcore: no room in {re.escape(str(path.parent))} to decompress "
                        rf"{re.escape(str(path))} \(File too large after \d+\.\d MB\): set "
                        r"TMPDIR to a directory with more room", line), line


@pytest.mark.parametrize("spec", [NILMAP], ids=[NILMAP.id])
def test_decompression_stops_when_cancelled(
        spec: FixtureSpec, fixture: Fixture, compressed: Callable[[Fixture, str], Path],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client's cancel (or the session's end) stops a long decompression
    at the next piece, and leaves nothing behind."""
    import threading

    from dapcore.cancellation import Cancelled, token_scope
    from dapcore.elf.compressed import decompress

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    token = threading.Event()
    path = compressed(fixture, "xz")
    with path.open("rb") as f:
        real_read = f.read
        reads = []

        def read(n: int = -1) -> bytes:
            reads.append(n)
            token.set()  # cancelled while the first input is decompressed
            return real_read(n)

        monkeypatch.setattr(f, "read", read)
        with token_scope(token), pytest.raises(Cancelled):
            decompress(f, path, "xz")
        assert f.tell() < path.stat().st_size  # stopped before the end
    assert list(tmp_path.iterdir()) == [] and _temp_mappings(tmp_path) == []
