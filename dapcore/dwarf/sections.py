"""DWARF sections of an executable: found, decompressed, loaded on first use.

Go 1.19+ compresses its ``.debug_*`` sections (``SHF_COMPRESSED``, zlib);
older toolchains and some linkers write the legacy GNU ``.zdebug_*`` format.
Both are read, also when only some sections are compressed. A section
decompressed whole is kept in the index cache (:mod:`dapcore.indexcache`,
checked against the CRC of the compressed bytes it came from): the next
open of the same build reads it back instead of inflating it again. What is
read by offset (lists, line table headers: :meth:`Sections.prefix`) and
``.debug_info`` (read in order: :meth:`Sections.inflating`) are decompressed
only as far as they are read (:class:`Inflating`, issue #16); a partly
decompressed section is never kept, and ``.debug_info`` never, even whole
(:data:`IN_ORDER`).
"""

from __future__ import annotations

import struct
import threading
import zlib

from dapcore.elf.executable import Executable
from dapcore.errors import DapcoreError, UnsupportedError

__all__ = ["DamagedSection", "DwarfError", "Inflating", "Sections", "debug_section",
           "initial_length"]


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


class DamagedSection(DwarfError):
    """A compressed section whose stream does not decompress: raised where
    the damage is met (a section decompressed as far as read meets it late),
    never taken for a DIE that merely does not decode."""


def _inflate(exe: Executable, name: str, raw: bytes | memoryview) -> bytes:
    try:
        return zlib.decompress(raw)
    except zlib.error as exc:
        raise DamagedSection(f"{exe.path.name}: .debug_{name} is damaged (it does not "
                             f"decompress: {exc})") from exc


def _compressed(exe: Executable, name: str) -> tuple[memoryview | bytes, int] | None:
    """(the zlib stream, its decompressed size) of a compressed
    ``.debug_<name>`` (``SHF_COMPRESSED``, as Go 1.19+ writes it, or the
    older ``.zdebug_<name>`` GNU format); None when it is absent or stored
    as it is."""
    sec = exe.sections.get(f".debug_{name}")
    if sec is not None:
        if not sec.flags & _SHF_COMPRESSED:
            return None
        raw = exe.section_bytes(sec.name)
        if raw is None:
            return None
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
        return raw[hdr:], size
    sec = exe.sections.get(f".zdebug_{name}")
    if sec is None:
        return None
    raw = exe.section_bytes(sec.name)
    if raw is None or bytes(raw[:4]) != b"ZLIB":
        return None
    return raw[12:], int.from_bytes(raw[4:12], "big")


def _stored(exe: Executable, name: str) -> bytes | None:
    """An uncompressed ``.debug_<name>`` (or ``.zdebug_<name>`` without its
    ``ZLIB`` header)."""
    for sname in (f".debug_{name}", f".zdebug_{name}"):
        sec = exe.sections.get(sname)
        if sec is not None:
            raw = exe.section_bytes(sec.name)
            return None if raw is None else bytes(raw)
    return None


def _check_size(exe: Executable, name: str, data: bytes | bytearray, size: int) -> None:
    if len(data) != size:
        raise UnsupportedError(
            f"{exe.path.name}: .debug_{name} decompresses to {len(data)} bytes, "
            f"its header says {size}")


# Sections read in order, as far as needed (issue #16): never kept in the
# index cache. Reading a cached whole ``.debug_info`` (32 MB for the
# generated big program) costs more than decompressing the 5 MB a session
# reads of it, and the cache's room is better spent.
IN_ORDER = frozenset({"info"})


def debug_section(exe: Executable, name: str) -> bytes | None:
    """The contents of ``.debug_<name>``, decompressed (SHF_COMPRESSED, as Go
    1.19+ writes it, or the older ``.zdebug_<name>`` GNU format), or None;
    a decompressed section comes from the index cache when it holds it
    (not those of :data:`IN_ORDER`)."""
    packed = _compressed(exe, name)
    if packed is None:
        return _stored(exe, name)
    cached = None if name in IN_ORDER else _cached(exe, name)
    if cached is not None:
        return cached
    raw, size = packed
    data = _inflate(exe, name, raw)
    _check_size(exe, name, data, size)
    if name not in IN_ORDER:
        _keep(exe, name, data)
    return data


def _source(exe: Executable, name: str) -> str:
    """The section a compressed ``.debug_<name>`` is read from."""
    return f".debug_{name}" if f".debug_{name}" in exe.sections else f".zdebug_{name}"


def _cached(exe: Executable, name: str) -> bytes | None:
    """The decompressed section as the index cache keeps it (checked against
    the compressed section's CRC there), or None."""
    source = _source(exe, name)
    return exe.index.get_bytes(f"dwarf.section{source}", (source,))


def _keep(exe: Executable, name: str, data: bytes | bytearray) -> None:
    source = _source(exe, name)
    exe.index.put_bytes(f"dwarf.section{source}", data, (source,))


# A compressed section decompressed as far as read (Inflating) is fed at
# least this much of its compressed stream at a time (2.5–4x as much comes
# out), at most _FEED_MAX.
_FEED = 1 << 15
_FEED_MAX = 1 << 22


class Inflating:
    """A compressed section decompressed only as far as it was read: ``data``
    is its beginning, a ``bytearray`` that :meth:`upto` extends in place
    (whoever holds it sees it grow; no ``memoryview`` of it may be alive
    then). A damaged stream raises :class:`DamagedSection` where it is met
    (zlib checks a stream only at its end: bytes that came out of a damaged
    part may have come out before that), and one that ends too early or
    decompresses to another size than its header says raises the error
    reading the whole section would."""

    def __init__(self, exe: Executable, name: str, raw: memoryview | bytes, size: int) -> None:
        self.exe, self.name, self.raw, self.size = exe, name, raw, size
        self.z = zlib.decompressobj()
        self.data = bytearray()
        self.fed = 0
        self.error: DamagedSection | None = None  # raised again on every later read
        self._done = False
        self._lock = threading.Lock()  # two readers must not feed the same bytes twice

    def upto(self, end: int) -> None:
        """Decompress until ``end`` bytes (or all) are out."""
        if self.error is not None:
            raise self.error
        if len(self.data) >= end or self.done:
            return
        with self._lock:
            try:
                while len(self.data) < end and self.fed < len(self.raw):
                    # (a fifth of what is still wanted at a time, zlib giving
                    # 2.5–5x: few calls for much, little past the end wanted)
                    feed = min(max(_FEED, (end - len(self.data)) // 5), _FEED_MAX)
                    self.data += self.z.decompress(self.raw[self.fed:self.fed + feed])
                    self.fed += feed
                if self.fed >= len(self.raw):
                    self.data += self.z.flush()
                    if not self.z.eof:
                        raise zlib.error("incomplete or truncated stream")
                    self._done = True
            except zlib.error as exc:
                self.error = DamagedSection(f"{self.exe.path.name}: .debug_{self.name} is "
                                            f"damaged (it does not decompress: {exc})")
                raise self.error from exc

    def finish(self) -> None:
        """Decompress the rest."""
        self.upto(1 << 62)

    def grow(self) -> None:
        """Decompress about as much again as is out (at least 256 KB more)."""
        self.upto(len(self.data) + max(len(self.data), 1 << 18))

    @property
    def done(self) -> bool:
        """Whether the whole section is out."""
        return self._done


class Sections:
    """The ``.debug_*`` sections of one executable, each decompressed on
    first use and kept, and the byte order they are written in."""

    def __init__(self, exe: Executable) -> None:
        self.exe = exe
        self.order = "<" if exe.little_endian else ">"  # for struct
        self.endian: str = "little" if exe.little_endian else "big"  # for int.from_bytes
        self._loaded: dict[str, bytes | bytearray | None] = {}
        self._partial: dict[str, Inflating] = {}

    def get(self, name: str) -> bytes | bytearray | None:
        """``.debug_<name>`` decompressed, or None when the executable has none
        (a ``bytearray`` when it was decompressed as far as read first)."""
        if name not in self._loaded:
            part = self._partial.pop(name, None)
            if part is not None:
                part.finish()
                _check_size(self.exe, name, part.data, part.size)
                # (kept as it came out, not copied: it grows no more)
                self._loaded[name] = data = part.data
                if name not in IN_ORDER:
                    _keep(self.exe, name, data)
            else:
                self._loaded[name] = debug_section(self.exe, name)
        return self._loaded[name]

    def inflating(self, name: str) -> bytes | bytearray | Inflating | None:
        """``.debug_<name>`` to be read in order (``.debug_info``, issue #16):
        the whole section when it is stored as it is or already loaded, else
        an :class:`Inflating` decompressing it on demand (:meth:`get`
        finishes it); None when the executable has none."""
        if name in self._loaded:
            return self._loaded[name]
        part = self._partial.get(name)
        if part is not None:
            return part
        packed = _compressed(self.exe, name)
        if packed is None:
            return self.get(name)  # stored as it is
        part = self._partial[name] = Inflating(self.exe, name, *packed)
        return part

    def prefix(self, name: str, end: int) -> bytes | bytearray | None:
        """``.debug_<name>`` at least up to offset ``end``: the whole section
        (``bytes``), or, for a compressed one, its beginning decompressed
        so far (a ``bytearray`` that may stop before ``end`` only at the
        section's end). For what is read by offset, a list or a line table
        header (issue #16: what the first locals need of a 50 MB
        ``.debug_loclists`` is usually near its start); a reader that runs
        past a ``bytearray`` asks :meth:`get` for the whole."""
        if name in self._loaded:
            return self._loaded[name]
        part = self._partial.get(name)
        if part is None:
            packed = _compressed(self.exe, name)
            if packed is None:
                return self.get(name)  # stored as it is
            # (decompressed as far as read: what is read by offset is
            # usually near the start, cheaper than the index cache's copy)
            part = self._partial[name] = Inflating(self.exe, name, *packed)
        part.upto(end)
        if part.done:
            return self.get(name)
        return part.data

    def need(self, name: str) -> bytes | bytearray:
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
