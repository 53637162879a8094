"""The crashed process's address space, rebuilt from the core and its files.

Three layers, first match wins:

1. the core's own PT_LOAD bytes (everything the kernel or gcore wrote);
2. files named by NT_FILE, for the pages the kernel leaves out of cores
   (read-only file-backed mappings: text, rodata);
3. the executable's PT_LOADs shifted by the load bias, for cores without
   NT_FILE.

An address no layer holds raises :class:`UnreadableMemory` naming it and why
(:mod:`dapcore.elf.missing`: cut off a truncated core, left out by the
kernel); zeros are never invented, and the files never stand in for
writable memory the core should have held (their bytes are what the process
started with, not what it had).
"""

from __future__ import annotations

import mmap
import struct
from bisect import bisect_right
from pathlib import Path
from typing import NamedTuple

from dapcore.elf.core import AT_ENTRY, CoreFile, MappedFile
from dapcore.elf.executable import Executable
from dapcore.elf.files import open_regular
from dapcore.elf.missing import MissingMemory
from dapcore.errors import UnreadableMemory

_PAGE = 4096


class Mapping(NamedTuple):
    start: int
    end: int
    source: mmap.mmap | bytes
    offset: int  # position of ``start`` in ``source``
    name: str


class _Layer:
    """Sorted, non-overlapping mappings searched by bisect."""

    def __init__(self, mappings: list[Mapping]) -> None:
        mappings = sorted((m for m in mappings if m.end > m.start), key=lambda m: m.start)
        self.mappings: list[Mapping] = []
        for m in mappings:  # drop overlaps: the earlier mapping wins
            if self.mappings and m.start < self.mappings[-1].end:
                prev_end = self.mappings[-1].end
                if m.end <= prev_end:
                    continue
                m = Mapping(prev_end, m.end, m.source, m.offset + prev_end - m.start, m.name)
            self.mappings.append(m)
        self.starts = [m.start for m in self.mappings]

    def find(self, addr: int) -> Mapping | None:
        i = bisect_right(self.starts, addr) - 1
        if i >= 0 and addr < self.mappings[i].end:
            return self.mappings[i]
        return None


def load_bias(core: CoreFile, exe: Executable) -> int:
    """Where the executable was loaded relative to its link addresses:
    ``AT_ENTRY − e_entry`` (0 for non-PIE executables)."""
    entry = core.auxv.get(AT_ENTRY)
    if entry is None or not exe.is_pie:
        return 0
    return entry - exe.entry


class AddressSpace:
    """Reads of the dead process's memory."""

    def __init__(self, core: CoreFile, exe: Executable | None, bias: int = 0,
                 file_backing: bool = True) -> None:
        self.core = core
        self.exe = exe
        self.bias = bias
        self.little_endian = True
        self.ptr_size = core.arch.ptr_size
        # What the core lacks, and why (reads that fail say it).
        self.missing = MissingMemory(core)
        core_maps = [Mapping(s.vaddr, s.vaddr + s.present, core.data, s.offset, "core")
                     for s in core.segments if s.present]
        self._backing: dict[str, mmap.mmap | None] = {}
        # What did not add up while building the layers (Process warns).
        self.problems: list[str] = []
        self._layers = layers = [_Layer(core_maps)]
        if file_backing:
            layers.append(_Layer(self._file_maps()))
        if exe is not None:
            layers.append(_Layer([
                Mapping(seg.vaddr + bias, seg.vaddr + bias + seg.filesz, exe.data, seg.offset,
                        exe.path.name)
                for seg in exe.segments
            ]))

    # -- file-backed pages -------------------------------------------------

    def _file_maps(self) -> list[Mapping]:
        out = []
        for f in self.core.files:
            source = self._open_backing(f.path, f.start, f.offset)
            if source is None:
                continue
            if self.exe is not None and source is self.exe.data and not self._exe_place(f):
                # The executable's pages are where its program headers put
                # them; a mapping that says otherwise is damaged (the
                # executable's own layer serves those addresses instead).
                self.problems.append(
                    f"the core's NT_FILE note maps {Path(f.path).name} at {f.start:#x}-"
                    f"{f.end:#x} from file offset {f.offset:#x}, which is not where the "
                    "executable's program headers put it: the note is damaged (that mapping "
                    "is ignored)")
                continue
            end = min(f.end, f.start + max(0, len(source) - f.offset))
            out.append(Mapping(f.start, end, source, f.offset, Path(f.path).name))
        return out

    def _exe_place(self, f: MappedFile) -> bool:
        """``f`` maps the executable's bytes from where its PT_LOADs say (the
        kernel maps whole pages: segment starts are rounded down; one mapping
        may run on over the next segment, e.g. after RELRO's mprotect)."""
        assert self.exe is not None
        link = f.start - self.bias
        for seg in self.exe.segments:
            lo = seg.vaddr & ~(_PAGE - 1)
            if lo <= link < seg.vaddr + seg.memsz:
                return f.offset == seg.offset + link - seg.vaddr
        return False

    def _open_backing(self, path: str, start: int, offset: int) -> mmap.mmap | None:
        exe = self.exe
        if exe is not None and (path == str(exe.path) or self._is_exe_mapping(path)):
            return exe.data
        if path in self._backing:
            return self._backing[path]
        source: mmap.mmap | None = None
        try:
            with open_regular(path) as fh:
                source = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            source = None
        # A library on this machine may not be the one the process had: when
        # the core kept the mapping's first page (ELF headers), compare.
        if source is not None and offset == 0:
            page = self._core_bytes(start, _PAGE)
            if page is not None and page != source[:_PAGE]:
                source = None
        self._backing[path] = source
        return source

    def _is_exe_mapping(self, path: str) -> bool:
        """NT_FILE names the executable by the path it ran from; the user may
        have moved or renamed it. The mapping that holds AT_ENTRY is it."""
        entry = self.core.auxv.get(AT_ENTRY)
        if entry is None:
            return False
        return any(f.path == path and f.start <= entry < f.end for f in self.core.files)

    def release_pages(self) -> None:
        """Let go of the core's pages this process has touched; they stay in
        the page cache and come back on the next read. Reading every
        goroutine's record and stack touches gigabytes of a big core, which
        would otherwise all count in dapcore's resident memory."""
        try:
            self.core.data.madvise(mmap.MADV_DONTNEED)
        except (AttributeError, OSError, ValueError):  # no madvise here, or closed
            pass

    def core_mapping(self, addr: int) -> Mapping | None:
        """The core file's mapping that holds ``addr`` (for readers of many
        records, which unpack straight from it), None when the core lacks it."""
        return self._layers[0].find(addr)

    def core_bytes(self, addr: int, size: int) -> bytes | None:
        """``size`` bytes at ``addr`` from the core file itself (never from
        the files behind it), None when the core does not hold them all."""
        return self._core_bytes(addr, size)

    def _core_bytes(self, addr: int, size: int) -> bytes | None:
        m = self._layers[0].find(addr)
        if m is None or addr + size > m.end:
            return None
        off = m.offset + addr - m.start
        return bytes(m.source[off:off + size])

    # -- reads ---------------------------------------------------------------

    def read(self, addr: int, size: int) -> bytes:
        """``size`` bytes at ``addr``; :class:`UnreadableMemory` if any is missing."""
        if size <= 0:
            return b""
        if addr < 0 or addr + size > 1 << 64:
            raise UnreadableMemory(addr, size, "not a valid address")
        m = self._layers[0].find(addr)
        if m is not None and addr + size <= m.end:
            off = m.offset + addr - m.start
            return bytes(m.source[off:off + size])
        if not self.missing.blocked(addr, size):
            for layer in self._layers[1:]:
                m = layer.find(addr)
                if m is not None and addr + size <= m.end:
                    off = m.offset + addr - m.start
                    return bytes(m.source[off:off + size])
        return self._read_spanning(addr, size)

    def _read_spanning(self, addr: int, size: int) -> bytes:
        parts = []
        pos, end = addr, addr + size
        while pos < end:
            # Writable memory the core lacks is never read from the files.
            layers = self._layers[:1] if self.missing.blocked(pos, 1) else self._layers
            for layer in layers:
                m = layer.find(pos)
                if m is not None:
                    stop = min(end, m.end)
                    if layer is not self._layers[0]:
                        block = self.missing.next_block(pos)
                        stop = min(stop, block) if block is not None else stop
                    n = stop - pos
                    off = m.offset + pos - m.start
                    parts.append(m.source[off:off + n])
                    pos += n
                    break
            else:
                why, note = self.missing.why(pos)
                raise UnreadableMemory(pos, end - pos, why, note)
        return b"".join(parts)

    def readable(self, addr: int, size: int = 1) -> bool:
        try:
            self.read(addr, size)
        except UnreadableMemory:
            return False
        return True

    def u8(self, addr: int) -> int:
        return self.read(addr, 1)[0]

    def u32(self, addr: int) -> int:
        return struct.unpack("<I", self.read(addr, 4))[0]

    def i32(self, addr: int) -> int:
        return struct.unpack("<i", self.read(addr, 4))[0]

    def u64(self, addr: int) -> int:
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def ptr(self, addr: int) -> int:
        return self.u64(addr) if self.ptr_size == 8 else self.u32(addr)

    def uint(self, addr: int, size: int) -> int:
        return int.from_bytes(self.read(addr, size), "little")

    def go_string(self, addr: int, limit: int = 1 << 20) -> str:
        """A Go string header ``{ptr, len}`` at ``addr``, decoded (cut at ``limit``)."""
        data, length = self.ptr(addr), self.ptr(addr + self.ptr_size)
        return self.read(data, min(length, limit)).decode(errors="replace") if length else ""
