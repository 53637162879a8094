"""A map key written as a Go expression that evaluates to it, for the
``evaluateName`` of a map entry: the key's one-line text where that is a
literal (``"k"``, ``42``, ``nil``), else a composite literal of a struct or
array key, ``m[main.Point{X: 1, Y: -2}]``, ``m[[2]int{5, 6}]``, as
:mod:`dapcore.goexpr` reads them. None when the key has no such form
(an interface, a NaN, a string cut short, a type without a name Go can
write)."""

from __future__ import annotations

from functools import lru_cache

from dapcore.govalues.composite import elements, fields
from dapcore.govalues.format import quote_bytes
from dapcore.govalues.paths import key_expression, type_expression
from dapcore.govalues.summary import text_of
from dapcore.govalues.values import Value

__all__ = ["key_literal"]

_MAX_DEPTH = 4
_MAX_STRING = 1 << 10  # a longer key has no evaluateName
_MAX_ELEMS = 64


def key_literal(k: Value, depth: int = 0) -> str | None:
    """``k`` as an expression (see the module documentation), or None."""
    try:
        if k.error is not None or depth > _MAX_DEPTH:
            return None
        if k.kind == "string":
            data, n = k.string_bytes(_MAX_STRING)
            return quote_bytes(data) if len(data) == n else None
        if k.kind in ("struct", "array"):
            return _composite(k, depth)
        text = text_of(k, 1)
        if k.kind in ("float32", "float64") and text in ("+Inf", "-Inf", "NaN"):
            return None
        return text if key_expression(k.kind, k.type_name, text) else None
    except Exception:  # unreadable or odd: no name for it
        return None


def _composite(k: Value, depth: int) -> str | None:
    t = _type_text(k.type_name)
    if t is None:
        return None
    kids = fields(k) if k.kind == "struct" else elements(k, 0, _MAX_ELEMS)
    if k.kind == "array" and len(kids) != (k.type.length if k.type else -1):
        return None
    parts: list[str] = []
    for c in kids:
        inner = key_literal(c, depth + 1)
        if inner is None:
            return None
        parts.append(f"{c.name}: {inner}" if k.kind == "struct" else inner)
    return f"{t}{{{', '.join(parts)}}}"


@lru_cache(maxsize=1024)
def _type_text(name: str) -> str | None:
    """The type's name as written in a composite literal: an import path
    in quotes, ``"example.com/p".T``; None for a name Go cannot write."""
    head, dot, tail = name.rpartition(".")
    if "/" in head and dot and "[" not in name and tail.isidentifier():
        return f'"{head}".{tail}'
    return name if type_expression(name) and "/" not in name else None
