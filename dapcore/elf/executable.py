"""The Go executable on disk: sections, segments, symbols, build ids.

The file is mmapped once; section and segment bytes are memoryviews into it.
Addresses here are link-time addresses: for a PIE executable the process
ran at ``address + bias`` (see :mod:`dapcore.elf.memory`).

A stripped executable's DWARF and symbol table may live in a separate debug
file (``objcopy --only-keep-debug``): given a finder
(:meth:`Executable.set_debug_finder`, :mod:`dapcore.elf.debugfile`), the
executable asks it for that file the first time it needs DWARF or symbols it
does not hold itself, and answers :attr:`~Executable.has_dwarf`,
:meth:`~Executable.symbol` and :attr:`~Executable.dwarf_file` from it.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from dapcore.elf.elfheader import E_TYPES, SH_TYPES, ELFHeaderError, ELFTables, header_tables
from dapcore.elf.files import NotRegularFile, open_regular
from dapcore.elf.fingerprint import fingerprint, sections_crc
from dapcore.errors import ExecutableError, UnreadableMemory
from dapcore.indexcache import NULL_ENTRY, Entry, IndexCache

if TYPE_CHECKING:
    from elftools.elf.elffile import ELFFile

SHT_NOBITS = 8
PT_LOAD, PT_DYNAMIC = 1, 2
# e_machine as pyelftools spells it, for the machines met here; others are
# looked up in pyelftools' table (an unsupported file: an error path)
_MACHINES = {3: "EM_386", 8: "EM_MIPS", 20: "EM_PPC", 21: "EM_PPC64", 22: "EM_S390",
             40: "EM_ARM", 62: "EM_X86_64", 183: "EM_AARCH64", 243: "EM_RISCV",
             258: "EM_LOONGARCH"}


def machine_name(number: int) -> str:
    """ELF ``e_machine`` as pyelftools names it (``"EM_X86_64"``)."""
    name = _MACHINES.get(number)
    if name is None:
        from elftools.elf.enums import ENUM_E_MACHINE  # deferred: unsupported machines only

        name = next((k for k, v in ENUM_E_MACHINE.items() if v == number), None)
    return name if name is not None else str(number)


class Segment(NamedTuple):
    """A PT_LOAD segment: ``filesz`` bytes at file ``offset`` map to ``vaddr``;
    the rest up to ``memsz`` is zero-filled (bss)."""

    vaddr: int
    memsz: int
    offset: int
    filesz: int
    flags: int  # PF_X=1, PF_W=2, PF_R=4


class Section(NamedTuple):
    name: str
    addr: int
    offset: int
    size: int
    type: str
    flags: int


class Symbol(NamedTuple):
    name: str
    value: int
    size: int


class Executable:
    """An ELF executable opened for reading (``role``: what it is called in
    messages; a separate debug file is opened as one too)."""

    def __init__(self, path: str | Path, role: str = "executable") -> None:
        self.path = Path(path)
        what = f"the {role} {self.path}"
        try:
            self._file = open_regular(self.path)
        except NotRegularFile as exc:
            raise ExecutableError(f"{what} is not an ELF file ({exc.strerror})") from exc
        except OSError as exc:
            raise ExecutableError(f"cannot open {role} {self.path}: {exc.strerror}") from exc
        try:
            self.data = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError as exc:  # empty file
            raise ExecutableError(f"{what} is empty, not an ELF file") from exc
        except OSError as exc:
            raise ExecutableError(f"cannot read {what}: {exc.strerror}") from exc
        if self.data[:4] != b"\x7fELF":
            raise ExecutableError(f"{what} is not an ELF file")
        _check_complete(self.data, what)
        try:
            tables = ELFTables(self.data)
        except ELFHeaderError as exc:
            raise ExecutableError(f"{what} is a damaged ELF file: {exc}") from exc
        etype = E_TYPES.get(tables.e_type, f"type {tables.e_type:#x}")
        if etype not in ("ET_EXEC", "ET_DYN"):
            raise ExecutableError(f"{what} is an ELF {etype} file, not an executable")
        self.segments: list[Segment] = [Segment(vaddr, memsz, offset, filesz, flags)
                                        for ptype, flags, offset, vaddr, filesz, memsz
                                        in tables.segments if ptype == PT_LOAD]
        self._dynamic = next(((offset, filesz) for ptype, _f, offset, _v, filesz, _m
                              in tables.segments if ptype == PT_DYNAMIC), None)
        self.sections: dict[str, Section] = {}
        for name, sh_type, flags, addr, offset, size in tables.sections:
            self.sections[name] = Section(name, addr, offset, size,
                                          SH_TYPES.get(sh_type, str(sh_type)), flags)
        self.is_pie = etype == "ET_DYN"
        self.entry: int = tables.e_entry
        self.machine: str = machine_name(tables.e_machine)
        self.little_endian: bool = tables.little_endian
        self.ptr_size: int = 8 if tables.is64 else 4
        self._symbol_cache: dict[str, Symbol | None] = {}
        self._debug_finder: DebugFinder | None = None
        self._index_cache: IndexCache | None = None

    @cached_property
    def elf(self) -> ELFFile:
        """The file as pyelftools reads it, made on first use (the C line
        tables of cgo code, :mod:`dapcore.native.clines`): importing
        pyelftools costs ~25 ms, which no Go stack or value needs."""
        from elftools.elf.elffile import ELFFile  # deferred: see above

        return ELFFile(self._file)

    # -- the index cache -----------------------------------------------------

    def set_index_cache(self, cache: IndexCache | None) -> None:
        """Keep what is derived from this file in ``cache`` (and from its
        separate debug file, once found); call before :attr:`index` is used."""
        self._index_cache = cache

    @cached_property
    def index(self) -> Entry:
        """This file's entry in the index cache (:mod:`dapcore.indexcache`):
        found by the file's content (:func:`dapcore.elf.fingerprint.fingerprint`);
        a disabled entry when there is no cache."""
        if self._index_cache is None:
            return NULL_ENTRY
        crcs: dict[str, int | None] = {}
        return self._index_cache.entry(fingerprint(self),
                                       lambda names: sections_crc(self, names, crcs))

    def close(self) -> None:
        debug = self.__dict__.get("debug_file")
        if debug is not None:
            debug.close()
        self.data.close()
        self._file.close()

    def section_bytes(self, name: str) -> memoryview | None:
        """Raw file bytes of a section (None when absent or NOBITS)."""
        s = self.sections.get(name)
        if s is None or s.type == "SHT_NOBITS":
            return None
        return memoryview(self.data)[s.offset:s.offset + s.size]

    def read_static(self, addr: int, size: int) -> bytes:
        """Bytes the file itself places at link-time ``addr`` (initialised
        data, text, rodata; bss reads as zeros, which is what the loader
        gives it)."""
        for seg in self.segments:
            if seg.vaddr <= addr and addr + size <= seg.vaddr + seg.memsz:
                start = addr - seg.vaddr
                if start + size <= seg.filesz:
                    return bytes(self.data[seg.offset + start:seg.offset + start + size])
                head = max(0, seg.filesz - start)
                body = bytes(self.data[seg.offset + start:seg.offset + start + head])
                return body + bytes(size - head)
        raise UnreadableMemory(addr, size, f"not in a segment of {self.path.name}")

    def read_pointer(self, addr: int) -> int:
        """The pointer the loader puts at link-time ``addr``: a position-
        independent executable's dynamic relocations (``R_*_RELATIVE``) give
        it where the file holds none (GNU ld on arm64 leaves zeros there);
        a link-time address (the caller adds the load bias)."""
        rel = self.relative_relocations.get(addr)
        if rel is not None:
            return rel
        return int.from_bytes(self.read_static(addr, self.ptr_size),
                              "little" if self.little_endian else "big")

    @cached_property
    def relative_relocations(self) -> dict[int, int]:
        """Link-time address → addend of the ``RELATIVE`` dynamic relocations
        (``.rela.dyn``, 64-bit RELA: R_X86_64_RELATIVE 8, R_AARCH64_RELATIVE 1027)."""
        if self.ptr_size != 8 or not self.little_endian:
            return {}
        sec = self.sections.get(".rela.dyn")
        if sec is not None and sec.type != "SHT_NOBITS":
            where: tuple[int, int] | None = (sec.offset, sec.size)
        else:
            where = self._rela_from_dynamic()  # no section headers
        if where is None:
            return {}
        start, size = where
        raw = self.data[start:start + size - size % 24]
        out: dict[int, int] = {}
        for off, info, addend in struct.iter_unpack("<QQq", raw):
            if info & 0xFFFFFFFF in (8, 1027):
                out[off] = addend & 0xFFFFFFFFFFFFFFFF
        return out

    def _rela_from_dynamic(self) -> tuple[int, int] | None:
        """(file offset, size) of the RELA table PT_DYNAMIC names (DT_RELA,
        DT_RELASZ), None without one."""
        if self._dynamic is None:
            return None
        off, size = self._dynamic
        tags: dict[int, int] = {}
        for tag, val in struct.iter_unpack("<qQ", self.data[off:off + size - size % 16]):
            if tag == 0:
                break
            tags.setdefault(tag, val)
        rela, relasz = tags.get(7), tags.get(8)
        if rela is None or relasz is None:
            return None
        for seg in self.segments:
            if seg.vaddr <= rela and rela + relasz <= seg.vaddr + seg.filesz:
                return seg.offset + rela - seg.vaddr, relasz
        return None

    # -- the separate debug file --------------------------------------------

    def set_debug_finder(self, finder: DebugFinder) -> None:
        """Where this executable's separate debug file comes from: called
        once, the first time DWARF or symbols the file itself lacks are
        needed (None: there is none)."""
        self._debug_finder = finder

    @cached_property
    def debug_file(self) -> Executable | None:
        """The separate debug file in use (None: none is needed, none was
        looked for, or none was found)."""
        if self._debug_finder is None or (self.has_own_dwarf and self.has_own_symbols):
            return None
        found = self._debug_finder(self)
        if found is not None:
            found.set_index_cache(self._index_cache)
        return found

    @property
    def dwarf_file(self) -> Executable | None:
        """The file the DWARF is read from: this one, its debug file, or
        None (no DWARF anywhere)."""
        if self.has_own_dwarf:
            return self
        debug = self.debug_file
        return debug if debug is not None and debug.has_own_dwarf else None

    @cached_property
    def gnu_build_id(self) -> str | None:
        """The GNU build id (``NT_GNU_BUILD_ID`` in ``.note.gnu.build-id``), in hex."""
        return self._note_desc(".note.gnu.build-id", 3, b"GNU\0")

    @cached_property
    def debuglink(self) -> tuple[str, int] | None:
        """(file name, CRC32) of ``.gnu_debuglink``: the debug file's name
        and the checksum of its contents (None without one)."""
        raw = self.section_bytes(".gnu_debuglink")
        if raw is None:
            return None
        data = bytes(raw)
        end = data.find(b"\0")
        if end <= 0:
            return None
        at = (end + 4) & ~3
        if at + 4 > len(data):
            return None
        crc = int.from_bytes(data[at:at + 4], "little" if self.little_endian else "big")
        return data[:end].decode("utf-8", "replace"), crc

    # -- symbols -------------------------------------------------------------

    @property
    def has_own_symbols(self) -> bool:
        """Whether this file itself holds a symbol table."""
        sym = self.sections.get(".symtab")
        return sym is not None and ".strtab" in self.sections and sym.type != "SHT_NOBITS"

    @property
    def has_symbols(self) -> bool:
        """Whether a symbol table is at hand: this file's or its debug file's."""
        if self.has_own_symbols:
            return True
        debug = self.debug_file
        return debug is not None and debug.has_own_symbols

    def symbol(self, name: str) -> Symbol | None:
        """The ELF symbol ``name`` (None if absent or the binary is stripped
        and has no debug file holding its symbols).

        Found without building a table of every symbol (a large Go binary
        has 50,000): the name's offset in ``.strtab`` (any occurrence of
        ``name\0`` will do, since linkers share string tails), then the
        ``.symtab`` entry whose ``st_name`` is that offset."""
        if name in self._symbol_cache:
            return self._symbol_cache[name]
        if self.has_own_symbols:
            found = self._find_symbol(name)
        else:
            debug = self.debug_file
            found = debug.symbol(name) if debug is not None else None
        self._symbol_cache[name] = found
        return found

    def _find_symbol(self, name: str) -> Symbol | None:
        symtab, strtab = self.sections[".symtab"], self.sections[".strtab"]
        data = self.data
        lo, hi = strtab.offset, strtab.offset + strtab.size
        needle = name.encode() + b"\0"
        offsets = []
        pos = data.find(needle, lo, hi)
        while pos >= 0:
            offsets.append(pos - lo)
            pos = data.find(needle, pos + 1, hi)
        order = "<" if self.little_endian else ">"
        entry = 24 if self.ptr_size == 8 else 16
        # st_value and st_size follow st_name, info, other, shndx (64-bit)
        # or st_name directly (32-bit).
        fields, at = (order + "QQ", 8) if entry == 24 else (order + "II", 4)
        slo = symtab.offset
        shi = slo + symtab.size // entry * entry
        for off in offsets:
            key = struct.pack(order + "I", off)  # st_name, the first field of an entry
            pos = data.find(key, slo, shi)
            while pos >= 0 and (pos - slo) % entry:
                pos = data.find(key, pos + 1, shi)
            if pos >= 0:
                value, size = struct.unpack_from(fields, data, pos + at)
                return Symbol(name, value, size)
        return None

    @cached_property
    def go_build_id(self) -> str | None:
        """The Go build ID (``.note.go.buildid``), e.g. ``abc/def/ghi/jkl``."""
        desc = self._note_desc(".note.go.buildid", 4, b"Go\0\0")
        return bytes.fromhex(desc).decode(errors="replace") if desc else None

    def _note_desc(self, section: str, ntype: int, name: bytes) -> str | None:
        raw = self.section_bytes(section)
        if raw is None or len(raw) < 12:
            return None
        order = "<" if self.little_endian else ">"
        namesz, descsz, typ = struct.unpack_from(order + "III", raw, 0)
        off = 12 + ((namesz + 3) & ~3)
        if typ != ntype or bytes(raw[12:12 + namesz]) != name[:namesz]:
            return None
        return bytes(raw[off:off + descsz]).hex()

    @property
    def has_own_dwarf(self) -> bool:
        """Whether this file itself holds DWARF."""
        return any(self.sections.get(n) is not None and self.sections[n].type != "SHT_NOBITS"
                   for n in (".debug_info", ".zdebug_info"))

    @property
    def has_dwarf(self) -> bool:
        """Whether DWARF is at hand: this file's or its debug file's."""
        return self.dwarf_file is not None


# Given the executable, its separate debug file (None: none found).
DebugFinder = Callable[[Executable], Executable | None]


def _check_complete(data: mmap.mmap, what: str) -> None:
    """The headers, the loaded segments and the sections all lie inside the
    file: a cut-off copy fails here, naming the file, not deep in a parser."""
    size = len(data)
    is64 = size > 4 and data[4] == 2
    order = "<" if size > 5 and data[5] == 1 else ">"
    needed = 64 if is64 else 52
    if size >= needed:
        phoff, phentsize, phnum, shoff, shentsize, shnum = header_tables(data, is64, order)
        needed = max(needed, phoff + phentsize * phnum, shoff + shentsize * shnum)
        if needed <= size:
            needed = max(needed, *_extents(data, order, is64, phoff, phentsize, phnum,
                                           shoff, shentsize, shnum))
    if needed > size:
        raise ExecutableError(f"{what} is truncated: {size} bytes, its ELF headers describe "
                              f"at least {needed}")


def _extents(data: mmap.mmap, order: str, is64: bool, phoff: int, phentsize: int, phnum: int,
             shoff: int, shentsize: int, shnum: int) -> list[int]:
    """File offsets where each segment's and each section's bytes end."""
    out = [0]
    if phentsize >= (56 if is64 else 32):
        for i in range(phnum):
            base = phoff + i * phentsize
            if is64:
                off, filesz = (struct.unpack_from(order + "Q", data, base + 8)[0],
                               struct.unpack_from(order + "Q", data, base + 32)[0])
            else:
                off, filesz = (struct.unpack_from(order + "I", data, base + 4)[0],
                               struct.unpack_from(order + "I", data, base + 16)[0])
            out.append(off + filesz)
    if shentsize >= (64 if is64 else 40):
        for i in range(shnum):
            base = shoff + i * shentsize
            sh_type = struct.unpack_from(order + "I", data, base + 4)[0]
            if sh_type == SHT_NOBITS:
                continue
            if is64:
                off, sz = struct.unpack_from(order + "QQ", data, base + 24)
            else:
                off, sz = struct.unpack_from(order + "II", data, base + 16)
            out.append(off + sz)
    return out
