"""The project's DWARF reader: lazy, single DIEs on demand, DWARF 2 to 5.

Everything DWARF in dapcore goes through :class:`Dwarf`. It is built for
Go's way of writing DWARF and for the cost model of a debugger that opens a
core and shows one frame:

* **Nothing is walked up front.** Opening decompresses ``.debug_info`` and
  ``.debug_abbrev`` (``SHF_COMPRESSED`` as Go 1.19+ writes them, or the
  legacy ``.zdebug_*`` GNU format; both also when only some sections are
  compressed) and reads the unit headers. Other sections are decompressed on
  first use.
* **PC → compile unit** (:meth:`Dwarf.unit_for_pc`): an index built once
  from ``.debug_aranges`` for the units it covers (Go's linker never writes
  that section; gcc does, for the C units of cgo binaries) and, for every
  other unit, from the top DIE alone: ``DW_AT_low_pc``/``DW_AT_high_pc`` or
  ``DW_AT_ranges`` (``.debug_ranges`` in DWARF 4, ``.debug_rnglists`` in
  DWARF 5). ~6 ms for the 309 units of a 23 MB binary (opening it, mostly
  zlib, takes ~20 ms more).
* **PC → subprogram** (:meth:`Dwarf.subprogram_at`): the top-level children
  of that one unit, indexed by PC range the first time the unit is asked
  for. Go writes no ``DW_AT_sibling``, so skipping a function's subtree
  means scanning its DIEs; the scanner only measures attributes, it does not
  decode them (~4 ms for a ``main`` unit, ~20 ms for ``runtime``'s 400 KB).
* **Inlined calls** (:meth:`Dwarf.inline_chain`): the nested
  ``DW_TAG_inlined_subroutine`` DIEs holding a PC, with
  ``DW_AT_call_file`` resolved through the unit's line-table header
  (:meth:`Dwarf.file_names`, DWARF 2–4 and 5 formats).
* **Go writes every name inline** (``DW_FORM_string`` right after the
  abbreviation code), which makes a named type, constant or variable
  findable by a byte search of its unit (:meth:`Dwarf.find_by_bytes`),
  checked by decoding the DIE the hit belongs to. The walk of top-level
  children is kept as the fallback (:meth:`Dwarf.find_by_walking`).

Addresses in DWARF are link-time addresses; a PIE ran at ``address + bias``.
Attribute values come back as Python values by form class: ``str`` for
strings (resolved through ``.debug_str``, ``.debug_line_str`` and
``.debug_str_offsets``), ``bytes`` for blocks and expressions, ``int`` for
everything else — references made absolute (``.debug_info`` offsets), and
indexed forms (``DW_FORM_addrx*``, ``loclistx``, ``rnglistx``) left as
indexes: :meth:`Die.form` tells which, and :meth:`Dwarf.attr_address`,
:meth:`Dwarf.ranges` and :meth:`Dwarf.location_list` resolve them.
"""

from __future__ import annotations

import bisect
import struct as _struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from dapcore.elf.executable import Executable
from dapcore.errors import DapcoreError, NoDwarf, UnsupportedError

__all__ = [
    "Abbrev",
    "Die",
    "Dwarf",
    "DwarfError",
    "LocListEntry",
    "Unit",
    "debug_section",
    "sleb",
    "uleb",
    "uleb_bytes",
]

# ---------------------------------------------------------------------------
# Constants (DWARF 5 §7, Go's extensions from cmd/internal/dwarf)

TAG_ARRAY_TYPE = 0x01
TAG_FORMAL_PARAMETER = 0x05
TAG_LEXICAL_BLOCK = 0x0B
TAG_MEMBER = 0x0D
TAG_POINTER_TYPE = 0x0F
TAG_COMPILE_UNIT = 0x11
TAG_STRUCTURE_TYPE = 0x13
TAG_SUBROUTINE_TYPE = 0x15
TAG_TYPEDEF = 0x16
TAG_UNSPECIFIED_PARAMETERS = 0x18
TAG_INLINED_SUBROUTINE = 0x1D
TAG_SUBRANGE_TYPE = 0x21
TAG_BASE_TYPE = 0x24
TAG_CONSTANT = 0x27
TAG_SUBPROGRAM = 0x2E
TAG_VARIABLE = 0x34
TAG_UNSPECIFIED_TYPE = 0x3B
TAG_PARTIAL_UNIT = 0x3C
TAG_SKELETON_UNIT = 0x4A

AT_SIBLING = 0x01
AT_LOCATION = 0x02
AT_NAME = 0x03
AT_BYTE_SIZE = 0x0B
AT_STMT_LIST = 0x10
AT_LOW_PC = 0x11
AT_HIGH_PC = 0x12
AT_LANGUAGE = 0x13
AT_COMP_DIR = 0x1B
AT_CONST_VALUE = 0x1C
AT_INLINE = 0x20
AT_PRODUCER = 0x25
AT_UPPER_BOUND = 0x2F
AT_ABSTRACT_ORIGIN = 0x31
AT_COUNT = 0x37
AT_DATA_MEMBER_LOCATION = 0x38
AT_DECL_FILE = 0x3A
AT_DECL_LINE = 0x3B
AT_ENCODING = 0x3E
AT_EXTERNAL = 0x3F
AT_FRAME_BASE = 0x40
AT_SPECIFICATION = 0x47
AT_TYPE = 0x49
AT_VARIABLE_PARAMETER = 0x4B
AT_ENTRY_PC = 0x52
AT_RANGES = 0x55
AT_TRAMPOLINE = 0x56
AT_CALL_FILE = 0x58
AT_CALL_LINE = 0x59
AT_STR_OFFSETS_BASE = 0x72
AT_ADDR_BASE = 0x73
AT_RNGLISTS_BASE = 0x74
AT_LOCLISTS_BASE = 0x8C
AT_GNU_ADDR_BASE = 0x2133
AT_GNU_RANGES_BASE = 0x2132

# Go's extensions (cmd/internal/dwarf/dwarf.go)
AT_GO_KIND = 0x2900
AT_GO_KEY = 0x2901
AT_GO_ELEM = 0x2902
AT_GO_EMBEDDED_FIELD = 0x2903
AT_GO_RUNTIME_TYPE = 0x2904  # offset of the runtime type from moduledata.types
AT_GO_PACKAGE_NAME = 0x2905  # on compile units
AT_GO_DICT_INDEX = 0x2906  # on the ".paramN" typedefs of a generic function's shapes
AT_GO_CLOSURE_OFFSET = 0x2907  # on a closure's captured variables (Go 1.23+)

ATE_BOOLEAN = 0x02
ATE_COMPLEX_FLOAT = 0x03
ATE_FLOAT = 0x04
ATE_SIGNED = 0x05
ATE_SIGNED_CHAR = 0x06
ATE_UNSIGNED = 0x07
ATE_UNSIGNED_CHAR = 0x08
ATE_UTF = 0x10

FORM_ADDR = 0x01
FORM_DATA1, FORM_DATA2, FORM_DATA4, FORM_DATA8 = 0x0B, 0x05, 0x06, 0x07
FORM_UDATA = 0x0F
FORM_SDATA = 0x0D
FORM_SEC_OFFSET = 0x17
FORM_EXPRLOC = 0x18
FORM_LOCLISTX = 0x22
FORM_RNGLISTX = 0x23
ADDRX_FORMS = frozenset({0x1B, 0x29, 0x2A, 0x2B, 0x2C, 0x1F01})
_CONSTANT_FORMS = frozenset({0x05, 0x06, 0x07, 0x0B, 0x0D, 0x0F, 0x1E, 0x21})

_SHF_COMPRESSED = 0x800
_ELFCOMPRESS_ZLIB = 1
_MAX_ADDR = (1 << 64) - 1


class DwarfError(DapcoreError):
    """Bytes that do not decode as the DWARF we expected (damaged or unknown)."""


# ---------------------------------------------------------------------------
# LEB128


def uleb(buf: bytes, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 at ``pos``: (value, position after it)."""
    b = buf[pos]
    if b < 0x80:
        return b, pos + 1
    result, shift = b & 0x7F, 7
    pos += 1
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def sleb(buf: bytes, pos: int) -> tuple[int, int]:
    """A signed LEB128 at ``pos``: (value, position after it)."""
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            if b & 0x40:
                result -= 1 << shift
            return result, pos


def uleb_bytes(value: int) -> bytes:
    """The unsigned LEB128 encoding of ``value``."""
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


# ---------------------------------------------------------------------------
# Sections


def _inflate(exe: Executable, name: str, raw: bytes | memoryview) -> bytes:
    try:
        return zlib.decompress(raw)
    except zlib.error as exc:
        raise DwarfError(f"{exe.path.name}: .debug_{name} is damaged (it does not "
                         f"decompress: {exc})") from exc


def debug_section(exe: Executable, name: str) -> bytes | None:
    """The contents of ``.debug_<name>``, decompressed (SHF_COMPRESSED, as Go
    1.19+ writes it, or the older ``.zdebug_<name>`` GNU format), or None."""
    sec = exe.sections.get(f".debug_{name}")
    if sec is not None:
        raw = exe.section_bytes(sec.name)
        if raw is None:
            return None
        if not sec.flags & _SHF_COMPRESSED:
            return bytes(raw)
        order = "<" if exe.little_endian else ">"
        if exe.ptr_size == 8:
            ctype, _, size, _ = _struct.unpack_from(order + "IIQQ", raw, 0)
            hdr = 24
        else:
            ctype, size, _ = _struct.unpack_from(order + "III", raw, 0)
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


# ---------------------------------------------------------------------------
# The model


@dataclass(frozen=True, slots=True)
class Abbrev:
    code: int
    tag: int
    children: bool
    attrs: tuple[tuple[int, int, int], ...]  # (attribute, form, implicit const)


@dataclass(frozen=True, slots=True)
class Unit:
    offset: int  # of the unit header in .debug_info
    end: int
    version: int
    offsize: int  # 4 (32-bit DWARF) or 8
    addrsize: int
    abbrev_offset: int
    first_die: int
    unit_type: int = 1  # DW_UT_compile (DWARF 5 numbering; implied before 5)
    index: int = 0


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


@dataclass(frozen=True, slots=True)
class LocListEntry:
    """One entry of a location list: ``expr`` applies for link-time PCs in
    ``[low, high)`` (a default location covers everything)."""

    low: int
    high: int
    expr: bytes


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


@dataclass(frozen=True, slots=True)
class _Plan:
    abbrev: Abbrev
    specs: tuple[tuple[int, int, int, int], ...]
    skip: tuple[tuple[int, int], ...]  # (kind, size) with fixed runs merged
    fixed: int | None  # total size when every attribute has a fixed size


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
    if form in _REF_LOCAL:
        post = _P_REF
    elif form == 0x0E:
        post = _P_STRP
    elif form == 0x1F:
        post = _P_LINE_STRP
    elif form in _STRX_FORMS:
        post = _P_STRX
    else:
        post = _P_NONE
    return _K_FIXED, width, post


def _plan(ab: Abbrev, unit: Unit) -> _Plan:
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
    return _Plan(ab, tuple(specs), tuple(skip), fixed)


# ---------------------------------------------------------------------------
# The reader


class Dwarf:
    """Lazy DWARF access for one executable (see the module documentation)."""

    def __init__(self, exe: Executable) -> None:
        self.exe = exe
        info = debug_section(exe, "info")
        abbrev = debug_section(exe, "abbrev")
        if info is None or abbrev is None:
            raise NoDwarf(f"{exe.path.name} has no DWARF (.debug_info/.debug_abbrev)")
        self.info = info
        self.abbrev = abbrev
        self.order = "<" if exe.little_endian else ">"
        self._endian: str = "little" if exe.little_endian else "big"
        self._abbrevs: dict[int, dict[int, Abbrev]] = {}
        self._plans: dict[tuple[int, int, int, int], dict[int, _Plan]] = {}
        self._sections: dict[str, bytes | None] = {}
        self._str_bases: dict[int, int] = {}
        self._tops: dict[int, Die] = {}
        self._members: dict[int, dict[str, tuple[int, int]]] = {}
        self.types_unit: Unit | None = None  # where the first structure was found
        self._unit_names: list[str | None] | None = None
        self._walked: dict[tuple[int, str], dict[str, Die]] = {}
        self._cu_index: tuple[list[int], list[int], list[Unit]] | None = None
        self._subprograms: dict[int, tuple[list[int], list[int], list[int]]] = {}
        self._files: dict[int, list[str]] = {}
        self.units = self._read_units()
        self._unit_starts = [u.offset for u in self.units]

    # -- units and abbreviations ------------------------------------------------

    def _read_units(self) -> list[Unit]:
        info, o = self.info, self.order
        units: list[Unit] = []
        pos = 0
        while pos + 11 <= len(info):
            (length,) = _struct.unpack_from(o + "I", info, pos)
            offsize, hdr = 4, pos + 4
            if length == 0xFFFFFFFF:
                (length,) = _struct.unpack_from(o + "Q", info, hdr)
                offsize, hdr = 8, hdr + 8
            end = hdr + length
            (version,) = _struct.unpack_from(o + "H", info, hdr)
            p = hdr + 2
            offfmt = o + ("I" if offsize == 4 else "Q")
            unit_type = 1
            if version >= 5:
                unit_type, addrsize = info[p], info[p + 1]
                (abbrev_off,) = _struct.unpack_from(offfmt, info, p + 2)
                p += 2 + offsize
                if unit_type in (2, 6):  # type units: signature, type offset
                    p += 8 + offsize
                elif unit_type in (4, 5):  # skeleton/split: dwo id
                    p += 8
            elif version >= 2:
                (abbrev_off,) = _struct.unpack_from(offfmt, info, p)
                addrsize = info[p + offsize]
                p += offsize + 1
            else:
                raise UnsupportedError(
                    f"{self.exe.path.name}: DWARF version {version} unit at {pos:#x}")
            if end > len(info):
                raise UnsupportedError(
                    f"{self.exe.path.name}: DWARF unit at {pos:#x} runs past .debug_info")
            units.append(Unit(pos, end, version, offsize, addrsize, abbrev_off, p, unit_type,
                              len(units)))
            pos = end
        return units

    def unit_at(self, offset: int) -> Unit:
        """The unit holding ``.debug_info`` offset ``offset``."""
        i = bisect.bisect_right(self._unit_starts, offset) - 1
        if i < 0 or offset >= self.units[i].end:
            raise DwarfError(f"offset {offset:#x} is outside every unit")
        return self.units[i]

    def abbrevs(self, offset: int) -> dict[int, Abbrev]:
        """The abbreviation table at ``.debug_abbrev`` offset ``offset``."""
        table = self._abbrevs.get(offset)
        if table is not None:
            return table
        buf, pos, table = self.abbrev, offset, {}
        while True:
            code, pos = uleb(buf, pos)
            if code == 0:
                break
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
        self._abbrevs[offset] = table
        return table

    def _plans_for(self, unit: Unit) -> dict[int, _Plan]:
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

    # -- sections and strings -------------------------------------------------------

    def section(self, name: str) -> bytes | None:
        """``.debug_<name>`` decompressed, loaded on first use."""
        if name not in self._sections:
            self._sections[name] = debug_section(self.exe, name)
        return self._sections[name]

    def _need(self, name: str) -> bytes:
        buf = self.section(name)
        if buf is None:
            raise DwarfError(f"{self.exe.path.name} has no .debug_{name}")
        return buf

    def _cstr(self, section: str, offset: int) -> str:
        buf = self._need(section)
        end = buf.index(b"\0", offset)
        return buf[offset:end].decode("utf-8", "replace")

    def _strx(self, unit: Unit, index: int) -> str:
        base = self._str_bases.get(unit.offset)
        if base is None:
            top = self.die(unit.first_die, unit, resolve_strx=False)
            b = top.attrs.get(AT_STR_OFFSETS_BASE)
            base = b if isinstance(b, int) else 8
            self._str_bases[unit.offset] = base
        offs = self._need("str_offsets")
        fmt = self.order + ("I" if unit.offsize == 4 else "Q")
        (off,) = _struct.unpack_from(fmt, offs, base + index * unit.offsize)
        return self._cstr("str", off)

    # -- DIEs -----------------------------------------------------------------------

    def die(self, offset: int, unit: Unit | None = None, resolve_strx: bool = True) -> Die:
        """Decode the DIE at ``offset`` (a null entry comes back with tag 0).
        Strings come back as ``str``; indexed ones (``DW_FORM_strx*``) as
        their index when not ``resolve_strx``."""
        if unit is None:
            unit = self.unit_at(offset)
        buf, endian = self.info, self._endian
        try:
            code, pos = uleb(buf, offset)
            if code == 0:
                return Die(offset, 0, False, {}, pos, unit)
            plan = self._plans_for(unit).get(code)
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
                    value = buf[pos:end].decode("utf-8", "replace")
                    pos = end + 1
                    attrs[at] = value
                    continue
                elif kind == _K_ULEB:
                    value, pos = uleb(buf, pos)
                elif kind == _K_SLEB:
                    value, pos = sleb(buf, pos)
                elif kind == _K_BLOCKN:
                    n = int.from_bytes(buf[pos:pos + size], endian)
                    pos += size
                    value = buf[pos:pos + n]
                    pos += n
                    attrs[at] = value
                    continue
                elif kind == _K_BLOCK:
                    n, pos = uleb(buf, pos)
                    value = buf[pos:pos + n]
                    pos += n
                    attrs[at] = value
                    continue
                else:  # implicit const
                    value = size
                if post:
                    assert isinstance(value, int)
                    if post == _P_REF:
                        value += unit.offset
                    elif post == _P_STRP:
                        value = self._cstr("str", value)
                    elif post == _P_LINE_STRP:
                        value = self._cstr("line_str", value)
                    elif resolve_strx:
                        value = self._strx(unit, value)
                attrs[at] = value
            if pos > unit.end:
                raise DwarfError(f"DIE at {offset:#x} runs past its unit")
            ab = plan.abbrev
            return Die(offset, ab.tag, ab.children, attrs, pos, unit, ab)
        except (IndexError, ValueError, _struct.error) as exc:
            raise DwarfError(f"undecodable DIE at {offset:#x}: {exc}") from exc

    def _scan(self, pos: int, unit: Unit, plans: dict[int, _Plan]) -> tuple[_Plan | None, int]:
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
        return self._skip_children(die.end, die.unit)

    def _skip_children(self, pos: int, unit: Unit) -> int:
        plans = self._plans_for(unit)
        depth = 1
        try:
            while depth:
                plan, pos = self._scan(pos, unit, plans)
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

    # -- addresses, ranges --------------------------------------------------------

    def _addr_base(self, unit: Unit) -> int:
        top = self.top(unit)
        base = top.attrs.get(AT_ADDR_BASE, top.attrs.get(AT_GNU_ADDR_BASE))
        return base if isinstance(base, int) else 8

    def address(self, unit: Unit, index: int) -> int:
        """Entry ``index`` of the unit's ``.debug_addr`` table (DWARF 5)."""
        buf = self._need("addr")
        pos = self._addr_base(unit) + index * unit.addrsize
        if pos + unit.addrsize > len(buf):
            raise DwarfError(f"address index {index} is outside .debug_addr")
        return int.from_bytes(buf[pos:pos + unit.addrsize], self._endian)

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
        low = self.attr_address(self.top(unit), AT_LOW_PC)
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
        top = self.top(unit)
        base = top.attrs.get(base_attr)
        if not isinstance(base, int):
            base = 12 if unit.offsize == 4 else 20  # just past the section header
        buf = self._need(section)
        pos = base + index * unit.offsize
        return base + int.from_bytes(buf[pos:pos + unit.offsize], self._endian)

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

    def _list_entries(self, unit: Unit, pos: int, locations: bool
                      ) -> list[tuple[int, int, bytes]]:
        """The (low, high, expression) entries of the range list
        (``locations`` False: expressions are empty) or location list at
        ``pos`` of its section: ``.debug_ranges``/``.debug_loc`` before
        DWARF 5, ``.debug_rnglists``/``.debug_loclists`` from it. Both kinds
        of DWARF 5 list share their entry kinds (DW_RLE_*/DW_LLE_*), except
        that location lists have ``default_location`` (5) and number the
        three after it one higher."""
        base = self.unit_base(unit)
        out: list[tuple[int, int, bytes]] = []
        size, endian = unit.addrsize, self._endian

        def addr() -> int:
            nonlocal pos
            pos += size
            return int.from_bytes(buf[pos - size:pos], endian)

        def leb() -> int:
            nonlocal pos
            v, pos = uleb(buf, pos)
            return v

        if unit.version < 5:
            buf = self._need("loc" if locations else "ranges")
            maxa = (1 << (8 * size)) - 1
            while True:
                a, b = addr(), addr()
                if a == 0 and b == 0:
                    return out
                if a == maxa:
                    base = b
                    continue
                expr = b""
                if locations:
                    n = int.from_bytes(buf[pos:pos + 2], endian)
                    expr, pos = bytes(buf[pos + 2:pos + 2 + n]), pos + 2 + n
                out.append((base + a, base + b, expr))
        buf = self._need("loclists" if locations else "rnglists")
        while True:
            kind = buf[pos]
            pos += 1
            if locations and kind == 5:  # DW_LLE_default_location
                lo, hi = 0, _MAX_ADDR
            else:
                if locations and kind > 5:
                    kind -= 1  # the DW_RLE_* number
                if kind == 0:  # end_of_list
                    return out
                if kind in (1, 5):  # base_addressx, base_address
                    base = self.address(unit, leb()) if kind == 1 else addr()
                    continue
                if kind == 2:  # startx_endx
                    lo = self.address(unit, leb())
                    hi = self.address(unit, leb())
                elif kind == 3:  # startx_length
                    lo = self.address(unit, leb())
                    hi = lo + leb()
                elif kind == 4:  # offset_pair
                    lo = base + leb()
                    hi = base + leb()
                elif kind == 6:  # start_end
                    lo, hi = addr(), addr()
                elif kind == 7:  # start_length
                    lo = addr()
                    hi = lo + leb()
                else:
                    what = "location" if locations else "range"
                    raise DwarfError(f"unknown {what} list entry {buf[pos - 1]:#x} at {pos - 1:#x}")
            expr = b""
            if locations:
                n = leb()
                expr, pos = bytes(buf[pos:pos + n]), pos + n
            out.append((lo, hi, expr))

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
            if e.low == 0 and e.high == _MAX_ADDR:
                default = e.expr
            elif e.low <= pc < e.high:
                return e.expr
        return default

    # -- PC lookups -----------------------------------------------------------------

    def _aranges(self) -> dict[int, list[tuple[int, int]]]:
        """``.debug_aranges`` sets by unit offset (empty when absent)."""
        buf = self.section("aranges")
        out: dict[int, list[tuple[int, int]]] = {}
        if not buf:
            return out
        o, pos = self.order, 0
        try:
            while pos + 12 <= len(buf):
                (length,) = _struct.unpack_from(o + "I", buf, pos)
                offsize, hdr = 4, pos + 4
                if length == 0xFFFFFFFF:
                    (length,) = _struct.unpack_from(o + "Q", buf, hdr)
                    offsize, hdr = 8, hdr + 8
                end = hdr + length
                p = hdr + 2  # version
                info_off = int.from_bytes(buf[p:p + offsize], self._endian)
                p += offsize
                asize, ssize = buf[p], buf[p + 1]
                p += 2
                tup = 2 * asize + ssize
                p = pos + (p - pos + tup - 1) // tup * tup  # tuples are aligned to their size
                rs = out.setdefault(info_off, [])
                while p + tup <= end:
                    p += ssize
                    a = int.from_bytes(buf[p:p + asize], self._endian)
                    n = int.from_bytes(buf[p + asize:p + 2 * asize], self._endian)
                    p += 2 * asize
                    if a == 0 and n == 0:
                        break
                    if n:
                        rs.append((a, a + n))
                pos = end
        except IndexError:
            return {}
        return out

    def _build_cu_index(self) -> tuple[list[int], list[int], list[Unit]]:
        covered = self._aranges()
        spans: list[tuple[int, int, Unit]] = []
        for u in self.units:
            rs = covered.get(u.offset)
            if not rs:
                if u.unit_type not in (1, 3):  # compile and partial units only
                    continue
                try:
                    top = self.top(u)
                    rs = self.ranges(top) if top.tag in (TAG_COMPILE_UNIT,
                                                         TAG_PARTIAL_UNIT) else []
                except DwarfError:
                    rs = []
            spans.extend((lo, hi, u) for lo, hi in rs if hi > lo)
        spans.sort(key=lambda s: (s[0], s[1]))
        return [s[0] for s in spans], [s[1] for s in spans], [s[2] for s in spans]

    def unit_for_pc(self, pc: int) -> Unit | None:
        """The compile unit whose code holds link-time ``pc`` (the index is
        built on the first call)."""
        if self._cu_index is None:
            self._cu_index = self._build_cu_index()
        starts, ends, units = self._cu_index
        i = bisect.bisect_right(starts, pc) - 1
        while i >= 0 and starts[i] <= pc:
            if pc < ends[i]:
                return units[i]
            i -= 1
            if i >= 0 and ends[i] <= starts[i + 1]:
                break  # no overlap left to look through
        return None

    def _subprogram_table(self, unit: Unit) -> tuple[list[int], list[int], list[int]]:
        table = self._subprograms.get(unit.offset)
        if table is not None:
            return table
        spans: list[tuple[int, int, int]] = []
        top = self.top(unit)
        if top.children:
            plans = self._plans_for(unit)
            pos = top.end
            while pos < unit.end:
                start = pos
                plan, end = self._scan(pos, unit, plans)
                if plan is None:
                    break
                if plan.abbrev.tag == TAG_SUBPROGRAM:
                    d = self.die(start, unit)
                    spans.extend((lo, hi, start) for lo, hi in self.ranges(d))
                    pos = self.skip_subtree(d)
                elif plan.abbrev.children:
                    pos = self._skip_children(end, unit)
                else:
                    pos = end
        spans.sort()
        table = ([s[0] for s in spans], [s[1] for s in spans], [s[2] for s in spans])
        self._subprograms[unit.offset] = table
        return table

    def subprograms(self) -> Iterator[tuple[int, Die]]:
        """Every top-level ``DW_TAG_subprogram`` with code, once each, with
        its lowest link-time pc (scans every unit's top level)."""
        for unit in self.units:
            starts, _ends, offsets = self._subprogram_table(unit)
            seen: set[int] = set()
            for lo, off in zip(starts, offsets, strict=True):
                if off not in seen:
                    seen.add(off)
                    yield lo, self.die(off, unit)

    def subprogram_at(self, pc: int) -> Die | None:
        """The ``DW_TAG_subprogram`` DIE whose code holds link-time ``pc``:
        a top-level child of the unit :meth:`unit_for_pc` finds (only that
        unit's top level is scanned, once)."""
        unit = self.unit_for_pc(pc)
        if unit is None:
            return None
        starts, ends, offsets = self._subprogram_table(unit)
        i = bisect.bisect_right(starts, pc) - 1
        while i >= 0 and starts[i] <= pc:
            if pc < ends[i]:
                return self.die(offsets[i], unit)
            i -= 1
        return None

    def inline_chain(self, scope: Die, pc: int) -> list[Die]:
        """The ``DW_TAG_inlined_subroutine`` DIEs holding link-time ``pc``
        inside ``scope`` (a subprogram), outermost first: entry k is the call
        inlined at depth k + 1. Lexical blocks are looked through."""
        chain: list[Die] = []
        holder: Die | None = scope
        while holder is not None:
            holder = self._inlined_at(holder, pc)
            if holder is not None:
                chain.append(holder)
        return chain

    def _inlined_at(self, die: Die, pc: int) -> Die | None:
        for child in self.children(die):
            if child.tag == TAG_INLINED_SUBROUTINE:
                if any(lo <= pc < hi for lo, hi in self.ranges(child)):
                    return child
            elif child.tag == TAG_LEXICAL_BLOCK:
                if any(lo <= pc < hi for lo, hi in self.ranges(child)):
                    found = self._inlined_at(child, pc)
                    if found is not None:
                        return found
        return None

    # -- source files -------------------------------------------------------------

    def file_names(self, unit: Unit) -> list[str]:
        """The unit's line-table file names, indexed as ``DW_AT_decl_file``
        and ``DW_AT_call_file`` count (from 1 before DWARF 5, from 0 in 5;
        Go's DWARF 5 tables start with a dummy entry so that both count
        from 1)."""
        names = self._files.get(unit.offset)
        if names is None:
            stmt = self.top(unit).attrs.get(AT_STMT_LIST)
            try:
                names = self._line_files(stmt) if isinstance(stmt, int) else []
            except (IndexError, ValueError, _struct.error) as exc:
                raise DwarfError(f"undecodable line table at {stmt:#x}: {exc}") from exc
            self._files[unit.offset] = names
        return names

    def file_attr(self, die: Die, attr: int = AT_DECL_FILE) -> str | None:
        """A file attribute (``DW_AT_decl_file``, ``DW_AT_call_file``) as a
        path (through abstract origins)."""
        index = self.attr(die, attr)
        if not isinstance(index, int):
            return None
        names = self.file_names(die.unit)
        return names[index] if 0 <= index < len(names) and names[index] else None

    def _line_files(self, offset: int) -> list[str]:
        buf = self._need("line")
        o, endian = self.order, self._endian
        (length,) = _struct.unpack_from(o + "I", buf, offset)
        offsize, pos = 4, offset + 4
        if length == 0xFFFFFFFF:
            offsize, pos = 8, pos + 8
        (version,) = _struct.unpack_from(o + "H", buf, pos)
        pos += 2
        if version >= 5:
            pos += 2  # address_size, segment_selector_size
        pos += offsize  # header_length
        pos += 1 + (1 if version >= 4 else 0) + 3  # min_inst, max_ops, is_stmt, base, range
        opcode_base = buf[pos]
        pos += opcode_base  # opcode_base and standard_opcode_lengths
        if version < 5:
            dirs = [""]
            while buf[pos]:
                end = buf.index(b"\0", pos)
                dirs.append(buf[pos:end].decode("utf-8", "replace"))
                pos = end + 1
            pos += 1
            files = [""]  # file 0 does not exist before DWARF 5
            while buf[pos]:
                end = buf.index(b"\0", pos)
                name = buf[pos:end].decode("utf-8", "replace")
                d, pos = uleb(buf, end + 1)
                _, pos = uleb(buf, pos)  # mtime
                _, pos = uleb(buf, pos)  # length
                files.append(_join(dirs[d] if d < len(dirs) else "", name))
            return files

        def entries(pos: int) -> tuple[list[dict[int, object]], int]:
            nformats = buf[pos]
            pos += 1
            formats = []
            for _ in range(nformats):
                ct, pos = uleb(buf, pos)
                form, pos = uleb(buf, pos)
                formats.append((ct, form))
            count, pos = uleb(buf, pos)
            out = []
            for _ in range(count):
                e: dict[int, object] = {}
                for ct, form in formats:
                    if form == 0x08:
                        end = buf.index(b"\0", pos)
                        e[ct] = buf[pos:end].decode("utf-8", "replace")
                        pos = end + 1
                    elif form in (0x0E, 0x1F):  # strp, line_strp
                        off = int.from_bytes(buf[pos:pos + offsize], endian)
                        pos += offsize
                        e[ct] = self._cstr("str" if form == 0x0E else "line_str", off)
                    elif form in (0x0F, 0x1A):  # udata, strx
                        e[ct], pos = uleb(buf, pos)
                    elif form in (0x0B, 0x05, 0x06, 0x07, 0x1E):
                        n = {0x0B: 1, 0x05: 2, 0x06: 4, 0x07: 8, 0x1E: 16}[form]
                        e[ct] = int.from_bytes(buf[pos:pos + n], endian)
                        pos += n
                    elif form == 0x09:  # block
                        n, pos = uleb(buf, pos)
                        pos += n
                    else:
                        raise DwarfError(f"line table entry form {form:#x}")
                out.append(e)
            return out, pos

        dir_entries, pos = entries(pos)
        file_entries, pos = entries(pos)
        dirs5 = [str(e.get(1, "")) for e in dir_entries]
        files5 = []
        for e in file_entries:
            d = e.get(2, 0)
            assert isinstance(d, int)
            files5.append(_join(dirs5[d] if d < len(dirs5) else "", str(e.get(1, ""))))
        return files5

    # -- finding named DIEs --------------------------------------------------------------

    def _inline_name_codes(self, unit: Unit, tag: int) -> list[bytes]:
        """Encoded abbreviation codes of ``tag`` DIEs whose first attribute is
        an inline name (how Go writes every named DIE)."""
        return [
            uleb_bytes(code)
            for code, ab in self.abbrevs(unit.abbrev_offset).items()
            if ab.tag == tag and ab.attrs and ab.attrs[0][:2] == (AT_NAME, 0x08)
        ]

    def find_by_bytes(self, tag: int | Iterable[int], name: str,
                      accept: Callable[[Die], bool] | None = None,
                      within: Unit | None = None) -> Die | None:
        """The DIE of ``tag`` (or of any of several tags) named ``name``,
        found by searching for its inline name and checking that the hit
        decodes as such a DIE; only inside unit ``within`` if given."""
        tags = (tag,) if isinstance(tag, int) else tuple(tag)
        try:  # a name from the command line may hold undecodable bytes
            needle = name.encode("utf-8", "surrogateescape") + b"\0"
        except UnicodeEncodeError:
            return None  # a lone surrogate names nothing
        info = self.info
        lo, hi = (within.first_die, within.end) if within else (0, len(info))
        pos = info.find(needle, lo, hi)
        codes_by_table: dict[int, list[bytes]] = {}
        while pos >= 0:
            try:
                unit = self.unit_at(pos)
            except DwarfError:
                unit = None
            if unit is not None:
                codes = codes_by_table.get(unit.abbrev_offset)
                if codes is None:
                    codes = codes_by_table[unit.abbrev_offset] = [
                        c for t in tags for c in self._inline_name_codes(unit, t)]
                for enc in codes:
                    start = pos - len(enc)
                    if start >= unit.first_die and info[start:pos] == enc:
                        try:
                            die = self.die(start, unit)
                            if die.tag in tags and die.name == name and \
                                    self._is_real_die(die) and \
                                    not self._inside_longer_name(start, unit) and (
                                    accept is None or accept(die)):
                                return die
                        except DwarfError:
                            pass
            pos = info.find(needle, pos + 1, hi)
        return None

    _REF_FORMS = frozenset({0x10, *_REF_LOCAL})

    def _is_real_die(self, die: Die) -> bool:
        """Whether a DIE decoded at a byte-search hit is one, not the tail
        of some other DIE's string: a name like ``bool`` is also the end of
        ``func(unsafe.Pointer, unsafe.Pointer) bool``, and the byte before
        it (``' '``, 0x20) can be an abbreviation code whose first attribute
        is a name. Such a false DIE decodes, but its other attributes are
        whatever bytes follow the string. A real one's references point at
        DIEs of ``.debug_info`` and the entry after it (first child or next
        sibling) starts with a known abbreviation code or a null entry."""
        unit, info = die.unit, self.info
        if die.end > unit.end:
            return False
        plans = self._plans_for(unit)
        if die.end < unit.end:
            code, _ = uleb(info, die.end)
            if code and code not in plans:
                return False
        elif die.children:
            return False
        if die.abbrev is None:
            return True
        for at, form, _ in die.abbrev.attrs:
            if form not in self._REF_FORMS:
                continue
            ref = die.attrs.get(at)
            if not isinstance(ref, int) or not 0 <= ref < len(info):
                return False
            try:
                target = self.unit_at(ref)
            except DwarfError:
                return False
            if ref < target.first_die:
                return False
            code, _ = uleb(info, ref)
            if not code or code not in self._plans_for(target):
                return False
        return True

    def _inside_longer_name(self, start: int, unit: Unit) -> bool:
        """Whether the DIE decoded at ``start`` is the tail of the inline name
        of a DIE that starts before it: a named DIE whose name runs through
        ``start`` to the same NUL (and that looks real) starts after the last
        zero byte before ``start``, since neither its code nor its name holds
        one. That DIE is the real one; its tail, even decoded with the same
        abbreviation and the same attributes, is not. The longer name must be
        printable text: it holds this DIE's abbreviation code as a character,
        and a DIE right after another (constants: ``_Grunning = 2`` then
        ``_Gsyscall``) must not be mistaken for the tail of a name made of
        the previous DIE's last bytes and its own control-character code."""
        info = self.info
        zero = info.rfind(b"\0", unit.first_die, start)
        plans = self._plans_for(unit)
        for c in range(max(zero + 1, unit.first_die), start):
            plan = plans.get(info[c])
            if plan is None or info[c] & 0x80 or not plan.abbrev.attrs \
                    or plan.abbrev.attrs[0][:2] != (AT_NAME, 0x08):
                continue
            try:
                outer = self.die(c, unit)
            except DwarfError:
                continue
            name = outer.name
            if outer.end > start and isinstance(name, str) and name.isprintable() and \
                    c + 1 + len(name.encode()) > start and self._is_real_die(outer):
                return True
        return False

    def has_inline_names(self, tag: int) -> bool:
        """Whether some unit's abbreviations write ``tag`` DIEs Go's way."""
        seen: set[int] = set()
        for u in self.units:
            if u.abbrev_offset not in seen:
                seen.add(u.abbrev_offset)
                if self._inline_name_codes(u, tag):
                    return True
        return False

    def find_by_walking(self, tag: int, names: Iterable[str]) -> dict[str, Die]:
        """The slow way: the top-level children of the units of the names'
        packages (and of ``runtime``, which holds every type), indexed once
        per tag and package."""
        names = list(names)
        pkgs = {"runtime"} | {n.rsplit(".", 1)[0] for n in names}
        found: dict[str, Die] = {}
        for pkg in sorted(pkgs):
            index = self._walked.get((tag, pkg))
            if index is None:
                index = self._walked[(tag, pkg)] = {}
                for u, unit_name in zip(self.units, self.unit_names(walking=True), strict=True):
                    if unit_name != pkg:
                        continue
                    for child in self.children(self.die(u.first_die, u)):
                        if child.tag == tag and child.name and child.name not in index:
                            if tag != TAG_STRUCTURE_TYPE or self.is_struct(child):
                                index[child.name] = child
            for n in names:
                if n in index and n not in found:
                    found[n] = index[n]
        return found

    def type_size(self, offset: int) -> tuple[int, Die]:
        """Byte size of the type at ``offset`` (following typedefs)."""
        for _ in range(16):
            d = self.die(offset)
            size = d.attrs.get(AT_BYTE_SIZE)
            if isinstance(size, int):
                return size, d
            if d.tag == TAG_POINTER_TYPE:
                return d.unit.addrsize, d
            nxt = d.attrs.get(AT_TYPE)
            if d.tag != TAG_TYPEDEF or not isinstance(nxt, int):
                raise UnsupportedError(
                    f"{self.exe.path.name}: DWARF type {d.name!r} at {offset:#x} has no size")
            offset = nxt
        raise UnsupportedError(f"{self.exe.path.name}: typedef loop at {offset:#x}")

    def resolve(self, offset: int) -> Die:
        """The type at ``offset`` with typedefs followed."""
        for _ in range(16):
            d = self.die(offset)
            nxt = d.attrs.get(AT_TYPE)
            if d.tag != TAG_TYPEDEF or not isinstance(nxt, int):
                return d
            offset = nxt
        raise UnsupportedError(f"{self.exe.path.name}: typedef loop at {offset:#x}")

    def members(self, die: Die) -> dict[str, tuple[int, int]]:
        """``name -> (offset, type DIE offset)`` of a structure's members."""
        out = self._members.get(die.offset)
        if out is not None:
            return out
        out = self._members[die.offset] = {}
        for m in self.children(die):
            if m.tag != TAG_MEMBER:
                continue
            loc = member_offset(m)
            typ = m.attrs.get(AT_TYPE)
            if loc is None:
                raise UnsupportedError(
                    f"{self.exe.path.name}: member {m.name!r} at {m.offset:#x} has a "
                    "computed location")
            if m.name is None or not isinstance(typ, int):
                continue
            out[m.name] = (loc, typ)
        return out

    def is_struct(self, die: Die) -> bool:
        """A well-formed structure DIE: a struct kind (if Go says), a size, and
        children that all decode as members."""
        kind = die.attrs.get(AT_GO_KIND)
        if kind is not None and kind not in (25, 23, 24):  # struct, slice, string
            return False
        if not isinstance(die.attrs.get(AT_BYTE_SIZE), int) or not die.children:
            return False
        try:
            return all(c.tag == TAG_MEMBER for c in self.children(die))
        except DwarfError:
            return False

    def unit_names(self, walking: bool = False) -> list[str | None]:
        """The name of each Go unit (Go names a unit after its package and
        writes it inline; other units, e.g. C ones, get None unless
        ``walking``, where every unit's name is decoded)."""
        if walking:
            names: list[str | None] = []
            for u in self.units:
                try:
                    names.append(self.top(u).name)
                except DwarfError:
                    names.append(None)
            return names
        if self._unit_names is None:
            names = []
            for u in self.units:
                try:
                    code, _ = uleb(self.info, u.first_die)
                    ab = self.abbrevs(u.abbrev_offset).get(code)
                    inline = ab is not None and ab.attrs[:1] == ((AT_NAME, 0x08, 0),)
                    names.append(self.top(u).name if inline else None)
                except (DwarfError, IndexError):
                    names.append(None)
            self._unit_names = names
        return self._unit_names

    def find(self, tag: int, names: Iterable[str]) -> dict[str, Die]:
        """Package-level DIEs of ``tag`` by qualified name (``runtime._Gdead``;
        absent names are left out), searched in the units of their package."""
        names = list(names)
        if not self.has_inline_names(tag):
            return self.find_by_walking(tag, names)
        by_pkg: dict[str, list[Unit]] = {}
        for u, n in zip(self.units, self.unit_names(), strict=True):
            if n:
                by_pkg.setdefault(n, []).append(u)
        found: dict[str, Die] = {}
        for n in names:
            pkg = n.rsplit(".", 1)[0]
            for u in by_pkg.get(pkg, ()):
                die = self.find_by_bytes(tag, n, within=u)
                if die is not None:
                    found[n] = die
                    break
        return found

    def find_struct(self, name: str, everywhere: bool = False) -> Die | None:
        """A structure type by name. Go's linker writes all type DIEs into one
        unit: once a structure is found there, later searches stay in it
        (unless ``everywhere``)."""
        if not self.has_inline_names(TAG_STRUCTURE_TYPE):
            return self.find_by_walking(TAG_STRUCTURE_TYPE, [name]).get(name)
        within = None if everywhere else self.types_unit
        die = self.find_by_bytes(TAG_STRUCTURE_TYPE, name, self.is_struct, within)
        if die is not None and self.types_unit is None:
            self.types_unit = die.unit
        return die


def _join(directory: str, name: str) -> str:
    if not directory or directory == "." or name.startswith("/"):
        return name
    return f"{directory.rstrip('/')}/{name}"


def member_offset(m: Die) -> int | None:
    """A member's ``DW_AT_data_member_location`` as a byte offset (None when
    it is a computed location other than DWARF 2's ``DW_OP_plus_uconst N``)."""
    loc = m.attrs.get(AT_DATA_MEMBER_LOCATION, 0)
    if isinstance(loc, bytes):
        if not loc or loc[0] != 0x23:
            return None
        loc, _ = uleb(loc, 1)
    return loc if isinstance(loc, int) else None
