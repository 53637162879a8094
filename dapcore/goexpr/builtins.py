"""The numeric builtins ``real``, ``imag``, ``complex``, ``min`` and ``max``:
computed from values already in the core, so not function calls.

Go's rules: ``real``/``imag`` of a ``complex64`` are ``float32``, of a
``complex128`` ``float64``, of an untyped constant an untyped float
constant; ``complex(r, i)`` takes two floats of one type (an untyped
constant takes the other operand's type); ``min``/``max`` take one or more
operands of one ordered type (integers, floats, strings), a NaN operand
makes the result NaN, and ``min(0.0, -0.0)`` is ``-0.0``. Arguments that
are all untyped constants give an untyped constant.
"""

from __future__ import annotations

import math
from typing import Any

from dapcore.goexpr import parser as ast
from dapcore.goexpr.evalbase import EvalBase
from dapcore.goexpr.operands import (
    FLOATS,
    INT_BITS,
    Const,
    EvalError,
    Operand,
    describe,
    src,
)
from dapcore.govalues.values import Value

__all__ = ["NUMERIC_BUILTINS", "Builtins"]

NUMERIC_BUILTINS = ("real", "imag", "complex", "min", "max")
_NUMBERS = ("int", "rune", "float", "complex")
_RANK = {"int": 0, "rune": 1, "float": 2, "complex": 3}
_PART_TYPE = {"complex64": "float32", "complex128": "float64"}
_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


class Builtins(EvalBase):
    """``real``, ``imag``, ``complex``, ``min``, ``max`` (when no variable of
    that name is in scope); any other call goes on to the next part."""

    def visit_call(self, e: ast.Call) -> Operand:
        f = e.func
        if isinstance(f, ast.Ident) and f.name in NUMERIC_BUILTINS and not e.ellipsis \
                and self.local(f.name) is None:
            if f.name in ("real", "imag"):
                return self.real_imag(f.name, e)
            if f.name == "complex":
                return self.complex_of(e)
            return self.min_max(f.name, e)
        return super().visit_call(e)  # type: ignore[safe-super]

    def _count(self, name: str, e: ast.Call, want: int | None) -> None:
        n = len(e.args)
        if n == 0 or (want is not None and n < want):
            raise EvalError(f"not enough arguments in call to {name}")
        if want is not None and n > want:
            raise EvalError(f"too many arguments in call to {name}")

    def real_imag(self, name: str, e: ast.Call) -> Operand:
        self._count(name, e, 1)
        arg = e.args[0]
        x = self.evaluate(arg)
        if isinstance(x, Const):
            if x.kind not in _NUMBERS:
                raise EvalError(f"invalid argument: {src(arg)} ({x.describe()}) not of "
                                "complex type")
            c = complex(x.value)
            return Const("float", c.real if name == "real" else c.imag)
        k = self.ok(x, arg).kind
        if k not in _PART_TYPE:
            raise EvalError(f"invalid argument: {src(arg)} (variable of type {x.type_name}) "
                            "not of complex type")
        c = complex(self.num(x))
        return self.make(self.basic(_PART_TYPE[k]), c.real if name == "real" else c.imag,
                         str(e))

    def complex_of(self, e: ast.Call) -> Operand:
        self._count("complex", e, 2)
        (ra, ia) = e.args
        r, i = self.evaluate(ra), self.evaluate(ia)
        if isinstance(r, Const) and isinstance(i, Const):
            for c, a in ((r, ra), (i, ia)):
                if c.kind not in _NUMBERS or (c.kind == "complex" and complex(c.value).imag):
                    raise EvalError(f"invalid argument: {src(a)} ({c.describe()}) must be a "
                                    "float")
            return Const("complex", complex(complex(r.value).real, complex(i.value).real))
        typed = r if isinstance(r, Value) else i
        assert isinstance(typed, Value)
        kind = self.ok(typed, ra if typed is r else ia).kind
        if kind not in _COMPLEX_OF:
            raise EvalError(f"invalid argument: arguments have type {typed.type_name}, "
                            "expected floating-point")
        parts = [self._as(typed, x, a, "complex") for x, a in ((r, ra), (i, ia))]
        return self.make(self.basic(_COMPLEX_OF[kind]), complex(parts[0], parts[1]), str(e))

    def min_max(self, name: str, e: ast.Call) -> Operand:
        self._count(name, e, None)
        xs = [self.evaluate(a) for a in e.args]
        typed = next((x for x in xs if isinstance(x, Value)), None)
        if typed is None:
            return self._const_min_max(name, e, [x for x in xs if isinstance(x, Const)])
        k = self.ok(typed, e.args[xs.index(typed)]).kind
        if k not in INT_BITS and k not in FLOATS and k != "string":
            raise EvalError(f"invalid argument: {src(e.args[xs.index(typed)])} (variable of "
                            f"type {typed.type_name}) cannot be ordered")
        vals = [self._as(typed, x, a, name) for x, a in zip(xs, e.args, strict=True)]
        best = _pick(name, vals)
        if k == "string":  # the operand itself (a constant keeps its text)
            return xs[vals.index(best)]
        assert typed.type is not None  # a readable value has a type
        return self.make(typed.type, best, str(e))

    def _as(self, typed: Value, x: Operand, arg: ast.Expr, name: str) -> Any:
        """``x`` as a Python number (or bytes for strings) of ``typed``'s type."""
        if isinstance(x, Const):
            x = self.convert_const(x, typed.type, arg)
            if isinstance(x, Const):  # a string constant
                return bytes(x.value)
        if x.type_name != typed.type_name:
            raise EvalError(f"invalid argument: mismatched types {typed.type_name} (previous "
                            f"argument) and {x.type_name} (type of {src(arg)}) in {name}")
        self.ok(x, arg)
        if x.kind == "string":
            return self.string_of(x)
        return self.num(x)

    def _const_min_max(self, name: str, e: ast.Call, cs: list[Const]) -> Const:
        if all(c.kind == "string" for c in cs):
            return Const("string", _pick(name, [bytes(c.value) for c in cs]))
        for c, a in zip(cs, e.args, strict=True):
            if c.kind not in _NUMBERS or c.kind == "complex":
                raise EvalError(f"invalid argument: {src(a)} ({describe(c)}) cannot be "
                                "ordered")
        kind = max((c.kind for c in cs), key=_RANK.__getitem__)
        best = _pick(name, [c.value for c in cs])
        # constants are exact: there is no negative zero among them
        return Const(kind, 0.0 if isinstance(best, float) and best == 0 else best)


def _pick(name: str, vals: list[Any]) -> Any:
    """Go's ``min``/``max`` of numbers or byte strings: NaN wins; of equal
    zeros ``min`` takes ``-0.0`` and ``max`` ``+0.0``."""
    if any(isinstance(v, float) and math.isnan(v) for v in vals):
        return math.nan
    best = vals[0]
    for v in vals[1:]:
        if (v < best) if name == "min" else (v > best):
            best = v
        elif v == best == 0 and isinstance(v, float) and isinstance(best, float):
            neg = math.copysign(1.0, v) < 0
            if neg == (name == "min"):
                best = v
    return best
