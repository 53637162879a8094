"""The operands of the expression evaluator (:mod:`dapcore.goexpr.evaluator`):
values of the value model, untyped constants (:class:`Const`, and
:class:`Constant` when one is a result), interfaces made up by a type
assertion (:class:`Asserted`), pointers made by a conversion
(:class:`CastPointer`, shown by their address), and Go's arithmetic on
them (integer wrap-around of sized types, float32 rounding, division by
zero)."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

from dapcore.dwarf.location import LocationError
from dapcore.errors import DapcoreError
from dapcore.goexpr import parser as ast
from dapcore.govalues.composite import target
from dapcore.govalues.format import format_complex, format_float, quote_bytes, quote_rune
from dapcore.govalues.summary import text_of
from dapcore.govalues.types import GoType
from dapcore.govalues.values import SyntheticValue, Value, ValueContext

__all__ = ["COMPLEXES", "FLOATS", "INT_BITS", "MAX_STRING", "NILABLE", "Asserted",
           "CastPointer", "Const", "Constant", "EvalError", "Operand", "compare_op", "describe",
           "encode", "fits", "float_op", "int_op", "is_numeric_kind", "same_type_name",
           "size_of", "src", "wrap"]

INT_BITS = {"int": (64, True), "int8": (8, True), "int16": (16, True), "int32": (32, True),
             "int64": (64, True), "uint": (64, False), "uint8": (8, False),
             "uint16": (16, False), "uint32": (32, False), "uint64": (64, False),
             "uintptr": (64, False)}
FLOATS = ("float32", "float64")
COMPLEXES = ("complex64", "complex128")
NILABLE = ("ptr", "unsafe.Pointer", "map", "chan", "func", "slice", "interface")
MAX_STRING = 1 << 20  # bytes of a string read for a comparison or a map key


class EvalError(DapcoreError):
    """An expression that cannot be evaluated on this core; the message says why."""


# ---------------------------------------------------------------------------
# untyped constants


@dataclass(frozen=True, slots=True)
class Const:
    """An untyped constant while evaluating: ``kind`` is int, rune, float,
    complex, string (``value`` bytes), bool or nil."""

    kind: str
    value: Any

    def describe(self) -> str:
        return f"untyped {self.kind} constant" if self.kind != "nil" else "untyped nil"


_DEFAULT_TYPE = {"int": "int", "rune": "int32", "float": "float64", "complex": "complex128",
                 "string": "string", "bool": "bool", "nil": "nil"}


class Constant(SyntheticValue):
    """A value that is not in the core: an untyped constant result."""

    __slots__ = ("const",)

    def __init__(self, ctx: ValueContext, name: str, const: Const) -> None:
        super().__init__(ctx, name, None, path=name)
        self.const = const

    def __repr__(self) -> str:
        return f"Constant({self.name!r}, {self.const.kind}, {const_text(self.const)!r})"

    @property
    def kind(self) -> str:
        return _DEFAULT_TYPE[self.const.kind]

    @property
    def type_name(self) -> str:
        return _DEFAULT_TYPE[self.const.kind] if self.const.kind != "nil" else "untyped nil"

    def own_text(self, depth: int, hex_: bool) -> str:
        return const_text(self.const)

    def number(self) -> int | float | complex | bool:
        v = self.const.value
        if isinstance(v, bool | int | float | complex):
            return v
        raise TypeError(f"{self.type_name} is not a number")

    def raw(self) -> bytes:
        raise LocationError("a constant has no bytes")


class FunctionValue(SyntheticValue):
    """A Go function named as a value (``main.f``, ``strconv.Itoa``): shown
    by its name, as Delve shows it; its code starts at ``entry``."""

    __slots__ = ("entry", "function", "signature")

    def __init__(self, ctx: ValueContext, path: str, function: str, entry: int,
                 signature: str | None = None, t: GoType | None = None) -> None:
        super().__init__(ctx, path, t, path=path)
        self.function = function
        self.entry = entry
        self.signature = signature  # its Go type's name, func(int) int

    @property
    def kind(self) -> str:
        return "func"

    @property
    def type_name(self) -> str:
        return self.signature or "func"

    def own_text(self, depth: int, hex_: bool) -> str:
        return self.function

    def number(self) -> int | float | complex | bool:
        raise TypeError("a function is not a number")

    def raw(self) -> bytes:
        raise LocationError("a function named as a value has no bytes in the core")


def const_text(c: Const) -> str:
    v = c.value
    if c.kind == "bool":
        return "true" if v else "false"
    if c.kind == "nil":
        return "nil"
    if c.kind == "string":
        return quote_bytes(v)
    if c.kind == "float":
        return format_float(float(v), 64)
    if c.kind == "complex":
        return format_complex(v.real, v.imag, 128)
    if c.kind == "rune":
        return f"{v} {quote_rune(v)}" if 0 <= v <= 0x10FFFF else str(v)
    return str(v)


# ---------------------------------------------------------------------------
# helpers on numbers


def wrap(n: int, kind: str) -> int:
    bits, signed = INT_BITS[kind]
    n &= (1 << bits) - 1
    if signed and n >= 1 << (bits - 1):
        n -= 1 << bits
    return n


def fits(n: int, kind: str) -> bool:
    return wrap(n, kind) == n


def round32(f: float) -> float:
    try:
        return struct.unpack("<f", struct.pack("<f", f))[0]
    except OverflowError:
        return math.copysign(math.inf, f)


def encode(kind: str, n: Any) -> bytes:
    if kind == "bool":
        return b"\x01" if n else b"\x00"
    if kind in INT_BITS:
        bits, signed = INT_BITS[kind]
        return int(n).to_bytes(bits // 8, "little", signed=signed)
    if kind == "float32":
        return struct.pack("<f", round32(float(n)))
    if kind == "float64":
        return struct.pack("<d", float(n))
    if kind == "complex64":
        c = complex(n)
        return struct.pack("<ff", round32(c.real), round32(c.imag))
    if kind == "complex128":
        c = complex(n)
        return struct.pack("<dd", c.real, c.imag)
    if kind in ("ptr", "unsafe.Pointer", "map", "chan", "func"):
        return int(n).to_bytes(8, "little")
    raise EvalError(f"cannot make a value of kind {kind}")


def idiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def int_op(op: str, a: int, b: int) -> int:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return idiv(a, b)
    if op == "%":
        return a - b * idiv(a, b)
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "&^":
        return a & ~b
    raise AssertionError(op)


def is_numeric_kind(kind: str) -> bool:
    return kind in INT_BITS or kind in FLOATS or kind in COMPLEXES


Operand = Value | Const


class Asserted(SyntheticValue):
    """``x.(I)`` for a non-empty interface I when the program has no itab
    for the pair: the dynamic value, presented as an I holding it."""

    __slots__ = ("dyn", "source")

    def __init__(self, ctx: ValueContext, path: str, t: GoType, dyn: Value,
                 source: Value) -> None:
        super().__init__(ctx, path, t, error=None, path=path)
        self.dyn = dyn
        self.source = source  # the interface value asserted from

    def raw(self) -> bytes:
        raise LocationError("an asserted interface without an itab has no bytes")

    def own_text(self, depth: int, hex_: bool) -> str:
        d = self.dyn
        if d.kind == "ptr" and not d.word(0):
            return f"{self.type_name}({d.type_name}) nil"
        return f"{self.type_name}({d.type_name}) {text_of(d, depth, hex_)}"

    def own_children(self) -> list[Value]:
        return [self.dyn]


class CastPointer(SyntheticValue):
    """A pointer made by a conversion in an expression (``(*T)(0xc000012345)``,
    ``(*T)(unsafe.Pointer(x))``): shown as Delve shows it, ``(*T)(0x…)``,
    its target one expansion away (its one child, as for other pointers)."""

    __slots__ = ()

    def own_text(self, depth: int, hex_: bool) -> str:
        p = self.word(0)
        return f"({self.type_name})({p:#x})" if p else "nil"

    def own_children(self) -> list[Value]:
        return target(self)


def same_type_name(have: str, want: str, t: GoType | None) -> bool:
    if t is not None and have == t.name:
        return True
    if have == want:
        return True
    # the DWARF spells package paths (net/http.Client); one writes http.Client
    return have.replace("*", "").rsplit("/", 1)[-1] == want.replace("*", "") and \
        have.count("*") == want.count("*")


def size_of(kind: str) -> int:
    if kind in INT_BITS:
        return INT_BITS[kind][0] // 8
    return {"bool": 1, "float32": 4, "float64": 8, "complex64": 8, "complex128": 16,
            "string": 16}.get(kind, 8)


def float_op(op: str, a: Any, b: Any) -> Any:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if b == 0:
            if isinstance(a, complex) or isinstance(b, complex):
                return complex(math.nan, math.nan)
            if a == 0 or math.isnan(a):
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)
        return a / b
    raise AssertionError(op)


def compare_op(op: str, a: Any, b: Any) -> bool:
    try:
        if op == "==":
            return bool(a == b)
        if op == "!=":
            return bool(a != b)
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)
    except TypeError:
        raise EvalError(f"invalid operation: operator {op} not defined on these operands") \
            from None


def src(e: ast.Expr) -> str:
    return str(e)


def describe(x: Operand) -> str:
    return x.describe() if isinstance(x, Const) else x.type_name
