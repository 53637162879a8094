"""Composite literals: ``main.P{1, 2}``, ``main.P{Y: 4, X: 3}``,
``[2]int{5, 6}``, ``[...]T{…}``, ``[]T{…}``, nested ones (``T{A: U{1}}``,
``[]T{{1, 2}}``), with Go's rules and its compiler's messages for the
literals it refuses (unknown field, too few values, a mixture of keyed and
positional elements, an element of the wrong type, an index out of bounds).

A literal is laid out as the DWARF lays its type out (field offsets, element
sizes; fields left out are zero) and becomes an ordinary value whose bytes
are held in the value itself; what it points at (a string's bytes, a slice's
array) is placed in the context's scratch memory
(:mod:`dapcore.govalues.scratch`). It displays, indexes and compares like
any value, and as a map key it is matched by value (:meth:`key_of`:
field by field, strings by content, floats by Go's equality). Map literals
and values that would have to become interfaces are refused: nothing here
can make a map or find a type's itab.
"""

from __future__ import annotations

import struct

from dapcore.dwarf.location import LocationError
from dapcore.errors import UnreadableMemory
from dapcore.goexpr import parser as ast
from dapcore.goexpr.evalbase import EvalBase
from dapcore.goexpr.operands import NILABLE, Const, EvalError, Operand, src
from dapcore.govalues.scratch import ScratchMemory
from dapcore.govalues.types import GoType
from dapcore.govalues.values import Value

__all__ = ["CompositeLiterals"]

_STRUCT = "struct literal"
_ARRAY = "array or slice literal"


class CompositeLiterals(EvalBase):
    """``T{…}`` as a value of type T."""

    def visit_composite_lit(self, e: ast.CompositeLit) -> Operand:
        if e.type is None:  # the parser gives every outermost literal a type
            raise EvalError(f"invalid composite literal type: {e} has none")
        path = str(e)
        if isinstance(e.type, ast.ArrayType) and e.type.len is None:
            elem = self.resolve_type(e.type.elem)
            assert elem is not None
            items, n = self.indexed(e, elem, None)
            t = self.array_type(n, elem)
            return Value(self.ctx, path, t, data=self.array_bytes(items, elem, n), path=path)
        t = self.literal_type(e.type)
        return Value(self.ctx, path, t, data=self.literal_bytes(e, t), path=path)

    def literal_type(self, typ: ast.TypeExpr) -> GoType:
        """The literal's type; an array or slice type the program never
        names is made from its element's."""
        try:
            t = self.resolve_type(typ)
        except EvalError:
            if isinstance(typ, ast.TypeName) and not typ.args:
                name = typ.name if typ.pkg is None else f"{typ.pkg}.{typ.name}"
                if self.variable(name) is not None:
                    raise EvalError(f"{name} is not a type") from None
                raise
            if isinstance(typ, ast.SliceType):
                elem = self.resolve_type(typ.elem)
                assert elem is not None
                return self.slice_of(elem)
            if not (isinstance(typ, ast.ArrayType) and isinstance(typ.len, ast.BasicLit)
                    and typ.len.kind is ast.LitKind.INT):
                raise
            elem = self.resolve_type(typ.elem)
            assert elem is not None
            return self.array_type(int(typ.len.value), elem)  # type: ignore[arg-type]
        assert t is not None
        return t

    def array_type(self, n: int, elem: GoType) -> GoType:
        name = f"[{n}]{elem.name}"
        t = self.type_by_name(name)
        if t is not None and t.kind == "array":
            return t
        if elem.offset < 0 or elem._types is None:
            raise EvalError(f"could not find type {name}")
        self.check_size(name, n * elem.size)
        return GoType(-1, name, "array", n * elem.size, length=n, _types=elem._types,
                      _target=elem.offset)

    def check_size(self, name: str, size: int) -> None:
        if size > self.ctx.config.max_bytes:
            raise EvalError(f"a composite literal of type {name} ({size} bytes) is too large")

    def literal_bytes(self, e: ast.CompositeLit, t: GoType) -> bytes:
        """The bytes of ``e`` as a value of type ``t`` (a slice: its header)."""
        k = t.kind
        if k == "struct":
            return self.struct_bytes(e, t)
        if k in ("array", "slice"):
            elem = t.elem
            if elem is None:
                raise EvalError(f"{t.name}: element type unknown")
            items, n = self.indexed(e, elem, t.length if k == "array" else None)
            if k == "array":
                return self.array_bytes(items, elem, t.length or 0)
            self.check_size(t.name, n * elem.size)
            addr = ScratchMemory.install(self.ctx).alloc(self.array_bytes(items, elem, n))
            return struct.pack("<Qqq", addr, n, n)
        if k == "map":
            raise EvalError(f"map literals are not supported in expressions ({t.name}): "
                            "a map cannot be made on a core")
        raise EvalError(f"invalid composite literal type {t.name}")

    def struct_bytes(self, e: ast.CompositeLit, t: GoType) -> bytes:
        self.check_size(t.name, t.size)
        buf = bytearray(t.size)
        fields = t.fields
        keyed = bool(e.elts) and isinstance(e.elts[0], ast.KeyValue)
        seen: set[str] = set()
        for i, el in enumerate(e.elts):
            if isinstance(el, ast.KeyValue) != keyed:
                raise EvalError("mixture of field:value and value elements in struct literal")
            if isinstance(el, ast.KeyValue):
                if not isinstance(el.key, ast.Ident):
                    raise EvalError(f"invalid field name {el.key} in struct literal")
                name = el.key.name
                f = next((f for f in fields if f.name == name), None)
                if f is None:
                    raise EvalError(f"unknown field {name} in struct literal of type {t.name}")
                if name in seen:
                    raise EvalError(f"duplicate field name {name} in struct literal")
                seen.add(name)
                value: ast.Expr = el.value
            else:
                if i >= len(fields):
                    raise EvalError(f"too many values in struct literal of type {t.name}")
                f, value = fields[i], el
            data = self.element_bytes(value, f.type, _STRUCT)
            buf[f.offset:f.offset + len(data)] = data
        if e.elts and not keyed and len(e.elts) < len(fields):
            raise EvalError(f"too few values in struct literal of type {t.name}")
        return bytes(buf)

    def indexed(self, e: ast.CompositeLit, elem: GoType, length: int | None
                ) -> tuple[dict[int, bytes], int]:
        """The elements of an array or slice literal by index, and its length
        (one past the highest index)."""
        items: dict[int, bytes] = {}
        index = end = 0
        for el in e.elts:
            value = el
            if isinstance(el, ast.KeyValue):
                index = self.literal_index(el.key, length)
                value = el.value
            elif length is not None and index >= length:
                raise EvalError(f"index {index} is out of bounds (>= {length})")
            if index in items:
                raise EvalError(f"duplicate index {index} in array or slice literal")
            self.check_size(f"[{index + 1}]{elem.name}", (index + 1) * elem.size)
            assert not isinstance(value, ast.KeyValue)
            items[index] = self.element_bytes(value, elem, _ARRAY)
            index += 1
            end = max(end, index)
        return items, end

    def literal_index(self, key: ast.Expr, length: int | None) -> int:
        x = self.evaluate(key)
        n = x.value if isinstance(x, Const) and x.kind in ("int", "rune", "float") else None
        if isinstance(n, float) and n.is_integer():
            n = int(n)
        if not isinstance(n, int):
            raise EvalError(f"index {key} must be integer constant")
        if n < 0:
            raise EvalError(f"invalid argument: index {key} (constant of type int) must not "
                            f"be negative")
        if length is not None and n >= length:
            raise EvalError(f"invalid argument: index {key} out of bounds [0:{length}]")
        return n

    def array_bytes(self, items: dict[int, bytes], elem: GoType, n: int) -> bytes:
        buf = bytearray(n * elem.size)
        for i, data in items.items():
            buf[i * elem.size:i * elem.size + len(data)] = data
        return bytes(buf)

    def element_bytes(self, x: ast.Expr, t: GoType, context: str) -> bytes:
        """The bytes of element ``x`` stored as a ``t`` (Go's assignability:
        an untyped constant that fits, or a value of type ``t``)."""
        if isinstance(x, ast.CompositeLit) and x.type is None:
            if context == _STRUCT:  # only elements of arrays, slices and maps omit it
                raise EvalError(f"missing type in composite literal {x}")
            if t.kind == "ptr":
                raise EvalError(f"{x}: a literal of {t.name} (&{t.name[1:]}{{…}}) is not "
                                "supported in expressions: nothing can be allocated")
            if t.kind not in ("struct", "array", "slice", "map"):
                raise EvalError(f"invalid composite literal type {t.name}")
            return self.literal_bytes(x, t)
        v = self.evaluate(x)
        if isinstance(v, Const):
            return self.const_bytes(v, t, x, context)
        self.ok(v, x)
        if v.type_name != t.name:
            why = ""
            if t.kind == "interface":
                why = ": making an interface value is not supported in expressions"
            raise EvalError(f"cannot use {src(x)} (variable of type {v.type_name}) as "
                            f"{t.name} value in {context}{why}")
        try:
            return v.raw()[:t.size]
        except (LocationError, UnreadableMemory) as exc:
            raise EvalError(f"{src(x)}: {exc}") from None

    def const_bytes(self, c: Const, t: GoType, x: ast.Expr, context: str) -> bytes:
        if c.kind == "nil":
            if t.kind not in NILABLE:
                raise EvalError(f"cannot use nil as {t.name} value in {context}")
            return bytes(t.size)
        if t.kind == "interface":
            raise EvalError(f"cannot use {src(x)} ({c.describe()}) as {t.name} value in "
                            f"{context}: making an interface value is not supported in "
                            "expressions")
        if c.kind == "string" and t.kind == "string":
            data = bytes(c.value)
            addr = ScratchMemory.install(self.ctx).alloc(data) if data else 0
            return struct.pack("<Qq", addr, len(data))
        try:
            r = self.convert_const(c, t, x)
        except EvalError as exc:
            raise EvalError(_in_context(str(exc), context)) from None
        if isinstance(r, Const):  # cannot happen: only nil and strings stay constants
            raise EvalError(f"cannot use {src(x)} ({c.describe()}) as {t.name} value in "
                            f"{context}")
        return r.raw()


def _in_context(msg: str, context: str) -> str:
    """``cannot use 300 (…) as uint8 value (overflows)`` → ``… value in
    struct literal (overflows)``, as Go words it."""
    head, sep, tail = msg.partition(" value")
    if not sep or not head.startswith("cannot use "):
        return msg
    return f"{head} value in {context}{tail}"
