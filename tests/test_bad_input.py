"""Bad input gets a clear error, never a Python traceback or a hang."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dapcore.cli import main
from dapcore.engine import Engine
from dapcore.errors import (
    CoreFormatError,
    DapcoreError,
    ExecutableError,
    MismatchError,
    UnreadableMemory,
)
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec

NILPTR = make_spec("1.27", "default", "nilptr")
OTHER = make_spec("1.27", "noopt", "nilptr")
CGOCRASH = make_spec("1.27", "default", "cgocrash")


def sparse_copy(src: Path, dst: Path) -> Path:
    subprocess.run(["cp", "--sparse=always", str(src), str(dst)], check=True)
    return dst


@pytest.mark.parametrize("spec", [NILPTR], ids=[NILPTR.id])
def test_files_that_are_not_what_they_claim(spec: FixtureSpec, fixture: Fixture,
                                            tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a core\n")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(CoreFormatError, match="cannot open core file"):
        Engine.open(fixture.binary, tmp_path / "missing")
    with pytest.raises(CoreFormatError, match="not an ELF file"):
        Engine.open(fixture.binary, text)
    with pytest.raises(CoreFormatError, match="empty"):
        Engine.open(fixture.binary, empty)
    with pytest.raises(CoreFormatError, match="not a core dump"):
        Engine.open(fixture.binary, fixture.binary)
    with pytest.raises(ExecutableError, match="cannot open executable"):
        Engine.open(tmp_path / "missing", fixture.core)
    with pytest.raises(ExecutableError, match="not an ELF file"):
        Engine.open(text, fixture.core)
    with pytest.raises(ExecutableError, match="not a Go program"):
        Engine.open(shutil.which("ls") or "/bin/ls", fixture.core)


def test_wrong_executable_is_named(tmp_path: Path) -> None:
    from tests.factory import ensure

    core = ensure(NILPTR)
    other = ensure(OTHER)
    with pytest.raises(MismatchError, match="does not match the core"):
        Engine.open(other.binary, core.core)


@pytest.mark.parametrize("spec", [NILPTR], ids=[NILPTR.id])
def test_truncated_core(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    size = fixture.core.stat().st_size
    for keep in (size // 2, size - 4096, 3000, 200):
        cut = sparse_copy(fixture.core, tmp_path / f"core-{keep}")
        with cut.open("r+b") as f:
            f.truncate(keep)
        try:
            rep = Engine.open(fixture.binary, cut)
        except CoreFormatError as exc:
            assert "truncated" in str(exc) or "no thread" in str(exc)
            continue
        assert any("truncated" in w for w in rep.proc.warnings)
        try:
            for g in rep.proc.goroutines:
                rep.stack(g)
            _ = rep.crash
        except UnreadableMemory as exc:
            assert "truncated" in str(exc)
        code = main(["crash", str(fixture.binary), str(cut)])
        err = capsys.readouterr().err
        assert code in (0, 1)
        assert "Traceback" not in err


@pytest.mark.parametrize("spec", [NILPTR], ids=[NILPTR.id])
def test_corrupted_runtime_structures(spec: FixtureSpec, fixture: Fixture,
                                      tmp_path: Path) -> None:
    """Garbage where allgs and the goroutines' stacks were: errors, not crashes."""
    rep = Engine.open(fixture.binary, fixture.core)
    allgs = rep.proc.global_addr("runtime.allgs")
    assert allgs is not None
    g = rep.proc.crashed_goroutine
    assert g is not None
    seg = next(s for s in rep.proc.core.segments if s.vaddr <= allgs < s.vaddr + s.present)
    frames_at = g.stack_hi - 4096
    stack_seg = next(s for s in rep.proc.core.segments
                     if s.vaddr <= frames_at < s.vaddr + s.present)
    for target, seg_, garbage in ((allgs, seg, b"\xff" * 24),
                                  (frames_at, stack_seg, b"\x41" * 4096)):
        bad = sparse_copy(fixture.core, tmp_path / "corrupt")
        with bad.open("r+b") as f:
            f.seek(seg_.offset + target - seg_.vaddr)
            f.write(garbage)
        broken = Engine.open(fixture.binary, bad)
        try:
            for gg in broken.proc.goroutines:
                st = broken.stack(gg)
                assert len(st.frames) < 1_000_000
            _ = broken.crash
        except DapcoreError as exc:
            assert str(exc)
        bad.unlink()


def test_cli_reports_errors_without_traceback(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["goroutines", str(tmp_path / "nope"), str(tmp_path / "nope.core")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("dapcore: ") and "Traceback" not in err


@pytest.mark.parametrize("spec", [NILPTR], ids=[NILPTR.id])
def test_damaged_compressed_dwarf(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Go compresses its DWARF (zlib): damaged bytes there say which section
    is damaged. Stacks do not need the DWARF: they still come, with that
    warning; values do, and fail with it."""
    from dapcore.elf.executable import Executable

    sec = Executable(fixture.binary).sections[".debug_info"]
    bad = tmp_path / fixture.binary.name
    shutil.copyfile(fixture.binary, bad)
    with bad.open("r+b") as f:
        f.seek(sec.offset + sec.size // 2)
        f.write(b"\x00\xff" * 64)
    for argv, want in ((["locals", str(bad), str(fixture.core)], 1),
                       (["bt", str(bad), str(fixture.core)], 0)):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == want, err
        assert ".debug_info is damaged" in err and "Traceback" not in err
    assert "main." in out  # the stack, from the pclntab


@pytest.mark.parametrize("spec", [NILPTR], ids=[NILPTR.id])
def test_the_bad_file_is_named(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    """A cut-off executable, /dev/null or a directory in either place: the
    message names that file and what is wrong with it, not an internal error."""
    exe = fixture.binary.read_bytes()
    cases: list[tuple[str, str, str]] = []
    for keep in (40, 100, 5000, len(exe) // 3, len(exe) - 300):
        cut = tmp_path / f"zoo-{keep}"
        cut.write_bytes(exe[:keep])
        cases.append((str(cut), str(fixture.core), f"the executable {cut} is truncated"))
    cases += [
        ("/dev/null", str(fixture.core), "the executable /dev/null is not an ELF file"),
        (str(fixture.binary), "/dev/null", "the core /dev/null is not a core dump"),
        (str(tmp_path), str(fixture.core), f"executable {tmp_path}"),
        (str(fixture.core), str(fixture.core), f"the executable {fixture.core} is an ELF "
         "ET_CORE file"),
        (str(fixture.binary), str(fixture.binary), f"the core {fixture.binary} is"),
    ]
    for binary, core, want in cases:
        with pytest.raises(DapcoreError, match=want.replace("(", r"\(")):
            Engine.open(binary, core)
        code = main(["crash", binary, core])
        err = capsys.readouterr().err
        assert code == 1 and err.startswith("dapcore: ") and want in err, err
        assert "internal error" not in err


@pytest.mark.parametrize("spec", [NILPTR], ids=[NILPTR.id])
def test_garbage_in_the_core_headers(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Garbage over the core's ELF, program headers and notes: a readable
    error or a report, never an internal error."""
    import random

    rng = random.Random(10)
    for trial in range(12):
        bad = sparse_copy(fixture.core, tmp_path / f"core-{trial}")
        with bad.open("r+b") as f:
            f.seek(rng.randrange(16, 8192))
            f.write(rng.randbytes(rng.choice((8, 64, 512))))
        for command in ("crash", "goroutines"):
            code = main([command, str(fixture.binary), str(bad)])
            err = capsys.readouterr().err
            assert code in (0, 1) and "internal error" not in err, err
        bad.unlink()


@pytest.mark.parametrize("spec", [NILPTR], ids=[NILPTR.id])
def test_fifos_and_devices_are_refused_without_blocking(spec: FixtureSpec, fixture: Fixture,
                                                         tmp_path: Path) -> None:
    """A FIFO as the core or the executable (or a file the core names) is
    refused at once: opening one for reading would wait for a writer forever.
    The CLI runs in a child with a timeout so that a hang fails the test."""
    import os
    import sys

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    cases = [
        (str(fifo), str(fixture.core), f"the executable {fifo} is not an ELF file (a FIFO"),
        (str(fixture.binary), str(fifo), f"the core {fifo} is not a core dump (a FIFO"),
        ("/dev/zero", str(fixture.core), "the executable /dev/zero is not an ELF file (a device"),
        (str(fixture.binary), "/dev/zero", "the core /dev/zero is not a core dump (a device"),
    ]
    for binary, core, want in cases:
        run = subprocess.run([sys.executable, "-m", "dapcore", "crash", binary, core],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 1 and run.stderr.startswith("dapcore: "), run.stderr
        assert want in run.stderr, run.stderr


@pytest.mark.parametrize("spec", [CGOCRASH], ids=[CGOCRASH.id])
def test_a_mapped_file_that_became_a_fifo(spec: FixtureSpec, fixture: Fixture,
                                          tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A file the core's NT_FILE note names that is now a FIFO is not
    opened for its pages (the read would block): the report still comes."""
    import os
    import sys

    from dapcore.elf.core import open_core

    core = open_core(fixture.core)
    lib = next(f.path for f in core.files if "libc" in f.path)
    at = core.data.find(lib.encode() + b"\0")
    core.data.close()
    assert at > 0
    # The copy names a FIFO instead of the library (a path of the same
    # length, so that the note keeps its shape: in /tmp, removed after).
    prefix = f"/tmp/dapcore-fifo-{os.getpid()}-"
    fifo = Path(prefix + "p" * (len(lib) - len(prefix)))
    assert len(str(fifo)) == len(lib)
    os.mkfifo(fifo)
    request.addfinalizer(fifo.unlink)
    bad = sparse_copy(fixture.core, tmp_path / "core")
    with bad.open("r+b") as f:
        f.seek(at)
        f.write(str(fifo).encode())
    run = subprocess.run([sys.executable, "-m", "dapcore", "crash", str(fixture.binary),
                          str(bad)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "SIGSEGV: segmentation violation" in run.stdout


@pytest.mark.parametrize("spec", [NILPTR], ids=[NILPTR.id])
@pytest.mark.parametrize("offset,byte", [(0x3F, 0x10), (0x3F, 0x5D), (0x3D, 0xFF), (0x29, 0x7F)],
                         ids=["e_shstrndx", "e_shstrndx-oserror", "e_shnum", "e_shoff"])
def test_damaged_executable_headers(spec: FixtureSpec, fixture: Fixture, tmp_path: Path,
                                    offset: int, byte: int,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Section-header fields of the ELF header pointing nowhere (the fuzzer:
    pyelftools' ValueError 'cannot fit int into an offset-sized integer'
    became an internal error): a one-line error naming the executable."""
    data = bytearray(Path(fixture.binary).read_bytes())
    data[offset] = byte
    exe = tmp_path / "zoo"
    exe.write_bytes(bytes(data))
    code = main(["locals", str(exe), str(fixture.core)])
    err = capsys.readouterr().err
    assert code == 1 and "internal error" not in err and str(exe) in err, err
    assert err.count("\n") == 1
