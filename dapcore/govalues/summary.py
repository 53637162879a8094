"""One-line summaries of values in Go notation: ``text_of(v)``.

The layer above the value model (:mod:`dapcore.govalues.values`) and its
per-kind modules: it dispatches over kinds. What cannot be read becomes the
text (``<unreadable 0x…>``, ``<optimized out>``), never an exception.
``depth`` is how many levels of parts are shown (a struct's fields, a
pointer's target…; ``…`` below that); ``hex_`` shows integers in hex.
"""

from __future__ import annotations

import struct

from dapcore.dwarf.location import LocationError
from dapcore.errors import UnreadableMemory
from dapcore.govalues.chans import chan_state
from dapcore.govalues.composite import element_count, elements, fields
from dapcore.govalues.format import (
    format_complex,
    format_float,
    format_int,
    quote_bytes,
    quote_rune,
)
from dapcore.govalues.funcs import func_text
from dapcore.govalues.ifaces import dynamic_type_name, dynamic_value
from dapcore.govalues.maps import map_len, map_pairs
from dapcore.govalues.special import mutex_text, time_text
from dapcore.govalues.values import SyntheticValue, Value

__all__ = ["as_text", "format_scalar", "string_text", "text_of"]

_ITEMS = 5  # elements shown in a one-line summary
_STRING = 64  # bytes of a string shown inside a summary
_SCALARS = ("bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
            "uint32", "uint64", "uintptr", "float32", "float64", "complex64", "complex128")
_MUTEXES = ("sync.Mutex", "internal/sync.Mutex")


def text_of(v: Value, depth: int = 2, hex_: bool = False) -> str:
    """``v`` in Go notation on one line, ``depth`` levels of parts deep."""
    if isinstance(v, SyntheticValue):
        return v.own_text(depth, hex_)
    if v.error is not None:
        return "<optimized out>" if v.error == "optimized out" else f"<{v.error}>"
    try:
        return _text(v, depth, hex_)
    except UnreadableMemory as exc:
        return f"<{exc.short}>"
    except LocationError as exc:
        return f"<{exc}>"


def _text(v: Value, depth: int, hex_: bool) -> str:
    """:func:`text_of` for a readable value (raises when it is not)."""
    k = v.kind
    if v.type is None:
        return "<unknown type>"
    if k in _SCALARS:
        s = format_scalar(v, hex_)
        tn = v.type_name
        if tn == "rune" or (k == "uint8" and tn == "byte"):
            s += " " + quote_rune(int(s))
        return s
    if k == "string":
        data, n = v.string_bytes(256)
        return string_text(data, n)
    if k == "unsafe.Pointer":
        p = v.word(0)
        return "unsafe.Pointer(nil)" if not p else f"unsafe.Pointer({p:#x})"
    if k == "func":
        return func_text(v)
    if k == "struct" and not v.holes:
        v.raw()  # one read for the whole value (and unreadable as a whole)
    by_kind = _BY_KIND.get(k)
    if by_kind is not None:
        return by_kind(v, depth, hex_)
    return f"<{k} {v.type_name}>"


def _pointer(v: Value, depth: int, hex_: bool) -> str:
    tn = v.type_name
    p = v.word(0)
    if not p:
        return "nil"
    if depth <= 0 or p in v.visited:
        return f"({tn})({p:#x})"
    target = v.pointee()
    assert target is not None
    if target.type is None:
        return f"({tn})({p:#x})"
    inner = text_of(target, depth - 1, hex_)
    if inner.startswith(target.type_name + " "):
        return "*" + inner
    return f"{tn} {inner}"


def _slice(v: Value, depth: int, hex_: bool) -> str:
    tn = v.type_name
    ptr, n, cap = v.slice_header()
    if not ptr and not n:
        return f"{tn} nil" if not cap else f"{tn} len: 0, cap: {cap}, []"
    if not ptr:
        return f"{tn} len: {n}, cap: {cap}, nil data pointer"
    elem = v.type.elem if v.type is not None else None
    if elem is not None and elem.kind == "uint8" and n >= 0:
        data = v.ctx.mem.read(ptr, min(n, 256)) if n else b""
        extra = "…" if n > 256 else ""
        return f"{tn} len: {n}, cap: {cap}, {quote_bytes(data)}{extra}"
    if depth <= 0:
        return f"{tn} len: {n}, cap: {cap}, […]"
    return f"{tn} len: {n}, cap: {cap}, [{_items(v, n, depth, hex_)}]"


def _array(v: Value, depth: int, hex_: bool) -> str:
    if depth <= 0:
        return f"{v.type_name} […]"
    return f"{v.type_name} [{_items(v, element_count(v), depth, hex_)}]"


def _items(v: Value, total: int, depth: int, hex_: bool) -> str:
    """The first elements of an array or slice of ``total``."""
    parts = [text_of(c, depth - 1, hex_) for c in elements(v, 0, _ITEMS)]
    return _joined(parts, total)


def _joined(parts: list[str], total: int) -> str:
    if total > len(parts):
        parts.append("…")
    return ", ".join(parts)


def _struct(v: Value, depth: int, hex_: bool) -> str:
    tn = v.type_name
    if tn == "time.Time":
        return time_text(v)
    if tn in _MUTEXES:
        return mutex_text(v)
    if depth <= 0:
        return f"{tn} {{…}}"
    kids = fields(v)
    parts = [f"{c.name}: {text_of(c, depth - 1, hex_)}" for c in kids[:_ITEMS]]
    return f"{tn} {{{_joined(parts, len(kids))}}}"


def _map(v: Value, depth: int, hex_: bool) -> str:
    tn = v.type_name
    if not v.word(0):
        return f"{tn} nil"
    n = map_len(v)
    if depth <= 0:
        return f"{tn} len: {n} […]"
    parts: list[str] = []
    try:
        for key, val in map_pairs(v):
            parts.append(f"{text_of(key, 0, hex_)}: {text_of(val, depth - 1, hex_)}")
            if len(parts) == _ITEMS:
                break
    except UnreadableMemory as exc:
        parts.append(f"<error>: <{exc.short}>")
    return f"{tn} len: {n}, [{_joined(parts, n)}]"


def _interface(v: Value, depth: int, hex_: bool) -> str:
    tn = v.type_name
    if v.holes:  # the type word alone (else raw() says why)
        dyn = dynamic_value(v)
        if dyn is not None:
            return f"{tn}({dyn.type_name}) {text_of(dyn, depth, hex_)}"
    if not v.word(0):
        return "nil"
    dyn = dynamic_value(v)
    assert dyn is not None
    if dyn.type is None:  # no DWARF type: the runtime's name, the data word
        return f"{tn}({dynamic_type_name(v)}) {v.word(8):#x}"
    dn = dyn.type_name
    if dyn.kind == "ptr" and not dyn.word(0):
        return f"{tn}({dn}) nil"
    return f"{tn}({dn}) {text_of(dyn, depth, hex_)}"


def _chan(v: Value, depth: int, hex_: bool) -> str:
    st = chan_state(v, waiters=False)
    if st is None:
        return f"{v.type_name} nil"
    closed = ", closed" if st.closed else ""
    return f"{v.type_name} {st.qcount}/{st.dataqsiz}{closed}"


_BY_KIND = {"ptr": _pointer, "slice": _slice, "array": _array, "struct": _struct, "map": _map,
            "interface": _interface, "chan": _chan}


def format_scalar(v: Value, hex_: bool = False) -> str:
    """A bool or number in Go notation (integers in hex with ``hex_``;
    uintptr always)."""
    n = v.number()
    k = v.kind
    if k == "bool":
        return "true" if n else "false"
    if k in ("float32", "float64"):
        assert isinstance(n, float)
        return format_float(n, 32 if k == "float32" else 64)
    if k in ("complex64", "complex128"):
        assert isinstance(n, complex)
        return format_complex(n.real, n.imag, 64 if k == "complex64" else 128)
    assert isinstance(n, int)
    if k == "uintptr":
        return hex(n)
    return format_int(n, hex_)


def string_text(data: bytes, n: int, limit: int = _STRING) -> str:
    """A quoted string, cut to ``limit`` bytes with its length when longer."""
    if n > limit or len(data) < n:
        cut = data[:limit]
        return f"{quote_bytes(cut)}... (len: {n})"
    return quote_bytes(data)


def as_text(v: Value) -> str | None:
    """A ``[]byte``/``[]uint8`` or ``[]rune``/``[]int32`` slice as the
    string Go's conversion gives (invalid bytes and runes as U+FFFD),
    quoted; None for other values or over ``max_string_len``."""
    if v.kind != "slice" or v.type is None or v.type.elem is None:
        return None
    ek = v.type.elem.kind
    if ek not in ("uint8", "int32"):
        return None
    try:
        ptr, n, _ = v.slice_header()
        size = n * (1 if ek == "uint8" else 4)
        if n < 0 or size > v.ctx.config.max_string_len:
            return None
        raw = v.ctx.mem.read(ptr, size) if n else b""
    except (UnreadableMemory, LocationError):
        return None
    if ek == "uint8":
        return quote_bytes(raw.decode("utf-8", "replace").encode())
    runes = struct.unpack(f"<{n}i", raw)
    text = "".join(chr(r) if 0 <= r <= 0x10FFFF and not 0xD800 <= r <= 0xDFFF
                   else "\ufffd" for r in runes)
    return quote_bytes(text.encode())
