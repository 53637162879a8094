"""Go types from DWARF, with Go's extensions.

Go's linker writes one DIE per Go type into a single "types" unit
(``cmd/link/internal/ld/dwarf.go``, ``newtype``), with the reflect kind
(``DW_AT_go_kind``), the runtime type descriptor (``DW_AT_go_runtime_type``,
an offset from ``moduledata.types``) and, for maps, channels and slices, the
key and element types (``DW_AT_go_key``, ``DW_AT_go_elem``). How each kind
is written:

==============  =============================================================
kind            DIE
==============  =============================================================
bool … complex  ``DW_TAG_base_type`` (named types too: ``main.ValCelsius``)
string          ``DW_TAG_structure_type`` ``string`` {str, len}
slice           ``DW_TAG_structure_type`` ``[]T`` {array, len, cap}, go_elem
array           ``DW_TAG_array_type`` ``[N]T``, a subrange with DW_AT_count
ptr             ``DW_TAG_pointer_type`` ``*T``
unsafe.Pointer  ``DW_TAG_pointer_type`` without a target type
struct          ``DW_TAG_structure_type``, members (go_embedded_field)
map             ``DW_TAG_typedef`` ``map[K]V`` → pointer to the runtime's
                map header: ``hash<K,V>`` (classic, up to Go 1.23) or
                ``map<K,V>`` (Swiss tables, Go 1.24+); go_key, go_elem
chan            ``DW_TAG_typedef`` ``chan T`` → pointer to ``hchan<T>``
interface       ``DW_TAG_typedef`` ``error`` → ``runtime.iface`` (methods) or
                ``runtime.eface`` (empty interface)
func            ``DW_TAG_subroutine_type`` (a pointer to a ``funcval``)
==============  =============================================================

Named types other than base types get a ``DW_TAG_typedef`` of the same name
in front of the definition (variables and members point at the typedef);
such typedefs are followed. In a generic function, a variable whose type
involves a type parameter points at a ``.paramN`` typedef (a child of the
function's subprogram DIE) with ``DW_AT_go_dict_index`` N, whose target is
the *shape* type (``go.shape.int``): the real type is entry N of the
function's ``.dict`` parameter (a runtime type address).

Types are built lazily, one DIE at a time, and cached by DIE offset;
fields, element and key types are resolved when first asked for.
:meth:`GoTypes.by_runtime_type` maps a runtime type descriptor (the dynamic
type of an interface, a dictionary entry) back to its DWARF type: by name
with a byte search of the types unit when the runtime type's name is known
(~1 ms), else through an index of every ``DW_AT_go_runtime_type`` in the
types unit, built once on demand (:meth:`GoTypes.runtime_type_index`, a scan
of the types unit's top level only: ~30 ms for a 23 MB binary, ~6 ms for 4 MB).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from dapcore.dwarf.constants import (
    AT_BYTE_SIZE,
    AT_COUNT,
    AT_ENCODING,
    AT_GO_DICT_INDEX,
    AT_GO_ELEM,
    AT_GO_EMBEDDED_FIELD,
    AT_GO_KEY,
    AT_GO_KIND,
    AT_GO_RUNTIME_TYPE,
    AT_TYPE,
    AT_UPPER_BOUND,
    AT_VARIABLE_PARAMETER,
    ATE_BOOLEAN,
    ATE_COMPLEX_FLOAT,
    ATE_FLOAT,
    ATE_SIGNED,
    ATE_SIGNED_CHAR,
    ATE_UNSIGNED,
    ATE_UNSIGNED_CHAR,
    ATE_UTF,
    TAG_ARRAY_TYPE,
    TAG_BASE_TYPE,
    TAG_FORMAL_PARAMETER,
    TAG_MEMBER,
    TAG_POINTER_TYPE,
    TAG_STRUCTURE_TYPE,
    TAG_SUBRANGE_TYPE,
    TAG_SUBROUTINE_TYPE,
    TAG_TYPEDEF,
    TAG_UNSPECIFIED_PARAMETERS,
)
from dapcore.dwarf.dies import Die, Unit
from dapcore.dwarf.reader import Dwarf
from dapcore.dwarf.sections import DwarfError
from dapcore.dwarf.types import member_offset

__all__ = ["KIND_NAMES", "GoField", "GoType", "GoTypes"]

# reflect.Kind numbering (DW_AT_go_kind) → reflect.Kind.String().
KIND_NAMES: dict[int, str] = {
    1: "bool", 2: "int", 3: "int8", 4: "int16", 5: "int32", 6: "int64", 7: "uint",
    8: "uint8", 9: "uint16", 10: "uint32", 11: "uint64", 12: "uintptr", 13: "float32",
    14: "float64", 15: "complex64", 16: "complex128", 17: "array", 18: "chan", 19: "func",
    20: "interface", 21: "map", 22: "ptr", 23: "slice", 24: "string", 25: "struct",
    26: "unsafe.Pointer",
}
INVALID = "invalid"
_TYPE_TAGS = (TAG_TYPEDEF, TAG_BASE_TYPE, TAG_STRUCTURE_TYPE, TAG_POINTER_TYPE,
              TAG_ARRAY_TYPE, TAG_SUBROUTINE_TYPE)


class GoField(NamedTuple):
    """A struct field: its name, byte offset, type, and whether it is embedded."""

    name: str
    offset: int
    type: GoType
    embedded: bool


@dataclass(slots=True, eq=False)
class GoType:
    """One Go type as the DWARF describes it.

    ``name`` is the DWARF's (package *paths*, ``main.ValPair[string,int]``,
    shapes ``go.shape.int`` inside generic code); ``kind`` the reflect kind
    name (``"int"``, ``"ptr"``, ``"struct"``, ``"unsafe.Pointer"``…;
    ``"invalid"`` for DIEs that are not Go types, e.g. C's); ``size`` in
    bytes; ``runtime_type`` the offset of its runtime descriptor from
    ``moduledata.types`` (None if unreachable at run time); ``offset`` the
    DIE it was built from; ``dict_index`` set for a generic function's
    ``.paramN`` shape typedef (the real type is that dictionary entry)."""

    offset: int
    name: str
    kind: str
    size: int
    runtime_type: int | None = None
    length: int | None = None  # arrays
    dict_index: int | None = None
    encoding: int | None = None  # DW_ATE_* of base types
    _types: GoTypes | None = field(default=None, repr=False)
    _target: int | None = field(default=None, repr=False)  # DW_AT_type of the definition
    _elem: int | None = field(default=None, repr=False)
    _key: int | None = field(default=None, repr=False)
    _fields: tuple[GoField, ...] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"GoType({self.name!r}, {self.kind}, size={self.size})"

    def _at(self, offset: int | None) -> GoType | None:
        if offset is None or self._types is None:
            return None
        return self._types.type_at(offset)

    @property
    def is_shape(self) -> bool:
        """A generic shape (``go.shape.int``, or a type built from one)."""
        return "go.shape." in self.name

    @property
    def elem(self) -> GoType | None:
        """Pointer target, array/slice/chan element, map value."""
        if self.kind in ("ptr", "array"):
            return self._at(self._target)
        return self._at(self._elem)

    @property
    def key(self) -> GoType | None:
        """A map's key type."""
        return self._at(self._key)

    @property
    def fields(self) -> tuple[GoField, ...]:
        """Struct members in order (also the headers of strings, slices and
        the runtime structures behind maps, channels and interfaces)."""
        if self._fields is None:
            self._fields = self._types._fields_of(self) if self._types is not None else ()
        return self._fields

    def field(self, name: str) -> GoField | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def representation(self) -> GoType | None:
        """What a value of this kind is made of at run time, as the DWARF
        has it: the map header struct (``hash<K,V>`` or ``map<K,V>``) for a
        map, ``hchan<T>`` for a channel, ``runtime.eface``/``runtime.iface``
        for an interface (maps and channels are pointers to these)."""
        if self.kind in ("map", "chan"):
            ptr = self._at(self._target)
            return ptr.elem if ptr is not None and ptr.kind == "ptr" else ptr
        if self.kind == "interface":
            return self._at(self._target)
        return None

    @property
    def map_impl(self) -> Literal["swiss", "classic"] | None:
        """How a map is implemented: Swiss tables (Go 1.24+) or the classic
        ``hmap`` with buckets."""
        if self.kind != "map":
            return None
        rep = self.representation
        if rep is None:
            return None
        return "classic" if rep.name.startswith("hash<") else "swiss"

    @property
    def iface_kind(self) -> Literal["eface", "iface"] | None:
        """An empty interface (``{_type, data}``) or one with methods
        (``{tab, data}``)."""
        if self.kind != "interface":
            return None
        rep = self.representation
        if rep is not None and rep.name.endswith("eface"):
            return "eface"
        return "iface" if rep is not None and rep.field("tab") is not None else "eface"

    @property
    def params(self) -> tuple[GoType, ...]:
        """A func type's parameter types."""
        return self._types._func_params(self, False) if self._types is not None else ()

    @property
    def results(self) -> tuple[GoType, ...]:
        """A func type's result types."""
        return self._types._func_params(self, True) if self._types is not None else ()

    @property
    def variadic(self) -> bool:
        return self._types._func_variadic(self) if self._types is not None else False

    @property
    def signed(self) -> bool:
        return self.kind in ("int", "int8", "int16", "int32", "int64")


def _func_param_count(name: str) -> int | None:
    """How many parameters ``func(a, b) (c, d)`` declares (None: not a func name)."""
    if not name.startswith("func("):
        return None
    depth, count, seen = 0, 0, False
    for ch in name[4:]:
        if ch in "([{":
            depth += 1
            if depth == 1:
                continue
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return count + 1 if seen else 0
        elif ch == "," and depth == 1:
            count += 1
            continue
        if depth >= 1 and not ch.isspace():
            seen = True
    return None


def _base_kind(encoding: int | None, size: int) -> str:
    bits = size * 8
    if encoding == ATE_BOOLEAN:
        return "bool"
    if encoding in (ATE_SIGNED, ATE_SIGNED_CHAR) and bits in (8, 16, 32, 64):
        return f"int{bits}"
    if encoding in (ATE_UNSIGNED, ATE_UNSIGNED_CHAR, ATE_UTF) and bits in (8, 16, 32, 64):
        return f"uint{bits}"
    if encoding == ATE_FLOAT and bits in (32, 64):
        return f"float{bits}"
    if encoding == ATE_COMPLEX_FLOAT and bits in (64, 128):
        return f"complex{bits}"
    return INVALID


# Go's predeclared aliases: DWARF names only the types they stand for.
_ALIASES = {"byte": "uint8", "rune": "int32", "any": "interface {}"}


# a named type with its package's path: golang.org/x/net/http2.Framer
_QUALIFIED = re.compile(r"[A-Za-z_][\w.\-/~]*\.[A-Za-z_]\w*")


class GoTypes:
    """The Go types of one executable, from its DWARF, built on demand."""

    def __init__(self, dwarf: Dwarf) -> None:
        self.dwarf = dwarf
        self._cache: dict[int, GoType] = {}
        self._by_runtime: dict[int, GoType | None] = {}
        self._runtime_index: dict[int, int] | None = None
        self._name_index: dict[str, int] | None = None
        self._short_names: dict[str, list[str]] | None = None
        self._types_unit: Unit | None = None

    # -- by DIE -------------------------------------------------------------------

    def type_at(self, offset: int) -> GoType:
        """The type whose DIE is at ``.debug_info`` offset ``offset``."""
        t = self._cache.get(offset)
        if t is None:
            try:
                t = self._build(offset, 0)
            except DwarfError as exc:
                t = GoType(offset, f"<bad DWARF type at {offset:#x}: {exc}>", INVALID, 0)
            self._cache[offset] = t
        return t

    def _build(self, offset: int, depth: int) -> GoType:
        d = self.dwarf
        die = d.die(offset)
        attrs = die.attrs
        name = die.name or ""
        # The linker writes 0 for attributes of an abbreviation a DIE does
        # not set (synthesized types: *hash<K,V>, hchan<T>...): 0 is "none"
        # for both the kind and the runtime type (no type lives at offset 0).
        kind_no = attrs.get(AT_GO_KIND)
        kind = KIND_NAMES.get(kind_no, INVALID) if isinstance(kind_no, int) and kind_no else None
        rt = die.int_attr(AT_GO_RUNTIME_TYPE) or None
        target = die.int_attr(AT_TYPE)
        size = die.int_attr(AT_BYTE_SIZE)
        addrsize = die.unit.addrsize
        tag = die.tag
        if tag == TAG_TYPEDEF:
            dict_index = die.int_attr(AT_GO_DICT_INDEX)
            if dict_index is not None and target is not None:  # a generic shape
                shape = self._resolve(target, depth)
                return GoType(offset, shape.name, shape.kind, shape.size, shape.runtime_type,
                              shape.length, dict_index, shape.encoding, self, shape._target,
                              shape._elem, shape._key)
            if kind is None:  # a name in front of a definition: follow it
                if target is None:
                    return GoType(offset, name, INVALID, 0, rt, _types=self)
                inner = self._resolve(target, depth)
                if not name or inner.name == name:
                    return inner
                return GoType(offset, name, inner.kind, inner.size, inner.runtime_type,
                              inner.length, None, inner.encoding, self, inner._target,
                              inner._elem, inner._key)
            # map, chan, interface (and func, in some releases): the definition
            if size is None:
                size = 2 * addrsize if kind == "interface" else addrsize
            return GoType(offset, name, kind, size, rt, _types=self, _target=target,
                          _elem=die.int_attr(AT_GO_ELEM), _key=die.int_attr(AT_GO_KEY))
        if tag == TAG_BASE_TYPE:
            enc = die.int_attr(AT_ENCODING)
            size = size or 0
            return GoType(offset, name, kind or _base_kind(enc, size), size, rt, encoding=enc,
                          _types=self)
        if tag == TAG_POINTER_TYPE:
            if kind is None:  # unsafe.Pointer has no target and, in some releases, no kind
                kind = "unsafe.Pointer" if target is None and name == "unsafe.Pointer" else "ptr"
            return GoType(offset, name or "*" + (self._name_of(target) if target else "void"),
                          kind, size or addrsize, rt, _types=self, _target=target)
        if tag == TAG_STRUCTURE_TYPE:
            return GoType(offset, name, kind or "struct", size or 0, rt, _types=self,
                          _elem=die.int_attr(AT_GO_ELEM))
        if tag == TAG_ARRAY_TYPE:
            length = self._array_length(die)
            if size is None and target is not None and length is not None:
                size = self._resolve(target, depth).size * length
            return GoType(offset, name, kind or "array", size or 0, rt, length, _types=self,
                          _target=target)
        if tag == TAG_SUBROUTINE_TYPE:
            return GoType(offset, name, kind or "func", size or addrsize, rt, _types=self)
        return GoType(offset, name or f"<DWARF tag {tag:#x}>", kind or INVALID, size or 0, rt,
                      _types=self, _target=target)

    def _resolve(self, offset: int, depth: int) -> GoType:
        if depth > 32:
            raise DwarfError(f"typedef chain too long at {offset:#x}")
        t = self._cache.get(offset)
        if t is None:
            t = self._cache[offset] = self._build(offset, depth + 1)
        return t

    def _name_of(self, offset: int) -> str:
        try:
            return self.type_at(offset).name
        except DwarfError:
            return "?"

    def _array_length(self, die: Die) -> int | None:
        for c in self.dwarf.children(die):
            if c.tag == TAG_SUBRANGE_TYPE:
                n = c.int_attr(AT_COUNT)
                if n is not None:
                    return n
                ub = c.int_attr(AT_UPPER_BOUND)
                if ub is not None:
                    return ub + 1
        return None

    def _fields_of(self, t: GoType) -> tuple[GoField, ...]:
        d = self.dwarf
        die = d.die(t.offset)
        # a renamed typedef (C) or a shape typedef: fields live on the definition
        for _ in range(8):
            if die.tag != TAG_TYPEDEF:
                break
            nxt = die.int_attr(AT_TYPE)
            if nxt is None:
                return ()
            die = d.die(nxt)
        if die.tag != TAG_STRUCTURE_TYPE:
            return ()
        out: list[GoField] = []
        for m in d.children(die):
            if m.tag != TAG_MEMBER:
                continue
            off = member_offset(m)
            typ = m.int_attr(AT_TYPE)
            if off is None or typ is None:
                continue
            out.append(GoField(m.name or "", off, self.type_at(typ),
                               bool(m.attrs.get(AT_GO_EMBEDDED_FIELD))))
        return tuple(out)

    def _subroutine(self, t: GoType) -> Die | None:
        die = self.dwarf.die(t.offset)
        for _ in range(8):
            if die.tag == TAG_SUBROUTINE_TYPE:
                return die
            nxt = die.int_attr(AT_TYPE)
            if die.tag != TAG_TYPEDEF or nxt is None:
                return None
            die = self.dwarf.die(nxt)
        return None

    def _func_params(self, t: GoType, results: bool) -> tuple[GoType, ...]:
        sub = self._subroutine(t)
        if sub is None:
            return ()
        ins: list[GoType] = []
        outs: list[GoType] = []
        flagged = False
        for c in self.dwarf.children(sub):
            typ = c.int_attr(AT_TYPE)
            if c.tag != TAG_FORMAL_PARAMETER or typ is None:
                continue
            if AT_VARIABLE_PARAMETER in c.attrs:
                flagged = True
            (outs if c.attrs.get(AT_VARIABLE_PARAMETER) else ins).append(self.type_at(typ))
        if not flagged:
            # Up to Go 1.2x the linker wrote results as trailing parameters
            # of type *T, unflagged: the type's name says how many are inputs.
            n = _func_param_count(t.name)
            if n is not None and n <= len(ins):
                outs = [p.elem or p if p.kind == "ptr" else p for p in ins[n:]]
                ins = ins[:n]
        return tuple(outs if results else ins)

    def _func_variadic(self, t: GoType) -> bool:
        sub = self._subroutine(t)
        return sub is not None and any(
            c.tag == TAG_UNSPECIFIED_PARAMETERS for c in self.dwarf.children(sub))

    # -- by name --------------------------------------------------------------------

    @property
    def types_unit(self) -> Unit | None:
        """The unit Go's linker writes every type into (found through the
        ``uintptr`` base type it always writes)."""
        if self._types_unit is None:
            die = self.dwarf.find_by_bytes(TAG_BASE_TYPE, "uintptr",
                                           within=self.dwarf.types_unit)
            if die is None:
                die = self.dwarf.find_by_bytes(TAG_BASE_TYPE, "uintptr")
            self._types_unit = die.unit if die is not None else None
        return self._types_unit

    def by_name(self, name: str) -> GoType | None:
        """A type by its Go name (``main.ValPoint``, ``[]int``, ``error``,
        ``bool``; ``byte``, ``rune`` and ``any`` as the types they alias).

        Looked up in an index of the types unit's top-level DIEs, built once
        (:meth:`name_index`), not by a byte search: a search for ``bool``
        also hits the end of ``func(unsafe.Pointer, unsafe.Pointer) bool``,
        whose byte before (``' '``, 0x20) can be the abbreviation code of a
        named DIE, so the tail of the longer name decodes as a DIE named
        ``bool``, with the longer DIE's attributes or with garbage ones."""
        name = _ALIASES.get(name, name)
        off = self.name_index().get(name)
        return self.type_at(off) if off is not None else None

    def name_index(self) -> dict[str, int]:
        """Type name → DIE offset for every named type of the types unit (the
        first DIE of a name: the struct before the typedef Go also writes for
        it). Built with :meth:`runtime_type_index` in one scan."""
        if self._name_index is None:
            self._scan_types_unit()
        assert self._name_index is not None
        return self._name_index

    def full_names(self, short: str) -> list[str]:
        """The type names that ``short`` abbreviates by its package's last
        path element (``maps.Map`` for ``internal/runtime/maps.Map``); an
        index built on the first call."""
        if self._short_names is None:
            index: dict[str, list[str]] = {}
            for name in self.name_index():
                head = name.split("[", 1)[0]
                if "/" in head and _QUALIFIED.fullmatch(head):
                    index.setdefault(head.rsplit("/", 1)[1] + name[len(head):], []).append(name)
            self._short_names = index
        return self._short_names.get(short, [])

    # -- by runtime type ------------------------------------------------------------------

    def by_runtime_type(self, offset: int, name: str | None = None) -> GoType | None:
        """The type whose runtime descriptor is at ``offset`` from
        ``moduledata.types`` (a run-time type address minus the run-time
        ``moduledata.types``). ``name`` (the runtime's own name of the type,
        when the caller has read it) makes this a byte search; without it,
        or when the DWARF spells the name differently (package paths), the
        runtime-type index is built (once)."""
        if offset in self._by_runtime:
            return self._by_runtime[offset]
        found: GoType | None = None
        unit = self.types_unit
        if name and unit is not None and self._runtime_index is None:
            die = self.dwarf.find_by_bytes(
                _TYPE_TAGS, name, within=unit,
                accept=lambda x: x.attrs.get(AT_GO_RUNTIME_TYPE) == offset)
            if die is not None:
                found = self.type_at(die.offset)
        if found is None:
            die_off = self.runtime_type_index().get(offset)
            found = self.type_at(die_off) if die_off is not None else None
        self._by_runtime[offset] = found
        return found

    def runtime_type_index(self) -> dict[int, int]:
        """``DW_AT_go_runtime_type`` → DIE offset for every type of the types
        unit: a scan of that unit's top-level DIEs, done once (it also
        builds :meth:`name_index`). This is the one operation here that
        is proportional to the number of types in the binary."""
        if self._runtime_index is None:
            self._scan_types_unit()
        assert self._runtime_index is not None
        return self._runtime_index

    def _scan_types_unit(self) -> None:
        by_rt: dict[int, int] = {}
        by_name: dict[str, int] = {}
        unit = self.types_unit
        if unit is not None:
            d = self.dwarf
            for child in d.children(d.top(unit)):
                rt = child.attrs.get(AT_GO_RUNTIME_TYPE)
                if isinstance(rt, int) and rt:
                    by_rt.setdefault(rt, child.offset)
                name = child.name
                if name and child.tag in _TYPE_TAGS:
                    by_name.setdefault(name, child.offset)
        self._runtime_index = by_rt
        self._name_index = by_name
