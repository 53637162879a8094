"""Calls and conversions: the builtins ``len``/``cap``, conversions
(``T(x)``, ``(*T)(0xaddr)``), type assertions (to interface types by the
method sets of the runtime type descriptors,
:mod:`dapcore.govalues.methods`). Other calls are refused: nothing runs on
a core."""

from __future__ import annotations

import math

from dapcore.errors import UnreadableMemory
from dapcore.goexpr import parser as ast
from dapcore.goexpr.evalbase import EvalBase
from dapcore.goexpr.operands import (
    FLOATS,
    INT_BITS,
    Asserted,
    CastPointer,
    Const,
    EvalError,
    Operand,
    encode,
    fits,
    is_numeric_kind,
    same_type_name,
    src,
    wrap,
)
from dapcore.goexpr.parser import CALLS_IMPOSSIBLE
from dapcore.govalues.chans import chan_state
from dapcore.govalues.ifaces import dynamic_type_name, dynamic_value
from dapcore.govalues.maps import map_len
from dapcore.govalues.methods import find_itab, missing_method
from dapcore.govalues.types import GoType
from dapcore.govalues.values import Value

__all__ = ["Conversions"]


_ALLOCATING = ("new", "make", "append")


def _quoted(t: ast.TypeExpr) -> bool:
    while isinstance(t, ast.PointerType):
        t = t.elem
    return isinstance(t, ast.TypeName) and ast.is_quoted_name(t)


class Conversions(EvalBase):
    """Builtins, conversions and type assertions."""

    def visit_call(self, e: ast.Call) -> Operand:
        b = ast.builtin_name(e)
        if b is not None and self.local(b) is None:
            return self.builtin(b, e)
        t = ast.callee_type(e)
        if t is not None:
            # a name in quotes can only be a type: say when there is none
            gt = self.resolve_type(t, quiet=not _quoted(t))
            if gt is not None:
                return self.convert(gt, e.args[0], e)
        raise EvalError(f"{CALLS_IMPOSSIBLE}: {e.func}{self.call_hint(e)}")

    def call_hint(self, e: ast.Call) -> str:
        """What to do instead of a call, where there is something to do."""
        f = e.func
        if isinstance(f, ast.Ident) and f.name in _ALLOCATING:
            return f" ({f.name} allocates memory, which a core file cannot do)"
        if not isinstance(f, ast.Selector):
            return ""
        names = ast.dotted_name(f)
        if names is not None and self.variable(names[0]) is None:
            return ""  # pkg.F
        return (f" (nothing runs on a core file: read {f.x}'s fields instead, or "
                f"{f.x}.(data) for the value an interface holds)")

    def builtin(self, name: str, e: ast.Call) -> Operand:
        arg = e.args[0]
        x = self.evaluate(arg)
        if isinstance(x, Const):
            if x.kind == "string" and name == "len":
                return Const("int", len(x.value))
            raise EvalError(f"invalid argument: {src(arg)} ({x.describe()}) for built-in "
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
            st = chan_state(x, waiters=False)
            n = 0 if st is None else (st.qcount if name == "len" else st.dataqsiz)
        if n is None:
            raise EvalError(f"invalid argument: {src(arg)} (variable of type {x.type_name}) "
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
        made = self.text_convert(t, x, arg, path)
        if made is not None:
            return made
        if k in ("ptr", "unsafe.Pointer"):
            if isinstance(x, Const):
                if x.kind == "nil":
                    return self.make(t, 0, path)
                if x.kind not in ("int", "rune") or not fits(x.value, "uint64"):
                    raise EvalError(f"cannot convert {src(arg)} ({x.describe()}) to type "
                                    f"{t.name}")
                addr = x.value
            elif x.kind in ("ptr", "unsafe.Pointer", "uintptr") or x.kind in INT_BITS:
                raw_addr = self.num(x)
                assert isinstance(raw_addr, int)
                addr = wrap(raw_addr, "uint64")
            else:
                raise EvalError(f"cannot convert {src(arg)} (variable of type {x.type_name}) "
                                f"to type {t.name}")
            if k == "ptr":
                return CastPointer(self.ctx, path, t, data=encode(k, addr), path=path)
            return self.make(t, addr, path)
        if k in INT_BITS and isinstance(x, Value) and x.kind in ("ptr", "unsafe.Pointer"):
            # uintptr(unsafe.Pointer(p)), and as Delve allows, uintptr(&x)
            return self.make(t, wrap(self.ok(x, arg).word(0), k), path)
        if isinstance(x, Const):
            if x.kind == "int" and k == "string":
                raise EvalError(f"conversion of integers to {t.name} is not supported")
            if is_numeric_kind(k) and x.kind in ("int", "rune", "float", "complex"):
                c = x
                if k in INT_BITS and x.kind == "float" and float(x.value).is_integer():
                    c = Const("int", int(x.value))
                if k in INT_BITS and isinstance(c.value, int) and not fits(c.value, k):
                    raise EvalError(f"cannot convert {src(arg)} ({x.describe()}) to type "
                                    f"{t.name} (overflows)")
                r = self.convert_const(c, t, arg)
                if isinstance(r, Value):
                    r.name = r.path = path
                return r
            r = self.convert_const(x, t, arg)
            if isinstance(r, Value):
                r.name = r.path = path
            return r
        if is_numeric_kind(k) and is_numeric_kind(x.kind):
            n = self.num(x)
            if k in INT_BITS:
                if isinstance(n, complex):
                    raise EvalError(f"cannot convert {src(arg)} (variable of type "
                                    f"{x.type_name}) to type {t.name}")
                if isinstance(n, float):
                    if math.isnan(n) or math.isinf(n):
                        n = -(1 << 63)  # what amd64 gives
                    else:
                        n = int(n)
                return self.make(t, wrap(n, k), path)
            if k in FLOATS:
                if isinstance(n, complex):
                    raise EvalError(f"cannot convert {src(arg)} (variable of type "
                                    f"{x.type_name}) to type {t.name}")
                return self.make(t, float(n), path)
            # complex128(f): Go refuses it for a variable; Delve gives f+0i
            return self.make(t, complex(n), path)
        if k == x.kind and k in ("bool", "string", "struct", "slice", "map", "chan", "func",
                                 "array") and x.type is not None and t.size == x.type.size:
            if k == "struct" and [f.name for f in t.fields] != [f.name
                                                                for f in x.type.fields]:
                raise EvalError(f"cannot convert {src(arg)} (variable of type "
                                f"{x.type_name}) to type {t.name}")
            return Value(self.ctx, path, t, addr=x.addr,
                         data=None if x.addr is not None else x.raw(), path=path)
        raise EvalError(f"cannot convert {src(arg)} (variable of type {x.type_name}) to type "
                        f"{t.name}")

    def visit_type_assert(self, e: ast.TypeAssert) -> Operand:
        x = self.value(self.evaluate(e.x), e.x)
        if x.kind != "interface":
            raise EvalError(f"invalid operation: {src(e.x)} (variable of type {x.type_name}) "
                            f"is not an interface")
        want = str(e.type)
        iname = x.type_name
        if isinstance(x, Asserted):  # the interface it was asserted from holds the same
            x = x.source
        t = self.resolve_type(e.type, quiet=True)
        if t is None and e.type == ast.TypeName("data"):
            return self.interface_data(x, e)
        if t is not None and t.kind == "interface":
            return self.assert_interface(x, t, e)
        have = dynamic_type_name(x)
        if have is None:
            raise EvalError(f"interface conversion: interface is nil, not {want}")
        if not same_type_name(have, want, t):
            raise EvalError(f"interface conversion: {iname} is {have}, not {want}")
        return self.held(x, have, e)

    def interface_data(self, x: Value, e: ast.TypeAssert) -> Value:
        """Delve's ``x.(data)``: the interface's dynamic value, whatever its type."""
        have = dynamic_type_name(x)
        if have is None:
            raise EvalError(f"{src(e.x)} is a nil interface: it holds no data")
        return self.held(x, have, e)

    def held(self, x: Value, have: str, e: ast.TypeAssert) -> Value:
        """The value interface ``x`` holds (of dynamic type ``have``), named ``e``."""
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
        return Asserted(self.ctx, path, t, dyn, x)
