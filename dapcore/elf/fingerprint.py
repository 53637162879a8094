"""What identifies an ELF file's contents for the index cache, without
reading all of it.

:func:`fingerprint`: the Go build id, the GNU build id, the file size and a
SHA-256 of the ELF header, the program header table and the section header
table (offsets, sizes and flags of every section) — never the path or the
mtime, so a copy of the same build finds the same entry and a rebuilt one
does not. :func:`sections_crc`: a CRC-32 of some sections' bytes, which each
cached part records for the sections it was derived from, so that a file
changed inside a section without its headers changing is noticed too.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import TYPE_CHECKING

from dapcore.elf.elfheader import header_tables

if TYPE_CHECKING:
    from dapcore.elf.executable import Executable

__all__ = ["fingerprint", "sections_crc"]


def _tables(data: bytes | memoryview, is64: bool, order: str) -> list[tuple[int, int]]:
    """(offset, size) of the program and section header tables."""
    phoff, phentsize, phnum, shoff, shentsize, shnum = header_tables(data, is64, order)
    return [(phoff, phentsize * phnum), (shoff, shentsize * shnum)]


def fingerprint(exe: Executable) -> str:
    """The content identity of ``exe`` (hex)."""
    data = exe.data
    is64 = exe.ptr_size == 8
    order = "<" if exe.little_endian else ">"
    h = hashlib.sha256()
    for part in (exe.go_build_id or "", exe.gnu_build_id or "", str(len(data))):
        h.update(part.encode() + b"\0")
    h.update(data[:64 if is64 else 52])
    for off, size in _tables(data, is64, order):
        h.update(data[off:off + size])
    return h.hexdigest()[:40]


def sections_crc(exe: Executable, names: tuple[str, ...],
                 memo: dict[str, int | None] | None = None) -> int | None:
    """A CRC-32 of the named sections' bytes (each section's own CRC, kept
    in ``memo``, then a CRC of those and their names); a name ending in
    ``*`` stands for every section starting with what precedes it
    (``.debug_*``). None when none of them is in the file."""
    memo = {} if memo is None else memo
    crc, found = 0, False
    for name in names:
        if name.endswith("*"):
            matches = sorted(n for n in exe.sections if n.startswith(name[:-1]))
        else:
            matches = [name]
        for n in matches:
            if n not in memo:
                raw = exe.section_bytes(n)
                memo[n] = zlib.crc32(raw) if raw is not None else None
            own = memo[n]
            if own is None:
                continue
            found = True
            crc = zlib.crc32(n.encode() + b"\0" + own.to_bytes(4, "little"), crc)
    return crc if found else None
