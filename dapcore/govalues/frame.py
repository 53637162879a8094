"""The values of one frame of a goroutine's stack: its parameters and
locals as :class:`Value` objects, and the names it sees.

Where things are:

* :mod:`dapcore.govalues.framevars`: the variables of a frame as the DWARF
  describes them (types, where their bytes are at the frame's PC);
* :mod:`dapcore.govalues.pkgvars`: package-level variables (globals);
* :mod:`dapcore.govalues.frameregs`: the registers known in a frame;
* this module: a frame (:class:`FrameRef`), its variables as values
  (:func:`frame_values`), and the names an expression in it sees,
  locals first, then package variables (:class:`FrameNames`, the scope the
  expression evaluator :mod:`dapcore.goexpr` asks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from dapcore.errors import DapcoreError
from dapcore.gobin.pclntab import package_of
from dapcore.govalues.framevars import FrameVariables, frame_registers
from dapcore.govalues.pkgvars import global_value
from dapcore.govalues.values import Value, ValueContext, value_of_variable

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process
    from dapcore.goruntime.unwind import Stack

__all__ = ["FrameNames", "FrameRef", "frame_values", "frame_variables", "lookup"]


class FrameRef(NamedTuple):
    """Frame ``index`` of goroutine ``goid``, whose stack (as the unwinder
    gives it) is ``stack``: numbered as ``dapcore bt`` numbers frames."""

    proc: Process
    goid: int
    stack: Stack
    index: int

    @property
    def function(self) -> str:
        return self.stack.frames[self.index].function


def frame_variables(ref: FrameRef, ctx: ValueContext,
                    strict: bool = True) -> FrameVariables | None:
    """The DWARF variables of the frame. A frame the stack does not have is
    a :class:`DapcoreError`; one whose variables cannot be read too, or
    None when not ``strict``."""
    frames = ref.stack.frames
    if not 0 <= ref.index < len(frames):
        raise DapcoreError(f"goroutine {ref.goid} has {len(frames)} frames; "
                           f"no frame {ref.index}")
    frame = frames[ref.index]
    if frame.c_object is not None:
        if not strict:
            return None
        raise DapcoreError(f"frame {ref.index} ({frame.function}) is C code in "
                           f"{frame.c_object}: dapcore reads the values of Go frames only")
    regs = frame_registers(ref.proc, ref.stack, ref.index)
    fv = ctx.reader.frame_variables(frames, ref.index, regs)
    if fv.error is not None:
        if not strict:
            return None
        raise DapcoreError(f"frame {ref.index} ({frames[ref.index].function}): {fv.error}")
    return fv


def frame_values(ref: FrameRef, ctx: ValueContext | None = None) -> list[tuple[str, Value]]:
    """(kind, value) of the frame's parameters, then its locals."""
    ctx = ctx if ctx is not None else ValueContext(ref.proc)
    fv = frame_variables(ref, ctx)
    assert fv is not None
    return [(v.kind, value_of_variable(ctx, v)) for v in fv.params + fv.locals]


def lookup(ref: FrameRef, name: str, ctx: ValueContext | None = None) -> Value:
    """An identifier: a variable of the frame, else a package variable of
    the frame's package (then of ``main``), else ``pkg.Var``."""
    ctx = ctx if ctx is not None else ValueContext(ref.proc)
    fv = frame_variables(ref, ctx, strict=False)
    v = fv.get(name) if fv is not None else None
    if v is not None:
        return value_of_variable(ctx, v)
    for c in _candidates(ref, name):
        g = global_value(ref.proc, c, ctx)
        if g is not None:
            return g
    raise DapcoreError(f"could not find symbol value for {name}")


def _candidates(ref: FrameRef, name: str) -> list[str]:
    """The package variables a name may be: ``pkg.Var`` as written, a bare
    name in the frame's package, then in ``main``."""
    if "." in name:
        return [name]
    return [f"{package_of(ref.function)}.{name}", f"main.{name}"]


class FrameNames:
    """The names an expression in a frame sees (the scope the evaluator of
    :mod:`dapcore.goexpr` asks): the frame's variables, then package
    variables. The frame's variables are read on first use."""

    def __init__(self, ref: FrameRef, ctx: ValueContext) -> None:
        self.ref = ref
        self.ctx = ctx
        self._fv: FrameVariables | None = None
        self._read = False

    def local(self, name: str) -> Value | None:
        """The frame's variable ``name`` (innermost block first), or None."""
        if not self._read:
            self._fv = frame_variables(self.ref, self.ctx, strict=False)
            self._read = True
        v = self._fv.get(name) if self._fv is not None else None
        return value_of_variable(self.ctx, v) if v is not None else None

    def package_var(self, name: str) -> Value | None:
        """The package variable ``name`` (``pkg.Var``, or a bare name in the
        frame's package, then in ``main``), its path ``name``; or None."""
        for c in dict.fromkeys(_candidates(self.ref, name)):
            g = global_value(self.ref.proc, c, self.ctx)
            if g is not None:
                g.path = name
                return g
        return None

    def function(self, name: str) -> tuple[str, int] | None:
        """(full name, run-time entry PC) of the Go function ``name``
        (``pkg.F``, or a bare name in the frame's package, then in
        ``main``), or None: a function named as a value (``main.f``)."""
        proc = self.ref.proc
        for c in dict.fromkeys(_candidates(self.ref, name)):
            f = proc.pclntab.func_by_name(c)
            if f is not None:
                return f.name, f.entry + proc.bias
        return None
