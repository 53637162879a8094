"""Values as a redacted report shows them: nothing a string or a byte
slice holds, and nothing of an unexported field, only its type and length
(``string(len 17)``, ``[]uint8(len 4096)``, ``main.order(unexported, 40
bytes)``). Numbers, booleans, pointers, exported fields and the shape of
containers remain: they tell the bug, rarely the secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dapcore.errors import DapcoreError, UnreadableMemory
from dapcore.govalues.composite import elements
from dapcore.govalues.ifaces import dynamic_value
from dapcore.govalues.maps import map_len
from dapcore.govalues.summary import format_scalar, text_of

if TYPE_CHECKING:
    from dapcore.govalues.values import Value

__all__ = ["redacted_args", "redacted_string", "redacted_text"]

_SCALARS = ("bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
            "uint32", "uint64", "uintptr", "float32", "float64", "complex64", "complex128")
_ITEMS = 8  # elements of an array or slice shown


def redacted_string(text: str, type_name: str = "string") -> str:
    return f"{type_name}(len {len(text.encode())})"


def redacted_args(args: list[str]) -> list[str]:
    """A command line with every argument after the program's name replaced."""
    return args[:1] + [redacted_string(a) for a in args[1:]]


def _exported(name: str) -> bool:
    return bool(name) and name[0].isupper()


def redacted_text(v: Value, depth: int = 2) -> str:
    """``v`` on one line with strings, bytes and unexported fields replaced."""
    if v.error is not None or v.type is None:
        return text_of(v)  # why it cannot be read: no content
    try:
        return _text(v, depth)
    except (UnreadableMemory, DapcoreError) as exc:
        return f"<{exc}>"


def _text(v: Value, depth: int) -> str:
    k, tn = v.kind, v.type_name
    if k in _SCALARS:
        return format_scalar(v)
    if k == "string":
        return f"{tn}(len {v.string_header()[1]})"
    if k == "slice":
        ptr, n, cap = v.slice_header()
        elem = v.type.elem if v.type is not None else None
        if not ptr and not n:
            return f"{tn} nil"
        if elem is not None and elem.kind in ("uint8", "int8", "int32"):
            return f"{tn}(len {n})"
        if depth <= 0:
            return f"{tn}(len {n}, cap {cap})"
        return f"{tn}(len {n}, cap {cap}) [{_items(v, depth)}]"
    if k == "array":
        elem = v.type.elem if v.type is not None else None
        if elem is not None and elem.kind in ("uint8", "int8", "int32"):
            return f"{tn}(len {v.type.length if v.type is not None else '?'})"
        return f"{tn} […]" if depth <= 0 else f"{tn} [{_items(v, depth)}]"
    if k == "ptr":
        p = v.word(0)
        if not p:
            return "nil"
        target = v.pointee()
        if depth <= 0 or target is None or target.type is None:
            return f"({tn})({p:#x})"
        return f"&{_text(target, depth - 1)}"
    if k == "struct":
        return _struct(v, depth)
    if k == "interface":
        if not v.word(0):
            return "nil"
        dyn = dynamic_value(v)
        if dyn is None or dyn.type is None:
            return f"{tn}(redacted)"
        return f"{tn}({dyn.type_name}) {_text(dyn, depth)}"
    if k == "map":
        return f"{tn}(len {map_len(v)})"
    if k in ("func", "unsafe.Pointer", "chan"):
        return text_of(v)  # a function's name, an address, a channel's counts
    return f"{tn}(redacted)"


def _struct(v: Value, depth: int) -> str:
    if v.type is None:
        return "?"
    if depth <= 0:
        return f"{v.type_name} {{…}}"
    parts = []
    for f in v.type.fields:
        if not _exported(f.name) and not f.embedded:
            parts.append(f"{f.name}: {f.type.name}(unexported, {f.type.size} bytes)")
            continue
        child = v.sub(f.name, f.type, f.offset, f"{v.path}.{f.name}")
        parts.append(f"{f.name}: {redacted_text(child, depth - 1)}")
    return f"{v.type_name} {{{', '.join(parts)}}}"


def _items(v: Value, depth: int) -> str:
    return ", ".join(redacted_text(c, depth - 1) for c in elements(v, 0, _ITEMS))
