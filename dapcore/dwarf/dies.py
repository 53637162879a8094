"""Units, abbreviations and DIEs of ``.debug_info``: decoded one at a time.

:class:`DieReader` finds the unit headers as far as they are asked for
(:mod:`~dapcore.dwarf.units`: a compressed section is decompressed only
that far) and walks nothing up front; a DIE is decoded when asked for
(:meth:`DieReader.die`). Each abbreviation gets a decoding plan once per
unit shape (address and offset sizes, version), so that decoding a DIE is
a loop over prepared (attribute, kind, size) triples and skipping one
(:meth:`DieReader.skip_subtree`: Go writes no ``DW_AT_sibling``)
measures its attributes without decoding them.

Attribute values come back as Python values by form class: ``str`` for
strings (resolved through ``.debug_str``, ``.debug_line_str`` and
``.debug_str_offsets``), ``bytes`` for blocks and expressions, ``int`` for
everything else — references made absolute (``.debug_info`` offsets), and
indexed forms (``DW_FORM_addrx*``, ``loclistx``, ``rnglistx``) left as
indexes: :meth:`Die.form` tells which.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from dapcore.dwarf.constants import (
    AT_ABSTRACT_ORIGIN,
    AT_NAME,
    AT_SIBLING,
    AT_SPECIFICATION,
    AT_STR_OFFSETS_BASE,
)
from dapcore.dwarf.leb128 import sleb, uleb
from dapcore.dwarf.sections import DamagedSection, DwarfError, Inflating, Sections
from dapcore.dwarf.units import Unit, UnitDirectory, read_units

__all__ = ["Abbrev", "Die", "DieReader", "Plan", "Unit", "read_units"]


class Abbrev(NamedTuple):
    code: int
    tag: int
    children: bool
    attrs: tuple[tuple[int, int, int], ...]  # (attribute, form, implicit const)


@dataclass(slots=True)
class Die:
    """One decoded DIE. ``end`` is just past its attributes: its first
    child, or its next sibling when it has no children."""

    offset: int
    tag: int
    children: bool
    attrs: dict[int, object]
    end: int
    unit: Unit = field(repr=False)
    abbrev: Abbrev | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str | None:
        v = self.attrs.get(AT_NAME)
        return v if isinstance(v, str) else None

    def form(self, attr: int) -> int | None:
        """The form ``attr`` was written with (None when absent)."""
        if self.abbrev is None or attr not in self.attrs:
            return None
        for at, form, _ in self.abbrev.attrs:
            if at == attr:
                return form
        return None

    def int_attr(self, attr: int) -> int | None:
        v = self.attrs.get(attr)
        return v if isinstance(v, int) else None


# Attribute decoding plans: per abbreviation, per unit "shape" (address and
# offset sizes, version), each attribute becomes (attribute, kind, size, post).
_K_FIXED, _K_ULEB, _K_SLEB, _K_STRING, _K_BLOCKN, _K_BLOCK, _K_IMPLICIT, _K_INDIRECT = range(8)
_P_NONE, _P_REF, _P_STRP, _P_LINE_STRP, _P_STRX = range(5)

_FORM_SIZES: dict[int, int | str] = {
    0x01: "addr", 0x05: 2, 0x06: 4, 0x07: 8, 0x0B: 1, 0x0C: 1, 0x0E: "off",
    0x10: "ref_addr", 0x11: 1, 0x12: 2, 0x13: 4, 0x14: 8, 0x17: "off", 0x19: 0,
    0x1C: 4, 0x1D: "off", 0x1E: 16, 0x1F: "off", 0x20: 8, 0x24: 8,
    0x25: 1, 0x26: 2, 0x27: 3, 0x28: 4, 0x29: 1, 0x2A: 2, 0x2B: 3, 0x2C: 4,
    0x1F20: "off", 0x1F21: "off",
}
_ULEB_FORMS = frozenset({0x0F, 0x15, 0x1A, 0x1B, 0x22, 0x23, 0x1F01, 0x1F02})
_BLOCKN_FORMS = {0x0A: 1, 0x03: 2, 0x04: 4}
_REF_LOCAL = frozenset({0x11, 0x12, 0x13, 0x14, 0x15})
_STRX_FORMS = frozenset({0x1A, 0x25, 0x26, 0x27, 0x28, 0x1F02})
REF_FORMS = frozenset({0x10, *_REF_LOCAL})


class Plan(NamedTuple):
    """How to decode (``specs``) and skip (``skip``) the DIEs of one
    abbreviation in units of one shape."""

    abbrev: Abbrev
    specs: tuple[tuple[int, int, int, int], ...]
    skip: tuple[tuple[int, int], ...]  # (kind, size) with fixed runs merged
    fixed: int | None  # total size when every attribute has a fixed size


def _post(form: int) -> int:
    """What to do with a fixed-size form's value once read."""
    if form in _REF_LOCAL:
        return _P_REF
    if form == 0x0E:
        return _P_STRP
    if form == 0x1F:
        return _P_LINE_STRP
    if form in _STRX_FORMS:
        return _P_STRX
    return _P_NONE


def _spec(form: int, implicit: int, unit: Unit) -> tuple[int, int, int]:
    """(kind, size or implicit value, post-processing) of one form."""
    if form == 0x08:
        return _K_STRING, 0, _P_NONE
    if form == 0x16:
        return _K_INDIRECT, 0, _P_NONE
    if form == 0x21:
        return _K_IMPLICIT, implicit, _P_NONE
    if form in _ULEB_FORMS:
        post = _P_REF if form == 0x15 else _P_STRX if form in _STRX_FORMS else _P_NONE
        return _K_ULEB, 0, post
    if form == 0x0D:
        return _K_SLEB, 0, _P_NONE
    if form in _BLOCKN_FORMS:
        return _K_BLOCKN, _BLOCKN_FORMS[form], _P_NONE
    if form in (0x09, 0x18):
        return _K_BLOCK, 0, _P_NONE
    width = _FORM_SIZES.get(form)
    if width is None:
        raise DwarfError(f"unknown DWARF form {form:#x}")
    if width == "addr":
        width = unit.addrsize
    elif width == "off":
        width = unit.offsize
    elif width == "ref_addr":
        width = unit.addrsize if unit.version == 2 else unit.offsize
    assert isinstance(width, int)
    return _K_FIXED, width, _post(form)


def _plan(ab: Abbrev, unit: Unit) -> Plan:
    specs: list[tuple[int, int, int, int]] = []
    skip: list[tuple[int, int]] = []
    for at, form, implicit in ab.attrs:
        kind, size, post = _spec(form, implicit, unit)
        specs.append((at, kind, size, post))
        if kind == _K_IMPLICIT:
            continue
        if kind == _K_FIXED and skip and skip[-1][0] == _K_FIXED:
            skip[-1] = (_K_FIXED, skip[-1][1] + size)
        else:
            skip.append((kind, size))
    fixed: int | None = None
    if not skip:
        fixed = 0
    elif len(skip) == 1 and skip[0][0] == _K_FIXED:
        fixed = skip[0][1]
    return Plan(ab, tuple(specs), tuple(skip), fixed)


def read_abbrevs(buf: bytes, pos: int) -> dict[int, Abbrev]:
    """The abbreviation table at offset ``pos`` of ``.debug_abbrev``."""
    table: dict[int, Abbrev] = {}
    while True:
        code, pos = uleb(buf, pos)
        if code == 0:
            return table
        tag, pos = uleb(buf, pos)
        children = buf[pos] != 0
        pos += 1
        attrs: list[tuple[int, int, int]] = []
        while True:
            at, pos = uleb(buf, pos)
            form, pos = uleb(buf, pos)
            implicit = 0
            if form == 0x21:
                implicit, pos = sleb(buf, pos)
            if at == 0 and form == 0:
                break
            attrs.append((at, form, implicit))
        table[code] = Abbrev(code, tag, children, tuple(attrs))


class DieReader:
    """The units of ``.debug_info`` and their DIEs, decoded on demand."""

    def __init__(self, sections: Sections, info: bytes | Inflating, abbrev: bytes) -> None:
        self.sections = sections
        self.directory = UnitDirectory(sections, info)
        # .debug_info as far as it is out (whole once every unit was asked
        # for; before, a bytearray growing in place): every byte of the units
        # handed out is there. A plain attribute (read for every DIE), set
        # again when the directory has the whole.
        self.info: bytes | bytearray = self.directory.data
        self.directory.on_whole = self._whole
        self._damage: DamagedSection | None = None  # then no DIE is decoded
        self.directory.on_damage = self._damaged
        self.abbrev = abbrev
        self._endian = sections.endian
        self._abbrevs: dict[int, dict[int, Abbrev]] = {}
        self._plans: dict[tuple[int, int, int, int], dict[int, Plan]] = {}
        self._str_bases: dict[int, int] = {}
        self._tops: dict[int, Die] = {}

    # -- units and abbreviations ------------------------------------------------

    def _whole(self, data: bytes | bytearray) -> None:
        self.info = data

    def _damaged(self, exc: DamagedSection) -> None:
        self._damage = exc

    @property
    def units(self) -> list[Unit]:
        """Every unit, in section order (the whole section decompressed:
        :meth:`iter_units` and :meth:`unit_at` go only as far as needed)."""
        return self.directory.all()

    def iter_units(self) -> Iterator[Unit]:
        """The units in section order, each found when reached."""
        i = 0
        while (u := self.directory.nth(i)) is not None:
            yield u
            i += 1

    def unit_at(self, offset: int) -> Unit:
        """The unit holding ``.debug_info`` offset ``offset``."""
        return self.directory.unit_at(offset)

    def abbrevs(self, offset: int) -> dict[int, Abbrev]:
        """The abbreviation table at ``.debug_abbrev`` offset ``offset``."""
        table = self._abbrevs.get(offset)
        if table is None:
            table = self._abbrevs[offset] = read_abbrevs(self.abbrev, offset)
        return table

    def plans_for(self, unit: Unit) -> dict[int, Plan]:
        """The decoding plans of ``unit``'s abbreviations, by code."""
        key = (unit.abbrev_offset, unit.addrsize, unit.offsize, unit.version)
        plans = self._plans.get(key)
        if plans is None:
            plans = self._plans[key] = {
                code: _plan(ab, unit) for code, ab in self.abbrevs(unit.abbrev_offset).items()
            }
        return plans

    def top(self, unit: Unit) -> Die:
        """The unit's own DIE (``DW_TAG_compile_unit``), cached."""
        d = self._tops.get(unit.offset)
        if d is None:
            d = self._tops[unit.offset] = self.die(unit.first_die, unit)
        return d

    def _strx(self, unit: Unit, index: int) -> str:
        base = self._str_bases.get(unit.offset)
        if base is None:
            top = self.die(unit.first_die, unit, resolve_strx=False)
            b = top.attrs.get(AT_STR_OFFSETS_BASE)
            base = b if isinstance(b, int) else 8
            self._str_bases[unit.offset] = base
        offs = self.sections.need("str_offsets")
        fmt = self.sections.order + ("I" if unit.offsize == 4 else "Q")
        (off,) = struct.unpack_from(fmt, offs, base + index * unit.offsize)
        return self.sections.cstr("str", off)

    # -- DIEs -----------------------------------------------------------------------

    def die(self, offset: int, unit: Unit | None = None, resolve_strx: bool = True) -> Die:
        """Decode the DIE at ``offset`` (a null entry comes back with tag 0).
        Strings come back as ``str``; indexed ones (``DW_FORM_strx*``) as
        their index when not ``resolve_strx``."""
        if self._damage is not None:
            raise self._damage
        if unit is None:
            unit = self.unit_at(offset)
        buf, endian = self.info, self._endian
        try:
            code, pos = uleb(buf, offset)
            if code == 0:
                return Die(offset, 0, False, {}, pos, unit)
            plan = self.plans_for(unit).get(code)
            if plan is None:
                raise DwarfError(f"unknown abbreviation {code} at {offset:#x}")
            attrs: dict[int, object] = {}
            for at, kind, size, post in plan.specs:
                if kind == _K_INDIRECT:
                    form, pos = uleb(buf, pos)
                    kind, size, post = _spec(form, 0, unit)
                value: object
                if kind == _K_FIXED:
                    value = int.from_bytes(buf[pos:pos + size], endian)
                    pos += size
                elif kind == _K_STRING:
                    end = buf.index(b"\0", pos)
                    attrs[at] = buf[pos:end].decode("utf-8", "replace")
                    pos = end + 1
                    continue
                elif kind == _K_ULEB:
                    value, pos = uleb(buf, pos)
                elif kind == _K_SLEB:
                    value, pos = sleb(buf, pos)
                elif kind == _K_BLOCKN or kind == _K_BLOCK:
                    if kind == _K_BLOCKN:
                        n = int.from_bytes(buf[pos:pos + size], endian)
                        pos += size
                    else:
                        n, pos = uleb(buf, pos)
                    attrs[at] = bytes(buf[pos:pos + n])
                    pos += n
                    continue
                else:  # implicit const
                    value = size
                if post == _P_REF:
                    assert isinstance(value, int)
                    value += unit.offset
                elif post:
                    value = self._post(unit, value, post, resolve_strx)
                attrs[at] = value
            if pos > unit.end:
                raise DwarfError(f"DIE at {offset:#x} runs past its unit")
            ab = plan.abbrev
            return Die(offset, ab.tag, ab.children, attrs, pos, unit, ab)
        except (IndexError, ValueError, struct.error) as exc:
            raise DwarfError(f"undecodable DIE at {offset:#x}: {exc}") from exc

    def _post(self, unit: Unit, value: object, post: int, resolve_strx: bool) -> object:
        """A string offset or index resolved."""
        assert isinstance(value, int)
        if post == _P_STRP:
            return self.sections.cstr("str", value)
        if post == _P_LINE_STRP:
            return self.sections.cstr("line_str", value)
        return self._strx(unit, value) if resolve_strx else value

    def scan(self, pos: int, unit: Unit, plans: dict[int, Plan]) -> tuple[Plan | None, int]:
        """The plan of the DIE at ``pos`` (None: a null entry) and the
        position just past its attributes, without decoding them."""
        buf, start = self.info, pos
        code, pos = uleb(buf, pos)
        if code == 0:
            return None, pos
        plan = plans.get(code)
        if plan is None:
            raise DwarfError(f"unknown abbreviation {code} at {pos:#x}")
        if plan.fixed is not None:
            return plan, pos + plan.fixed
        for kind, size in plan.skip:
            if kind == _K_FIXED:
                pos += size
            elif kind == _K_ULEB or kind == _K_SLEB:
                while buf[pos] & 0x80:
                    pos += 1
                pos += 1
            elif kind == _K_STRING:
                pos = buf.index(b"\0", pos) + 1
            elif kind == _K_BLOCK:
                n, pos = uleb(buf, pos)
                pos += n
            elif kind == _K_BLOCKN:
                pos += size + int.from_bytes(buf[pos:pos + size], self._endian)
            else:  # indirect: rare, decode the whole DIE
                return plan, self.die(start, unit).end
        return plan, pos

    def children(self, die: Die) -> Iterator[Die]:
        """The direct children of ``die`` (scanning, not decoding, grandchildren)."""
        if not die.children:
            return
        pos = die.end
        while True:
            child = self.die(pos, die.unit)
            if child.tag == 0:
                return
            yield child
            pos = self.skip_subtree(child)

    def skip_subtree(self, die: Die) -> int:
        """Offset just past ``die`` and all its descendants."""
        sib = die.attrs.get(AT_SIBLING)
        if isinstance(sib, int) and sib > die.offset:
            return sib
        if not die.children:
            return die.end
        return self.skip_children(die.end, die.unit)

    def skip_children(self, pos: int, unit: Unit) -> int:
        """Offset just past the children starting at ``pos`` and their null
        entry (scanned, not decoded)."""
        if self._damage is not None:
            raise self._damage
        plans = self.plans_for(unit)
        depth = 1
        try:
            while depth:
                plan, pos = self.scan(pos, unit, plans)
                if plan is None:
                    depth -= 1
                elif plan.abbrev.children:
                    depth += 1
        except (IndexError, ValueError) as exc:
            raise DwarfError(f"undecodable DIE near {pos:#x}: {exc}") from exc
        return pos

    def origin(self, die: Die) -> Die | None:
        """The DIE ``die`` completes (``DW_AT_abstract_origin`` or
        ``DW_AT_specification``), if any."""
        ref = die.attrs.get(AT_ABSTRACT_ORIGIN, die.attrs.get(AT_SPECIFICATION))
        return self.die(ref) if isinstance(ref, int) else None

    def attr(self, die: Die, attr: int) -> object | None:
        """``attr`` of ``die``, or of the DIEs it completes (abstract origins,
        specifications: where Go puts names, types and declaration lines of
        inlined and concrete functions and their variables)."""
        for _ in range(8):
            v = die.attrs.get(attr)
            if v is not None:
                return v
            nxt = self.origin(die)
            if nxt is None:
                return None
            die = nxt
        return None
