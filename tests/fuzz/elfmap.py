"""Where the interesting bytes of a core or an executable are.

A small, independent ELF reader (``struct`` only, 64-bit little-endian): the
file header, program headers, PT_NOTE entries and section headers, each as a
file range a mutator can aim at. It deliberately shares no code with
``dapcore.elf``, so a bug there cannot hide the bytes it misreads.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

NT_PRSTATUS = 1
NT_SIGINFO = 0x53494749
NT_FILE = 0x46494C45
NOTE_NAMES = {NT_PRSTATUS: "prstatus", NT_SIGINFO: "siginfo", NT_FILE: "file", 3: "prpsinfo",
              6: "auxv", 2: "fpregs", 0x202: "xstate"}
PR_REG_OFFSET = 112  # pr_reg inside NT_PRSTATUS on amd64
PR_REG_SIZE = 27 * 8


@dataclass(frozen=True, slots=True)
class Region:
    """``[offset, offset + size)`` of the file, named for reports."""

    name: str
    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class Load:
    """A PT_LOAD segment: ``filesz`` bytes at ``offset`` hold memory at ``vaddr``."""

    vaddr: int
    offset: int
    filesz: int


def _header(data: bytes) -> tuple[int, int, int, int, int, int, int]:
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (_etype, _machine, _ver, _entry, phoff, shoff, _flags, _ehsize, phentsize, phnum,
     shentsize, shnum, shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    return phoff, phentsize, phnum, shoff, shentsize, shnum, shstrndx


def program_headers(data: bytes) -> list[tuple[int, int, int, int, int]]:
    """``(type, offset, vaddr, filesz, memsz)`` of every program header."""
    phoff, phentsize, phnum, *_ = _header(data)
    out = []
    for i in range(phnum):
        ptype, _flags, off, vaddr, _paddr, filesz, memsz, _align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        out.append((ptype, off, vaddr, filesz, memsz))
    return out


def loads(data: bytes) -> list[Load]:
    return [Load(vaddr, off, filesz) for ptype, off, vaddr, filesz, _ in program_headers(data)
            if ptype == 1 and filesz > 0]


def file_offset(segments: list[Load], vaddr: int, size: int = 1) -> int | None:
    """The file offset holding ``[vaddr, vaddr + size)``, if one segment holds it all."""
    for s in segments:
        if s.vaddr <= vaddr and vaddr + size <= s.vaddr + s.filesz:
            return s.offset + vaddr - s.vaddr
    return None


def core_regions(data: bytes) -> list[Region]:
    """ELF header, program headers, and every note (whole, and the parts
    the engine reads: registers, NT_FILE, siginfo)."""
    phoff, phentsize, phnum, *_ = _header(data)
    out = [Region("elf-header", 0, 64), Region("program-headers", phoff, phentsize * phnum)]
    for ptype, off, _vaddr, filesz, _memsz in program_headers(data):
        if ptype != 4:
            continue
        out.append(Region("notes", off, filesz))
        pos, end = off, off + filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            desc = pos + 12 + ((namesz + 3) & ~3)
            if desc + descsz > end:
                break
            name = NOTE_NAMES.get(ntype)
            if ntype == NT_PRSTATUS and descsz >= PR_REG_OFFSET + PR_REG_SIZE:
                out.append(Region("note-prstatus-regs", desc + PR_REG_OFFSET, PR_REG_SIZE))
                out.append(Region("note-prstatus-head", desc, PR_REG_OFFSET))
            elif name in ("file", "siginfo", "auxv", "prpsinfo"):
                out.append(Region(f"note-{name}", desc, descsz))
            pos = desc + ((descsz + 3) & ~3)
    return out


def sections(data: bytes) -> dict[str, Region]:
    """Every section with file contents, by name (and the section header table)."""
    _, _, _, shoff, shentsize, shnum, shstrndx = _header(data)
    if not shoff or not shnum:
        return {}
    rows = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab_off = rows[shstrndx][4]
    out = {"section-headers": Region("section-headers", shoff, shentsize * shnum)}
    for name_off, stype, _flags, _addr, off, size, *_ in rows:
        end = data.find(b"\0", strtab_off + name_off)
        name = bytes(data[strtab_off + name_off:end]).decode("ascii", "replace")
        if stype != 8 and size and name:  # SHT_NOBITS has no bytes in the file
            out[name] = Region(name, off, size)
    return out


def read(path: Path) -> bytes:
    return path.read_bytes()
