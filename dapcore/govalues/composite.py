"""The parts of composite values: a struct's fields, an array's or a
slice's elements (a page at a time, within the read limit), a pointer's
target."""

from __future__ import annotations

from dapcore.errors import UnreadableMemory
from dapcore.govalues.paths import field_expression, operand
from dapcore.govalues.values import Value

__all__ = ["element_count", "elements", "fields", "target"]


def fields(v: Value) -> list[Value]:
    """The fields of struct ``v``, in declaration order (built once per value)."""
    if v.children_cache is None:
        t = v.type
        base = operand(v.path)
        e = operand(v.expression) if v.expression is not None else None
        v.children_cache = [
            v.sub(f.name, f.type, f.offset, f"{base}.{f.name}", f.embedded,
                  field_expression(e, f.name) if e is not None else None)
            for f in t.fields] if t is not None else []
    return v.children_cache


def element_count(v: Value) -> int:
    """How many elements array or slice ``v`` shows: its length, none for a
    slice with a length and a nil data pointer (a corrupted or half-built
    header: there is no array to read)."""
    if v.kind == "array":
        return v.type.length or 0 if v.type is not None else 0
    ptr, n, _ = v.slice_header()
    return max(n, 0) if ptr else 0


def elements(v: Value, start: int, count: int) -> list[Value]:
    """Elements ``start`` … ``start+count`` of array or slice ``v`` (fewer
    when that many would be over the bytes read for one value). The
    elements' bytes are read in one block (element by element where the
    block is not all readable: each element then says whether it is)."""
    elem = v.type.elem if v.type is not None else None
    if elem is None:
        return []
    # the hard cap on bytes read for one value (a damaged header)
    count = min(count, v.ctx.config.max_bytes // max(elem.size, 1))
    base = operand(v.path)
    e = operand(v.expression) if v.expression is not None else None
    if v.kind == "array":
        n = v.type.length or 0 if v.type is not None else 0
        end = min(n, start + count)
        if v.addr is None or v.holes or v.has_data:
            return [v.sub(f"[{i}]", elem, i * elem.size, f"{base}[{i}]",
                          expression=f"{e}[{i}]" if e is not None else None)
                    for i in range(start, end)]
        ptr = v.addr
    else:
        ptr, n, _ = v.slice_header()
        end = min(n, start + count) if ptr else 0
    if start >= end:
        return []
    size = elem.size
    try:
        block = v.ctx.mem.read(ptr + start * size, (end - start) * size)
    except UnreadableMemory:
        return [v.at(f"[{i}]", elem, ptr + i * size, f"{base}[{i}]",
                     f"{e}[{i}]" if e is not None else None)
                for i in range(start, end)]
    ctx, visited = v.ctx, v.visited
    return [Value(ctx, f"[{i}]", elem, addr=ptr + i * size,
                  data=block[(i - start) * size:(i - start + 1) * size], path=f"{base}[{i}]",
                  visited=visited, expression=f"{e}[{i}]" if e is not None else None)
            for i in range(start, end)]


def target(v: Value) -> list[Value]:
    """Pointer ``v``'s target as its one child (none for nil or an unknown
    type); a target already visited on the way says it closes a cycle."""
    t = v.pointee()
    if t is None or t.type is None:
        return []
    if t.addr in v.visited:
        t.error = f"cycle to {t.addr:#x}"
    return [t]
