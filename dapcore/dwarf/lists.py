"""Addresses, range lists and location lists (DWARF 2–4 and 5).

Before DWARF 5 a ``DW_AT_ranges``/``DW_AT_location`` list is an offset into
``.debug_ranges``/``.debug_loc``: pairs of addresses relative to the unit's
base address, a base address selection entry, a (0, 0) end. From DWARF 5
lists live in ``.debug_rnglists``/``.debug_loclists`` as typed entries
(``DW_RLE_*``/``DW_LLE_*``), possibly reached by index (``rnglistx``,
``loclistx``) and naming addresses by index into ``.debug_addr``.
All addresses here are link-time.
"""

from __future__ import annotations

from typing import NamedTuple

from dapcore.dwarf.constants import (
    ADDRX_FORMS,
    AT_ADDR_BASE,
    AT_GNU_ADDR_BASE,
    AT_HIGH_PC,
    AT_LOCATION,
    AT_LOCLISTS_BASE,
    AT_LOW_PC,
    AT_RANGES,
    AT_RNGLISTS_BASE,
    FORM_ADDR,
    FORM_LOCLISTX,
    FORM_RNGLISTX,
    FORM_SEC_OFFSET,
)
from dapcore.dwarf.dies import Die, DieReader, Unit
from dapcore.dwarf.leb128 import uleb
from dapcore.dwarf.sections import DwarfError

__all__ = ["MAX_ADDR", "Lists", "LocListEntry"]

MAX_ADDR = (1 << 64) - 1


class LocListEntry(NamedTuple):
    """One entry of a location list: ``expr`` applies for link-time PCs in
    ``[low, high)`` (a default location covers everything)."""

    low: int
    high: int
    expr: bytes


# How much of a compressed list section past a list's start is decompressed
# before it is read (lists are short; one that is longer is read again from
# the whole section).
_LIST_WINDOW = 1 << 16


class _Cursor:
    """A read position in a list section."""

    __slots__ = ("buf", "endian", "pos", "size")

    def __init__(self, buf: bytes | bytearray, pos: int, size: int, endian: str) -> None:
        self.buf, self.pos, self.size, self.endian = buf, pos, size, endian

    def addr(self) -> int:
        self.pos += self.size
        return int.from_bytes(self.buf[self.pos - self.size:self.pos], self.endian)

    def leb(self) -> int:
        v, self.pos = uleb(self.buf, self.pos)
        return v

    def block(self, n: int) -> bytes:
        self.pos += n
        return bytes(self.buf[self.pos - n:self.pos])


class Lists:
    """Addresses, ranges and location lists of the units ``dies`` reads."""

    def __init__(self, dies: DieReader) -> None:
        self.dies = dies
        self.sections = dies.sections

    def _addr_base(self, unit: Unit) -> int:
        top = self.dies.top(unit)
        base = top.attrs.get(AT_ADDR_BASE, top.attrs.get(AT_GNU_ADDR_BASE))
        return base if isinstance(base, int) else 8

    def address(self, unit: Unit, index: int) -> int:
        """Entry ``index`` of the unit's ``.debug_addr`` table (DWARF 5)."""
        buf = self.sections.need("addr")
        pos = self._addr_base(unit) + index * unit.addrsize
        if pos + unit.addrsize > len(buf):
            raise DwarfError(f"address index {index} is outside .debug_addr")
        return int.from_bytes(buf[pos:pos + unit.addrsize], self.sections.endian)

    def attr_address(self, die: Die, attr: int) -> int | None:
        """An address attribute (``DW_AT_low_pc``, ``DW_AT_entry_pc``),
        indexed forms resolved."""
        v = die.attrs.get(attr)
        if not isinstance(v, int):
            return None
        if die.form(attr) in ADDRX_FORMS:
            return self.address(die.unit, v)
        return v

    def unit_base(self, unit: Unit) -> int:
        """The unit's base address (its top DIE's ``DW_AT_low_pc``; 0 if none)."""
        low = self.attr_address(self.dies.top(unit), AT_LOW_PC)
        return low or 0

    def ranges(self, die: Die) -> list[tuple[int, int]]:
        """The link-time PC ranges ``[low, high)`` of ``die``, from
        ``DW_AT_low_pc``/``DW_AT_high_pc`` or ``DW_AT_ranges``."""
        low = self.attr_address(die, AT_LOW_PC)
        if low is not None and AT_HIGH_PC in die.attrs:
            high = die.attrs[AT_HIGH_PC]
            assert isinstance(high, int)
            form = die.form(AT_HIGH_PC)
            if form in ADDRX_FORMS:
                high = self.address(die.unit, high)
            elif form != FORM_ADDR:  # a constant: the length
                high = low + high
            return [(low, high)] if high > low else []
        rng = die.attrs.get(AT_RANGES)
        if isinstance(rng, int):
            return self.range_list(die.unit, rng, die.form(AT_RANGES) or FORM_SEC_OFFSET)
        return []

    def _list_offset(self, unit: Unit, index: int, base_attr: int, section: str) -> int:
        """Offset of list ``index`` of a DWARF 5 ``rnglistx``/``loclistx``."""
        top = self.dies.top(unit)
        base = top.attrs.get(base_attr)
        if not isinstance(base, int):
            base = 12 if unit.offsize == 4 else 20  # just past the section header
        pos = base + index * unit.offsize
        buf = self.sections.prefix(section, pos + unit.offsize)
        if buf is None or len(buf) < pos + unit.offsize:
            buf = self.sections.need(section)
        return base + int.from_bytes(buf[pos:pos + unit.offsize], self.sections.endian)

    def range_list(self, unit: Unit, value: int, form: int) -> list[tuple[int, int]]:
        """The ranges of a ``DW_AT_ranges`` value of ``form`` in ``unit``."""
        if unit.version >= 5 and form == FORM_RNGLISTX:
            value = self._list_offset(unit, value, AT_RNGLISTS_BASE, "rnglists")
        try:
            return [(lo, hi) for lo, hi, _ in self._list_entries(unit, value, False) if hi > lo]
        except IndexError as exc:
            raise DwarfError(f"range list at {value:#x} runs past its section") from exc

    def location_list(self, unit: Unit, value: int, form: int) -> list[LocListEntry]:
        """The entries of the location list a ``DW_AT_location`` of ``form``
        (``sec_offset``, ``loclistx``, or a DWARF 3 ``data4``/``data8``)
        designates in ``unit``; addresses are link-time."""
        if unit.version >= 5 and form == FORM_LOCLISTX:
            value = self._list_offset(unit, value, AT_LOCLISTS_BASE, "loclists")
        try:
            return [LocListEntry(lo, hi, expr) for lo, hi, expr in
                    self._list_entries(unit, value, True)]
        except IndexError as exc:
            raise DwarfError(f"location list at {value:#x} runs past its section") from exc

    def location_at(self, die: Die, pc: int, attr: int = AT_LOCATION) -> bytes | None:
        """The location expression of ``die`` that applies at link-time
        ``pc``: the expression itself, or the matching location list entry;
        None when nothing describes it there (optimized out)."""
        v = die.attrs.get(attr)
        if isinstance(v, bytes):
            return v
        if not isinstance(v, int):
            return None
        form = die.form(attr) or FORM_SEC_OFFSET
        default: bytes | None = None
        for e in self.location_list(die.unit, v, form):
            if e.low == 0 and e.high == MAX_ADDR:
                default = e.expr
            elif e.low <= pc < e.high:
                return e.expr
        return default

    def _list_entries(self, unit: Unit, pos: int, locations: bool
                      ) -> list[tuple[int, int, bytes]]:
        """The (low, high, expression) entries of the range list
        (``locations`` False: expressions are empty) or location list at
        ``pos`` of its section: ``.debug_ranges``/``.debug_loc`` before
        DWARF 5, ``.debug_rnglists``/``.debug_loclists`` from it."""
        if unit.version < 5:
            name = "loc" if locations else "ranges"
        else:
            name = "loclists" if locations else "rnglists"
        buf = self.sections.prefix(name, pos + _LIST_WINDOW)
        if isinstance(buf, bytearray):  # the beginning of a compressed section
            cur = _Cursor(buf, pos, unit.addrsize, self.sections.endian)
            try:
                out = self._entries(cur, unit, locations)
                if cur.pos <= len(buf):
                    return out
            except IndexError:
                pass  # the list runs past what was decompressed: read it all
        cur = _Cursor(self.sections.need(name), pos, unit.addrsize, self.sections.endian)
        return self._entries(cur, unit, locations)

    def _entries(self, cur: _Cursor, unit: Unit, locations: bool
                 ) -> list[tuple[int, int, bytes]]:
        if unit.version < 5:
            return self._entries_v4(cur, self.unit_base(unit), locations)
        return self._entries_v5(cur, unit, locations)

    def _entries_v4(self, cur: _Cursor, base: int, locations: bool
                    ) -> list[tuple[int, int, bytes]]:
        out: list[tuple[int, int, bytes]] = []
        maxa = (1 << (8 * cur.size)) - 1
        while True:
            a, b = cur.addr(), cur.addr()
            if a == 0 and b == 0:
                return out
            if a == maxa:
                base = b
                continue
            expr = b""
            if locations:
                n = int.from_bytes(cur.buf[cur.pos:cur.pos + 2], cur.endian)
                cur.pos += 2
                expr = cur.block(n)
            out.append((base + a, base + b, expr))

    def _entries_v5(self, cur: _Cursor, unit: Unit, locations: bool
                    ) -> list[tuple[int, int, bytes]]:
        """Both kinds of DWARF 5 list share their entry kinds
        (DW_RLE_*/DW_LLE_*), except that location lists have
        ``default_location`` (5) and number the three after it one higher."""
        out: list[tuple[int, int, bytes]] = []
        base = self.unit_base(unit)
        buf = cur.buf
        while True:
            kind = buf[cur.pos]
            cur.pos += 1
            if locations and kind == 5:  # DW_LLE_default_location
                lo, hi = 0, MAX_ADDR
            else:
                if locations and kind > 5:
                    kind -= 1  # the DW_RLE_* number
                if kind == 0:  # end_of_list
                    return out
                if kind in (1, 5):  # base_addressx, base_address
                    base = self.address(unit, cur.leb()) if kind == 1 else cur.addr()
                    continue
                if kind == 2:  # startx_endx
                    lo = self.address(unit, cur.leb())
                    hi = self.address(unit, cur.leb())
                elif kind == 3:  # startx_length
                    lo = self.address(unit, cur.leb())
                    hi = lo + cur.leb()
                elif kind == 4:  # offset_pair
                    lo = base + cur.leb()
                    hi = base + cur.leb()
                elif kind == 6:  # start_end
                    lo, hi = cur.addr(), cur.addr()
                elif kind == 7:  # start_length
                    lo = cur.addr()
                    hi = lo + cur.leb()
                else:
                    what = "location" if locations else "range"
                    at = cur.pos - 1
                    raise DwarfError(f"unknown {what} list entry {buf[at]:#x} at {at:#x}")
            expr = cur.block(cur.leb()) if locations else b""
            out.append((lo, hi, expr))
