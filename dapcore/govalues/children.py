"""The children of a value, by kind: struct fields, array and slice
elements (paged), map entries (paged, each named by its key's text), a
pointer's target, an interface's dynamic value, a channel's queue and
state, a closure's captured variables.

The layer above the value model and its per-kind modules
(:mod:`dapcore.govalues.composite`, :mod:`dapcore.govalues.maps`,
:mod:`dapcore.govalues.chans`, :mod:`dapcore.govalues.ifaces`,
:mod:`dapcore.govalues.funcs`): it dispatches over kinds. What cannot be
read becomes one ``<error>`` child saying so, or none, never an exception.
"""

from __future__ import annotations

from dapcore.dwarf.location import LocationError
from dapcore.errors import UnreadableMemory
from dapcore.govalues.chans import chan_children
from dapcore.govalues.composite import element_count, elements, fields, target
from dapcore.govalues.funcs import closure_captures
from dapcore.govalues.ifaces import dynamic_value
from dapcore.govalues.keytext import key_literal
from dapcore.govalues.maps import map_len, map_page
from dapcore.govalues.paths import key_expression, operand
from dapcore.govalues.summary import text_of
from dapcore.govalues.values import SyntheticValue, Value

__all__ = ["child_count", "children", "is_indexed"]

_SPECIAL = ("time.Time",)  # structs whose children are not counted from the type


def children(v: Value, start: int = 0, count: int | None = None,
             hex_: bool = False) -> list[Value]:
    """Children ``start`` … ``start+count`` of ``v`` (all by default; for
    arrays, slices and maps a page of ``max_array_values``). ``hex_``: map
    entries are named by their keys' text with integers in hex."""
    end = None if count is None else start + count
    if isinstance(v, SyntheticValue):
        return v.own_children()[start:end]
    try:
        paged = _paged(v, start, count, hex_)
    except UnreadableMemory as exc:
        return [_error(v, exc)]
    except LocationError:
        return []
    if paged is not None:
        return paged
    return _all(v)[start:end]


def child_count(v: Value) -> int:
    """How many children ``v`` has (0 when they cannot be read)."""
    if isinstance(v, SyntheticValue):
        return len(v.own_children())
    try:
        n = _count(v)
    except (UnreadableMemory, LocationError):
        return 0
    return n if n is not None else len(_all(v))


def is_indexed(v: Value) -> bool:
    """Children are numbered (array, slice, map entries)."""
    return v.kind in ("array", "slice", "map")


def _error(v: Value, exc: UnreadableMemory) -> Value:
    return Value(v.ctx, "<error>", None, error=exc.short, path=v.path)


def _count(v: Value) -> int | None:
    """How many children, without building them (None: build to count)."""
    k = v.kind
    if k in ("array", "slice"):
        return element_count(v)
    if k == "map":
        return map_len(v)
    if k == "struct":
        return None if v.type_name in _SPECIAL else len(v.type.fields) if v.type else 0
    return None


def _paged(v: Value, start: int, count: int | None, hex_: bool) -> list[Value] | None:
    """The children of indexed kinds, one page (None: not an indexed kind)."""
    k = v.kind
    page = v.ctx.config.max_array_values if count is None else count
    if k in ("array", "slice"):
        return elements(v, start, page)
    if k == "map":
        return _map_entries(v, start, page, hex_)
    return None


def _map_entries(v: Value, start: int, count: int, hex_: bool) -> list[Value]:
    """Map entries: each the element value, named ``[key text]``, with the
    key as ``.key``."""
    pairs, exc = map_page(v, start, count)
    out: list[Value] = []
    for k, val in pairs:
        kt = text_of(k, 1, hex_)
        val.name = f"[{kt}]"
        val.path = f"{operand(v.path)}[{kt}]"
        if v.expression is not None:
            key = kt if key_expression(k.kind, k.type_name, kt) else key_literal(k)
            if key is not None:
                val.expression = f"{operand(v.expression)}[{key}]"
        val.key = k
        out.append(val)
    if exc is not None:
        out.append(_error(v, exc))
    return out


def _all(v: Value) -> list[Value]:
    """Every child of a non-indexed value (built once per value)."""
    if v.children_cache is None:
        try:
            v.children_cache = _build(v)
        except UnreadableMemory as exc:
            v.children_cache = [_error(v, exc)]
        except LocationError:
            v.children_cache = []
    return v.children_cache


def _build(v: Value) -> list[Value]:
    k = v.kind
    if v.type is None:
        return []
    if k == "struct":
        return fields(v)
    if k == "ptr":
        return target(v)
    if k == "interface":
        dyn = dynamic_value(v)
        return [dyn] if dyn is not None else []
    if k == "chan":
        return chan_children(v)
    if k == "func":
        return closure_captures(v)
    return []
