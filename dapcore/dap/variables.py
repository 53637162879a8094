"""Scopes, variables and evaluation for DAP: a frame's values as DAP
``Scope`` and ``Variable`` objects.

One :class:`Variables` per session owns the value context (memory, types,
the limits of the launch arguments ``maxStringLen`` and ``maxArrayValues``)
and the ``variablesReference`` table. The core never changes, so a
reference stays valid until the session ends, and the same value path in
the same frame always gets the same reference.

Scopes of a frame:

- ``Locals``: the frame's arguments, then its locals. The name says
  ``Locals (optimized)`` when the function was compiled with optimizations
  (variables may be missing or ``<optimized out>``). This is decided from
  the binary's build settings: ``-gcflags`` with both ``-N`` and ``-l``
  disables optimization for the packages named on the command line (the
  user's code) or, with ``all=``, for every package; a binary without
  build settings counts as optimized.
- ``Globals (package P)``: the package variables of the frame's package,
  always offered, ``expensive`` (clients fetch it only when opened) unless
  the launch argument ``showGlobalVariables`` is true.
- ``Registers``: only where registers are known (the top frame of a
  goroutine that was running on a thread, a frame a signal interrupted),
  ``expensive`` unless ``showRegisters`` is true.

Every method here runs in the engine thread (one at a time).
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dapcore.cancellation import check as check_cancelled
from dapcore.dap.args import RequestError
from dapcore.dap.errorids import ErrorId
from dapcore.dap.handles import HandleTable
from dapcore.dap.stack import is_runtime
from dapcore.errors import DapcoreError
from dapcore.govalues.children import child_count, children, is_indexed
from dapcore.govalues.summary import string_text, text_of
from dapcore.govalues.values import ValueConfig, ValueContext

if TYPE_CHECKING:
    from dapcore.dap.config import LaunchConfig
    from dapcore.engine import Engine, Stack
    from dapcore.govalues.values import Value

__all__ = ["Variables", "child_counts", "full_text", "memory_reference"]

# The most variables one response holds (like readMemory's 16 MiB and
# disassemble's 100,000 instructions): a client asking for 2^31 children of a
# 100,000-element slice gets this many and an entry saying so.
MAX_VARIABLES = 5_000


@dataclass(slots=True)
class _Scope:
    goid: int
    index: int
    kind: str  # "locals", "globals" or "registers"


class Variables:
    """The session's values and their ``variablesReference`` numbers."""

    def __init__(self, report: Engine, config: LaunchConfig | None, main_module: str | None
                 ) -> None:
        self.report = report
        self.config = config
        self.main_module = main_module
        self._ctx: ValueContext | None = None
        # one table for scopes and values: both are variablesReference numbers
        self.refs: HandleTable[tuple[Any, ...]] = HandleTable()
        self._scopes: dict[int, _Scope] = {}
        self._values: dict[int, Value] = {}
        self._scope_values: dict[int, list[Any]] = {}
        self._noopt: tuple[bool, bool] | None = None

    # -- the value context ---------------------------------------------------------

    @property
    def ctx(self) -> ValueContext:
        if self._ctx is None:

            vc = ValueConfig()
            if self.config is not None:
                if self.config.max_string_len:
                    vc.max_string_len = self.config.max_string_len
                if self.config.max_array_values:
                    vc.max_array_values = self.config.max_array_values
            self._ctx = ValueContext(self.report.proc, config=vc)
        return self._ctx

    # -- optimization --------------------------------------------------------------

    def optimized(self, function: str) -> bool:
        """Whether ``function`` was compiled with optimizations (see the module
        docstring for the rule)."""
        if self._noopt is None:
            flags = self.report.build_settings.get("-gcflags", "")
            words = flags.replace("=", " ").replace('"', " ").split()
            noopt = "-N" in words and "-l" in words
            self._noopt = (noopt, noopt and "all=" in flags)
        noopt, everywhere = self._noopt
        if not noopt:
            return True
        return not everywhere and is_runtime(self.report, function, self.main_module)

    def no_dwarf(self) -> str | None:
        """Why no variable can be read (None: they can)."""
        if self.report.has_dwarf:
            return None
        missing = self.report.missing_debug_info
        if missing is not None:
            return missing
        return (f"{os.path.basename(self.report.executable_path)} has no DWARF debug information "
                "(stripped, or linked with -ldflags=-w): variables cannot be read")

    # -- scopes --------------------------------------------------------------------

    def scopes(self, goid: int, index: int) -> list[dict[str, Any]]:
        g = self.report.goroutine(goid)
        stack = self.report.stack(g)
        if index == -1:  # the label standing for the crash handler's folded frames
            return self._register_scope(goid, 0, stack)
        if index < 0:  # the label saying where unwinding stopped
            return []
        if index >= len(stack.frames):
            raise RequestError(f"goroutine {goid} has no frame {index}",
                               error_id=ErrorId.NOT_FOUND)
        frame = stack.frames[index]
        function = frame.function
        show_globals = bool(self.config and self.config.show_globals)
        # a C frame: Locals holds one line saying values are Go's only
        name = "Locals (optimized)" if frame.c_object is None and self.optimized(function) \
            else "Locals"
        out = [{"name": name, "presentationHint": "locals",
                "variablesReference": self._scope_ref(goid, index, "locals"),
                "expensive": False}]
        if self.no_dwarf() is None and frame.c_object is None:
            out.append({"name": f"Globals (package {self.report.package_of(function)})",
                        "variablesReference": self._scope_ref(goid, index, "globals"),
                        "expensive": not show_globals})
        return out + self._register_scope(goid, index, stack)

    def _register_scope(self, goid: int, index: int, stack: Stack) -> list[dict[str, Any]]:
        if not stack.frames:
            return []
        try:
            regs = self.report.registers(goid, index)
        except DapcoreError:
            regs = []
        if not regs:
            return []
        return [{"name": "Registers", "presentationHint": "registers",
                 "variablesReference": self._scope_ref(goid, index, "registers"),
                 "namedVariables": len(regs),
                 "expensive": not (self.config and self.config.show_registers)}]

    def _scope_ref(self, goid: int, index: int, kind: str) -> int:
        ref = self.refs.id_of(("scope", goid, index, kind))
        self._scopes.setdefault(ref, _Scope(goid, index, kind))
        return ref

    def _scope_contents(self, ref: int, scope: _Scope) -> list[Any]:
        """The scope's values (Value objects, or (name, text) for registers), cached."""
        got = self._scope_values.get(ref)
        if got is not None:
            return got
        rep = self.report
        out: list[Any]
        why = self.no_dwarf()
        if why is not None and scope.kind != "registers":
            out = [("(no variables)", why)]
        elif scope.kind == "locals":
            try:
                out = [v for _, v in rep.frame_values(scope.goid, scope.index, self.ctx)]
            except DapcoreError as exc:
                out = [("(no variables)", str(exc))]
        elif scope.kind == "globals":
            function = rep.stack(rep.goroutine(scope.goid)).frames[scope.index].function
            out = list(rep.package_globals(rep.package_of(function), self.ctx))
        else:
            out = list(rep.registers(scope.goid, scope.index))
        self._scope_values[ref] = out
        return out

    # -- variables -----------------------------------------------------------------

    def variables(self, ref: int, start: int, count: int, filter_: str | None,
                  hex_: bool) -> list[dict[str, Any]]:
        _settle_heap()
        scope = self._scopes.get(ref)
        value = self._values.get(ref)
        if scope is None and value is None:
            raise RequestError(f"no variables for reference {ref}", error_id=ErrorId.NOT_FOUND)
        if scope is not None and (scope.kind == "registers" or self.no_dwarf() is not None):
            if filter_ == "indexed":
                return []
            items = self._scope_contents(ref, scope)
            return self._items(scope, items, start, count, hex_)
        ctx = self.ctx
        if scope is not None:
            if filter_ == "indexed":
                return []
            return self._items(scope, self._scope_contents(ref, scope), start, count, hex_)
        assert value is not None
        goid, index = self.refs.key_of(ref)[1:3]  # type: ignore[index]
        value = expansion(value)
        indexed = is_indexed(value)
        if (filter_ == "indexed" and not indexed) or (filter_ == "named" and indexed):
            return []
        capped = False
        if count:
            capped = count > MAX_VARIABLES
            kids = children(value, start, min(count, MAX_VARIABLES), hex_)
        elif indexed:  # no paging asked (nvim-dap): one page of maxArrayValues
            kids = children(value, start, min(ctx.config.max_array_values, MAX_VARIABLES), hex_)
        else:
            kids = children(value, start, None, hex_)
        out = []
        for k in kids:
            check_cancelled()
            out.append(self.variable(goid, index, k, value, hex_))
        if capped and len(out) == MAX_VARIABLES and child_count(value) > start + len(out):
            out.append(_capped_note(start + MAX_VARIABLES))
        return out

    def _items(self, scope: _Scope, items: list[Any], start: int, count: int, hex_: bool
               ) -> list[dict[str, Any]]:
        """One page of a scope's contents, capped at :data:`MAX_VARIABLES`."""
        want = min(count or len(items), MAX_VARIABLES)
        out = []
        for x in items[start:start + want]:
            check_cancelled()
            out.append(self._item(scope.goid, scope.index, x, hex_))
        if len(items) - start > want and (not count or count > MAX_VARIABLES):
            out.append(_capped_note(start + want))
        return out

    def _item(self, goid: int, index: int, x: Any, hex_: bool) -> dict[str, Any]:
        if isinstance(x, tuple):  # a register, or why a scope is empty
            return {"name": x[0], "value": x[1], "variablesReference": 0}
        return self.variable(goid, index, x, hex_=hex_)

    def value_ref(self, goid: int, index: int, v: Value, shown: Value) -> int:
        """The reference of an expandable value (0 when it has no children);
        ``shown``: whose children expanding it shows (:func:`expansion`)."""
        if v.error is not None or not child_count(shown):
            return 0
        key: tuple[Any, ...] = ("value", goid, index, v.expression_path)
        n = 0
        while True:
            ref = self.refs.id_of(key)
            stored = self._values.setdefault(ref, v)
            if stored is v or _same(stored, v):
                return ref
            n += 1  # another value with the same path (shadowed variables)
            key = ("value", goid, index, v.expression_path, n)

    def variable(self, goid: int, index: int, v: Value, parent: Value | None = None,
                 hex_: bool = False) -> dict[str, Any]:
        """A DAP ``Variable`` for ``v`` (a child of ``parent``).

        ``evaluateName`` is the value's expression path, left out where
        ``evaluate`` would not accept it: a channel's queued elements and
        state (Go has no expression for them; ``len``/``cap`` excepted), a
        closure's captured variables, and map entries whose key is written
        as a composite literal."""
        shown = expansion(v)
        out: dict[str, Any] = {"name": v.name, "value": full_text(v, shown, hex_),
                               "type": v.type_name if v.type is not None else ""}
        if _has_expression(v, parent):
            out["evaluateName"] = v.expression_path
        out["variablesReference"] = self.value_ref(goid, index, v, shown)
        out.update(child_counts(shown, out["variablesReference"]))
        out.update(memory_reference(v))
        return out

    # -- evaluate ------------------------------------------------------------------

    def evaluate(self, goid: int, index: int, expression: str, hex_: bool
                 ) -> dict[str, Any]:
        """The ``evaluate`` response body for a Go expression."""
        why = self.no_dwarf()
        if why is not None:
            raise RequestError(why, error_id=ErrorId.CORE_UNREADABLE)
        v = self.evaluate_value(goid, index, expression)
        shown = expansion(v)
        ref = self.value_ref(goid, index, v, shown)
        body: dict[str, Any] = {"result": full_text(v, shown, hex_), "variablesReference": ref}
        if v.type is not None or v.kind == "func":  # a function named as a value too
            body["type"] = v.type_name
        body.update(child_counts(shown, ref))
        body.update(memory_reference(v))
        return body

    def evaluate_value(self, goid: int, index: int, expression: str) -> Value:
        """Evaluate a Go expression (:meth:`dapcore.engine.Engine.evaluate`)."""
        text = expression.strip()
        if not text:
            raise RequestError("nothing to evaluate", error_id=ErrorId.EVALUATION_FAILED)
        if index < 0:
            raise RequestError("this entry of the stack is not a frame: select a frame with "
                               "source to evaluate there", error_id=ErrorId.EVALUATION_FAILED)
        return self.report.evaluate(goid, index, text, self.ctx)


def _settle_heap() -> None:
    """Take what the session holds so far (the engine's indexes and types,
    the values handed out) out of the garbage collector's full passes
    (``gc.freeze``, constant time): a page of 1,000 children makes
    thousands of objects, and a full pass over a heap of millions of them
    would cost a page tens of milliseconds, at random. Reference counting
    still frees them; only a reference cycle among them is never freed,
    and the young ones are collected first so that few such cycles are
    kept."""
    gc.collect(1)
    gc.freeze()


def _capped_note(next_start: int) -> dict[str, Any]:
    """The entry that ends a capped ``variables`` response."""
    return {"name": "…", "value": f"(this response stops at {MAX_VARIABLES:,} variables: "
            f"ask for more with start={next_start})", "variablesReference": 0,
            "presentationHint": {"kind": "virtual"}}


def _has_expression(v: Value, parent: Value | None) -> bool:
    if parent is None:
        return True
    if parent.kind == "func":
        return False  # a closure's captures: no Go expression reaches them
    return v.expression is not None  # None in a channel, for some map keys...


def _same(a: Value, b: Value) -> bool:
    """The same value reached twice (by the same path)."""
    if (a.addr, a.type_name) != (b.addr, b.type_name):
        return False
    return a.addr is not None or text_of(a) == text_of(b)


def full_text(v: Value, shown: Value | None = None, hex_: bool = False) -> str:
    """``text_of(v)``, except that a string shows up to ``maxStringLen`` bytes (the
    one-line summary cuts strings short), and a pointer whose target's
    fields are shown under it (:func:`expansion`) names its address:
    ``(*main.ValPoint)(0xc000012345) {X: 100, Y: 200}``. ``shown``:
    :func:`expansion` of ``v`` when the caller has it."""
    target = expansion(v) if shown is None else shown
    if target is not v:
        try:
            addr = v.word(0)
        except Exception:  # unreadable: the summary says why
            return text_of(v, hex_=hex_)
        summary = text_of(target, hex_=hex_)
        prefix = target.type_name + " "
        if summary.startswith(prefix):
            summary = summary[len(prefix):]
        return f"({v.type_name})({addr:#x}) {summary}"
    if v.error is None and v.kind == "string":
        try:
            data, n = v.string_bytes()
            return string_text(data, n, limit=v.ctx.config.max_string_len)
        except Exception:  # unreadable: the summary says why
            pass
    return text_of(v, hex_=hex_)


def child_counts(shown: Value, ref: int) -> dict[str, int]:
    """``indexedVariables``/``namedVariables`` of an expandable value;
    ``shown``: whose children expanding it shows (:func:`expansion`)."""
    if not ref:
        return {}
    n = child_count(shown)
    return {"indexedVariables": n} if is_indexed(shown) else {"namedVariables": n}


_FLATTENED = ("struct", "array", "slice", "map")


def expansion(v: Value) -> Value:
    """The value whose children are shown when ``v`` is expanded: for a
    pointer to a struct, array, slice or map, its target (the fields come
    straight under the pointer, as in Delve; the pointer's own line keeps
    the address); else ``v`` itself. A nil pointer, a cycle or an unreadable
    target keeps the one ``*p`` child that says so."""
    if v.error is not None or v.kind != "ptr":
        return v
    try:
        kids = children(v)
    except DapcoreError:
        return v
    if len(kids) != 1:
        return v
    target = kids[0]
    if target.error is not None or target.kind not in _FLATTENED:
        return v
    return target



def memory_reference(v: Value) -> dict[str, str]:
    """``memoryReference`` of a non-nil pointer: where it points (for ``readMemory``)."""
    if v.error is not None or v.kind not in ("ptr", "unsafe.Pointer"):
        return {}
    try:
        p = v.word(0)
    except Exception:  # unreadable
        return {}
    return {"memoryReference": hex(p)} if p else {}
