"""Conversions between strings, byte and rune slices and code points:
``string(b)``, ``string(rs)``, ``string(r)``, ``string(b[0])``, ``[]byte(s)``,
``[]rune(s)``, with Go's rules (an invalid code point or UTF-8 byte becomes
U+FFFD, one per byte).

The new contents are placed in the value context's scratch memory
(:mod:`dapcore.govalues.scratch`), so the result is an ordinary value:
``len([]byte(s))``, ``string(b)[1:]`` and its children work as for any.
"""

from __future__ import annotations

import struct

from dapcore.goexpr import parser as ast
from dapcore.goexpr.evalbase import EvalBase
from dapcore.goexpr.operands import INT_BITS, Const, EvalError, Operand, src
from dapcore.govalues.scratch import ScratchMemory
from dapcore.govalues.types import GoType
from dapcore.govalues.values import Value

__all__ = ["TextConversions", "runes_of"]

_BYTE_KINDS = ("uint8",)
_RUNE_KINDS = ("int32",)


class TextConversions(EvalBase):
    """``T(x)`` where one side is a string and the other bytes, runes or a
    code point; None from :meth:`text_convert` for every other conversion."""

    def text_convert(self, t: GoType, x: Operand, arg: ast.Expr, path: str) -> Value | None:
        if t.kind == "string":
            if isinstance(x, Const) and x.kind == "string" and t.name != "string":
                return self._string(t, bytes(x.value), path)  # main.Name("x") is a main.Name
            data = self._to_string(x, arg)
            if data is None:
                return None
            return self._string(t, data, path)
        if t.kind == "slice" and t.elem is not None and t.elem.kind in _BYTE_KINDS + _RUNE_KINDS:
            s = self._string_operand(x, arg)
            if s is None:
                return None
            if t.elem.kind in _BYTE_KINDS:
                return self._slice(t, s, len(s), path)
            rs = runes_of(s)
            return self._slice(t, struct.pack(f"<{len(rs)}i", *rs), len(rs), path)
        return None

    def _to_string(self, x: Operand, arg: ast.Expr) -> bytes | None:
        """The bytes ``string(x)`` holds, or None when ``x`` is not bytes,
        runes or an integer (then it is not this module's conversion)."""
        if isinstance(x, Const):
            if x.kind in ("int", "rune"):
                return _code_point(int(x.value))
            return None
        k = self.ok(x, arg).kind
        if k in INT_BITS:
            n = self.num(x)
            assert isinstance(n, int)
            return _code_point(n)
        elem = x.type.elem if x.type is not None and k == "slice" else None
        if elem is None or elem.kind not in _BYTE_KINDS + _RUNE_KINDS:
            return None
        ptr, n, _ = x.slice_header()
        size = n * elem.size
        if n < 0 or size > self.ctx.config.max_bytes:
            raise EvalError(f"{src(arg)}: {n} elements are too many to convert")
        raw = self.ctx.mem.read(ptr, size) if size else b""
        if elem.kind in _BYTE_KINDS:
            return raw
        return b"".join(_code_point(r) for r in struct.unpack(f"<{n}i", raw))

    def _string_operand(self, x: Operand, arg: ast.Expr) -> bytes | None:
        if isinstance(x, Const):
            return bytes(x.value) if x.kind == "string" else None
        if self.ok(x, arg).kind != "string":
            return None
        data, n = x.string_bytes(self.ctx.config.max_bytes)
        if len(data) < n:
            raise EvalError(f"{src(arg)}: a string of {n} bytes is too long to convert")
        return data

    def _string(self, t: GoType, data: bytes, path: str) -> Value:
        addr = ScratchMemory.install(self.ctx).alloc(data)
        return Value(self.ctx, path, t, data=struct.pack("<Qq", addr, len(data)), path=path)

    def _slice(self, t: GoType, data: bytes, n: int, path: str) -> Value:
        addr = ScratchMemory.install(self.ctx).alloc(data)
        return Value(self.ctx, path, t, data=struct.pack("<Qqq", addr, n, n), path=path)


def _code_point(n: int) -> bytes:
    """``string(rune(n))``: invalid code points become U+FFFD."""
    if not 0 <= n <= 0x10FFFF or 0xD800 <= n <= 0xDFFF:
        n = 0xFFFD
    return chr(n).encode()


def runes_of(data: bytes) -> list[int]:
    """``[]rune(string(data))``: one U+FFFD per byte that starts no valid
    UTF-8 sequence, as Go decodes."""
    out: list[int] = []
    i = 0
    while i < len(data):
        b = data[i]
        if b < 0x80:
            out.append(b)
            i += 1
            continue
        for n in (2, 3, 4):
            try:
                ch = data[i:i + n].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                out.append(ord(ch))
                i += n
                break
        else:
            out.append(0xFFFD)
            i += 1
    return out
