"""Disassembly of a Go function, annotated with its source lines: what the
``source`` request returns when a frame's file is not on this machine."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

from dapcore.errors import DapcoreError

if TYPE_CHECKING:
    from dapcore.engine import Engine


class Listing(NamedTuple):
    """Text of one function's disassembly and the listing line of each pc."""

    text: str
    line_of_pc: dict[int, int]  # run-time pc → 1-based line

    def line_for(self, pc: int) -> int:
        """The listing line of the instruction holding ``pc`` (or the nearest before)."""
        best = 1
        for addr, line in self.line_of_pc.items():
            if addr <= pc:
                best = line
            else:
                break
        return best


def listing(engine: Engine, pc: int) -> Listing | None:
    """The disassembly of the function holding run-time ``pc`` (None: no function)."""
    f = engine.function_at(pc)
    if f is None:
        return None
    start = f.start
    try:
        code = engine.read_memory(start, f.end - f.start)
    except DapcoreError as exc:
        return Listing(f"// {f.name}: the code is not readable ({exc})\n", {})
    cs = engine.disassembler()
    out = [f"// {f.name}: source file not found on this machine; disassembly follows",
           f"// {start:#x} … {start + len(code):#x}", ""]
    line_of_pc: dict[int, int] = {}
    last: tuple[str, int] | None = None
    for insn in cs.disasm(code, start):
        file, line = engine.line_at(insn.address)
        if (file, line) != last:
            out.append(f"// {os.path.basename(file)}:{line}")
            last = (file, line)
        line_of_pc[insn.address] = len(out) + 1
        out.append(f"{insn.address:#x}\t{insn.mnemonic}\t{insn.op_str}".rstrip())
    return Listing("\n".join(out) + "\n", line_of_pc)
