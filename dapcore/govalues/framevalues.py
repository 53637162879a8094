"""The values of one frame for the command line (``dapcore locals`` and
``dapcore print``): a goroutine's frame, numbered as ``dapcore bt``
numbers them (an index into the unwinder's frames)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dapcore.errors import DapcoreError
from dapcore.govalues.children import child_count, children
from dapcore.govalues.pkgvars import global_value
from dapcore.govalues.summary import text_of
from dapcore.govalues.values import Value, ValueContext, value_of_variable
from dapcore.govalues.variables import FrameVariables, frame_registers

if TYPE_CHECKING:
    from dapcore.engine import Engine

__all__ = ["frame_values", "locals_output", "lookup", "print_output", "value_json"]


def _frame_variables(report: Engine, ctx: ValueContext, goid: int,
                     frame: int, strict: bool = True) -> FrameVariables | None:
    g = report._g(goid)
    stack = report.stack(g)
    if not 0 <= frame < len(stack.frames):
        raise DapcoreError(f"goroutine {goid} has {len(stack.frames)} frames; "
                           f"no frame {frame}")
    regs = frame_registers(report.proc, stack, frame)
    fv = ctx.reader.frame_variables(stack.frames, frame, regs)
    if fv.error is not None:
        if not strict:
            return None
        raise DapcoreError(f"frame {frame} ({stack.frames[frame].function}): {fv.error}")
    return fv


def frame_values(report: Engine, goid: int, frame: int,
                 ctx: ValueContext | None = None) -> list[tuple[str, Value]]:
    """(kind, value) of the frame's parameters, then its locals."""
    ctx = ctx if ctx is not None else ValueContext(report.proc)
    fv = _frame_variables(report, ctx, goid, frame)
    assert fv is not None
    return [(v.kind, value_of_variable(ctx, v)) for v in fv.params + fv.locals]


def lookup(report: Engine, goid: int, frame: int, name: str,
           ctx: ValueContext | None = None) -> Value:
    """An identifier: a variable of the frame, else a package variable of
    the frame's package (then of ``main``), else ``pkg.Var``."""
    ctx = ctx if ctx is not None else ValueContext(report.proc)
    fv = _frame_variables(report, ctx, goid, frame, strict=False)
    v = fv.get(name) if fv is not None else None
    if v is not None:
        return value_of_variable(ctx, v)
    candidates = [name]
    if "." not in name:
        function = report.stack(report._g(goid)).frames[frame].function
        candidates = [f"{_package_of(function)}.{name}", f"main.{name}"]
    for c in candidates:
        g = global_value(report.proc, c, ctx)
        if g is not None:
            return g
    raise DapcoreError(f"could not find symbol value for {name}")


def _package_of(function: str) -> str:
    """``net/http.(*Client).Do`` → ``net/http``."""
    slash = function.rfind("/")
    dot = function.find(".", slash + 1)
    return function[:dot] if dot >= 0 else function


def value_json(v: Value, kind: str | None = None, depth: int = 1) -> dict[str, Any]:
    """``{name, kind?, type, value, children?}``; children one level deep."""
    out: dict[str, Any] = {"name": v.name}
    if kind is not None:
        out["kind"] = kind
    out["type"] = v.type_name
    out["value"] = text_of(v)
    if depth > 0 and v.error is None and child_count(v):
        out["children"] = [value_json(c, None, depth - 1)
                           for c in children(v, 0, v.ctx.config.max_array_values)]
    return out


def locals_output(report: Engine, goid: int, frame: int, as_json: bool) -> Any:
    values = frame_values(report, goid, frame)
    if as_json:
        return [value_json(v, kind) for kind, v in values]
    return "\n".join(f"{v.name} = {text_of(v)}" for _, v in values) or "(no locals)"


def print_output(report: Engine, goid: int, frame: int, name: str, as_json: bool) -> Any:
    """``dapcore print``: an expression (:mod:`dapcore.goexpr.evaluator`); a name the
    expression parser refuses (``net/http.DefaultClient``) is looked up as is."""
    from dapcore.goexpr.evaluator import evaluate
    from dapcore.goexpr.parser import ParseError

    try:
        v = evaluate(report, goid, frame, name)
    except ParseError as exc:
        try:
            v = lookup(report, goid, frame, name.strip())
        except DapcoreError:
            raise DapcoreError(f"{exc}\n{exc.caret(name)}") from None
    return value_json(v) if as_json else text_of(v)
