"""The unit headers of ``.debug_info``, found in order as far as they are asked for.

A compressed ``.debug_info`` (Go 1.19+) is decompressed only as far as it
is read (issue #16: a big program's is 30–40 MB, and the first locals need
the units of ``main``, of the runtime and the one holding the types, near
its start): :class:`UnitDirectory` reads the headers one after the other,
each unit decompressed whole before it is handed out (so that a DIE is
never decoded from bytes not yet out). Who asks for a unit by offset
(:meth:`UnitDirectory.unit_at`) or walks them in order
(:meth:`UnitDirectory.nth`) makes it go only as far as that; who asks for
the list of every unit (:meth:`UnitDirectory.all`) gets the whole section
decompressed, as before. Once everything is out the section is kept whole
(and in the index cache: :meth:`dapcore.dwarf.sections.Sections.get`).
"""

from __future__ import annotations

import bisect
import struct
import threading
from collections.abc import Callable
from typing import NamedTuple

from dapcore.dwarf.sections import (
    DamagedSection,
    DwarfError,
    Inflating,
    Sections,
    initial_length,
)
from dapcore.errors import UnsupportedError

__all__ = ["Unit", "UnitDirectory", "read_unit", "read_units"]

# Bytes enough for any unit header (DWARF 5 type units: 64-bit length,
# version, type, address size, abbreviation offset, signature, type offset).
_HEADER_MAX = 48


class Unit(NamedTuple):
    offset: int  # of the unit header in .debug_info
    end: int
    version: int
    offsize: int  # 4 (32-bit DWARF) or 8
    addrsize: int
    abbrev_offset: int
    first_die: int
    unit_type: int = 1  # DW_UT_compile (DWARF 5 numbering; implied before 5)
    index: int = 0


def read_unit(info: bytes | bytearray, pos: int, order: str, exe_name: str,
              index: int) -> Unit:
    """The header of the unit at ``pos`` (DWARF 2 to 5); the caller checks
    that the unit's end is within the section. Raises :class:`struct.error`
    or :class:`IndexError` past the end of ``info``."""
    length, offsize, hdr = initial_length(info, pos, order)
    end = hdr + length
    (version,) = struct.unpack_from(order + "H", info, hdr)
    p = hdr + 2
    offfmt = order + ("I" if offsize == 4 else "Q")
    unit_type = 1
    if version >= 5:
        unit_type, addrsize = info[p], info[p + 1]
        (abbrev_off,) = struct.unpack_from(offfmt, info, p + 2)
        p += 2 + offsize
        if unit_type in (2, 6):  # type units: signature, type offset
            p += 8 + offsize
        elif unit_type in (4, 5):  # skeleton/split: dwo id
            p += 8
    elif version >= 2:
        (abbrev_off,) = struct.unpack_from(offfmt, info, p)
        addrsize = info[p + offsize]
        p += offsize + 1
    else:
        raise UnsupportedError(f"{exe_name}: DWARF version {version} unit at {pos:#x}")
    return Unit(pos, end, version, offsize, addrsize, abbrev_off, p, unit_type, index)


def read_units(info: bytes | bytearray, order: str, exe_name: str) -> list[Unit]:
    """The unit headers of a whole ``.debug_info`` (DWARF 2 to 5)."""
    units: list[Unit] = []
    pos = 0
    while pos + 11 <= len(info):
        u = _checked(info, pos, order, exe_name, len(units))
        units.append(u)
        pos = u.end
    return units


def _checked(info: bytes | bytearray, pos: int, order: str, exe_name: str, index: int) -> Unit:
    try:
        u = read_unit(info, pos, order, exe_name, index)
    except (struct.error, IndexError) as exc:
        raise DwarfError(f"{exe_name}: the DWARF unit header at {pos:#x} is cut off "
                         "by the end of .debug_info") from exc
    if u.end > len(info):
        raise UnsupportedError(f"{exe_name}: DWARF unit at {pos:#x} runs past .debug_info")
    return u


class UnitDirectory:
    """The units of ``.debug_info`` (the whole section, or a compressed one
    being decompressed: :class:`~dapcore.dwarf.sections.Inflating`), found
    in order as far as asked for (see the module documentation)."""

    def __init__(self, sections: Sections, info: bytes | Inflating) -> None:
        self.sections = sections
        self._name = sections.exe.path.name
        self._part: Inflating | None = None
        self.units: list[Unit] = []  # found so far, in order
        self.starts: list[int] = []
        self._next = 0  # where the next unit header is
        self.complete = False
        # told when the section is whole, and when its stream turns out damaged
        self.on_whole: Callable[[bytes | bytearray], None] | None = None
        self.on_damage: Callable[[DamagedSection], None] | None = None
        self.damage: DamagedSection | None = None  # once met, every later read raises it
        self._lock = threading.RLock()
        if isinstance(info, Inflating):
            self._part = info
            self.data: bytes | bytearray = info.data
        else:
            self.data = info
            self.units = read_units(info, sections.order, self._name)
            self.starts = [u.offset for u in self.units]
            self._next = self.units[-1].end if self.units else 0
            self.complete = True

    @property
    def size(self) -> int:
        """The section's size (its header's, while it is being decompressed)."""
        return self._part.size if self._part is not None else len(self.data)

    @property
    def inflated(self) -> int:
        """How many bytes of the section are out (all when it is whole)."""
        return len(self.data)

    @property
    def found_end(self) -> int:
        """The end of the units found so far."""
        return self._next

    def _discover(self) -> bool:
        """Read the next unit's header and decompress the unit; False at the
        end of the section (then it is whole)."""
        try:
            return self._read_next()
        except DamagedSection as exc:
            self._damaged(exc)
            raise

    def _damaged(self, exc: DamagedSection) -> None:
        """The stream is damaged: zlib checks the whole of it only at its
        end, so what came out before may hold bytes decoded from the damage.
        Nothing of the section is read from then on (the section read
        whole at once was refused the same way)."""
        self.damage = exc
        if self.on_damage is not None:
            self.on_damage(exc)

    def _read_next(self) -> bool:
        with self._lock:
            if self.damage is not None:
                raise self.damage
            if self.complete:
                return False
            part, pos = self._part, self._next
            assert part is not None
            part.upto(pos + _HEADER_MAX)
            if pos + 11 > len(part.data):
                self._finish()
                return False
            try:
                length, _, hdr = initial_length(part.data, pos, self.sections.order)
            except struct.error:
                length, hdr = 0, pos  # cut off: _checked says so
            part.upto(hdr + length)
            u = _checked(part.data, pos, self.sections.order, self._name, len(self.units))
            self.units.append(u)
            self.starts.append(u.offset)
            self._next = u.end
            return True

    def _finish(self) -> None:
        """Everything is out: the section kept whole, as read at once."""
        whole = self.sections.get("info")  # its size checked, kept in the index cache
        assert whole is not None
        self.data = whole
        self._part = None
        self.complete = True
        if self.on_whole is not None:
            self.on_whole(whole)

    def grow(self) -> bool:
        """Decompress more of the section (about as much again; for a byte
        search of what is out so far); False when it is all out."""
        if self.complete:
            return False
        with self._lock:
            part = self._part
            if part is None:
                return False
            if part.done:
                self.all()
                return False
            try:
                part.grow()
            except DamagedSection as exc:
                self._damaged(exc)
                raise
            return True

    def all(self) -> list[Unit]:
        """Every unit (the whole section decompressed)."""
        while self._discover():
            pass
        return self.units

    def nth(self, i: int) -> Unit | None:
        """Unit ``i`` in section order, None past the last."""
        if self.damage is not None:
            raise self.damage
        while i >= len(self.units):
            if not self._discover():
                return None
        return self.units[i]

    def unit_at(self, offset: int) -> Unit:
        """The unit holding ``.debug_info`` offset ``offset``."""
        if self.damage is not None:
            raise self.damage
        if offset >= self._next:
            if offset >= self.size:
                raise DwarfError(f"offset {offset:#x} is outside every unit")
            while offset >= self._next:
                if not self._discover():
                    break
        i = bisect.bisect_right(self.starts, offset) - 1
        if i < 0 or offset >= self.units[i].end:
            raise DwarfError(f"offset {offset:#x} is outside every unit")
        return self.units[i]
