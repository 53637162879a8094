"""Finding the runtime's ``moduledata`` (and a few symbols) without DWARF.

``runtime.firstmoduledata`` is the linker's description of the module: where
the text starts (``text``; function entries in pclntab ≥ 1.18 count from
it), and where funcdata lives (``gofunc``, ≥ 1.18). With a symbol table we
read it at its symbol; in a stripped binary we find it by its first word,
which points at the pclntab (``pcHeader`` ≥ 1.16, ``pclntable`` before),
searching ``.go.module`` (Go ≥ 1.26), ``.noptrdata`` and the other writable
sections, and checking the words that follow against the pclntab header.

Layouts are those of ``runtime/symtab.go`` (``type moduledata struct``) of
each release. Everything here is in link-time addresses.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from typing import NamedTuple

from dapcore.elf.executable import Executable
from dapcore.errors import UnreadableMemory

# ---------------------------------------------------------------------------
# Reading the file image by link-time address (no per-read segment walk).


class StaticImage:
    """The executable's PT_LOAD file bytes, addressed by link-time address."""

    def __init__(self, exe: Executable) -> None:
        self.exe = exe
        segs = sorted((s for s in exe.segments if s.filesz), key=lambda s: s.vaddr)
        self._starts = [s.vaddr for s in segs]
        self._segs = segs

    def view(self, addr: int) -> tuple[memoryview, int] | None:
        """The file bytes of the segment holding ``addr`` and the index of
        ``addr`` in them (None when the file holds no byte there)."""
        i = bisect_right(self._starts, addr) - 1
        if i < 0:
            return None
        seg = self._segs[i]
        off = addr - seg.vaddr
        if off >= seg.filesz:
            return None
        # A fresh view each time: a view kept alive would stop exe.close().
        return memoryview(self.exe.data)[seg.offset:seg.offset + seg.filesz], off

    def file_offset(self, addr: int) -> int | None:
        """Where the file holds the byte at ``addr`` (None: not in the file)."""
        i = bisect_right(self._starts, addr) - 1
        if i < 0 or addr - self._segs[i].vaddr >= self._segs[i].filesz:
            return None
        return self._segs[i].offset + addr - self._segs[i].vaddr

    def remaining(self, addr: int) -> int:
        """File bytes from ``addr`` to the end of its segment (0: none)."""
        i = bisect_right(self._starts, addr) - 1
        if i < 0:
            return 0
        return max(0, self._segs[i].filesz - (addr - self._segs[i].vaddr))

    def read(self, addr: int, size: int) -> bytes:
        found = self.view(addr)
        if found is None or found[1] + size > len(found[0]):
            return self.exe.read_static(addr, size)  # bss, or raises UnreadableMemory
        buf, off = found
        raw = bytes(buf[off:off + size])
        relocs = self.exe.relative_relocations  # a PIE's pointers the file leaves zero
        if relocs and self.exe.ptr_size == 8:
            out = bytearray(raw)
            for a in range(addr - addr % 8, addr + size, 8):
                v = relocs.get(a)
                if v is not None and addr <= a and a + 8 <= addr + size:
                    out[a - addr:a - addr + 8] = v.to_bytes(8, "little")
            raw = bytes(out)
        return raw


def find_symbols(exe: Executable, names: list[str]) -> dict[str, int]:
    """Values of the named symbols found in ``.symtab`` (absent names are
    left out; a stripped binary gives ``{}``)."""
    found = {name: exe.symbol(name) for name in names}
    return {name: sym.value for name, sym in found.items() if sym is not None}


# ---------------------------------------------------------------------------
# moduledata


class ModuleData(NamedTuple):
    addr: int  # link-time address of the moduledata
    minpc: int
    maxpc: int
    text: int
    etext: int
    gofunc: int | None  # go:func.* (≥ 1.18): base of funcdata offsets


# Word indexes of text/etext and of types/etypes/rodata/gofunc per layout.
# 1.5–1.15: pclntable, ftab, filetab slices, findfunctab, minpc, maxpc, text …
_OLD_MINPC = 10
# 1.16+: pcHeader, 6 slices, findfunctab, minpc, maxpc, text …
_NEW_MINPC = 20


class _TailLayout(NamedTuple):
    """Where types, etypes and gofunc sit after ``enoptrbss`` (word 31)."""

    name: str
    types: int
    etypes: int
    gofunc: int


_TAIL_118 = _TailLayout("1.18", 35, 36, 38)  # end gcdata gcbss types etypes rodata gofunc
_TAIL_120 = _TailLayout("1.20", 37, 38, 40)  # covctrs ecovctrs added before end
_TAIL_127 = _TailLayout("1.27", 37, 39, 43)  # types typedesclen etypes itaboffset itabsize


def find_moduledata(exe: Executable, image: StaticImage, pclntab_addr: int, version: str,
                    funcnametab_addr: int | None, symbol_addr: int | None) -> ModuleData | None:
    """The module's moduledata, at ``symbol_addr`` when the symbol table gave
    it, else found by scanning the writable sections for ``pclntab_addr``.
    ``funcnametab_addr`` (≥ 1.16) confirms a candidate."""
    ptr = exe.ptr_size
    order = "<" if exe.little_endian else ">"
    fmt = order + ("Q" if ptr == 8 else "I")
    if symbol_addr is not None:
        md = _decode(exe, image, symbol_addr, version, funcnametab_addr, pclntab_addr)
        if md is not None:
            return md
    # A PIE whose pointers the linker left to relocations (GNU ld on arm64):
    # the relocation that puts pclntab_addr somewhere is the candidate.
    for addr, addend in exe.relative_relocations.items():
        if addend == pclntab_addr and addr % ptr == 0:
            md = _decode(exe, image, addr, version, funcnametab_addr, pclntab_addr)
            if md is not None:
                return md
    needle = struct.pack(fmt, pclntab_addr)
    data = exe.data
    for start, end, vaddr in _writable_regions(exe):
        pos = data.find(needle, start, end)
        while pos >= 0:
            addr = vaddr + pos - start
            if addr % ptr == 0:
                md = _decode(exe, image, addr, version, funcnametab_addr, pclntab_addr)
                if md is not None:
                    return md
            pos = data.find(needle, pos + 1, end)
    return None


def _writable_regions(exe: Executable) -> list[tuple[int, int, int]]:
    """Candidate places for moduledata as (file start, file end, vaddr):
    ``.go.module`` first (1.26+), then ``.noptrdata``, ``.data``,
    ``.data.rel.ro``; without section headers, every writable PT_LOAD."""
    out: list[tuple[int, int, int]] = []
    for name in (".go.module", ".noptrdata", ".data", ".data.rel.ro"):
        s = exe.sections.get(name)
        if s is not None and s.type != "SHT_NOBITS":
            out.append((s.offset, s.offset + s.size, s.addr))
    if not out:
        for seg in exe.segments:
            if seg.flags & 2 and seg.filesz:
                out.append((seg.offset, seg.offset + seg.filesz, seg.vaddr))
    return out


def _decode(exe: Executable, image: StaticImage, addr: int, version: str,
            funcnametab_addr: int | None, pclntab_addr: int) -> ModuleData | None:
    ptr = exe.ptr_size
    order = "<" if exe.little_endian else ">"
    nwords = 48
    try:
        raw = image.read(addr, nwords * ptr)
    except UnreadableMemory:
        return None
    w = struct.unpack(order + ("Q" if ptr == 8 else "I") * nwords, raw)
    if w[0] != pclntab_addr:
        return None
    if version in ("1.2",):
        # pclntable slice starts the pclntab; ftab right after the header.
        if w[3] != pclntab_addr + 8 + ptr:
            return None
        minpc, maxpc, text, etext = w[_OLD_MINPC:_OLD_MINPC + 4]
        return _checked(ModuleData(addr, minpc, maxpc, text, etext, None))
    if funcnametab_addr is not None and w[1] != funcnametab_addr:
        return None
    minpc, maxpc, text, etext = w[_NEW_MINPC:_NEW_MINPC + 4]
    gofunc = None
    if version == "1.18":
        gofunc = _gofunc(w, image, (_TAIL_118,))
    elif version == "1.20":
        gofunc = _gofunc(w, image, (_TAIL_120, _TAIL_127))
    return _checked(ModuleData(addr, minpc, maxpc, text, etext, gofunc))


def _gofunc(w: tuple[int, ...], image: StaticImage, layouts: tuple[_TailLayout, ...]) -> int | None:
    """gofunc from the first layout whose types ≤ etypes both lie in the file
    image (1.27 put ``typedesclen``, a small number, where 1.20–1.26 had
    ``etypes``)."""
    for lay in layouts:
        types, etypes, gofunc = w[lay.types], w[lay.etypes], w[lay.gofunc]
        if not (0 < types <= etypes) or image.view(types) is None:
            continue
        if image.view(gofunc) is None:
            continue
        return gofunc
    return None


def _checked(md: ModuleData) -> ModuleData | None:
    if not (md.text <= md.minpc < md.maxpc) or md.etext < md.text:
        return None
    return md
