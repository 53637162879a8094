"""The registers of a frame, where they are known: the top frame of a
goroutine running on a thread (the thread's registers, from the core's
``NT_PRSTATUS``) and the frame a signal interrupted (the signal context,
see :func:`dapcore.govalues.framevars.frame_registers`). Every other frame has
none: Go's ABI saves no callee registers, so any value would be stale."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dapcore.govalues.framevars import frame_registers

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process
    from dapcore.goruntime.unwind import Stack

__all__ = ["frame_register_values"]


def frame_register_values(proc: Process, stack: Stack, index: int) -> list[tuple[str, str]]:
    """(name, value text) of the registers known in ``stack.frames[index]``,
    in the architecture's order; flags decoded (``0x246 [PF ZF IF]``).
    Empty when none are known."""
    f = stack.frames[index]
    first = stack.frames[0]
    if f.trap and f.pc == first.pc and f.sp == first.sp:
        for m in proc.ms:
            t = m.thread
            if t is None or t.registers.pc != f.pc or t.registers.sp != f.sp:
                continue
            arch = t.registers.arch
            out = []
            for name in arch.regs:
                v = t.registers.values.get(name)
                if v is None:
                    continue
                text = f"{v:#x}"
                if name == arch.flags:
                    text += " " + arch.flags_text(v)
                out.append((name, text))
            return out
    arch = proc.arch
    known = frame_registers(proc, stack, index)
    return [(name, f"{known[n]:#x}") for n in sorted(known)
            if (name := arch.dwarf_name(n)) is not None]
