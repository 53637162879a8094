"""The ELF objects of the process's native (C) code: the executable (the C
that cgo links in) and the shared libraries the core's ``NT_FILE`` note
names, each with its load bias, call frame information and symbols.

A library is read from the path the note gives, on this machine. It is used
only when it is the build the process mapped: the GNU build id of the file
is compared with the one in the core's copy of the mapping's first page
(the kernel dumps the first page of every ELF mapping). A library that is
missing, unreadable or of another build is not guessed at: the object
carries a ``problem`` saying so, and unwinding stops there.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from dapcore.dwarf.cfi import CFIError, FrameTable, Rules
from dapcore.dwarf.sections import debug_section
from dapcore.elf.core import CoreFile
from dapcore.elf.executable import Executable
from dapcore.elf.memory import AddressSpace
from dapcore.errors import DapcoreError, printable

__all__ = ["NativeObject", "NativeObjects"]

_PAGE = 4096
_PT_LOAD, _PT_NOTE, _PT_GNU_EH_FRAME = 1, 4, 0x6474E550
_NT_GNU_BUILD_ID = 3


@dataclass
class NativeObject:
    """One ELF object of the process (``elf`` None when it cannot be used,
    ``problem`` saying why)."""

    name: str  # the file's base name, as frames show it
    path: str
    bias: int  # run-time address − link-time address
    elf: Executable | None
    problem: str | None = None
    is_executable: bool = False
    _tables: list[FrameTable] | None = field(default=None, repr=False)

    def rules_at(self, pc: int) -> Rules | None:
        """The CFI rules at run-time ``pc`` (``.eh_frame``, then ``.debug_frame``)."""
        for table in self.tables:
            rules = table.rules_at(pc - self.bias)
            if rules is not None:
                return rules
        return None

    @property
    def tables(self) -> list[FrameTable]:
        if self._tables is None:
            self._tables = _frame_tables(self.elf) if self.elf is not None else []
        return self._tables

    @cached_property
    def _symbols(self) -> tuple[list[int], list[tuple[int, int, str]]]:
        syms = _function_symbols(self.elf) if self.elf is not None else []
        syms.sort()
        return [s[0] for s in syms], syms

    def symbol_at(self, pc: int) -> tuple[str, int] | None:
        """(name, run-time start) of the function symbol holding run-time ``pc``."""
        starts, syms = self._symbols
        link = pc - self.bias
        i = bisect_right(starts, link) - 1
        while i >= 0:
            start, size, name = syms[i]
            if link < start + max(size, 1) or size == 0:
                return name, start + self.bias
            # a zero-size or nested symbol before a sized one: look further back
            if i > 0 and syms[i - 1][0] == start:
                i -= 1
                continue
            return None
        return None


def _frame_tables(elf: Executable) -> list[FrameTable]:
    out = []
    eh = elf.sections.get(".eh_frame")
    eh_bytes = elf.section_bytes(".eh_frame")
    if eh is not None and eh_bytes is not None:
        hdr = elf.sections.get(".eh_frame_hdr")
        hdr_bytes = elf.section_bytes(".eh_frame_hdr")
        out.append(FrameTable(eh_bytes, eh.addr, True,
                              (hdr_bytes, hdr.addr) if hdr is not None and hdr_bytes is not None
                              else None))
    try:
        debug = debug_section(elf, "frame")
    except DapcoreError:
        debug = None
    if debug is not None:
        out.append(FrameTable(debug, 0, False))
    return out


_SYM = struct.Struct("<IBBHQQ")  # Elf64_Sym
_STT_FUNC, _STT_GNU_IFUNC = 2, 10


def _function_symbols(elf: Executable) -> list[tuple[int, int, str]]:
    """(link-time start, size, name) of the functions in ``.symtab``, else
    ``.dynsym`` (read with ``struct``: libc has thousands)."""
    for table, strings in ((".symtab", ".strtab"), (".dynsym", ".dynstr")):
        raw, names = elf.section_bytes(table), elf.section_bytes(strings)
        if raw is None or names is None or elf.ptr_size != 8:
            continue
        strtab = bytes(names)
        out = []
        for name_at, info, _other, _shndx, value, size in _SYM.iter_unpack(
                bytes(raw[:len(raw) // _SYM.size * _SYM.size])):
            if info & 0xF not in (_STT_FUNC, _STT_GNU_IFUNC) or not value:
                continue
            end = strtab.find(b"\0", name_at)
            if name_at and end > name_at:
                out.append((value, size, strtab[name_at:end].decode("utf-8", "replace")))
        if out:
            return out
    return []


class NativeObjects:
    """The process's ELF objects by address (see the module docstring)."""

    def __init__(self, core: CoreFile, exe: Executable, bias: int, memory: AddressSpace
                 ) -> None:
        self.core = core
        self.memory = memory
        self.exe = NativeObject(exe.path.name, str(exe.path), bias, exe, is_executable=True)
        self._exe_ranges = [(s.vaddr + bias, s.vaddr + bias + s.memsz) for s in exe.segments
                            if s.flags & 1]
        self._by_path: dict[str, NativeObject] = {}
        files = sorted(core.files, key=lambda f: f.start)
        self._starts = [f.start for f in files]
        self._files = files

    def object_at(self, pc: int) -> NativeObject | None:
        """The object whose code holds run-time ``pc`` (None: no file maps it)."""
        if any(lo <= pc < hi for lo, hi in self._exe_ranges):
            return self.exe
        i = bisect_right(self._starts, pc) - 1
        if i < 0 or pc >= self._files[i].end:
            return None
        path = self._files[i].path
        obj = self._by_path.get(path)
        if obj is None:
            obj = self._by_path[path] = self._open(path)
        return obj

    def unmapped(self, pc: int) -> str:
        """Why no object is found for ``pc``: the core names no mapped files
        (qemu's cores have no NT_FILE note), or none maps it."""
        if not self._files:
            return (f"the core has no NT_FILE note (the files the process mapped), so the "
                    f"library holding the C code at {pc:#x} cannot be found: the C frames "
                    "stop here")
        return f"no file of the process maps the C code at {pc:#x}: the C frames stop here"

    def _open(self, path: str) -> NativeObject:
        name = printable(Path(path).name)
        mapped = [f for f in self._files if f.path == path]
        base = min((f.start for f in mapped if f.offset == 0), default=mapped[0].start)
        if not path.startswith("/"):
            return NativeObject(name, path, 0, None, f"{name}: the core names no usable path")
        try:
            elf = Executable(path)
        except DapcoreError:
            return NativeObject(name, path, 0, None,
                                f"{printable(path)} (mapped by the process) is not on this "
                                "machine or not readable: its C frames cannot be unwound")
        first = min((s.vaddr for s in elf.segments), default=0) & ~(_PAGE - 1)
        bias = base - first
        theirs = self._core_build_id(base)
        ours = _file_build_id(elf)
        if theirs is not None and theirs != ours:
            return NativeObject(name, path, bias, None,
                                f"{printable(path)} on this machine is another build than the "
                                f"one the process mapped (GNU build id {ours or 'none'}, the "
                                f"core's {theirs}): its C frames cannot be unwound")
        return NativeObject(name, path, bias, elf)

    def _core_build_id(self, base: int) -> str | None:
        """The GNU build id in the core's copy of the ELF headers at ``base``
        (None when the core does not hold them)."""
        head = self.memory.core_bytes(base, 64)
        if head is None or head[:4] != b"\x7fELF":
            return None
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        if phentsize < 40:  # not ELF64 program headers: nothing to compare
            return None
        table = self.memory.core_bytes(base + phoff, phentsize * phnum)
        if table is None:
            return None
        for i in range(phnum):
            ptype, _f, _off, vaddr, _pa, filesz = struct.unpack_from("<IIQQQQ", table,
                                                                      i * phentsize)
            if ptype != _PT_NOTE:
                continue
            notes = self.memory.core_bytes(base + vaddr, filesz)
            if notes is not None:
                found = _build_id_in_notes(notes)
                if found is not None:
                    return found
        return None


def _file_build_id(elf: Executable) -> str | None:
    raw = elf.section_bytes(".note.gnu.build-id")
    return _build_id_in_notes(bytes(raw)) if raw is not None else None


def _build_id_in_notes(notes: bytes) -> str | None:
    pos = 0
    while pos + 12 <= len(notes):
        namesz, descsz, ntype = struct.unpack_from("<III", notes, pos)
        name_at = pos + 12
        desc_at = name_at + ((namesz + 3) & ~3)
        if ntype == _NT_GNU_BUILD_ID and notes[name_at:name_at + namesz].rstrip(b"\0") == b"GNU":
            return notes[desc_at:desc_at + descsz].hex()
        pos = desc_at + ((descsz + 3) & ~3)
    return None


# Errors a frame table may raise while rules are looked up.
RULE_ERRORS = (CFIError, struct.error, IndexError, ValueError)
