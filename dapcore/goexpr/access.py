"""Selectors, indexing and slicing: fields through pointers with embedded
fields promoted, package variables, array/slice/string/map indexes, map
keys compared as Go compares them, slice expressions (of a map too: a
window of its entries, as in Delve)."""

from __future__ import annotations

from typing import Any

from dapcore.errors import DapcoreError, UnreadableMemory
from dapcore.gobin.pclntab import package_of
from dapcore.goexpr import parser as ast
from dapcore.goexpr.evalbase import EvalBase
from dapcore.goexpr.operands import (
    INT_BITS,
    Asserted,
    Const,
    EvalError,
    FunctionValue,
    Operand,
    is_numeric_kind,
    src,
)
from dapcore.govalues.ifaces import dynamic_type_name, dynamic_value
from dapcore.govalues.maps import MapWindow, map_len, map_pairs
from dapcore.govalues.types import GoType
from dapcore.govalues.values import Value

__all__ = ["Access"]


class Access(EvalBase):
    """Field selection, indexing, slicing."""

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
        g = self.names.package_var(name) or self.function_value(name, shown)
        if g is None:
            raise self.not_found(name, shown)
        return g

    def field(self, base: Value, sel: str, e: ast.Expr) -> Value:
        v = self.ok(base, e.x if isinstance(e, ast.Selector) else e)
        what = f"type {base.type_name}"
        if v.kind == "interface":
            # Through the interface to its dynamic value, as Delve does
            # (err.Code on an error holding a *main.ValErr).
            dyn = dynamic_value(v)
            if dyn is None:
                raise EvalError(f"{src(e.x if isinstance(e, ast.Selector) else e)} is a nil "
                                f"{base.type_name}: it has no field {sel}")
            v = self.ok(dyn, e.x if isinstance(e, ast.Selector) else e)
            what = f"{base.type_name} holding {dyn.type_name}"
        if v.kind == "chan":
            return self.chan_field(v, sel, e)
        holder = v  # the value whose type's methods a method value names
        if v.kind == "ptr":
            target = self.deref(v, e.x if isinstance(e, ast.Selector) else e)
            if target.type is not None and target.kind == "struct":
                v = target
        x = e.x if isinstance(e, ast.Selector) else e
        found = self.find_field(v, sel) if v.kind == "struct" and v.type is not None else None
        if found is None:
            method = self.method_value(holder, sel, str(e))
            if method is not None:
                return method
            raise EvalError(f"{src(x)} ({what}) has no field {sel}")
        found.path = str(e)
        return found

    def method_value(self, v: Value, sel: str, path: str) -> FunctionValue | None:
        """``x.M`` as a method value, shown by the method's name
        (``main.(*T).M`` or ``main.T.M``), as Delve shows it; None when the
        type of ``v`` (or its pointer's target) has no such method."""
        name = v.type_name
        pointer = name.startswith("*")
        base = name[1:] if pointer else name
        pkg = package_of(base)
        if pkg == base:  # a type without a package (int, a func type…)
            return None
        typ = base[len(pkg) + 1:]
        candidates = [f"{pkg}.(*{typ}).{sel}", f"{pkg}.{typ}.{sel}"]
        if not pointer:
            candidates.reverse()
        for c in candidates:
            fn = self.function_value(c, path, bound=True)
            if fn is not None:
                return fn
        return None

    def chan_field(self, ch: Value, sel: str, e: ast.Expr) -> Value:
        """A field of the channel's ``runtime.hchan`` (``ch.qcount``,
        ``ch.dataqsiz``, ``ch.closed``, ``ch.recvx`` …), as Delve shows
        them; ``ch.buf`` is the ring buffer as an array of ``dataqsiz``
        elements (``ch.buf[ch.recvx]`` is the next element received)."""
        x = e.x if isinstance(e, ast.Selector) else e
        ht = self.type_by_name("runtime.hchan")
        if ht is None or ht.kind != "struct":
            raise EvalError(f"{src(x)}: the runtime's channel type (runtime.hchan) is not in "
                            "the DWARF")
        addr = ch.word(0)
        if not addr:
            raise EvalError(f"{src(x)} is a nil channel: it has no field {sel}")
        h = Value(self.ctx, src(x), ht, addr=addr, path=src(x))
        found = self.find_field(h, sel)
        if found is None:
            raise EvalError(f"{src(x)} (type {ch.type_name}) has no field {sel}")
        elem = ch.type.elem if ch.type is not None else None
        if sel == "buf" and elem is not None:
            size = self.find_field(h, "dataqsiz")
            n = self.num(size) if size is not None else 0
            assert isinstance(n, int)
            arr = GoType(-1, f"[{n}]{elem.name}", "array", n * elem.size, length=n,
                         _types=elem._types, _target=elem.offset)  # an array's element
            return Value(self.ctx, str(e), arr, addr=found.word(0), path=str(e))
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

    def index_int(self, x: Operand, e: ast.Expr, what: str = "index") -> int:
        if isinstance(x, Const):
            n = x.value
            if x.kind == "float" and float(n).is_integer():
                n = int(n)
            if x.kind not in ("int", "rune", "float") or not isinstance(n, int):
                raise EvalError(f"invalid argument: {what} {src(e)} ({x.describe()}) "
                                f"must be integer")
            if n < 0:
                raise EvalError(f"invalid argument: {what} {src(e)} (constant of type int) "
                                f"must not be negative")
            return n
        if x.kind not in INT_BITS:
            raise EvalError(f"invalid argument: {what} {src(e)} (variable of type "
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
            raise EvalError(f"invalid operation: cannot index {src(e.x)} ({x.describe()})")
        k = self.ok(x, e.x).kind
        if k == "ptr" and x.type is not None and x.type.elem is not None \
                and x.type.elem.kind == "array":
            x = self.deref(x, e.x)
            k = "array"
        if k == "map":
            return self.map_index(x, e)
        if k not in ("array", "slice", "string"):
            raise EvalError(f"invalid operation: cannot index {src(e.x)} "
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
            raise EvalError(f"{src(e.x)}: element type unknown")
        if k == "array":
            n = x.type.length or 0
            if not 0 <= i < n:
                raise EvalError(f"index out of range [{i}] with length {n}")
            return x.sub(path, elem, i * elem.size, path)
        ptr, n, _ = x.slice_header()
        if not 0 <= i < n:
            raise EvalError(f"index out of range [{i}] with length {n}")
        if not ptr:
            raise EvalError(_nil_data(e.x, n))
        return Value(self.ctx, path, elem, addr=ptr + i * elem.size, path=path)

    def map_index(self, m: Value, e: ast.Index) -> Value:
        assert m.type is not None
        kt = m.type.key
        key = self.evaluate(e.index)
        if kt is None:
            raise EvalError(f"{src(e.x)}: key type unknown")
        want = self.key_of(key, kt, e.index)
        for k, v in map_pairs(m):
            if self.key_of(k, kt, e.index) == want:
                v.name = v.path = str(e)
                v.key = k
                return v
        if isinstance(m, MapWindow):
            raise EvalError(f"key {src(e.index)} not found in {src(e.x)} (entries {m.lo} to "
                            f"{m.hi} of the map)")
        raise EvalError(f"key {src(e.index)} not found in {src(e.x)}")

    def key_of(self, key: Operand, kt: GoType, e: ast.Expr) -> Any:
        """A comparable Python form of a map key (given or stored)."""
        if isinstance(key, Const):
            try:
                key = self.convert_const(key, kt, e)
            except EvalError as exc:
                raise EvalError(f"{exc} in map index") from None
        if isinstance(key, Const):
            return key.value
        if kt.kind == "interface" and key.kind != "interface" and key.type is not None:
            # a concrete key of a map[any]V: as the interface holding it
            return (key.type_name, self.key_of(key, key.type, e))
        if key.type_name != kt.name and (key.kind != kt.kind or key.kind in ("struct", "array")):
            what = "value" if isinstance(e, ast.CompositeLit) else "variable"
            raise EvalError(f"cannot use {src(e)} ({what} of type {key.type_name}) as "
                            f"{kt.name} value in map index")
        k = key.kind
        if k == "string":
            return self.string_of(key)
        if k == "bool" or is_numeric_kind(k) or k in ("ptr", "unsafe.Pointer", "chan"):
            return self.num(key)
        if k == "interface":
            if isinstance(key, Asserted):
                key = key.source
            dyn = dynamic_value(key)
            if dyn is None:
                return None
            if dyn.type is None:
                raise EvalError(f"{src(e)}: no DWARF type for {dynamic_type_name(key)}")
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
                raise EvalError(f"cannot slice {src(e.x)} ({x.describe()})")
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
        if k == "map":
            return self.map_slice(x, low, high_v, max_v, e)
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
                raise EvalError(f"invalid operation: {src(e.x)} (slice of unaddressable value)")
            elem = x.type.elem
            if elem is None:
                raise EvalError(f"{src(e.x)}: element type unknown")
            ptr, n, cap = x.addr, x.type.length or 0, x.type.length or 0
            st = self.slice_of(elem)
        elif k == "slice":
            assert x.type is not None
            elem = x.type.elem
            if elem is None:
                raise EvalError(f"{src(e.x)}: element type unknown")
            ptr, n, cap = x.slice_header()
            st = x.type
        else:
            raise EvalError(f"cannot slice {src(e.x)} (variable of type {x.type_name})")
        high = n if high_v is None else high_v
        self.check_bounds(low, high, max_v, cap, "capacity")
        if not ptr and high > low:
            raise EvalError(_nil_data(e.x, n))
        new_cap = (cap if max_v is None else max_v) - low
        data = (ptr + low * elem.size if new_cap else ptr).to_bytes(8, "little") \
            + (high - low).to_bytes(8, "little", signed=True) \
            + new_cap.to_bytes(8, "little", signed=True)
        return Value(self.ctx, path, st, data=data, path=path)

    def map_slice(self, m: Value, low: int, high: int | None, mx: int | None,
                  e: ast.Slice) -> Value:
        """``m[lo:hi]`` of a map, as Delve gives it: entries ``lo`` … ``hi``
        in the order the map's entries are listed (its Variables view)."""
        if mx is not None:
            raise EvalError(f"invalid operation: 3-index slice of map {src(e.x)}")
        n = map_len(m)
        high = n if high is None else high
        self.check_bounds(low, high, None, n, "length")
        return MapWindow(m, low, high, str(e))

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


def _nil_data(x: ast.Expr, n: int) -> str:
    """Why slice ``x`` of length ``n`` and no array cannot be indexed."""
    return f"{src(x)} has a nil data pointer with length {n}: it has no elements to read"
