"""DWARF sections of an executable: found, decompressed, loaded on first use.

Go 1.19+ compresses its ``.debug_*`` sections (``SHF_COMPRESSED``, zlib);
older toolchains and some linkers write the legacy GNU ``.zdebug_*`` format.
Both are read, also when only some sections are compressed. A section
decompressed once is kept in the index cache (:mod:`dapcore.indexcache`,
checked against the CRC of the compressed bytes it came from): the next
open of the same build reads it back instead of inflating it again.
"""

from __future__ import annotations

import struct
import zlib

from dapcore.elf.executable import Executable
from dapcore.errors import DapcoreError, UnsupportedError

__all__ = ["DwarfError", "Sections", "debug_section", "initial_length"]

def initial_length(buf: bytes, pos: int, order: str) -> tuple[int, int, int]:
    """(unit length, offset size 4 or 8, where the unit's header starts) of
    the DWARF initial length at ``pos``: 32-bit, or ``0xffffffff`` and then
    64-bit. Raises :class:`struct.error` past the end of ``buf``."""
    (length,) = struct.unpack_from(order + "I", buf, pos)
    if length == 0xFFFFFFFF:
        (length,) = struct.unpack_from(order + "Q", buf, pos + 4)
        return length, 8, pos + 12
    return length, 4, pos + 4


_SHF_COMPRESSED = 0x800
_ELFCOMPRESS_ZLIB = 1


class DwarfError(DapcoreError):
    """Bytes that do not decode as the DWARF we expected (damaged or unknown)."""


def _inflate(exe: Executable, name: str, raw: bytes | memoryview) -> bytes:
    try:
        return zlib.decompress(raw)
    except zlib.error as exc:
        raise DwarfError(f"{exe.path.name}: .debug_{name} is damaged (it does not "
                         f"decompress: {exc})") from exc


def debug_section(exe: Executable, name: str) -> bytes | None:
    """The contents of ``.debug_<name>``, decompressed (SHF_COMPRESSED, as Go
    1.19+ writes it, or the older ``.zdebug_<name>`` GNU format), or None;
    a decompressed section comes from the index cache when it holds it."""
    sec = exe.sections.get(f".debug_{name}")
    if sec is None or sec.flags & _SHF_COMPRESSED:
        source = sec.name if sec is not None else f".zdebug_{name}"
        if source not in exe.sections:
            return None
        part = f"dwarf.section{source}"
        cached = exe.index.get_bytes(part, (source,))
        if cached is not None:
            return cached
        data = _decompressed(exe, name)
        if data is not None:
            exe.index.put_bytes(part, data, (source,))
        return data
    return _decompressed(exe, name)


def _decompressed(exe: Executable, name: str) -> bytes | None:
    sec = exe.sections.get(f".debug_{name}")
    if sec is not None:
        raw = exe.section_bytes(sec.name)
        if raw is None:
            return None
        if not sec.flags & _SHF_COMPRESSED:
            return bytes(raw)
        order = "<" if exe.little_endian else ">"
        if exe.ptr_size == 8:
            ctype, _, size, _ = struct.unpack_from(order + "IIQQ", raw, 0)
            hdr = 24
        else:
            ctype, size, _ = struct.unpack_from(order + "III", raw, 0)
            hdr = 12
        if ctype != _ELFCOMPRESS_ZLIB:
            raise UnsupportedError(
                f"{exe.path.name}: .debug_{name} is compressed with method {ctype} "
                "(only zlib is supported)")
        data = _inflate(exe, name, raw[hdr:])
    else:
        sec = exe.sections.get(f".zdebug_{name}")
        if sec is None:
            return None
        raw = exe.section_bytes(sec.name)
        if raw is None:
            return None
        if bytes(raw[:4]) != b"ZLIB":
            return bytes(raw)
        size = int.from_bytes(raw[4:12], "big")
        data = _inflate(exe, name, raw[12:])
    if len(data) != size:
        raise UnsupportedError(
            f"{exe.path.name}: .debug_{name} decompresses to {len(data)} bytes, "
            f"its header says {size}")
    return data


class Sections:
    """The ``.debug_*`` sections of one executable, each decompressed on
    first use and kept, and the byte order they are written in."""

    def __init__(self, exe: Executable) -> None:
        self.exe = exe
        self.order = "<" if exe.little_endian else ">"  # for struct
        self.endian: str = "little" if exe.little_endian else "big"  # for int.from_bytes
        self._loaded: dict[str, bytes | None] = {}

    def get(self, name: str) -> bytes | None:
        """``.debug_<name>`` decompressed, or None when the executable has none."""
        if name not in self._loaded:
            self._loaded[name] = debug_section(self.exe, name)
        return self._loaded[name]

    def need(self, name: str) -> bytes:
        """``.debug_<name>``; :class:`DwarfError` when it is absent."""
        buf = self.get(name)
        if buf is None:
            raise DwarfError(f"{self.exe.path.name} has no .debug_{name}")
        return buf

    def cstr(self, name: str, offset: int) -> str:
        """The NUL-terminated string at ``offset`` of ``.debug_<name>``."""
        buf = self.need(name)
        end = buf.index(b"\0", offset)
        return buf[offset:end].decode("utf-8", "replace")
