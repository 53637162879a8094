"""Evaluating debugger expressions (:mod:`dapcore.goexpr.parser`) against a core.

``evaluate_node(node, names)`` walks a parsed expression over the value
model (:mod:`dapcore.govalues.values`), looking names up in the scope
``names`` (:class:`dapcore.govalues.frame.FrameNames`; evaluating text in a
frame is :func:`dapcore.goexpr.frame.evaluate`): identifiers (the frame's
variables, then package variables), field selection through pointers with
embedded fields promoted, indexing and slicing, ``*p``, ``&x``, ``len``,
``cap``, type assertions (to interface types by the method sets of the
runtime type descriptors, :mod:`dapcore.govalues.methods`), conversions
(numeric ``T(x)``, ``(*T)(0xaddr)``), arithmetic and comparisons with
Go's rules (untyped constants, integer wrap-around of sized types,
mismatched types refused). Nothing is executed and nothing is written:
function calls, channel receives and assignments are refused with a
message saying so.

Results read from memory are ordinary :class:`Value` objects; computed
typed results are values whose bytes are held in memory of their own;
untyped constants (``1 + 2``, ``"abc"``, comparisons) are
:class:`Constant`. Every failure is an :class:`EvalError` (or the parser's
:class:`ParseError`), both :class:`DapcoreError`.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dapcore.dwarf.location import LocationError
from dapcore.errors import DapcoreError, UnreadableMemory
from dapcore.goexpr import parser as ast
from dapcore.goexpr.parser import CALLS_IMPOSSIBLE, Evaluator, parse
from dapcore.govalues.chans import chan_state
from dapcore.govalues.format import format_complex, format_float, quote_bytes, quote_rune
from dapcore.govalues.ifaces import dynamic_type_name, dynamic_value
from dapcore.govalues.maps import map_len, map_pairs
from dapcore.govalues.methods import find_itab, missing_method
from dapcore.govalues.summary import text_of
from dapcore.govalues.types import GoType
from dapcore.govalues.values import (
    SyntheticValue,
    Value,
    ValueContext,
)

if TYPE_CHECKING:
    from dapcore.govalues.frame import FrameNames

__all__ = ["Constant", "EvalError", "evaluate_node"]

_INT_BITS = {"int": (64, True), "int8": (8, True), "int16": (16, True), "int32": (32, True),
             "int64": (64, True), "uint": (64, False), "uint8": (8, False),
             "uint16": (16, False), "uint32": (32, False), "uint64": (64, False),
             "uintptr": (64, False)}
_FLOATS = ("float32", "float64")
_COMPLEXES = ("complex64", "complex128")
_NILABLE = ("ptr", "unsafe.Pointer", "map", "chan", "func", "slice", "interface")
_MAX_STRING = 1 << 20  # bytes of a string read for a comparison or a map key


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
        return f"Constant({self.name!r}, {self.const.kind}, {_const_text(self.const)!r})"

    @property
    def kind(self) -> str:
        return _DEFAULT_TYPE[self.const.kind]

    @property
    def type_name(self) -> str:
        return _DEFAULT_TYPE[self.const.kind] if self.const.kind != "nil" else "untyped nil"

    def own_text(self, depth: int, hex_: bool) -> str:
        return _const_text(self.const)

    def number(self) -> int | float | complex | bool:
        v = self.const.value
        if isinstance(v, bool | int | float | complex):
            return v
        raise TypeError(f"{self.type_name} is not a number")

    def raw(self) -> bytes:
        raise LocationError("a constant has no bytes")


def _const_text(c: Const) -> str:
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


def _wrap(n: int, kind: str) -> int:
    bits, signed = _INT_BITS[kind]
    n &= (1 << bits) - 1
    if signed and n >= 1 << (bits - 1):
        n -= 1 << bits
    return n


def _fits(n: int, kind: str) -> bool:
    return _wrap(n, kind) == n


def _round32(f: float) -> float:
    try:
        return struct.unpack("<f", struct.pack("<f", f))[0]
    except OverflowError:
        return math.copysign(math.inf, f)


def _encode(kind: str, n: Any) -> bytes:
    if kind == "bool":
        return b"\x01" if n else b"\x00"
    if kind in _INT_BITS:
        bits, signed = _INT_BITS[kind]
        return int(n).to_bytes(bits // 8, "little", signed=signed)
    if kind == "float32":
        return struct.pack("<f", _round32(float(n)))
    if kind == "float64":
        return struct.pack("<d", float(n))
    if kind == "complex64":
        c = complex(n)
        return struct.pack("<ff", _round32(c.real), _round32(c.imag))
    if kind == "complex128":
        c = complex(n)
        return struct.pack("<dd", c.real, c.imag)
    if kind in ("ptr", "unsafe.Pointer", "map", "chan", "func"):
        return int(n).to_bytes(8, "little")
    raise EvalError(f"cannot make a value of kind {kind}")


def _idiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _int_op(op: str, a: int, b: int) -> int:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return _idiv(a, b)
    if op == "%":
        return a - b * _idiv(a, b)
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "&^":
        return a & ~b
    raise AssertionError(op)


def _is_numeric_kind(kind: str) -> bool:
    return kind in _INT_BITS or kind in _FLOATS or kind in _COMPLEXES


# ---------------------------------------------------------------------------
# the evaluator


Operand = Value | Const


class _Eval(Evaluator[Operand]):
    def __init__(self, names: FrameNames) -> None:
        self.names = names
        self.ctx = names.ctx
        self._types: dict[str, GoType | None] = {}

    def evaluate(self, node: ast.Node) -> Operand:
        """``node``'s value; a value's ``expression`` is its path when the
        parser reads it (a package variable named with its import path,
        ``"net/http".DefaultClient``, has the path ``net/http.DefaultClient``)."""
        r = super().evaluate(node)
        if isinstance(r, Value):
            r.expression = r.path if r.path == str(node) or _parses(r.path) else None
        return r

    # -- lookups ---------------------------------------------------------------

    def local(self, name: str) -> Value | None:
        return self.names.local(name)

    def variable(self, name: str) -> Value | None:
        v = self.names.local(name)
        return v if v is not None else self.names.package_var(name)

    def type_by_name(self, name: str) -> GoType | None:
        if name not in self._types:
            t = self.ctx.types.by_name(name)
            if t is None and name == "any":
                t = self.ctx.types.by_name("interface {}")
            if t is None and name == "byte":
                t = self.ctx.types.by_name("uint8")
            if t is None and name == "rune":
                t = self.ctx.types.by_name("int32")
            self._types[name] = t
        return self._types[name]

    def basic(self, kind: str) -> GoType:
        t = self.type_by_name(kind)
        if t is None:
            t = GoType(-1, kind, kind, _size_of(kind))
            self._types[kind] = t
        return t

    def pointer_to(self, t: GoType) -> GoType:
        p = self.type_by_name("*" + t.name)
        if p is not None and p.kind == "ptr":
            return p
        return GoType(-1, "*" + t.name, "ptr", 8, _types=t._types, _target=t.offset)

    def slice_of(self, elem: GoType) -> GoType:
        s = self.type_by_name("[]" + elem.name)
        if s is not None and s.kind == "slice":
            return s
        return GoType(-1, "[]" + elem.name, "slice", 24, _types=elem._types, _elem=elem.offset)

    # -- reading ------------------------------------------------------------------

    def num(self, v: Value) -> int | float | complex | bool:
        try:
            return v.number()
        except TypeError as exc:
            raise EvalError(str(exc)) from None

    def make(self, t: GoType, n: Any, name: str) -> Value:
        return Value(self.ctx, name, t, data=_encode(t.kind, n), path=name)

    def string_of(self, v: Value) -> bytes:
        data, n = v.string_bytes(_MAX_STRING)
        if len(data) < n:
            raise EvalError(f"{v.path}: string of {n} bytes is too long to compare")
        return data

    # -- operands -------------------------------------------------------------------

    def visit_ident(self, e: ast.Ident) -> Operand:
        v = self.variable(e.name)
        if v is not None:
            return v
        if e.name in ("true", "false"):
            return Const("bool", e.name == "true")
        if e.name == "nil":
            return Const("nil", None)
        raise EvalError(f"could not find symbol value for {e.name}")

    def visit_basic_lit(self, e: ast.BasicLit) -> Operand:
        k = e.kind
        if k is ast.LitKind.STRING:
            return Const("string", e.value_bytes)
        if k is ast.LitKind.CHAR:
            return Const("rune", e.value)
        if k is ast.LitKind.INT:
            return Const("int", e.value)
        if k is ast.LitKind.FLOAT:
            return Const("float", e.value)
        return Const("complex", complex(e.value))  # type: ignore[arg-type]

    # -- selectors ------------------------------------------------------------------

    def visit_selector(self, e: ast.Selector) -> Operand:
        x = e.x
        if isinstance(x, ast.BasicLit) and x.kind is ast.LitKind.STRING:
            return self.package_var(f"{x.value}.{e.sel}", str(e))
        if isinstance(x, ast.Ident):
            var = self.variable(x.name)
            if var is None:
                return self.package_var(f"{x.name}.{e.sel}", str(e))
            return self.field(self.value(var, x), e.sel, e)
        base = self.value(self.evaluate(x), x)
        return self.field(base, e.sel, e)

    def package_var(self, name: str, shown: str) -> Value:
        g = self.names.package_var(name)
        if g is None:
            raise EvalError(f"could not find symbol value for {shown}")
        return g

    def field(self, base: Value, sel: str, e: ast.Expr) -> Value:
        v = self.ok(base, e.x if isinstance(e, ast.Selector) else e)
        if v.kind == "ptr":
            target = self.deref(v, e.x if isinstance(e, ast.Selector) else e)
            if target.type is not None and target.kind == "struct":
                v = target
        x = e.x if isinstance(e, ast.Selector) else e
        if v.kind != "struct" or v.type is None:
            raise EvalError(f"{_src(x)} (type {base.type_name}) has no field {sel}")
        found = self.find_field(v, sel)
        if found is None:
            raise EvalError(f"{_src(x)} (type {base.type_name}) has no field {sel}")
        found.path = str(e)
        return found

    def find_field(self, v: Value, sel: str) -> Value | None:
        """``sel`` of struct ``v``, promoted through embedded fields (breadth first)."""
        assert v.type is not None
        level = [v]
        for _ in range(8):
            nxt: list[Value] = []
            for s in level:
                assert s.type is not None
                for f in s.type.fields:
                    if f.name == sel:
                        return s.sub(f.name, f.type, f.offset, f.name)
                for f in s.type.fields:
                    if not f.embedded:
                        continue
                    sub = s.sub(f.name, f.type, f.offset, f.name, embedded=True)
                    if f.type.kind == "ptr":
                        try:
                            t = sub.pointee()
                        except (UnreadableMemory, DapcoreError):
                            t = None
                        if t is None:
                            if self.has_field(f.type.elem, sel):
                                raise EvalError(f"invalid memory address or nil pointer "
                                                f"dereference (embedded {f.name} is nil)")
                            continue
                        sub = t
                    if sub.kind == "struct":
                        nxt.append(sub)
            if not nxt:
                return None
            level = nxt
        return None

    def has_field(self, t: GoType | None, sel: str) -> bool:
        return t is not None and t.kind == "struct" and any(f.name == sel for f in t.fields)

    # -- index and slice ----------------------------------------------------------

    def index_int(self, x: Operand, e: ast.Expr, what: str = "index") -> int:
        if isinstance(x, Const):
            n = x.value
            if x.kind == "float" and float(n).is_integer():
                n = int(n)
            if x.kind not in ("int", "rune", "float") or not isinstance(n, int):
                raise EvalError(f"invalid argument: {what} {_src(e)} ({x.describe()}) "
                                f"must be integer")
            if n < 0:
                raise EvalError(f"invalid argument: {what} {_src(e)} (constant of type int) "
                                f"must not be negative")
            return n
        if x.kind not in _INT_BITS:
            raise EvalError(f"invalid argument: {what} {_src(e)} (variable of type "
                            f"{x.type_name}) must be integer")
        n = self.num(x)
        assert isinstance(n, int)
        return n

    def visit_index(self, e: ast.Index) -> Operand:
        x = self.evaluate(e.x)
        if isinstance(x, Const):
            if x.kind == "string":
                i = self.index_int(self.evaluate(e.index), e.index)
                if i >= len(x.value):
                    raise EvalError(f"index out of range [{i}] with length {len(x.value)}")
                return self.make(self.basic("uint8"), x.value[i], str(e))
            raise EvalError(f"invalid operation: cannot index {_src(e.x)} ({x.describe()})")
        k = self.ok(x, e.x).kind
        if k == "ptr" and x.type is not None and x.type.elem is not None \
                and x.type.elem.kind == "array":
            x = self.deref(x, e.x)
            k = "array"
        if k == "map":
            return self.map_index(x, e)
        if k not in ("array", "slice", "string"):
            raise EvalError(f"invalid operation: cannot index {_src(e.x)} "
                            f"(variable of type {x.type_name})")
        i = self.index_int(self.evaluate(e.index), e.index)
        path = str(e)
        assert x.type is not None
        if k == "string":
            ptr, n = x.string_header()
            if not 0 <= i < n:
                raise EvalError(f"index out of range [{i}] with length {n}")
            b = self.ctx.mem.read(ptr + i, 1)
            return Value(self.ctx, path, self.basic("uint8"), addr=ptr + i, data=b, path=path)
        elem = x.type.elem
        if elem is None:
            raise EvalError(f"{_src(e.x)}: element type unknown")
        if k == "array":
            n = x.type.length or 0
            if not 0 <= i < n:
                raise EvalError(f"index out of range [{i}] with length {n}")
            return x.sub(path, elem, i * elem.size, path)
        ptr, n, _ = x.slice_header()
        if not 0 <= i < n:
            raise EvalError(f"index out of range [{i}] with length {n}")
        return Value(self.ctx, path, elem, addr=ptr + i * elem.size, path=path)

    def map_index(self, m: Value, e: ast.Index) -> Value:
        assert m.type is not None
        kt = m.type.key
        key = self.evaluate(e.index)
        if kt is None:
            raise EvalError(f"{_src(e.x)}: key type unknown")
        want = self.key_of(key, kt, e.index)
        for k, v in map_pairs(m):
            if self.key_of(k, kt, e.index) == want:
                v.name = v.path = str(e)
                v.key = k
                return v
        raise EvalError(f"key {_src(e.index)} not found in {_src(e.x)}")

    def key_of(self, key: Operand, kt: GoType, e: ast.Expr) -> Any:
        """A comparable Python form of a map key (given or stored)."""
        if isinstance(key, Const):
            try:
                key = self.convert_const(key, kt, e)
            except EvalError as exc:
                raise EvalError(f"{exc} in map index") from None
        if isinstance(key, Const):
            return key.value
        if key.type_name != kt.name and key.kind != kt.kind:
            raise EvalError(f"cannot use {_src(e)} (variable of type {key.type_name}) as "
                            f"{kt.name} value in map index")
        k = key.kind
        if k == "string":
            return self.string_of(key)
        if k == "bool" or _is_numeric_kind(k) or k in ("ptr", "unsafe.Pointer", "chan"):
            return self.num(key)
        if k == "interface":
            if isinstance(key, _Asserted):
                key = key.source
            dyn = dynamic_value(key)
            if dyn is None:
                return None
            if dyn.type is None:
                raise EvalError(f"{_src(e)}: no DWARF type for {dynamic_type_name(key)}")
            return (dyn.type_name, self.key_of(dyn, dyn.type, e))
        if k == "struct" and key.type is not None:
            return tuple(self.key_of(key.sub(f.name, f.type, f.offset, f.name), f.type, e)
                         for f in key.type.fields)
        if k == "array" and key.type is not None and key.type.elem is not None:
            el = key.type.elem
            return tuple(self.key_of(key.sub("", el, i * el.size, ""), el, e)
                         for i in range(key.type.length or 0))
        raise EvalError(f"map keys of type {kt.name} are not supported in expressions")

    def visit_slice(self, e: ast.Slice) -> Operand:
        x = self.evaluate(e.x)
        low = 0 if e.low is None else self.index_int(self.evaluate(e.low), e.low)
        high_v = None if e.high is None else self.index_int(self.evaluate(e.high), e.high)
        max_v = None if e.max is None else self.index_int(self.evaluate(e.max), e.max)
        path = str(e)
        if isinstance(x, Const):
            if x.kind != "string":
                raise EvalError(f"cannot slice {_src(e.x)} ({x.describe()})")
            if max_v is not None:
                raise EvalError("invalid operation: 3-index slice of string")
            n = len(x.value)
            high = n if high_v is None else high_v
            self.check_bounds(low, high, None, n, "length")
            return Const("string", x.value[low:high])
        k = self.ok(x, e.x).kind
        if k == "ptr" and x.type is not None and x.type.elem is not None \
                and x.type.elem.kind == "array":
            x = self.deref(x, e.x)
            k = "array"
        assert x.type is not None or k not in ("array", "slice", "string")
        if k == "string":
            if max_v is not None:
                raise EvalError("invalid operation: 3-index slice of string")
            ptr, n = x.string_header()
            high = n if high_v is None else high_v
            self.check_bounds(low, high, None, n, "length")
            data = (ptr + low if high > low else ptr).to_bytes(8, "little") \
                + (high - low).to_bytes(8, "little")
            assert x.type is not None
            return Value(self.ctx, path, x.type, data=data, path=path)
        if k == "array":
            assert x.type is not None
            if x.addr is None:
                raise EvalError(f"invalid operation: {_src(e.x)} (slice of unaddressable value)")
            elem = x.type.elem
            if elem is None:
                raise EvalError(f"{_src(e.x)}: element type unknown")
            ptr, n, cap = x.addr, x.type.length or 0, x.type.length or 0
            st = self.slice_of(elem)
        elif k == "slice":
            assert x.type is not None
            elem = x.type.elem
            if elem is None:
                raise EvalError(f"{_src(e.x)}: element type unknown")
            ptr, n, cap = x.slice_header()
            st = x.type
        else:
            raise EvalError(f"cannot slice {_src(e.x)} (variable of type {x.type_name})")
        high = n if high_v is None else high_v
        self.check_bounds(low, high, max_v, cap, "capacity")
        new_cap = (cap if max_v is None else max_v) - low
        data = (ptr + low * elem.size if new_cap else ptr).to_bytes(8, "little") \
            + (high - low).to_bytes(8, "little", signed=True) \
            + new_cap.to_bytes(8, "little", signed=True)
        return Value(self.ctx, path, st, data=data, path=path)

    def check_bounds(self, low: int, high: int, mx: int | None, cap: int, what: str) -> None:
        if mx is not None:
            if mx > cap:
                raise EvalError(f"slice bounds out of range [::{mx}] with {what} {cap}")
            if high > mx:
                raise EvalError(f"slice bounds out of range [:{high}:{mx}]")
            if low > high:
                raise EvalError(f"slice bounds out of range [{low}:{high}:]")
            return
        if high > cap:
            raise EvalError(f"slice bounds out of range [:{high}] with {what} {cap}")
        if low > high:
            raise EvalError(f"slice bounds out of range [{low}:{high}]")

    # -- unary ------------------------------------------------------------------------

    def deref(self, v: Value, e: ast.Expr) -> Value:
        if self.ok(v, e).kind != "ptr":
            raise EvalError(f"invalid operation: cannot indirect {_src(e)} "
                            f"(variable of type {v.type_name})")
        t = v.pointee()
        if t is None:
            raise EvalError(f"invalid memory address or nil pointer dereference: {_src(e)} "
                            f"is nil")
        if t.type is None or t.type.kind == "invalid":
            raise EvalError(f"{_src(e)}: unknown pointer target type")
        return t

    def visit_unary(self, e: ast.Unary) -> Operand:
        if e.op == "<-":
            raise EvalError("receiving from a channel is not possible on a core file")
        x = self.evaluate(e.x)
        if e.op == "*":
            if isinstance(x, Const):
                raise EvalError(f"invalid operation: cannot indirect {_src(e.x)} "
                                f"({x.describe()})")
            t = self.deref(x, e.x)
            t.name = t.path = str(e)
            return t
        if e.op == "&":
            if isinstance(x, Const):
                raise EvalError(f"invalid operation: cannot take address of {_src(e.x)} "
                                f"({x.describe()})")
            self.ok(x, e.x)
            if x.addr is None or x.type is None or isinstance(x, Constant):
                raise EvalError(f"invalid operation: cannot take address of {_src(e.x)} "
                                f"(value not in memory)")
            return self.make(self.pointer_to(x.type), x.addr, str(e))
        if isinstance(x, Const):
            return self.unary_const(e, x)
        k = x.kind
        if e.op == "!":
            if k != "bool":
                raise EvalError(f"invalid operation: operator ! not defined on {_src(e.x)} "
                                f"(variable of type {x.type_name})")
            assert x.type is not None
            return self.make(x.type, not self.num(x), str(e))
        if not _is_numeric_kind(k) or (e.op == "^" and k not in _INT_BITS):
            raise EvalError(f"invalid operation: operator {e.op} not defined on {_src(e.x)} "
                            f"(variable of type {x.type_name})")
        n = self.num(x)
        assert x.type is not None
        if e.op == "+":
            r: Any = n
        elif e.op == "-":
            r = -n
        else:
            r = ~n  # type: ignore[operator]
        if k in _INT_BITS:
            r = _wrap(r, k)
        return self.make(x.type, r, str(e))

    def unary_const(self, e: ast.Unary, x: Const) -> Const:
        v = x.value
        if e.op == "!":
            if x.kind != "bool":
                raise EvalError(f"invalid operation: operator ! not defined on {_src(e.x)} "
                                f"({x.describe()})")
            return Const("bool", not v)
        if x.kind not in ("int", "rune", "float", "complex") or \
                (e.op == "^" and x.kind not in ("int", "rune")):
            raise EvalError(f"invalid operation: operator {e.op} not defined on {_src(e.x)} "
                            f"({x.describe()})")
        if e.op == "+":
            return x
        if e.op == "-":
            return Const(x.kind, -v)
        return Const(x.kind, ~v)

    # -- binary ----------------------------------------------------------------------

    def visit_binary(self, e: ast.Binary) -> Operand:
        op = e.op
        x = self.evaluate(e.x)
        if op in ("&&", "||"):
            a = self.truth(x, e.x, op)
            if (op == "&&" and not a) or (op == "||" and a):
                return Const("bool", a)
            return Const("bool", self.truth(self.evaluate(e.y), e.y, op))
        y = self.evaluate(e.y)
        if op in ("<<", ">>"):
            return self.shift(e, x, y)
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return self.compare(e, x, y)
        return self.arith(e, x, y)

    def truth(self, x: Operand, e: ast.Expr, op: str) -> bool:
        if isinstance(x, Const):
            if x.kind == "bool":
                return bool(x.value)
        elif x.kind == "bool":
            return bool(self.num(x))
        raise EvalError(f"invalid operation: operator {op} not defined on {_src(e)} "
                        f"({_describe(x)})")

    def unify(self, e: ast.Binary, x: Operand, y: Operand) -> tuple[Operand, Operand]:
        """Give an untyped operand the other's type (Go's assignability of
        constants); refuse mismatched typed operands."""
        if isinstance(x, Const) and not isinstance(y, Const):
            return self.convert_const(x, y.type, e.x, e), y  # type: ignore[arg-type]
        if isinstance(y, Const) and not isinstance(x, Const):
            return x, self.convert_const(y, x.type, e.y, e)  # type: ignore[arg-type]
        if isinstance(x, Value) and isinstance(y, Value) and x.type_name != y.type_name:
            raise EvalError(f"invalid operation: {e} (mismatched types {x.type_name} and "
                            f"{y.type_name})")
        return x, y

    def convert_const(self, c: Const, t: GoType | None, e: ast.Expr,
                      whole: ast.Expr | None = None) -> Operand:
        """The untyped constant ``c`` as a value of type ``t`` (checks it fits)."""
        if t is None:
            raise EvalError(f"{_src(e)}: operand type unknown")
        k = t.kind
        v = c.value
        if c.kind == "nil":
            if k in _NILABLE:
                return c
            raise EvalError(f"cannot convert nil to type {t.name}")
        bad = EvalError(f"cannot use {_src(e)} ({c.describe()}) as {t.name} value"
                        + (f" in {whole}" if whole is not None else ""))
        if c.kind == "string":
            if k != "string":
                raise bad
            return c
        if c.kind == "bool":
            if k != "bool":
                raise bad
            return self.make(t, v, str(e))
        if k in _INT_BITS:
            if isinstance(v, complex):
                if v.imag:
                    raise EvalError(f"cannot use {_src(e)} ({c.describe()}) as {t.name} value "
                                    f"(truncated)")
                v = v.real
            if isinstance(v, float):
                if not v.is_integer():
                    raise EvalError(f"cannot use {_src(e)} ({c.describe()}) as {t.name} value "
                                    f"(truncated)")
                v = int(v)
            if not _fits(v, k):
                raise EvalError(f"cannot use {_src(e)} ({c.describe()}) as {t.name} value "
                                f"(overflows)")
            return self.make(t, v, str(e))
        if k in _FLOATS:
            if isinstance(v, complex):
                if v.imag:
                    raise bad
                v = v.real
            try:
                f = float(v)
            except OverflowError:
                raise EvalError(f"cannot use {_src(e)} ({c.describe()}) as {t.name} value "
                                f"(overflows)") from None
            return self.make(t, f, str(e))
        if k in _COMPLEXES:
            return self.make(t, complex(v), str(e))
        raise bad

    def compare(self, e: ast.Binary, x: Operand, y: Operand) -> Const:
        op = e.op
        # nil comparisons
        for a, b in ((x, y), (y, x)):
            if isinstance(b, Const) and b.kind == "nil":
                if isinstance(a, Const):
                    if a.kind == "nil":
                        raise EvalError(f"invalid operation: {e} (operator {op} not defined "
                                        f"on nil)")
                    raise EvalError(f"invalid operation: {e} (mismatched types "
                                    f"{_describe(a)} and untyped nil)")
                if a.kind not in _NILABLE or op not in ("==", "!="):
                    raise EvalError(f"invalid operation: {e} (mismatched types "
                                    f"{a.type_name} and untyped nil)")
                is_nil = self.is_nil(a)
                return Const("bool", is_nil if op == "==" else not is_nil)
        if isinstance(x, Const) and isinstance(y, Const):
            return Const("bool", _cmp(op, *self.const_pair(e, x, y)))
        x, y = self.unify(e, x, y)
        kind = x.kind if isinstance(x, Value) else y.kind  # type: ignore[union-attr]
        if kind in ("struct", "array", "interface") and op in ("==", "!=") \
                and isinstance(x, Value) and isinstance(y, Value) and x.type is not None:
            try:
                a, b = self.key_of(x, x.type, e.x), self.key_of(y, x.type, e.y)
            except EvalError as exc:
                raise EvalError(f"invalid operation: {e} ({exc})") from None
            return Const("bool", (a == b) == (op == "=="))
        a, b = self.plain(x), self.plain(y)
        if kind in ("ptr", "unsafe.Pointer", "chan", "map", "func", "slice", "interface",
                    "struct", "array"):
            if kind not in ("ptr", "unsafe.Pointer", "chan") or op not in ("==", "!="):
                raise EvalError(f"invalid operation: {e} (operator {op} not defined on "
                                f"{_src(e.x)} (variable of type {_describe(x)}))")
        if op not in ("==", "!=") and (kind == "bool" or kind in _COMPLEXES):
            raise EvalError(f"invalid operation: {e} (operator {op} not defined on "
                            f"{_src(e.x)} (variable of type {_describe(x)}))")
        return Const("bool", _cmp(op, a, b))

    def is_nil(self, v: Value) -> bool:
        if isinstance(v, _Asserted):
            v = v.source
        return v.word(0) == 0

    def plain(self, x: Operand) -> Any:
        """A typed or untyped operand as a Python value (strings as bytes)."""
        if isinstance(x, Const):
            return x.value
        if x.kind == "string":
            return self.string_of(x)
        if x.kind in ("bool", "ptr", "unsafe.Pointer", "chan") or _is_numeric_kind(x.kind):
            return self.num(x)
        raise EvalError(f"{x.path} (type {x.type_name}) cannot be an operand here")

    def const_pair(self, e: ast.Binary, x: Const, y: Const) -> tuple[Any, Any]:
        num = ("int", "rune", "float", "complex")
        if x.kind in num and y.kind in num:
            return x.value, y.value
        if x.kind != y.kind:
            raise EvalError(f"invalid operation: {e} (mismatched types {_describe(x)} and "
                            f"{_describe(y)})")
        return x.value, y.value

    def shift(self, e: ast.Binary, x: Operand, y: Operand) -> Operand:
        if isinstance(y, Const):
            s = y.value
            if isinstance(s, float) and s.is_integer():
                s = int(s)
            if not isinstance(s, int) or isinstance(s, bool) or y.kind not in ("int", "rune",
                                                                               "float"):
                raise EvalError(f"invalid operation: shift count {_src(e.y)} "
                                f"({y.describe()}) must be integer")
        else:
            if y.kind not in _INT_BITS:
                raise EvalError(f"invalid operation: shift count {_src(e.y)} (variable of "
                                f"type {y.type_name}) must be integer")
            s = self.num(y)
        if s < 0:
            raise EvalError(f"invalid operation: negative shift count {_src(e.y)}")
        if isinstance(x, Const):
            v = x.value
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if x.kind not in ("int", "rune", "float") or not isinstance(v, int):
                raise EvalError(f"invalid operation: shifted operand {_src(e.x)} "
                                f"({x.describe()}) must be integer")
            if s > 10000:
                raise EvalError(f"invalid shift count {s}")
            return Const("int" if x.kind == "float" else x.kind, v << s if e.op == "<<"
                         else v >> s)
        if x.kind not in _INT_BITS:
            raise EvalError(f"invalid operation: shifted operand {_src(e.x)} (variable of "
                            f"type {x.type_name}) must be integer")
        n = self.num(x)
        assert isinstance(n, int) and x.type is not None
        s = min(int(s), 128)
        return self.make(x.type, _wrap(n << s if e.op == "<<" else n >> s, x.kind), str(e))

    def arith(self, e: ast.Binary, x: Operand, y: Operand) -> Operand:
        op = e.op
        if isinstance(x, Const) and isinstance(y, Const):
            return self.const_arith(e, x, y)
        x, y = self.unify(e, x, y)
        if isinstance(x, Const) or isinstance(y, Const):  # a string constant with a string
            typed = y if isinstance(x, Const) else x
            assert isinstance(typed, Value)
            k = typed.kind
        else:
            k = x.kind
            typed = x
        t = typed.type
        assert t is not None
        a, b = self.plain(x), self.plain(y)
        if k == "string":
            if op != "+":
                raise EvalError(f"invalid operation: operator {op} not defined on {_src(e.x)} "
                                f"(variable of type {t.name})")
            return Const("string", a + b)  # not in memory: an untyped-looking string
        if not _is_numeric_kind(k):
            raise EvalError(f"invalid operation: operator {op} not defined on {_src(e.x)} "
                            f"(variable of type {t.name})")
        if k in _INT_BITS:
            if op in ("/", "%") and b == 0:
                raise EvalError("integer divide by zero")
            return self.make(t, _wrap(_int_op(op, a, b), k), str(e))
        if op in ("%", "&", "|", "^", "&^"):
            raise EvalError(f"invalid operation: operator {op} not defined on {_src(e.x)} "
                            f"(variable of type {t.name})")
        r = _float_op(op, a, b)
        return self.make(t, r, str(e))

    def const_arith(self, e: ast.Binary, x: Const, y: Const) -> Const:
        op = e.op
        if x.kind == "string" and y.kind == "string":
            if op != "+":
                raise EvalError(f"invalid operation: operator {op} not defined on {_src(e.x)} "
                                f"(untyped string constant)")
            return Const("string", x.value + y.value)
        a, b = self.const_pair(e, x, y)
        order = ("int", "rune", "float", "complex")
        if x.kind not in order or y.kind not in order:
            raise EvalError(f"invalid operation: operator {op} not defined on {_src(e.x)} "
                            f"({x.describe()})")
        kind = max(x.kind, y.kind, key=order.index)
        if kind in ("int", "rune"):
            if op in ("/", "%") and b == 0:
                raise EvalError("invalid operation: division by zero")
            return Const(kind, _int_op(op, a, b))
        if op in ("%", "&", "|", "^", "&^"):
            raise EvalError(f"invalid operation: operator {op} not defined on {_src(e.x)} "
                            f"({x.describe()})")
        if op == "/" and b == 0:
            raise EvalError("invalid operation: division by zero")
        return Const(kind, _float_op(op, a, b))

    # -- calls and conversions ----------------------------------------------------------

    def visit_call(self, e: ast.Call) -> Operand:
        b = ast.builtin_name(e)
        if b is not None and self.local(b) is None:
            return self.builtin(b, e)
        t = ast.callee_type(e)
        if t is not None:
            gt = self.resolve_type(t, quiet=True)
            if gt is not None:
                return self.convert(gt, e.args[0], e)
        raise EvalError(f"{CALLS_IMPOSSIBLE}: {e.func}")

    def builtin(self, name: str, e: ast.Call) -> Operand:
        arg = e.args[0]
        x = self.evaluate(arg)
        if isinstance(x, Const):
            if x.kind == "string" and name == "len":
                return Const("int", len(x.value))
            raise EvalError(f"invalid argument: {_src(arg)} ({x.describe()}) for built-in "
                            f"{name}")
        k = self.ok(x, arg).kind
        if k == "ptr" and x.type is not None and x.type.elem is not None \
                and x.type.elem.kind == "array":
            k = "array"
            x = Value(self.ctx, x.name, x.type.elem, addr=0)  # only the type is used
        n: int | None = None
        if k == "array":
            assert x.type is not None
            n = x.type.length or 0
        elif k == "slice":
            _, ln, cp = x.slice_header()
            n = ln if name == "len" else cp
        elif k == "string" and name == "len":
            n = x.string_header()[1]
        elif k == "map" and name == "len":
            n = map_len(x)
        elif k == "chan":
            st = chan_state(x)
            n = 0 if st is None else (st.qcount if name == "len" else st.dataqsiz)
        if n is None:
            raise EvalError(f"invalid argument: {_src(arg)} (variable of type {x.type_name}) "
                            f"for built-in {name}")
        return self.make(self.basic("int"), n, str(e))

    def visit_conversion(self, e: ast.Conversion) -> Operand:
        t = self.resolve_type(e.type)
        assert t is not None
        return self.convert(t, e.x, e)

    def convert(self, t: GoType, arg: ast.Expr, e: ast.Expr) -> Operand:
        x = self.evaluate(arg)
        k = t.kind
        path = str(e)
        if k in ("ptr", "unsafe.Pointer"):
            if isinstance(x, Const):
                if x.kind == "nil":
                    return self.make(t, 0, path)
                if x.kind not in ("int", "rune") or not _fits(x.value, "uint64"):
                    raise EvalError(f"cannot convert {_src(arg)} ({x.describe()}) to type "
                                    f"{t.name}")
                addr = x.value
            elif x.kind in ("ptr", "unsafe.Pointer", "uintptr") or x.kind in _INT_BITS:
                raw_addr = self.num(x)
                assert isinstance(raw_addr, int)
                addr = _wrap(raw_addr, "uint64")
            else:
                raise EvalError(f"cannot convert {_src(arg)} (variable of type {x.type_name}) "
                                f"to type {t.name}")
            return self.make(t, addr, path)
        if isinstance(x, Const):
            if x.kind == "int" and k == "string":
                raise EvalError(f"conversion of integers to {t.name} is not supported")
            if _is_numeric_kind(k) and x.kind in ("int", "rune", "float", "complex"):
                c = x
                if k in _INT_BITS and x.kind == "float" and float(x.value).is_integer():
                    c = Const("int", int(x.value))
                if k in _INT_BITS and isinstance(c.value, int) and not _fits(c.value, k):
                    raise EvalError(f"cannot convert {_src(arg)} ({x.describe()}) to type "
                                    f"{t.name} (overflows)")
                r = self.convert_const(c, t, arg)
                if isinstance(r, Value):
                    r.name = r.path = path
                return r
            r = self.convert_const(x, t, arg)
            if isinstance(r, Value):
                r.name = r.path = path
            return r
        if _is_numeric_kind(k) and _is_numeric_kind(x.kind):
            n = self.num(x)
            if k in _INT_BITS:
                if isinstance(n, complex):
                    raise EvalError(f"cannot convert {_src(arg)} (variable of type "
                                    f"{x.type_name}) to type {t.name}")
                if isinstance(n, float):
                    if math.isnan(n) or math.isinf(n):
                        n = -(1 << 63)  # what amd64 gives
                    else:
                        n = int(n)
                return self.make(t, _wrap(n, k), path)
            if k in _FLOATS:
                if isinstance(n, complex):
                    raise EvalError(f"cannot convert {_src(arg)} (variable of type "
                                    f"{x.type_name}) to type {t.name}")
                return self.make(t, float(n), path)
            if x.kind not in _COMPLEXES:
                raise EvalError(f"cannot convert {_src(arg)} (variable of type {x.type_name}) "
                                f"to type {t.name}")
            return self.make(t, n, path)
        if k == x.kind and k in ("bool", "string", "struct", "slice", "map", "chan", "func",
                                 "array") and x.type is not None and t.size == x.type.size:
            if k == "struct" and [f.name for f in t.fields] != [f.name
                                                                for f in x.type.fields]:
                raise EvalError(f"cannot convert {_src(arg)} (variable of type "
                                f"{x.type_name}) to type {t.name}")
            return Value(self.ctx, path, t, addr=x.addr,
                         data=None if x.addr is not None else x.raw(), path=path)
        raise EvalError(f"cannot convert {_src(arg)} (variable of type {x.type_name}) to type "
                        f"{t.name}")

    # -- type assertions -------------------------------------------------------------

    def visit_type_assert(self, e: ast.TypeAssert) -> Operand:
        x = self.value(self.evaluate(e.x), e.x)
        if x.kind != "interface":
            raise EvalError(f"invalid operation: {_src(e.x)} (variable of type {x.type_name}) "
                            f"is not an interface")
        want = str(e.type)
        iname = x.type_name
        if isinstance(x, _Asserted):  # the interface it was asserted from holds the same
            x = x.source
        t = self.resolve_type(e.type, quiet=True)
        if t is not None and t.kind == "interface":
            return self.assert_interface(x, t, e)
        have = dynamic_type_name(x)
        if have is None:
            raise EvalError(f"interface conversion: interface is nil, not {want}")
        if not _same_type_name(have, want, t):
            raise EvalError(f"interface conversion: {iname} is {have}, not {want}")
        dyn = dynamic_value(x)
        if dyn is None or dyn.type is None:
            raise EvalError(f"{e}: no DWARF type for {have}")
        dyn.name = dyn.path = str(e)
        return dyn

    def assert_interface(self, x: Value, t: GoType, e: ast.TypeAssert) -> Value:
        """``x.(I)`` for an interface type I: the dynamic type's method set
        must hold every method of I (``runtime/iface.go``)."""
        want = str(e.type)
        path = str(e)
        tword, data = x.word(0), x.word(8)
        if not tword:
            raise EvalError(f"interface conversion: interface is nil, not {want}")
        if x.type is not None and x.type.iface_kind == "iface":
            tword = self.ctx.mem.ptr(tword + 8)  # itab.Type
        have = dynamic_type_name(x) or f"<type {tword:#x}>"
        if t.iface_kind == "eface":
            v = Value(self.ctx, path, t, data=tword.to_bytes(8, "little") +
                      data.to_bytes(8, "little"), path=path)
            return v
        if t.runtime_type is None:
            raise EvalError(f"{path}: no runtime type for {t.name}")
        iaddr = self.ctx.types_base + t.runtime_type
        try:
            missing = missing_method(self.ctx, tword, iaddr)
        except (UnreadableMemory, ValueError) as exc:
            raise EvalError(f"{path}: cannot read the method sets ({exc})") from exc
        if missing is not None:
            raise EvalError(f"interface conversion: {have} is not {want}: "
                            f"missing method {missing}")
        if x.type is not None and x.type.name == t.name:
            return Value(self.ctx, path, t, addr=x.addr,
                         data=None if x.addr is not None else x.raw(), path=path)
        itab = find_itab(self.ctx, iaddr, tword)
        if itab is not None:
            return Value(self.ctx, path, t, data=itab.to_bytes(8, "little") +
                         data.to_bytes(8, "little"), path=path)
        dyn = dynamic_value(x)
        if dyn is None or dyn.type is None:
            raise EvalError(f"{path}: no DWARF type for {have}")
        return _Asserted(self.ctx, path, t, dyn, x)

    # -- types -----------------------------------------------------------------------------

    def resolve_type(self, t: ast.TypeExpr, quiet: bool = False) -> GoType | None:
        try:
            return t.accept(self)  # type: ignore[return-value]
        except EvalError:
            if quiet:
                return None
            raise

    def named(self, name: str) -> GoType:
        t = self.type_by_name(name)
        if t is None:
            raise EvalError(f"could not find type {name}")
        return t

    def visit_type_name(self, t: ast.TypeName) -> Any:
        if isinstance(t.pkg, str) and self.local(t.pkg) is not None:
            raise EvalError(f"{t.pkg}.{t.name} is not a type")
        name = t.name if t.pkg is None else f"{t.pkg}.{t.name}"
        if t.args:
            name += "[" + ",".join(self.named_of(a) for a in t.args) + "]"
        if t.pkg is None and self.local(t.name) is not None:
            raise EvalError(f"{t.name} is not a type")
        return self.named(name)

    def named_of(self, t: ast.TypeExpr) -> str:
        return self.resolve_type(t).name  # type: ignore[union-attr]

    def visit_pointer_type(self, t: ast.PointerType) -> Any:
        elem = self.resolve_type(t.elem)
        assert elem is not None
        return self.pointer_to(elem)

    def visit_slice_type(self, t: ast.SliceType) -> Any:
        return self.named(f"[]{self.named_of(t.elem)}")

    def visit_array_type(self, t: ast.ArrayType) -> Any:
        return self.named(f"[{t.len}]{self.named_of(t.elem)}")

    def visit_map_type(self, t: ast.MapType) -> Any:
        return self.named(f"map[{self.named_of(t.key)}]{self.named_of(t.value)}")

    def visit_chan_type(self, t: ast.ChanType) -> Any:
        return self.named(f"{t.dir.value} {self.named_of(t.elem)}")

    def visit_func_type(self, t: ast.FuncType) -> Any:
        raise EvalError(f"conversions to {t} are not supported")

    def visit_struct_type(self, t: ast.StructType) -> Any:
        return self.named("struct {}")

    def visit_interface_type(self, t: ast.InterfaceType) -> Any:
        return self.named("interface {}")

    # -- glue -----------------------------------------------------------------------------

    def value(self, x: Operand, e: ast.Expr) -> Value:
        if isinstance(x, Const):
            raise EvalError(f"{_src(e)} ({x.describe()}) is not a variable")
        return self.ok(x, e)

    def ok(self, v: Value, e: ast.Expr) -> Value:
        """``v``, if its value can be read (not optimized out or unreadable)."""
        if v.error is not None:
            raise EvalError(f"{_src(e)}: {v.error}")
        return v


class _Asserted(SyntheticValue):
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


def _same_type_name(have: str, want: str, t: GoType | None) -> bool:
    if t is not None and have == t.name:
        return True
    if have == want:
        return True
    # the DWARF spells package paths (net/http.Client); one writes http.Client
    return have.replace("*", "").rsplit("/", 1)[-1] == want.replace("*", "") and \
        have.count("*") == want.count("*")


def _size_of(kind: str) -> int:
    if kind in _INT_BITS:
        return _INT_BITS[kind][0] // 8
    return {"bool": 1, "float32": 4, "float64": 8, "complex64": 8, "complex128": 16,
            "string": 16}.get(kind, 8)


def _float_op(op: str, a: Any, b: Any) -> Any:
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


def _cmp(op: str, a: Any, b: Any) -> bool:
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


def _parses(text: str) -> bool:
    try:
        parse(text)
    except DapcoreError:
        return False
    return True


def _src(e: ast.Expr) -> str:
    return str(e)


def _describe(x: Operand) -> str:
    return x.describe() if isinstance(x, Const) else x.type_name


# ---------------------------------------------------------------------------
# the entry point


def evaluate_node(node: ast.Expr, names: FrameNames) -> Value:
    """The value of a parsed expression, its names looked up in ``names``.
    Raises :class:`EvalError`, never anything else."""
    ev = _Eval(names)
    text = str(node)
    try:
        r = ev.evaluate(node)
    except DapcoreError as exc:
        if isinstance(exc, EvalError):
            raise
        raise EvalError(f"{text}: {exc}") from exc
    except RecursionError:
        raise EvalError(f"{text}: expression too deep") from None
    except Exception as exc:  # a bug, or damaged input not yet foreseen
        raise EvalError(f"{text}: cannot evaluate ({type(exc).__name__}: {exc})") from exc
    if isinstance(r, Const):
        return Constant(names.ctx, text, r)
    if r.name != text and not isinstance(node, ast.Ident):
        r.name = text
    return r
