"""Which values' paths are Go expressions (``Value.expression``).

A value's ``path`` says how it was reached (``x.Field[3]``, ``m["k"]``,
``*p``, ``e.(*main.T)``); it is also an expression the evaluator
(:mod:`dapcore.goexpr`) accepts unless a part of it cannot be written in
Go: a name with an import path (``net/http.DefaultClient``: the parser
reads a division), a map key whose text is no literal (a struct, a
truncated string, ``97 'a'``), a type with a non-empty struct or
interface body or a shape type (``go.shape.int``). These rules say so
without parsing, as :mod:`dapcore.goexpr.parser` reads them.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["field_expression", "key_expression", "name_expression", "operand",
           "type_expression"]

_KEYWORDS = frozenset((
    "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
    "for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
    "return", "select", "struct", "switch", "type", "var"))
_TYPE_KEYWORDS = frozenset(("chan", "func", "interface", "map", "struct"))
_TOKEN = re.compile(r"\w+|\.\.\.|<-|\S")
_TYPE_PUNCT = frozenset(("*", "[", "]", "(", ")", ",", ".", "...", "{", "}", "<-"))
_BODY = re.compile(r"\{\s*[^}\s]")  # struct { A int }: only struct{} can be written
_IDENT = r"[^\W\d]\w*"
_OPERAND = rf"\*?{_IDENT}(?:\.{_IDENT})*"
_FIELD = re.compile(rf"{_IDENT}(?:\[{_OPERAND}\])?")  # an embedded generic: Base[int]
_SCALAR_KEYS = ("bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
                "uint32", "uint64", "uintptr", "float32", "float64", "complex64",
                "complex128", "unsafe.Pointer")


def _words_ok(text: str, allowed: frozenset[str] = frozenset()) -> bool:
    """Every word of ``text`` an identifier (no keyword but ``allowed``) or a number."""
    for w in re.findall(r"\w+", text):
        if w[0].isdigit():
            if not w.isdigit():
                return False
        elif not w.isidentifier() or (w in _KEYWORDS and w not in allowed):
            return False
    return True


def name_expression(name: str) -> str | None:
    """``name`` (a variable: ``x``, ``main.counter``) when it is an
    expression: an identifier or ``pkg.Var`` (not ``~r0``,
    ``net/http.DefaultClient``)."""
    parts = name.split(".")
    if len(parts) > 2 or not all(p.isidentifier() and p not in _KEYWORDS for p in parts):
        return None
    return name


def operand(path: str) -> str:
    """``path`` (or an expression) as the operand of a selector, index or
    slice: a dereference in parentheses (``(*p)[0]``, ``(*p).X``), since
    ``*p[0]`` is ``*(p[0])`` in Go."""
    return f"({path})" if path.startswith("*") else path


def field_expression(base: str, field: str) -> str | None:
    """``base.field`` when the field's name can be written after a dot."""
    return f"{base}.{field}" if _field_ok(field) else None


@lru_cache(maxsize=4096)
def _field_ok(field: str) -> bool:
    return _FIELD.fullmatch(field) is not None and _words_ok(field)


@lru_cache(maxsize=4096)
def type_expression(name: str) -> bool:
    """Whether a type's name (as the DWARF spells it) can be written in an
    expression (``x.(T)``, ``(T)(0x…)``)."""
    if _BODY.search(name) or not _words_ok(name, _TYPE_KEYWORDS):
        return False
    return all(t in _TYPE_PUNCT or t[0] == "_" or t[0].isalnum()
               for t in _TOKEN.findall(name))


def key_expression(kind: str, type_name: str, text: str) -> bool:
    """Whether a map key of ``kind`` and ``type_name`` shown as ``text`` (its
    one-line summary) is an expression that reads back as the key: a quoted
    string not cut short, a number, bool or unsafe.Pointer, nil, or a
    pointer as ``(*T)(0x…)``."""
    k = kind
    if text == "nil":
        return True
    if text.startswith("<"):  # unreadable, optimized out
        return False
    if k == "string":
        return len(text) > 1 and text.startswith('"') and text.endswith('"')
    if k in _SCALAR_KEYS:
        return " " not in text  # not 97 'a'
    if k == "ptr":
        return text.startswith("(") and type_expression(type_name)
    return False
