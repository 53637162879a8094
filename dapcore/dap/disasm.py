"""Disassembly of a Go function, annotated with its source lines: what the
``source`` request returns when a frame's file is not on this machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from dapcore.errors import DapcoreError
from dapcore.goruntime.process import Process


@dataclass(slots=True)
class Listing:
    """Text of one function's disassembly and the listing line of each pc."""

    text: str
    line_of_pc: dict[int, int] = field(default_factory=dict)  # run-time pc → 1-based line

    def line_for(self, pc: int) -> int:
        """The listing line of the instruction holding ``pc`` (or the nearest before)."""
        best = 1
        for addr, line in self.line_of_pc.items():
            if addr <= pc:
                best = line
            else:
                break
        return best


def listing(proc: Process, pc: int) -> Listing | None:
    """The disassembly of the function holding run-time ``pc`` (None: no function)."""
    tab = proc.pclntab
    f = tab.func_at(pc - proc.bias)
    if f is None:
        return None
    start = f.entry + proc.bias
    try:
        code = proc.memory.read(start, f.end - f.entry)
    except DapcoreError as exc:
        return Listing(f"// {f.name}: the code is not readable ({exc})\n")
    cs = proc.arch.disassembler(False)
    out = [f"// {f.name}: source file not found on this machine; disassembly follows",
           f"// {start:#x} … {start + len(code):#x}", ""]
    result = Listing("")
    last: tuple[str, int] | None = None
    for insn in cs.disasm(code, start):
        file, line = tab.line_at(f, insn.address - proc.bias)
        if (file, line) != last:
            out.append(f"// {os.path.basename(file)}:{line}")
            last = (file, line)
        result.line_of_pc[insn.address] = len(out) + 1
        out.append(f"{insn.address:#x}\t{insn.mnemonic}\t{insn.op_str}".rstrip())
    result.text = "\n".join(out) + "\n"
    return result
