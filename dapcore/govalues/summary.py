"""One-line summaries of values in Go notation (``Value.text``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dapcore.govalues.format import quote_rune

if TYPE_CHECKING:
    from dapcore.govalues.values import Value

__all__ = ["text_of"]

_ITEMS = 5
_LIST_KINDS = ("array", "slice", "struct", "map")


def _items(v: Value, kids: list[Value], total: int, depth: int, keyed: bool = False) -> str:
    parts = []
    for c in kids[:_ITEMS]:
        t = c.summary(depth - 1) if depth > 0 else "…"
        if keyed:
            key = c._extra
            kt = key.summary(0) if key is not None and hasattr(key, "summary") else c.name
            parts.append(f"{kt}: {t}")
        elif v.kind == "struct":
            parts.append(f"{c.name}: {t}")
        else:
            parts.append(t)
    if total > len(parts):
        parts.append("…")
    return ", ".join(parts)


def text_of(v: Value, depth: int) -> str:
    from dapcore.govalues.values import format_scalar, string_text

    k = v.kind
    tn = v.type_name
    if v.type is None:
        return "<unknown type>"
    if k in ("bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
             "uint32", "uint64", "uintptr", "float32", "float64", "complex64", "complex128"):
        s = format_scalar(v)
        if tn == "rune" or (k == "uint8" and tn == "byte"):
            s += " " + quote_rune(int(s))
        return s
    if k == "string":
        data, n = v.string_bytes(256)
        return string_text(data, n)
    if k == "unsafe.Pointer":
        p = v.word(0)
        return "unsafe.Pointer(nil)" if not p else f"unsafe.Pointer({p:#x})"
    if k == "ptr":
        p = v.word(0)
        if not p:
            return "nil"
        if depth <= 0 or p in v.visited:
            return f"({tn})({p:#x})"
        target = v.pointee()
        assert target is not None
        if target.type is None:
            return f"({tn})({p:#x})"
        inner = target.summary(depth - 1)
        if inner.startswith(target.type_name + " "):
            return "*" + inner
        return f"{tn} {inner}"
    if k == "slice":
        ptr, n, cap = v.slice_header()
        if not ptr and not n:
            return f"{tn} nil" if not cap else f"{tn} len: 0, cap: {cap}, []"
        elem = v.type.elem
        if elem is not None and elem.kind == "uint8" and n >= 0:
            data = v.ctx.mem.read(ptr, min(n, 256)) if n else b""
            from dapcore.govalues.format import quote_bytes
            extra = "…" if n > 256 else ""
            return f"{tn} len: {n}, cap: {cap}, {quote_bytes(data)}{extra}"
        if depth <= 0:
            return f"{tn} len: {n}, cap: {cap}, […]"
        kids = v.children(0, _ITEMS)
        return f"{tn} len: {n}, cap: {cap}, [{_items(v, kids, n, depth)}]"
    if k == "array":
        n = v.type.length or 0
        if depth <= 0:
            return f"{tn} […]"
        return f"{tn} [{_items(v, v.children(0, _ITEMS), n, depth)}]"
    if k in ("struct", "array") and not v.holes:
        v.raw()  # one read for the whole value (and unreadable as a whole)
    if k == "struct":
        if tn == "time.Time":
            from dapcore.govalues.special import time_text
            return time_text(v)
        if tn in ("sync.Mutex", "internal/sync.Mutex"):
            from dapcore.govalues.special import mutex_text
            return mutex_text(v)
        if depth <= 0:
            return f"{tn} {{…}}"
        kids = v.children()
        return f"{tn} {{{_items(v, kids, len(kids), depth)}}}"
    if k == "map":
        if not v.word(0):
            return f"{tn} nil"
        from dapcore.govalues.maps import map_len
        n = map_len(v)
        if depth <= 0:
            return f"{tn} len: {n} […]"
        kids = v.children(0, _ITEMS)
        return f"{tn} len: {n}, [{_items(v, kids, n, depth, keyed=True)}]"
    if k == "interface":
        from dapcore.govalues.children import dynamic_type_name, dynamic_value
        if v.holes:  # the type word alone (else raw() says why)
            dyn = dynamic_value(v)
            if dyn is not None:
                return f"{tn}({dyn.type_name}) {dyn.summary(depth)}"
        if not v.word(0):
            return "nil"
        dyn = dynamic_value(v)
        assert dyn is not None
        if dyn.type is None:  # no DWARF type: the runtime's name, the data word
            return f"{tn}({dynamic_type_name(v)}) {v.word(8):#x}"
        dn = dyn.type_name
        if dyn.kind == "ptr" and not dyn.word(0):
            return f"{tn}({dn}) nil"
        return f"{tn}({dn}) {dyn.summary(depth)}"
    if k == "chan":
        from dapcore.govalues.chans import chan_state
        st = chan_state(v)
        if st is None:
            return f"{tn} nil"
        closed = ", closed" if st.closed else ""
        return f"{tn} {st.qcount}/{st.dataqsiz}{closed}"
    if k == "func":
        fv = v.word(0)
        if not fv:
            return "nil"
        pc = v.ctx.mem.ptr(fv)
        name = v.ctx.func_name(pc)
        return name if name is not None else f"func at {pc:#x}"
    return f"<{k} {tn}>"
