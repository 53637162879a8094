"""Interface values: the dynamic type (from the type word, through the
itab of a non-empty interface) and the dynamic value (in the data word
itself for direct-interface types, else where the data word points)."""

from __future__ import annotations

from dapcore.govalues.paths import type_expression
from dapcore.govalues.values import Value, hole_text

__all__ = ["dynamic_type_name", "dynamic_value"]


def dynamic_value(v: Value) -> Value | None:
    """An interface's dynamic value, named by its dynamic type (None for nil)."""
    if v.holes:
        # Only the type word may be known (the data word is not): the
        # dynamic type, and its value as unavailable.
        known = v.known_word(0)
        why = v.hole_in(8, 8)
        if not known or why is None:
            v.raw()  # raises: the type word is not known either
            return None
        if v.type is not None and v.type.iface_kind == "iface":
            known = v.ctx.mem.ptr(known + 8)
        dtype, name, _ = v.ctx.dynamic_type(known)
        return Value(v.ctx, "data", dtype, error=hole_text(why), path=f"{v.path}.({name})",
                     expression=_asserted(v, name))
    tword, data = v.word(0), v.word(8)
    if not tword:
        return None
    if v.type is not None and v.type.iface_kind == "iface":
        tword = v.ctx.mem.ptr(tword + 8)  # itab.Type (after itab.Inter)
    dtype, name, direct = v.ctx.dynamic_type(tword)
    path = f"{v.path}.({name})"
    expression = _asserted(v, name)
    if dtype is None:
        return Value(v.ctx, "data", None, error=f"no DWARF for {name}", path=path,
                     expression=expression)
    if direct:
        return Value(v.ctx, "data", dtype, data=data.to_bytes(8, "little")[:dtype.size] or b"",
                     path=path, visited=v.visited, expression=expression)
    return Value(v.ctx, "data", dtype, addr=data, path=path, visited=v.visited,
                 expression=expression)


def _asserted(v: Value, name: str) -> str | None:
    """The expression of ``v``'s dynamic value of type ``name``: ``v.(name)``."""
    if v.expression is None or not type_expression(name):
        return None
    return f"{v.expression}.({name})"


def dynamic_type_name(v: Value) -> str | None:
    """The name of an interface's dynamic type (None for nil)."""
    tword = v.word(0)
    if not tword:
        return None
    if v.type is not None and v.type.iface_kind == "iface":
        tword = v.ctx.mem.ptr(tword + 8)
    return v.ctx.dynamic_type(tword)[1]
