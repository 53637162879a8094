"""Unary and binary operators with Go's rules: untyped constants take the
other operand's type, mismatched typed operands are refused, integers of
sized types wrap around, comparisons (nil, structs and interfaces by
value), shifts."""

from __future__ import annotations

from typing import Any

from dapcore.goexpr import parser as ast
from dapcore.goexpr.evalbase import EvalBase
from dapcore.goexpr.operands import (
    COMPLEXES,
    FLOATS,
    INT_BITS,
    NILABLE,
    Asserted,
    Const,
    Constant,
    EvalError,
    FunctionValue,
    Operand,
    compare_op,
    describe,
    fits,
    float_op,
    int_op,
    is_numeric_kind,
    src,
    wrap,
)
from dapcore.govalues.types import GoType
from dapcore.govalues.values import Value

__all__ = ["Operators"]


class Operators(EvalBase):
    """Unary and binary operators, untyped constants given a type."""

    def visit_unary(self, e: ast.Unary) -> Operand:
        if e.op == "<-":
            raise EvalError("receiving from a channel is not possible on a core file")
        x = self.evaluate(e.x)
        if e.op == "*":
            if isinstance(x, Const):
                raise EvalError(f"invalid operation: cannot indirect {src(e.x)} "
                                f"({x.describe()})")
            t = self.deref(x, e.x)
            t.name = t.path = str(e)
            return t
        if e.op == "&":
            if isinstance(x, Const):
                raise EvalError(f"invalid operation: cannot take address of {src(e.x)} "
                                f"({x.describe()})")
            self.ok(x, e.x)
            if x.addr is None or x.type is None or isinstance(x, Constant):
                raise EvalError(f"invalid operation: cannot take address of {src(e.x)} "
                                f"(value not in memory)")
            return self.make(self.pointer_to(x.type), x.addr, str(e))
        if isinstance(x, Const):
            return self.unary_const(e, x)
        k = x.kind
        if e.op == "!":
            if k != "bool":
                raise EvalError(f"invalid operation: operator ! not defined on {src(e.x)} "
                                f"(variable of type {x.type_name})")
            assert x.type is not None
            return self.make(x.type, not self.num(x), str(e))
        if not is_numeric_kind(k) or (e.op == "^" and k not in INT_BITS):
            raise EvalError(f"invalid operation: operator {e.op} not defined on {src(e.x)} "
                            f"(variable of type {x.type_name})")
        n = self.num(x)
        assert x.type is not None
        if e.op == "+":
            r: Any = n
        elif e.op == "-":
            r = -n
        else:
            r = ~n  # type: ignore[operator]
        if k in INT_BITS:
            r = wrap(r, k)
        return self.make(x.type, r, str(e))

    def unary_const(self, e: ast.Unary, x: Const) -> Const:
        v = x.value
        if e.op == "!":
            if x.kind != "bool":
                raise EvalError(f"invalid operation: operator ! not defined on {src(e.x)} "
                                f"({x.describe()})")
            return Const("bool", not v)
        if x.kind not in ("int", "rune", "float", "complex") or \
                (e.op == "^" and x.kind not in ("int", "rune")):
            raise EvalError(f"invalid operation: operator {e.op} not defined on {src(e.x)} "
                            f"({x.describe()})")
        if e.op == "+":
            return x
        if e.op == "-":
            return Const(x.kind, -v)
        return Const(x.kind, ~v)

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
        raise EvalError(f"invalid operation: operator {op} not defined on {src(e)} "
                        f"({describe(x)})")

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
            raise EvalError(f"{src(e)}: operand type unknown")
        k = t.kind
        v = c.value
        if c.kind == "nil":
            if k in NILABLE:
                return c
            raise EvalError(f"cannot convert nil to type {t.name}")
        bad = EvalError(f"cannot use {src(e)} ({c.describe()}) as {t.name} value"
                        + (f" in {whole}" if whole is not None else ""))
        if c.kind == "string":
            if k != "string":
                raise bad
            return c
        if c.kind == "bool":
            if k != "bool":
                raise bad
            return self.make(t, v, str(e))
        if k in INT_BITS:
            if isinstance(v, complex):
                if v.imag:
                    raise EvalError(f"cannot use {src(e)} ({c.describe()}) as {t.name} value "
                                    f"(truncated)")
                v = v.real
            if isinstance(v, float):
                if not v.is_integer():
                    raise EvalError(f"cannot use {src(e)} ({c.describe()}) as {t.name} value "
                                    f"(truncated)")
                v = int(v)
            if not fits(v, k):
                raise EvalError(f"cannot use {src(e)} ({c.describe()}) as {t.name} value "
                                f"(overflows)")
            return self.make(t, v, str(e))
        if k in FLOATS:
            if isinstance(v, complex):
                if v.imag:
                    raise bad
                v = v.real
            try:
                f = float(v)
            except OverflowError:
                raise EvalError(f"cannot use {src(e)} ({c.describe()}) as {t.name} value "
                                f"(overflows)") from None
            return self.make(t, f, str(e))
        if k in COMPLEXES:
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
                                    f"{describe(a)} and untyped nil)")
                if a.kind not in NILABLE or op not in ("==", "!="):
                    raise EvalError(f"invalid operation: {e} (mismatched types "
                                    f"{a.type_name} and untyped nil)")
                is_nil = self.is_nil(a)
                return Const("bool", is_nil if op == "==" else not is_nil)
        if isinstance(x, Const) and isinstance(y, Const):
            return Const("bool", compare_op(op, *self.const_pair(e, x, y)))
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
                                f"{src(e.x)} (variable of type {describe(x)}))")
        if op not in ("==", "!=") and (kind == "bool" or kind in COMPLEXES):
            raise EvalError(f"invalid operation: {e} (operator {op} not defined on "
                            f"{src(e.x)} (variable of type {describe(x)}))")
        return Const("bool", compare_op(op, a, b))

    def is_nil(self, v: Value) -> bool:
        if isinstance(v, FunctionValue):
            return False  # a function named as a value is never nil
        if isinstance(v, Asserted):
            v = v.source
        return v.word(0) == 0

    def plain(self, x: Operand) -> Any:
        """A typed or untyped operand as a Python value (strings as bytes)."""
        if isinstance(x, Const):
            return x.value
        if x.kind == "string":
            return self.string_of(x)
        if x.kind in ("bool", "ptr", "unsafe.Pointer", "chan") or is_numeric_kind(x.kind):
            return self.num(x)
        if x.kind in ("slice", "map", "func"):
            raise EvalError(f"invalid operation: {x.path} (variable of type {x.type_name}): "
                            f"a {x.kind} can only be compared to nil")
        raise EvalError(f"{x.path} (type {x.type_name}) cannot be an operand here")

    def const_pair(self, e: ast.Binary, x: Const, y: Const) -> tuple[Any, Any]:
        num = ("int", "rune", "float", "complex")
        if x.kind in num and y.kind in num:
            return x.value, y.value
        if x.kind != y.kind:
            raise EvalError(f"invalid operation: {e} (mismatched types {describe(x)} and "
                            f"{describe(y)})")
        return x.value, y.value

    def shift(self, e: ast.Binary, x: Operand, y: Operand) -> Operand:
        if isinstance(y, Const):
            s = y.value
            if isinstance(s, float) and s.is_integer():
                s = int(s)
            if not isinstance(s, int) or isinstance(s, bool) or y.kind not in ("int", "rune",
                                                                               "float"):
                raise EvalError(f"invalid operation: shift count {src(e.y)} "
                                f"({y.describe()}) must be integer")
        else:
            if y.kind not in INT_BITS:
                raise EvalError(f"invalid operation: shift count {src(e.y)} (variable of "
                                f"type {y.type_name}) must be integer")
            s = self.num(y)
        if s < 0:
            raise EvalError(f"invalid operation: negative shift count {src(e.y)}")
        if isinstance(x, Const):
            v = x.value
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if x.kind not in ("int", "rune", "float") or not isinstance(v, int):
                raise EvalError(f"invalid operation: shifted operand {src(e.x)} "
                                f"({x.describe()}) must be integer")
            if s > 10000:
                raise EvalError(f"invalid shift count {s}")
            return Const("int" if x.kind == "float" else x.kind, v << s if e.op == "<<"
                         else v >> s)
        if x.kind not in INT_BITS:
            raise EvalError(f"invalid operation: shifted operand {src(e.x)} (variable of "
                            f"type {x.type_name}) must be integer")
        n = self.num(x)
        assert isinstance(n, int) and x.type is not None
        s = min(int(s), 128)
        return self.make(x.type, wrap(n << s if e.op == "<<" else n >> s, x.kind), str(e))

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
                raise EvalError(f"invalid operation: operator {op} not defined on {src(e.x)} "
                                f"(variable of type {t.name})")
            return Const("string", a + b)  # not in memory: an untyped-looking string
        if not is_numeric_kind(k):
            raise EvalError(f"invalid operation: operator {op} not defined on {src(e.x)} "
                            f"(variable of type {t.name})")
        if k in INT_BITS:
            if op in ("/", "%") and b == 0:
                raise EvalError("integer divide by zero")
            return self.make(t, wrap(int_op(op, a, b), k), str(e))
        if op in ("%", "&", "|", "^", "&^"):
            raise EvalError(f"invalid operation: operator {op} not defined on {src(e.x)} "
                            f"(variable of type {t.name})")
        r = float_op(op, a, b)
        return self.make(t, r, str(e))

    def const_arith(self, e: ast.Binary, x: Const, y: Const) -> Const:
        op = e.op
        if x.kind == "string" and y.kind == "string":
            if op != "+":
                raise EvalError(f"invalid operation: operator {op} not defined on {src(e.x)} "
                                f"(untyped string constant)")
            return Const("string", x.value + y.value)
        a, b = self.const_pair(e, x, y)
        order = ("int", "rune", "float", "complex")
        if x.kind not in order or y.kind not in order:
            raise EvalError(f"invalid operation: operator {op} not defined on {src(e.x)} "
                            f"({x.describe()})")
        kind = max(x.kind, y.kind, key=order.index)
        if kind in ("int", "rune"):
            if op in ("/", "%") and b == 0:
                raise EvalError("invalid operation: division by zero")
            return Const(kind, int_op(op, a, b))
        if op in ("%", "&", "|", "^", "&^"):
            raise EvalError(f"invalid operation: operator {op} not defined on {src(e.x)} "
                            f"({x.describe()})")
        if op == "/" and b == 0:
            raise EvalError("invalid operation: division by zero")
        return Const(kind, float_op(op, a, b))
