"""arm64 (AArch64) on linux: not supported yet (issue #14). What is known
so far, for the descriptor to come: the ``NT_PRSTATUS`` register order
(``struct user_pt_regs``) and the register roles. Registers are 64-bit;
the return address arrives in the link register (x30), the frame pointer
is x29, Go keeps the current g in x28, and instructions are 4 bytes."""

from __future__ import annotations

__all__ = ["ELF_MACHINE", "ELF_MACHINE_NAME", "NAME", "REGS"]

NAME = "arm64"
ELF_MACHINE = 183
ELF_MACHINE_NAME = "EM_AARCH64"
REGS: tuple[str, ...] = (*(f"x{i}" for i in range(31)), "sp", "pc", "pstate")
PC, SP, FP, LR, G, PC_QUANTUM = "pc", "sp", "x29", "x30", "x28", 4
