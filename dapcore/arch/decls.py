"""Struct layouts from Go declarations written out by hand: the kernel's
signal-frame types, which the runtime declares in
``runtime/defs_linux_<goarch>.go`` but Go's DWARF never holds (the runtime
only converts pointers to them).

A declaration is a struct name → its fields as ``(name, Go type)`` pairs,
spelled as in the runtime's source; types are scalars, pointers, arrays
(``[N]T``) and other declared structs. Sizes and alignments are those of a
64-bit Go target (pointers 8 bytes, naturally aligned scalars)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DeclField", "Decls", "flat_fields", "struct_layout"]

Decls = Mapping[str, tuple[tuple[str, str], ...]]
DeclField = tuple[str, int, int, str]  # name, offset, size, Go type

_SCALARS = {"byte": 1, "uint8": 1, "int8": 1, "uint16": 2, "int16": 2, "uint32": 4, "int32": 4,
            "uint64": 8, "int64": 8, "uintptr": 8}


def _size(t: str, decls: Decls) -> tuple[int, int]:
    """(size, alignment) of a Go type spelled in a declaration."""
    if t.startswith("*"):
        return 8, 8
    if t.startswith("["):
        n, elem = t[1:].split("]", 1)
        size, align = _size(elem, decls)
        return int(n) * size, align
    if t in _SCALARS:
        return _SCALARS[t], _SCALARS[t]
    return struct_layout(t, decls)[1:]


def struct_layout(name: str, decls: Decls) -> tuple[list[DeclField], int, int]:
    """Fields (name, offset, size, type), size and alignment of declared
    struct ``name``."""
    off, align, out = 0, 1, []
    for fname, ftype in decls[name]:
        size, a = _size(ftype, decls)
        off = (off + a - 1) // a * a
        out.append((fname, off, size, ftype))
        off += size
        align = max(align, a)
    return out, (off + align - 1) // align * align, align


def flat_fields(name: str, decls: Decls, inner: Mapping[str, str]) -> list[DeclField]:
    """The fields of ``name`` plus, for each field named in ``inner``, that
    field's own fields as ``field.sub`` read as the declared struct
    ``inner[field]`` (which need not be the field's declared type: the
    runtime reads ``uc_mcontext`` as a ``sigcontext``)."""
    fields = struct_layout(name, decls)[0]
    out = list(fields)
    for fname, base, _fsize, _t in fields:
        as_struct = inner.get(fname)
        if as_struct is None:
            continue
        out.extend((f"{fname}.{f}", base + o, s, t)
                   for f, o, s, t in struct_layout(as_struct, decls)[0])
    return out
