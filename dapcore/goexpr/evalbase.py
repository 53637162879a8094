"""The evaluator's common part: looking names and types up, reading
operands, making typed results; the parts by concern
(:mod:`dapcore.goexpr.access`, :mod:`dapcore.goexpr.operators`,
:mod:`dapcore.goexpr.conversions`) extend it, :mod:`dapcore.goexpr.evaluator`
puts them together."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dapcore.errors import DapcoreError
from dapcore.goexpr import parser as ast
from dapcore.goexpr.operands import (
    MAX_STRING,
    Const,
    EvalError,
    FunctionValue,
    Operand,
    encode,
    size_of,
    src,
)
from dapcore.goexpr.parser import Evaluator, parse
from dapcore.govalues.funcs import function_signature
from dapcore.govalues.types import GoType
from dapcore.govalues.values import Value

if TYPE_CHECKING:
    from dapcore.govalues.frame import FrameNames

__all__ = ["EvalBase"]


class EvalBase(Evaluator[Operand]):
    """Names, types and operands; the methods one concern's part asks of
    another's are declared here."""

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
            t = GoType(-1, kind, kind, size_of(kind))
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

    def num(self, v: Value) -> int | float | complex | bool:
        try:
            return v.number()
        except TypeError as exc:
            raise EvalError(str(exc)) from None

    def make(self, t: GoType, n: Any, name: str) -> Value:
        return Value(self.ctx, name, t, data=encode(t.kind, n), path=name)

    def string_of(self, v: Value) -> bytes:
        data, n = v.string_bytes(MAX_STRING)
        if len(data) < n:
            raise EvalError(f"{v.path}: string of {n} bytes is too long to compare")
        return data

    def visit_ident(self, e: ast.Ident) -> Operand:
        v = self.variable(e.name)
        if v is not None:
            return v
        if e.name in ("true", "false"):
            return Const("bool", e.name == "true")
        if e.name == "nil":
            return Const("nil", None)
        fn = self.function_value(e.name, str(e))
        if fn is not None:
            return fn
        raise self.not_found(e.name, e.name)

    def not_found(self, name: str, shown: str) -> EvalError:
        """The error for a name that is no variable or function: Delve's
        words, or what to write when the name is a type."""
        t = self.type_by_name(name)
        if t is not None:
            return EvalError(f"{shown} is a type, not a value: convert to it, {shown}(x), "
                             f"or read memory as one, *(*{shown})(address)")
        return EvalError(f"could not find symbol value for {shown}")

    def function_value(self, name: str, path: str, bound: bool = False) -> FunctionValue | None:
        """The Go function ``name`` as a value (shown by its name), or None;
        ``bound``: a method value (its type leaves the receiver out)."""
        found = self.names.function(name)
        if found is None:
            return None
        sig = function_signature(self.ctx, found[1], bound)
        t = self.type_by_name(sig) if sig is not None else None
        return FunctionValue(self.ctx, path, *found, signature=sig,
                             t=t if t is not None and t.kind == "func" else None)

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

    def deref(self, v: Value, e: ast.Expr) -> Value:
        if self.ok(v, e).kind != "ptr":
            raise EvalError(f"invalid operation: cannot indirect {src(e)} "
                            f"(variable of type {v.type_name})")
        t = v.pointee()
        if t is None:
            raise EvalError(f"invalid memory address or nil pointer dereference: {src(e)} "
                            f"is nil")
        if t.type is None or t.type.kind == "invalid":
            raise EvalError(f"{src(e)}: unknown pointer target type")
        return t

    def resolve_type(self, t: ast.TypeExpr, quiet: bool = False) -> GoType | None:
        try:
            return t.accept(self)  # type: ignore[return-value]
        except EvalError:
            if quiet:
                return None
            raise

    def named(self, name: str) -> GoType:
        """The type ``name``; ``pkg.T`` may leave out the package's path
        (``maps.Map``, ``http.Client``) where only one package fits."""
        t = self.type_by_name(name)
        if t is None and not name.startswith('"'):
            full = self.ctx.types.full_names(name)
            if len(full) > 1:
                raise EvalError(f"{name} is ambiguous: it may be {', '.join(sorted(full))}; "
                                f"name one in quotes, as \"{sorted(full)[0]}\"")
            if full:
                t = self.type_by_name(full[0])
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
        elem = self.resolve_type(t.elem)
        assert elem is not None
        return self.slice_of(elem)  # []T even when the program never names it

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

    def value(self, x: Operand, e: ast.Expr) -> Value:
        if isinstance(x, Const):
            raise EvalError(f"{src(e)} ({x.describe()}) is not a variable")
        return self.ok(x, e)

    def ok(self, v: Value, e: ast.Expr) -> Value:
        """``v``, if its value can be read (not optimized out or unreadable)."""
        if v.error is not None:
            raise EvalError(f"{src(e)}: {v.error}")
        return v


    # -- what the parts ask of each other -------------------------------------------

    def text_convert(self, t: GoType, x: Operand, arg: ast.Expr, path: str) -> Value | None:
        """``T(x)`` between strings, bytes, runes and code points, or None
        for any other conversion (textconv)."""
        raise NotImplementedError

    def convert_const(self, c: Const, t: GoType | None, e: ast.Expr,
                      whole: ast.Expr | None = None) -> Operand:
        """The untyped constant ``c`` as a value of type ``t`` (operators)."""
        raise NotImplementedError

    def key_of(self, key: Operand, kt: GoType, e: ast.Expr) -> Any:
        """A comparable Python form of a map key (access)."""
        raise NotImplementedError


def _parses(text: str) -> bool:
    try:
        parse(text)
    except DapcoreError:
        return False
    return True
