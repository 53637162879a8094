"""Func values: the function a funcval calls, and a closure's captured
variables, read from the closure object at the offsets
:mod:`dapcore.govalues.closures` finds."""

from __future__ import annotations

from dapcore.dwarf.constants import AT_TYPE, AT_VARIABLE_PARAMETER, TAG_FORMAL_PARAMETER
from dapcore.dwarf.dies import Die
from dapcore.dwarf.sections import DwarfError
from dapcore.errors import UnreadableMemory
from dapcore.govalues.closures import Capture
from dapcore.govalues.values import Value, ValueContext

__all__ = ["closure_captures", "closure_layout", "func_text", "function_signature"]


def func_text(v: Value) -> str:
    """``nil``, the name of the function called, or its PC when unknown."""
    fv = v.word(0)
    if not fv:
        return "nil"
    pc = v.ctx.mem.ptr(fv)
    name = v.ctx.func_name(pc)
    return name if name is not None else f"func at {pc:#x}"


def function_signature(ctx: ValueContext, entry: int, bound: bool = False) -> str | None:
    """The Go type of the function whose code starts at ``entry`` (a run-time
    PC) as ``%T`` prints it, ``func(int) int``, from its DWARF parameters;
    ``bound``: of its method value, without the receiver. None without DWARF
    for it. A variadic function's last parameter reads as a slice: the
    DWARF of a function does not say it is variadic."""
    try:
        sub = ctx.reader.dwarf.subprogram_at(entry - ctx.reader.bias)
        if sub is None:
            return None
        ins: list[str] = []
        outs: list[str] = []
        for c in ctx.reader.dwarf.children(sub):
            typ = c.int_attr(AT_TYPE)
            if c.tag != TAG_FORMAL_PARAMETER or typ is None:
                continue
            name = ctx.types.type_at(typ).name
            (outs if c.attrs.get(AT_VARIABLE_PARAMETER) else ins).append(name)
    except (DwarfError, UnreadableMemory, ValueError):
        return None
    if bound:
        ins = ins[1:]
    sig = f"func({', '.join(ins)})"
    if len(outs) == 1:
        return f"{sig} {outs[0]}"
    return f"{sig} ({', '.join(outs)})" if outs else sig


def closure_layout(ctx: ValueContext, sub: Die) -> list[Capture] | None:
    """The captured variables of the closure function ``sub``, with their
    offsets in the closure object; None when neither the DWARF (Go 1.23+)
    nor the closure's code places them (:mod:`dapcore.govalues.closures`)."""
    return ctx.reader.closures.layout(sub) if ctx.reader.closures is not None else None


def closure_captures(v: Value) -> list[Value]:
    """A closure's captured variables, read from the funcval (see
    :func:`closure_layout`), their paths their names. They have no Go
    expression where the func value is (their names name them only in the
    closure's own frames), and so neither have their children."""
    fv = v.word(0)
    if not fv:
        return []
    ctx = v.ctx
    pc = ctx.mem.ptr(fv)
    d = ctx.reader.dwarf
    try:
        sub = d.subprogram_at(pc - ctx.proc.bias)
        layout = closure_layout(ctx, sub) if sub is not None else None
    except Exception:
        return []
    out: list[Value] = []
    for cap in layout or ():
        if cap.by_pointer:
            try:
                target = ctx.mem.ptr(fv + cap.offset)
            except UnreadableMemory as exc:
                out.append(Value(ctx, cap.name, cap.type, error=exc.short))
                continue
            out.append(Value(ctx, cap.name, cap.type, addr=target, path=cap.name))
        else:
            out.append(Value(ctx, cap.name, cap.type, addr=fv + cap.offset,
                             path=cap.name))
    return out
