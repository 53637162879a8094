"""An ELF file's header and its program and section header tables, read with
``struct``: where the tables are (:func:`header_tables`, for the
executable's completeness check and its fingerprint) and what they hold
(:class:`ELFTables`, for :class:`dapcore.elf.executable.Executable`)."""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable


def header_tables(data: bytes | memoryview | mmap.mmap, is64: bool, order: str
                  ) -> tuple[int, int, int, int, int, int]:
    """``(phoff, phentsize, phnum, shoff, shentsize, shnum)`` of an ELF header."""
    if is64:
        phoff, shoff = struct.unpack_from(order + "QQ", data, 32)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(order + "HHHH", data, 54)
    else:
        phoff, shoff = struct.unpack_from(order + "II", data, 28)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(order + "HHHH", data, 42)
    return phoff, phentsize, phnum, shoff, shentsize, shnum


class ELFHeaderError(ValueError):
    """The ELF header or its tables cannot be read (the caller names the file)."""


# Names as the ELF specifications (and pyelftools) spell them; other values
# are shown as numbers.
E_TYPES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
SH_TYPES = {0: "SHT_NULL", 1: "SHT_PROGBITS", 2: "SHT_SYMTAB", 3: "SHT_STRTAB",
            4: "SHT_RELA", 5: "SHT_HASH", 6: "SHT_DYNAMIC", 7: "SHT_NOTE", 8: "SHT_NOBITS",
            9: "SHT_REL", 10: "SHT_SHLIB", 11: "SHT_DYNSYM", 14: "SHT_INIT_ARRAY",
            15: "SHT_FINI_ARRAY", 16: "SHT_PREINIT_ARRAY", 17: "SHT_GROUP",
            18: "SHT_SYMTAB_SHNDX", 19: "SHT_RELR", 0x6FFFFFF5: "SHT_GNU_ATTRIBUTES",
            0x6FFFFFF6: "SHT_GNU_HASH", 0x6FFFFFFD: "SHT_GNU_verdef",
            0x6FFFFFFE: "SHT_GNU_verneed", 0x6FFFFFFF: "SHT_GNU_versym"}
_SHN_XINDEX = 0xFFFF
_PN_XNUM = 0xFFFF


class ELFTables:
    """An ELF file's header fields, program headers and section headers, read
    with ``struct`` (no parser library: this is on the path of every open).

    ``segments``: ``(p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz)``;
    ``sections``: ``(name, sh_type, sh_flags, sh_addr, sh_offset, sh_size)``
    in table order (index 0, the null section, included)."""

    def __init__(self, data: bytes | mmap.mmap) -> None:
        if bytes(data[:4]) != b"\x7fELF":
            raise ELFHeaderError("magic number does not match")
        ei_class, ei_data = data[4], data[5]
        if ei_class not in (1, 2):
            raise ELFHeaderError(f"invalid EI_CLASS {ei_class}")
        if ei_data not in (1, 2):
            raise ELFHeaderError(f"invalid EI_DATA {ei_data}")
        self.is64 = ei_class == 2
        self.little_endian = ei_data == 1
        order = "<" if self.little_endian else ">"
        addr = "Q" if self.is64 else "I"
        try:
            self.e_type, self.e_machine = struct.unpack_from(order + "HH", data, 16)
            self.e_entry = struct.unpack_from(order + addr, data, 24)[0]
            shstrndx = struct.unpack_from(order + "H", data, 62 if self.is64 else 50)[0]
            phoff, phentsize, phnum, shoff, shentsize, shnum = header_tables(
                data, self.is64, order)
            sec = _section_reader(data, order, self.is64, shoff, shentsize)
            if shoff and (shnum == 0 or shstrndx == _SHN_XINDEX or phnum == _PN_XNUM):
                zero = sec(0)  # the extended counts live in section 0
                shnum = shnum or zero[5]
                shstrndx = zero[6] if shstrndx == _SHN_XINDEX else shstrndx
                phnum = zero[7] if phnum == _PN_XNUM else phnum
            self.segments = [_segment(data, order, self.is64, phoff + i * phentsize)
                             for i in range(phnum)]
            raw = [sec(i) for i in range(shnum)] if shoff else []
            self.sections = _named(data, raw, shstrndx)
        except struct.error as exc:
            raise ELFHeaderError(f"its headers lie outside the file ({exc})") from exc


def _section_reader(data: bytes | mmap.mmap, order: str, is64: bool, shoff: int,
                    shentsize: int) -> Callable[[int], tuple[int, ...]]:
    """Section ``i``'s header: ``(sh_name, sh_type, sh_flags, sh_addr,
    sh_offset, sh_size, sh_link, sh_info)``."""
    fmt = order + ("IIQQQQII" if is64 else "IIIIIIII")
    need = 64 if is64 else 40

    def sec(i: int) -> tuple[int, ...]:
        if shentsize < need:
            raise ELFHeaderError(f"section header entries of {shentsize} bytes")
        return struct.unpack_from(fmt, data, shoff + i * shentsize)
    return sec


def _segment(data: bytes | mmap.mmap, order: str, is64: bool, at: int
             ) -> tuple[int, int, int, int, int, int]:
    if is64:
        p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz = struct.unpack_from(
            order + "IIQQQQQ", data, at)
    else:
        p_type, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, p_flags = struct.unpack_from(
            order + "IIIIIII", data, at)
    return p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz


def _named(data: bytes | mmap.mmap, raw: list[tuple[int, ...]], shstrndx: int
           ) -> list[tuple[str, int, int, int, int, int]]:
    """The sections with their names from the section name string table."""
    if raw and not 0 <= shstrndx < len(raw):
        raise ELFHeaderError(f"its section name table is section {shstrndx} of {len(raw)}")
    strtab = raw[shstrndx][4] if raw else 0
    out = []
    for name_off, sh_type, flags, addr, offset, size, _link, _info in raw:
        name = ""
        if name_off:
            start = strtab + name_off
            end = data.find(b"\0", start)
            if start >= len(data) or end < 0:
                raise ELFHeaderError(f"a section name at {start:#x} lies outside the file")
            name = bytes(data[start:end]).decode("utf-8", errors="replace")
        out.append((name, sh_type, flags, addr, offset, size))
    return out
