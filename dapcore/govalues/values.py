"""Go values read from a core, lazily: the data of the value model.

A :class:`Value` is a name, a Go type (DWARF, :mod:`dapcore.govalues.types`) and
where its bytes are: an address in the core, or the bytes themselves (a
variable held in registers, an element of such a value, an interface's
direct data word). Nothing is read until asked for; what cannot be read is
said by ``error`` (``optimized out``) or raised by the raw reads
(:class:`UnreadableMemory`, :class:`LocationError`).

This module holds the data and the raw reads only (bytes, words, numbers,
string and slice headers, parts at offsets, a pointer's target). Each kind
that needs more has its module, which depends on this one and never the
reverse: maps (:mod:`dapcore.govalues.maps`), channels
(:mod:`dapcore.govalues.chans`), interfaces (:mod:`dapcore.govalues.ifaces`),
func values (:mod:`dapcore.govalues.funcs`), struct fields and elements
(:mod:`dapcore.govalues.composite`), time.Time and sync.Mutex
(:mod:`dapcore.govalues.special`). Above them, :mod:`dapcore.govalues.summary`
gives a value's one-line text in Go notation (``text_of``) and
:mod:`dapcore.govalues.children` its children, page by page; both turn what
cannot be read into text (``<unreadable 0x…>``, ``<optimized out>``), never
an exception.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dapcore.dwarf.location import LocationError
from dapcore.errors import UnreadableMemory
from dapcore.goruntime.rtype import TypeReader
from dapcore.govalues.framevars import VariableReader
from dapcore.govalues.paths import name_expression
from dapcore.govalues.types import GoType

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process
    from dapcore.govalues.framevars import Variable
    from dapcore.govalues.mapindex import MapIndex, MapLayout

__all__ = ["SyntheticValue", "Value", "ValueConfig", "ValueContext", "hole_text",
           "value_of_variable"]

_INT_FMT = {"int": "<q", "int8": "<b", "int16": "<h", "int32": "<i", "int64": "<q",
            "uint": "<Q", "uint8": "<B", "uint16": "<H", "uint32": "<I", "uint64": "<Q",
            "uintptr": "<Q"}
_INT_STRUCT = {k: struct.Struct(f) for k, f in _INT_FMT.items()}


@dataclass(slots=True)
class ValueConfig:
    """Limits: bytes of a string loaded, children per page, bytes read for
    one value at most. (How integers are shown, decimal or hex, is an
    argument of :func:`dapcore.govalues.summary.text_of`.)"""

    max_string_len: int = 64 * 1024
    max_array_values: int = 100
    max_bytes: int = 1 << 20


class ValueContext:
    """What values of one process share: memory, DWARF types, runtime
    types, the pclntab, limits."""

    def __init__(self, proc: Process, reader: VariableReader | None = None,
                 config: ValueConfig | None = None) -> None:
        self.proc = proc
        self.mem = proc.memory
        self.reader = reader if reader is not None else VariableReader.for_process(proc)
        self.types = self.reader.types
        self.config = config if config is not None else ValueConfig()
        self.rtypes = TypeReader(proc)
        self._types_base: int | None = None
        self._direct: tuple[int, int] | None = None
        # The entry indexes of the maps paged last, by (header address, header
        # type), and the layouts of map types (dapcore.govalues.maps).
        self.map_indexes: dict[tuple[int, str], MapIndex] = {}
        self.map_layouts: dict[str, MapLayout] = {}

    @property
    def types_base(self) -> int:
        if self._types_base is None:
            self._types_base = self.rtypes.types_base
        return self._types_base

    def direct_flags(self) -> tuple[int, int]:
        """(kind mask, tflag mask) of direct-interface types."""
        if self._direct is None:
            consts = self.proc.layout.constants
            kind = consts.get("kindDirectIface", 0)
            tflag = consts.get("tflagDirectIface", 0)
            if not kind and not tflag:
                kind = 0x20
            self._direct = (kind, tflag)
        return self._direct

    def dynamic_type(self, addr: int) -> tuple[GoType | None, str, bool]:
        """(DWARF type, name, stored directly in the data word) of the
        runtime type descriptor at ``addr``."""
        raw = self.mem.read(addr, 48)
        kmask, tmask = self.direct_flags()
        direct = bool((kmask and raw[23] & kmask) or (tmask and raw[20] & tmask))
        try:
            name = self.rtypes.read(addr).name
        except UnreadableMemory:
            name = f"<type {addr:#x}>"
        t = self.types.by_runtime_type(addr - self.types_base, name)
        return t, (t.name if t is not None else name), direct

    def func_name(self, pc: int) -> str | None:
        f = self.proc.pclntab.func_at(pc - self.proc.bias)
        return f.name if f is not None else None


def value_of_variable(ctx: ValueContext, v: Variable) -> Value:
    """The value of a frame variable (unavailable ones say why; one the
    DWARF describes in part has the rest as holes, see :class:`Value`)."""
    out = _value_of_variable(ctx, v)
    out.expression = name_expression(v.name)
    return out


def _value_of_variable(ctx: ValueContext, v: Variable) -> Value:
    if v.location.partial:
        try:
            data, holes = v.location.read_partial(ctx.mem, v.type.size)
        except (LocationError, UnreadableMemory) as exc:
            return Value(ctx, v.name, v.type, error=_err(exc))
        return Value(ctx, v.name, v.type, data=data, holes=holes)
    if not v.available:
        why = v.location.why or "unavailable"
        return Value(ctx, v.name, v.type, error="optimized out" if "optimized" in why
                     or "no location" in why else why)
    loc = v.location
    addr = loc.address
    if addr is not None:
        return Value(ctx, v.name, v.type, addr=addr)
    try:
        data = loc.read(ctx.mem, v.type.size)
    except (LocationError, UnreadableMemory) as exc:
        return Value(ctx, v.name, v.type, error=str(exc))
    return Value(ctx, v.name, v.type, data=data)


Hole = tuple[int, int, str]  # [start, end) byte range of a value, and why it is unknown


class Value:
    """One Go value (see the module docstring).

    ``holes`` are the byte ranges of a value the DWARF describes only in
    part (a struct whose other fields the compiler did not track, an
    interface of which only the type word is described): those bytes are
    never shown. A part that lies wholly in a hole is unavailable
    (``error`` says why); a scalar, string or slice header touching one
    too; a struct or array shows its parts one by one; an interface whose
    type word is known shows its dynamic type and its data as unavailable.
    ``raw()`` of a value with holes raises :class:`LocationError`.

    ``path`` says how the value was reached (``x.Field[3]``);
    ``expression`` is that path when it is a Go expression the evaluator
    accepts, else None (set where values are made: see
    :mod:`dapcore.govalues.paths`). ``key`` is a map entry's key (entries are the element values);
    ``children_cache`` the value's children once built (kept by
    :mod:`dapcore.govalues.composite` and :mod:`dapcore.govalues.children`)."""

    __slots__ = (
        "_data",
        "addr",
        "children_cache",
        "ctx",
        "embedded",
        "error",
        "expression",
        "holes",
        "key",
        "name",
        "path",
        "type",
        "visited",
    )

    def __init__(self, ctx: ValueContext, name: str, type: GoType | None,
                 addr: int | None = None, data: bytes | None = None, error: str | None = None,
                 path: str | None = None, visited: frozenset[int] = frozenset(),
                 embedded: bool = False, holes: tuple[Hole, ...] = (),
                 expression: str | None = None) -> None:
        self.ctx = ctx
        self.holes = holes
        self.name = name
        self.type = type
        self.addr = addr
        self._data = data
        self.error = error
        self.path = path if path is not None else name
        self.expression = expression
        self.visited = visited
        self.embedded = embedded
        self.children_cache: list[Value] | None = None
        self.key: Value | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.type_name}, path={self.path!r})"

    # -- raw access -----------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.type.kind if self.type is not None else "invalid"

    @property
    def type_name(self) -> str:
        return self.type.name if self.type is not None else "?"

    @property
    def expression_path(self) -> str:
        """The value's path (``x.Field[3]``); ``expression`` says whether it
        is an expression the evaluator accepts."""
        return self.path

    def raw(self) -> bytes:
        """The value's own bytes (``type.size``; headers only for strings,
        slices, maps…). Raises UnreadableMemory / LocationError."""
        if self.error is not None:
            raise LocationError(self.error)
        if self.holes:
            raise LocationError(hole_text(self.holes[0][2]))
        if self._data is None:
            size = self.type.size if self.type is not None else 0
            if self.addr is None:
                raise LocationError("no address")
            if size > self.ctx.config.max_bytes:
                raise LocationError(f"{size} bytes: over the read limit")
            self._data = self.ctx.mem.read(self.addr, size)
        return self._data

    @property
    def has_data(self) -> bool:
        """The value's bytes are held (read already, or never in memory)."""
        return self._data is not None

    def word(self, off: int = 0, size: int = 8, signed: bool = False) -> int:
        return int.from_bytes(self.raw()[off:off + size], "little", signed=signed)

    def hole_in(self, off: int, size: int) -> str | None:
        """Why bytes ``off`` … ``off+size`` are (partly) unknown; None when
        they are all known."""
        return next((why for a, b, why in self.holes if a < off + size and off < b), None)

    def known_word(self, off: int, size: int = 8) -> int | None:
        """The word at ``off`` of a value with holes, when it is known."""
        if self.hole_in(off, size) is not None or self._data is None:
            return None
        return int.from_bytes(self._data[off:off + size], "little")

    def sub(self, name: str, type: GoType, off: int, path: str,
            embedded: bool = False, expression: str | None = None) -> Value:
        """A part of this value (field, element) at byte offset ``off``."""
        if self.holes and self._data is not None:
            end = off + type.size
            mine = tuple((max(a, off) - off, min(b, end) - off, why)
                         for a, b, why in self.holes if a < end and off < b)
            covered = sum(b - a for a, b, _ in mine)
            if mine and covered >= type.size:
                return Value(self.ctx, name, type, error=hole_text(mine[0][2]), path=path,
                             embedded=embedded, expression=expression)
            return Value(self.ctx, name, type, data=self._data[off:end], path=path,
                         visited=self.visited, embedded=embedded, holes=mine,
                         expression=expression)
        if self.addr is not None and self._data is None:
            return Value(self.ctx, name, type, addr=self.addr + off, path=path,
                         visited=self.visited, embedded=embedded, expression=expression)
        try:
            raw = self.raw()
        except (UnreadableMemory, LocationError) as exc:
            return Value(self.ctx, name, type, error=_err(exc), path=path,
                         expression=expression)
        addr = self.addr + off if self.addr is not None else None
        return Value(self.ctx, name, type, addr=addr, data=raw[off:off + type.size],
                     path=path, visited=self.visited, embedded=embedded, expression=expression)

    def at(self, name: str, type: GoType | None, addr: int, path: str,
           expression: str | None = None) -> Value:
        """A value elsewhere in memory, reached from this one."""
        return Value(self.ctx, name, type, addr=addr, path=path, visited=self.visited,
                     expression=expression)

    # -- numbers ----------------------------------------------------------------------

    def number(self) -> int | float | complex | bool:
        k = self.kind
        raw = self.raw()
        if k == "bool":
            return raw[0] != 0
        st = _INT_STRUCT.get(k)
        if st is not None:
            return st.unpack_from(raw)[0]
        if k == "float32":
            return struct.unpack("<f", raw[:4])[0]
        if k == "float64":
            return struct.unpack("<d", raw[:8])[0]
        if k == "complex64":
            a, b = struct.unpack("<ff", raw[:8])
            return complex(a, b)
        if k == "complex128":
            a, b = struct.unpack("<dd", raw[:16])
            return complex(a, b)
        if k in ("ptr", "unsafe.Pointer", "map", "chan", "func"):
            return int.from_bytes(raw[:8], "little")
        raise TypeError(f"{self.type_name} is not a number")

    # -- strings and slices ------------------------------------------------------

    def string_header(self) -> tuple[int, int]:
        return self.word(0), self.word(8, signed=True)

    def string_bytes(self, limit: int | None = None, start: int = 0) -> tuple[bytes, int]:
        """(loaded bytes from ``start``, full length) of a string: one page
        of at most ``limit`` (default ``max_string_len``) bytes."""
        ptr, n = self.string_header()
        if n < 0:
            raise LocationError(f"bad string length {n}")
        lim = self.ctx.config.max_string_len if limit is None else limit
        lim = min(lim, self.ctx.config.max_bytes)
        take = max(min(n - start, lim), 0)
        return (self.ctx.mem.read(ptr + start, take) if take else b""), n

    def slice_header(self) -> tuple[int, int, int]:
        return self.word(0), self.word(8, signed=True), self.word(16, signed=True)

    # -- pointers ----------------------------------------------------------------------

    def pointee(self) -> Value | None:
        """A pointer's target (None for nil), whatever was visited before."""
        p = self.word(0)
        if not p or self.type is None:
            return None
        elem = self.type.elem
        expression = f"*{self.expression}" if self.expression is not None else None
        return Value(self.ctx, "*" + self.name, elem, addr=p, path=f"*{self.path}",
                     visited=self.visited | {p}, expression=expression)


class SyntheticValue(Value):
    """A value that is not bytes of the core (an untyped constant, an
    interface made up by a type assertion, see :mod:`dapcore.goexpr`): it
    gives its own one-line text and children, which
    :func:`dapcore.govalues.summary.text_of` and
    :func:`dapcore.govalues.children.children` ask it for."""

    __slots__ = ()

    def own_text(self, depth: int, hex_: bool) -> str:
        """The one-line text (``depth`` levels of parts, integers in hex)."""
        raise NotImplementedError

    def own_children(self) -> list[Value]:
        return []


def hole_text(why: str) -> str:
    """A value's ``error`` for a part in a hole (``why`` the hole's)."""
    if why == "optimized out" or why.startswith(("optimized out", "unavailable")):
        return why
    return f"unavailable: {why}"


def _err(exc: Exception) -> str:
    if isinstance(exc, UnreadableMemory):
        return exc.short
    return str(exc)
