"""The children of a :class:`dapcore.go.values.Value`, by kind: struct
fields, array and slice elements (paged), a pointer's target, an
interface's dynamic value, map entries and channel queues (see
:mod:`dapcore.go.maps`, :mod:`dapcore.go.chans`), closures' captured
variables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dapcore.elf.dwarf import (
    AT_GO_CLOSURE_OFFSET,
    AT_TYPE,
    TAG_FORMAL_PARAMETER,
    TAG_VARIABLE,
    Die,
)
from dapcore.errors import UnreadableMemory
from dapcore.go.types import GoType

if TYPE_CHECKING:
    from dapcore.go.values import Value, ValueContext

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
        from dapcore.go.maps import map_len
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
        from dapcore.go.maps import map_entries
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
        from dapcore.go.chans import chan_children
        return chan_children(v)
    if k == "func":
        return closure_captures(v)
    return []


def dynamic_value(v: Value) -> Value | None:
    """An interface's dynamic value, named by its dynamic type."""
    from dapcore.go.values import Value as V

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


@dataclass(frozen=True, slots=True)
class Capture:
    """A captured variable of a closure: where it is in the closure object
    (the funcval: code pointer, then the captures), its Go type, and
    whether the object holds a pointer to it (captured by reference, or
    ``&x`` for a large value captured by value: ``type`` is then x's)."""

    name: str
    offset: int
    type: GoType
    by_pointer: bool


def closure_layout(ctx: ValueContext, sub: Die) -> list[Capture] | None:
    """The captured variables of the closure function ``sub``, with their
    offsets in the closure object; None when the DWARF does not say.

    Go 1.23+ writes ``DW_AT_go_closure_offset`` on them
    (``cmd/compile/internal/dwarfgen``: ``closureOffset``). Before, nothing
    in the DWARF tells them apart or places them: a variable captured by
    value is a plain local (``ssagen`` promotes it to ``PAUTO`` and loads
    it from the closure context), one captured by reference an ``&x`` local
    declared on the ``func`` line, a captured variable the body does not
    keep live has no DIE at all, and the closure object's struct type
    (``typecheck.ClosureType``) is written only when some closure of that
    shape is heap-allocated, named by its shape (``struct { F uintptr; X0
    *int; X1 string }``, shared by every closure with those types) and not
    tied to the function. Matching those structs to a function's locals
    (types, and names in 1.19) finds the fixture's closure, but picks a
    wrong layout for 5 of the 58 runtime closures it places in Go 1.22
    (checked against Go 1.23's offsets; ``runtime.tracebackothers.func1``
    captures ``me``, ``curgp``, ``level``, its DWARF lists only ``curgp``,
    and another closure's ``struct { F uintptr; X0 *runtime.g }`` puts it
    at 8 instead of 16), so it is not done: a wrong value is worse than
    none."""
    d = ctx.reader.dwarf
    out: list[Capture] = []
    for c in d.children(sub):
        if c.tag not in (TAG_VARIABLE, TAG_FORMAL_PARAMETER):
            continue
        off = c.int_attr(AT_GO_CLOSURE_OFFSET)
        typ = c.int_attr(AT_TYPE)
        name = c.name
        if off is None or typ is None or not name:
            continue
        t = ctx.types.type_at(typ)
        amp = name.startswith("&") and t.kind == "ptr" and t.elem is not None
        out.append(Capture(name[1:] if amp else name, off,
                           t.elem if amp and t.elem is not None else t, amp))
    return out or None


def closure_captures(v: Value) -> list[Value]:
    """A closure's captured variables, read from the funcval (see
    :func:`closure_layout`)."""
    from dapcore.go.values import Value as V

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
