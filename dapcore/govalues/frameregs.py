"""The registers of a frame, where they are known: the top frame of a
goroutine running on a thread (the thread's registers, from the core's
``NT_PRSTATUS``) and the frame a signal interrupted (the signal context,
see :func:`dapcore.govalues.framevars.frame_registers`). Every other frame has
none: Go's ABI saves no callee registers, so any value would be stale."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dapcore.govalues.framevars import frame_register_names

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process
    from dapcore.goruntime.unwind import Stack

__all__ = ["frame_register_values"]


def frame_register_values(proc: Process, stack: Stack, index: int) -> list[tuple[str, str]]:
    """(name, value text) of the registers known in ``stack.frames[index]``,
    in the architecture's order (``NT_PRSTATUS``); flags decoded (``0x246
    [PF ZF IF]``). Empty when none are known."""
    arch = proc.arch
    known = frame_register_names(proc, stack, index)
    out = []
    for name in (*arch.regs, *(n for n in known if n not in arch.regs)):
        v = known.get(name)
        if v is None:
            continue
        text = f"{v:#x}"
        if name == arch.flags:
            text += " " + arch.flags_text(v)
        out.append((name, text))
    return out
