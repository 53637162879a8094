"""Where an ELF file's program and section header tables are, from its
header (read by the executable's completeness check and its fingerprint)."""

from __future__ import annotations

import mmap
import struct


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
