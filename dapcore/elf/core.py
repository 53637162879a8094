"""An ELF core file: memory segments and the notes that describe the process.

Parsed with ``struct`` over an mmap: the header, the program headers and the
PT_NOTE segments only. Memory contents are never copied; see
:class:`dapcore.elf.memory.AddressSpace` for reads.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from dapcore.arch import ARCHES, Arch, Registers, refusal
from dapcore.elf.compressed import compression_of, decompress
from dapcore.elf.files import NotRegularFile, open_regular
from dapcore.errors import CoreFormatError, UnsupportedError

NT_PRSTATUS = 1
NT_PRFPREG = 2
NT_PRPSINFO = 3
NT_AUXV = 6
NT_X86_XSTATE = 0x202
NT_SIGINFO = 0x53494749
NT_FILE = 0x46494C45

AT_ENTRY = 9
AT_PAGESZ = 6
AT_EXECFN = 31

PT_LOAD = 1
PT_NOTE = 4
PN_XNUM = 0xFFFF

_PR_REG_OFFSET = 112


class CoreSegment(NamedTuple):
    vaddr: int
    memsz: int
    offset: int
    filesz: int  # bytes the core holds (0: omitted, e.g. read-only file pages)
    flags: int
    present: int  # bytes actually in the file (< filesz when truncated)


@dataclass(slots=True)
class Thread:
    """One NT_PRSTATUS: an OS thread (LWP) and its registers at the dump."""

    lwp: int
    signal: int  # pr_cursig: the signal being delivered to this thread
    registers: Registers
    fpregs: bytes | None = None  # NT_PRFPREG (FXSAVE area on amd64)
    xstate: bytes | None = None  # NT_X86_XSTATE


class MappedFile(NamedTuple):
    """An NT_FILE entry: ``[start, end)`` maps ``path`` from byte ``offset``."""

    start: int
    end: int
    offset: int
    path: str


class SigInfo(NamedTuple):
    signo: int
    code: int
    errno: int
    addr: int | None  # fault address for SIGSEGV/SIGBUS/SIGILL/SIGFPE


class PsInfo(NamedTuple):
    pid: int
    ppid: int
    fname: str
    args: str
    uid: int
    gid: int


@dataclass(slots=True)
class CoreFile:
    """A parsed ELF core (see :func:`open_core`)."""

    path: Path
    data: mmap.mmap
    arch: Arch
    segments: list[CoreSegment]
    threads: list[Thread] = field(default_factory=list)
    auxv: dict[int, int] = field(default_factory=dict)
    files: list[MappedFile] = field(default_factory=list)
    siginfo: SigInfo | None = None
    psinfo: PsInfo | None = None
    size: int = 0
    # A compressed core: how it was decompressed (``decompressed core.zst
    # (zstd, 41.9 MB) in 0.12 s``); None for a plain core.
    decompression: str | None = None

    def close(self) -> None:
        """Unmap the core (a decompressed core's temporary file goes with it).
        Views of its memory still in use keep it mapped until they are gone."""
        try:
            self.data.close()
        except BufferError:
            pass

    @property
    def truncated(self) -> bool:
        """True when segments run past the end of the file (``ulimit -c``)."""
        return any(s.present < s.filesz for s in self.segments)

    @property
    def missing_bytes(self) -> int:
        return sum(s.filesz - s.present for s in self.segments)

    @property
    def crashing_thread(self) -> Thread | None:
        """The first NT_PRSTATUS: the thread that took the fatal signal."""
        return self.threads[0] if self.threads else None


def open_core(path: str | Path) -> CoreFile:
    """Parse the core at ``path``; raise :class:`CoreFormatError` with a
    readable reason when it is not a usable ELF core. A gzip, xz, zstd or
    LZ4 core (told by its first bytes, whatever its name) is decompressed
    first (:mod:`dapcore.elf.compressed`)."""
    path = Path(path)
    data, decompression = _map(path)
    try:
        core = _parse(path, data)
    except BaseException:
        data.close()
        raise
    core.decompression = decompression
    return core


def _map(path: Path) -> tuple[mmap.mmap, str | None]:
    """The core's bytes, mapped: the file itself, or its decompressed copy."""
    try:
        with open_regular(path) as f:
            fmt = compression_of(f.read(8))
            if fmt is None:
                return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), None
            f.seek(0)
            unpacked = decompress(f, path, fmt)
        with unpacked.file as tmp:
            return mmap.mmap(tmp.fileno(), 0, access=mmap.ACCESS_READ), unpacked.notice
    except NotRegularFile as exc:
        raise CoreFormatError(f"the core {path} is not a core dump ({exc.strerror})") from exc
    except OSError as exc:
        raise CoreFormatError(f"cannot open core file {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise CoreFormatError(f"the core {path} is empty") from exc


def _parse(path: Path, data: mmap.mmap) -> CoreFile:
    size = len(data)
    if size < 64 or data[:4] != b"\x7fELF":
        raise CoreFormatError(f"the core {path} is not an ELF file, so not a core dump")
    if data[4] != 2 or data[5] != 1:
        raise UnsupportedError(f"{path}: only 64-bit little-endian cores are supported")
    (etype, machine, _ver, _entry, phoff, shoff, _flags, _ehsize, phentsize, phnum,
     _shentsize, _shnum, _shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    if etype != 4:
        kind = {2: "an executable", 3: "a shared object or PIE executable"}.get(etype, "not a core")
        raise CoreFormatError(f"the core {path} is {kind} (ELF type {etype}), not a core dump")
    arch = ARCHES.get(machine)
    if arch is None:
        raise UnsupportedError(f"{path}: {refusal(machine, 'cores')}")
    if phnum == PN_XNUM:  # the real count is in section header 0
        if shoff + 64 > size:
            raise CoreFormatError(f"the core {path} is truncated before its section header")
        phnum = struct.unpack_from("<I", data, shoff + 44)[0]
    if phentsize != 56 or phoff + phnum * 56 > size:
        raise CoreFormatError(f"the core {path} is truncated or has damaged program headers")

    segments: list[CoreSegment] = []
    notes: list[tuple[int, int]] = []
    for i in range(phnum):
        ptype, pflags, off, vaddr, _paddr, filesz, memsz, _align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * 56)
        if ptype == PT_LOAD:
            present = max(0, min(filesz, size - off))
            segments.append(CoreSegment(vaddr, memsz, off, filesz, pflags, present))
        elif ptype == PT_NOTE:
            notes.append((off, min(filesz, max(0, size - off))))
    segments.sort(key=lambda s: s.vaddr)
    core = CoreFile(path, data, arch, segments, size=size)
    for off, length in notes:
        _parse_notes(core, off, length)
    if not core.threads:
        raise CoreFormatError(f"the core {path} describes no thread (no NT_PRSTATUS note)")
    return core


def _parse_notes(core: CoreFile, off: int, length: int) -> None:
    data = core.data
    end = off + length
    pos = off
    last_thread: Thread | None = None
    while pos + 12 <= end:
        namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
        desc_off = pos + 12 + ((namesz + 3) & ~3)
        desc_end = desc_off + descsz
        if desc_end > end:
            break  # truncated note: keep what came before
        desc = data[desc_off:desc_end]
        pos = desc_off + ((descsz + 3) & ~3)
        if ntype == NT_PRSTATUS:
            last_thread = _prstatus(core.arch, desc)
            if last_thread is not None:
                core.threads.append(last_thread)
        elif ntype == NT_PRFPREG and last_thread is not None:
            last_thread.fpregs = desc
        elif ntype == NT_X86_XSTATE and last_thread is not None:
            last_thread.xstate = desc
        elif ntype == NT_PRPSINFO and len(desc) >= 136:
            core.psinfo = _psinfo(desc)
        elif ntype == NT_AUXV:
            words = struct.unpack_from(f"<{len(desc) // 8}Q", desc)
            for i in range(0, len(words) - 1, 2):
                if words[i] == 0:
                    break
                core.auxv[words[i]] = words[i + 1]
        elif ntype == NT_SIGINFO and len(desc) >= 24:
            signo, errno, code = struct.unpack_from("<iii", desc, 0)
            addr = struct.unpack_from("<Q", desc, 16)[0] if signo in (4, 7, 8, 11) else None
            core.siginfo = SigInfo(signo, code, errno, addr)
        elif ntype == NT_FILE:
            core.files = _nt_file(desc)


def _prstatus(arch: Arch, desc: bytes) -> Thread | None:
    nregs = len(arch.regs)
    if len(desc) < _PR_REG_OFFSET + nregs * 8:
        return None
    cursig = struct.unpack_from("<H", desc, 12)[0]
    lwp = struct.unpack_from("<i", desc, 32)[0]
    values = struct.unpack_from(f"<{nregs}Q", desc, _PR_REG_OFFSET)
    return Thread(lwp, cursig, Registers(arch, dict(zip(arch.regs, values, strict=True))))


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode(errors="replace")


def _psinfo(desc: bytes) -> PsInfo:
    uid, gid, pid, ppid = struct.unpack_from("<IIii", desc, 16)
    args = _cstr(desc[56:136]).strip()
    return PsInfo(pid, ppid, _cstr(desc[40:56]), args, uid, gid)


def _nt_file(desc: bytes) -> list[MappedFile]:
    if len(desc) < 16:
        return []
    count, page = struct.unpack_from("<QQ", desc, 0)
    table_end = 16 + count * 24
    if table_end > len(desc):
        return []
    names = desc[table_end:].split(b"\0")
    out = []
    for i in range(count):
        start, end, pgoff = struct.unpack_from("<QQQ", desc, 16 + i * 24)
        name = names[i].decode(errors="replace") if i < len(names) else ""
        out.append(MappedFile(start, end, pgoff * page, name))
    return out
