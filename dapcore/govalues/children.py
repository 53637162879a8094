"""The children of a :class:`dapcore.govalues.values.Value`, by kind: struct
fields, array and slice elements (paged), a pointer's target, an
interface's dynamic value, map entries and channel queues (see
:mod:`dapcore.govalues.maps`, :mod:`dapcore.govalues.chans`), closures' captured
variables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dapcore.dwarf.dies import Die
from dapcore.errors import UnreadableMemory
from dapcore.govalues.closures import Capture
from dapcore.govalues.types import GoType

if TYPE_CHECKING:
    from dapcore.govalues.values import Value, ValueContext

__all__ = ["Capture", "children_of", "closure_captures", "closure_layout", "count_of",
           "dynamic_value", "paged_children"]


def _is_byte(t: GoType | None) -> bool:
    return t is not None and t.kind == "uint8" and t.name in ("uint8", "byte")


def count_of(v: Value) -> int | None:
    """How many children, without building them (None: build to count)."""
    k = v.kind
    if k == "array":
        return v.type.length or 0 if v.type is not None else 0
    if k == "slice":
        return max(v.slice_header()[1], 0)
    if k == "map":
        from dapcore.govalues.maps import map_len
        return map_len(v)
    if k == "struct":
        return None if _special(v) else len(v.type.fields) if v.type is not None else 0
    return None


def paged_children(v: Value, start: int, count: int | None) -> list[Value] | None:
    """The children of indexed kinds, one page (None: not an indexed kind)."""
    k = v.kind
    page = v.ctx.config.max_array_values if count is None else count
    if k in ("array", "slice"):
        elem = v.type.elem if v.type is not None else None
        if elem is None:
            return []
        # the hard cap on bytes read for one value (a damaged header)
        page = min(page, v.ctx.config.max_bytes // max(elem.size, 1))
        if k == "array":
            n = v.type.length or 0 if v.type is not None else 0
            end = min(n, start + page)
            base = f"({v.path})" if v.path.startswith("*") else v.path
            return [v.sub(f"[{i}]", elem, i * elem.size, f"{base}[{i}]")
                    for i in range(start, end)]
        ptr, n, _ = v.slice_header()
        end = min(n, start + page)
        return [v.at(f"[{i}]", elem, ptr + i * elem.size, f"{v.path}[{i}]")
                for i in range(start, end)]
    if k == "map":
        from dapcore.govalues.maps import map_entries
        return map_entries(v, start, page)
    return None


def _special(v: Value) -> bool:
    return v.type_name in ("time.Time",)


def children_of(v: Value) -> list[Value]:
    """Every child of a non-indexed value."""
    k = v.kind
    t = v.type
    if t is None:
        return []
    if k == "struct":
        base = f"({v.path})" if v.path.startswith("*") else v.path
        return [v.sub(f.name, f.type, f.offset, f"{base}.{f.name}", f.embedded)
                for f in t.fields]
    if k == "ptr":
        target = v.pointee()
        if target is None or target.type is None:
            return []
        if target.addr in v.visited:
            target.error = f"cycle to {target.addr:#x}"
        return [target]
    if k == "interface":
        dyn = dynamic_value(v)
        return [dyn] if dyn is not None else []
    if k == "chan":
        from dapcore.govalues.chans import chan_children
        return chan_children(v)
    if k == "func":
        return closure_captures(v)
    return []


def dynamic_value(v: Value) -> Value | None:
    """An interface's dynamic value, named by its dynamic type."""
    from dapcore.govalues.values import Value as V

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
        from dapcore.govalues.values import hole_text
        return V(v.ctx, "data", dtype, error=hole_text(why), path=f"{v.path}.({name})")
    tword, data = v.word(0), v.word(8)
    if not tword:
        return None
    if v.type is not None and v.type.iface_kind == "iface":
        tword = v.ctx.mem.ptr(tword + 8)  # itab.Type (after itab.Inter)
    dtype, name, direct = v.ctx.dynamic_type(tword)
    path = f"{v.path}.({name})"
    if dtype is None:
        return V(v.ctx, "data", None, error=f"no DWARF for {name}", path=path)
    if direct:
        return V(v.ctx, "data", dtype, data=data.to_bytes(8, "little")[:dtype.size] or b"",
                 path=path, visited=v.visited)
    return V(v.ctx, "data", dtype, addr=data, path=path, visited=v.visited)


def dynamic_type_name(v: Value) -> str | None:
    tword = v.word(0)
    if not tword:
        return None
    if v.type is not None and v.type.iface_kind == "iface":
        tword = v.ctx.mem.ptr(tword + 8)
    return v.ctx.dynamic_type(tword)[1]


def closure_layout(ctx: ValueContext, sub: Die) -> list[Capture] | None:
    """The captured variables of the closure function ``sub``, with their
    offsets in the closure object; None when neither the DWARF (Go 1.23+)
    nor the closure's code places them (:mod:`dapcore.govalues.closures`)."""
    return ctx.reader.closures.layout(sub) if ctx.reader.closures is not None else None


def closure_captures(v: Value) -> list[Value]:
    """A closure's captured variables, read from the funcval (see
    :func:`closure_layout`)."""
    from dapcore.govalues.values import Value as V

    fv = v.word(0)
    if not fv:
        return []
    ctx = v.ctx
    pc = ctx.mem.ptr(fv)
    d = ctx.reader.dwarf
    try:
        sub = d.subprogram_at(pc - ctx.proc.bias)
        layout = closure_layout(ctx, sub) if sub is not None else None
    except Exception:
        return []
    out: list[V] = []
    for cap in layout or ():
        if cap.by_pointer:
            try:
                target = ctx.mem.ptr(fv + cap.offset)
            except UnreadableMemory as exc:
                out.append(V(ctx, cap.name, cap.type, error=f"unreadable {exc.addr:#x}"))
                continue
            out.append(V(ctx, cap.name, cap.type, addr=target, path=cap.name))
        else:
            out.append(V(ctx, cap.name, cap.type, addr=fv + cap.offset, path=cap.name))
    return out
