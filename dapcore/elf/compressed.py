"""Compressed cores: gzip, xz, zstd and LZ4 frames, told by their magic bytes.

systemd-coredump keeps its cores as ``core.<comm>.<uid>.<boot>.<pid>.<time>.zst``
(or ``.lz4``, ``.xz``), and cores are often shipped gzipped. A compressed core
is decompressed as a stream into a temporary file that has no name (Linux's
``O_TMPFILE``, through :func:`tempfile.TemporaryFile`, in ``$TMPDIR`` or the
system's temporary directory): nobody else can open it, and the kernel frees
it when the core is closed or the process ends, however it ends. All-zero
blocks are skipped with a seek instead of written, so the file stays sparse
(cores are mostly zeros) and the decompressed core is never held in memory.

zstd and LZ4 are read by the ``zstandard`` and ``lz4`` packages, imported
only when such a core is opened.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from dapcore.cancellation import check
from dapcore.errors import CoreFormatError

# Magic bytes at the start of each format's stream.
MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x04\x22\x4d\x18", "lz4"),
)
# LZ4's legacy format (``lz4 -l``): no frame, no end marker.
_LZ4_LEGACY = b"\x02\x21\x4c\x18"

_CHUNK = 1 << 20  # decompressed bytes asked for at a time
_ZSTD_INPUT = 2048  # zstd input fed at a time: at most ~64 MiB of output each
_ZSTD_MAX_WINDOW = 1 << 31  # frames made with zstd --long=31
_BLOCK = 4096  # zero blocks of this size become holes
_ZERO = bytes(_CHUNK)


class Decompressed(NamedTuple):
    """A core decompressed into an unnamed temporary file (open, at offset 0)."""

    file: BinaryIO
    name: str  # the compressed file's name
    fmt: str
    size: int  # decompressed bytes
    seconds: float

    @property
    def notice(self) -> str:
        """What the user is told: ``decompressed core.zst (zstd, 41.9 MB) in 0.12 s``."""
        return (f"decompressed {self.name} ({self.fmt}, {human_size(self.size)}) in "
                f"{seconds_text(self.seconds)}")


def compression_of(head: bytes) -> str | None:
    """The compression format whose magic ``head`` starts with (None: none)."""
    for magic, name in MAGICS:
        if head.startswith(magic):
            return name
    if head.startswith(_LZ4_LEGACY):
        return "lz4-legacy"
    return None


def human_size(n: int) -> str:
    """``n`` bytes in decimal units, the way ``ls -h --si`` and ``du --si`` say them."""
    size = float(n)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{n} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def seconds_text(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.0f} s"


def decompress(src: BinaryIO, path: Path, fmt: str) -> Decompressed:
    """Decompress ``src`` (the file at ``path``, compressed as ``fmt``) into
    an unnamed sparse temporary file. Raises :class:`CoreFormatError` saying
    what is wrong: a truncated or damaged stream, a stream that holds no ELF
    file, no room in the temporary directory."""
    name = path.name
    if fmt == "lz4-legacy":
        raise CoreFormatError(
            f"{path} is in LZ4's legacy format, which dapcore does not read: convert it with "
            f"'lz4 -d {name} core' and open the result")
    import tempfile  # deferred: compressed cores only (shutil, random: ~2 ms)

    directory = tempfile.gettempdir()
    start = time.monotonic()
    try:
        out = tempfile.TemporaryFile(dir=directory, buffering=0)
    except OSError as exc:
        raise CoreFormatError(
            f"cannot create a temporary file in {directory} to decompress {path} "
            f"({exc.strerror}): set TMPDIR to a writable directory") from exc
    writer = _SparseWriter(out)  # type: ignore[arg-type]
    try:
        for piece in _pieces(fmt, src, path):
            if writer.size == 0 and piece:
                _check_elf(piece, path, fmt)
            writer.write(piece)
            check()
        if writer.size == 0:
            raise CoreFormatError(f"{path} is an empty {fmt} stream, not a core dump")
        writer.finish()
    except OSError as exc:
        out.close()
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise CoreFormatError(
                f"no room in {directory} to decompress {path} ({exc.strerror} after "
                f"{human_size(writer.size)}): set TMPDIR to a directory with more room") from exc
        raise CoreFormatError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except BaseException:
        out.close()
        raise
    return Decompressed(out, name, fmt, writer.size,  # type: ignore[arg-type]
                        time.monotonic() - start)


def _check_elf(first: bytes, path: Path, fmt: str) -> None:
    """Stop at the first bytes when the stream holds no ELF file."""
    if first.startswith(b"\x7fELF"[: len(first)]):
        return
    what = "a tar archive: unpack it first" if first[257:262] == b"ustar" else (
        "a compressed stream again: decompress it first" if compression_of(first) else
        "not an ELF file, so not a core dump")
    raise CoreFormatError(f"{path} holds {fmt}-compressed data that is {what}")


def _pieces(fmt: str, src: BinaryIO, path: Path) -> Iterator[bytes]:
    """The decompressed stream in bounded pieces; the format's errors become
    :class:`CoreFormatError`."""
    damaged = f"{path} is a damaged {fmt} stream"
    truncated = f"{path} is a truncated {fmt} stream"
    try:
        if fmt == "zstd":
            yield from _zstd_pieces(src, truncated)
            return
        reader = _reader(fmt, src)
        while piece := reader.read(_CHUNK):
            yield piece
    except CoreFormatError:
        raise
    except EOFError as exc:
        raise CoreFormatError(f"{truncated}: {exc}") from exc
    except OSError as exc:
        if type(exc).__name__ != "BadGzipFile":  # gzip's damage is an OSError too
            raise
        raise CoreFormatError(f"{damaged}: {exc}") from exc
    except Exception as exc:  # zlib.error, lzma.LZMAError, gzip.BadGzipFile, zstd/lz4 errors
        raise CoreFormatError(f"{damaged}: {exc}") from exc


def _reader(fmt: str, src: BinaryIO) -> BinaryIO:
    """A reader of the decompressed stream whose reads are bounded by the size asked."""
    if fmt == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=src, mode="rb")  # type: ignore[return-value]
    if fmt == "xz":
        import lzma

        return lzma.LZMAFile(src)  # type: ignore[return-value]
    if fmt == "lz4":
        import lz4.frame  # the lz4 package, imported only for an LZ4 core

        return lz4.frame.LZ4FrameFile(src)  # type: ignore[return-value]
    raise AssertionError(f"no reader for {fmt}")


def _zstd_pieces(src: BinaryIO, truncated: str) -> Iterator[bytes]:
    """zstd frames one after the other. The package's stream reader does not
    say when the input ends inside a frame, so frames are fed through a
    decompression object (which does, by ``eof``) in small inputs, each of
    which can expand to a bounded amount."""
    import zstandard  # imported only for a zstd core

    dctx = zstandard.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW)
    obj = dctx.decompressobj()
    fed = False
    while data := src.read(_ZSTD_INPUT):
        while data:
            fed = True
            yield obj.decompress(data)
            if not obj.eof:
                break
            data = obj.unused_data
            obj, fed = dctx.decompressobj(), False
    if fed and not obj.eof:
        raise CoreFormatError(f"{truncated}: it ends inside a frame")


class _SparseWriter:
    """Writes a stream to a file, seeking over all-zero blocks (holes)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.size = 0
        self._write: Callable[[bytes], object] = f.write

    def write(self, data: bytes) -> None:
        n = len(data)
        if n == 0:
            return
        self.size += n
        if n <= _CHUNK and data == _ZERO[:n]:
            self.f.seek(n, os.SEEK_CUR)
            return
        run = 0  # start of the pending run of data blocks
        pos = 0
        view = memoryview(data)
        zero = _ZERO[:_BLOCK]
        while pos < n:
            end = min(pos + _BLOCK, n)
            if end - pos == _BLOCK and data.startswith(zero, pos):
                if run < pos:
                    self._all(view[run:pos])
                self.f.seek(_BLOCK, os.SEEK_CUR)
                run = end
            pos = end
        if run < n:
            self._all(view[run:n])

    def _all(self, view: memoryview) -> None:
        while view:
            done = self._write(view)
            view = view[done:] if done is not None else view[len(view):]

    def finish(self) -> None:
        """Set the file's size (a trailing hole has no write to make it)."""
        self.f.truncate(self.size)
        self.f.seek(0)
