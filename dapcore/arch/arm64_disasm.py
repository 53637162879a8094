"""The AArch64 disassembler (capstone) and what is read from its text."""

from __future__ import annotations

from typing import Any

__all__ = ["direct_call_target", "disassembler"]


def disassembler(detail: bool = False) -> Any:
    """A capstone disassembler for AArch64 (``detail``: operands decoded)."""
    import capstone  # heavy (a few ms to import): only what disassembles pays it

    cs = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    if detail:
        cs.detail = True
    return cs


def direct_call_target(mnemonic: str, op_str: str) -> int | None:
    """The target of ``bl #0x…`` as capstone's ``disasm_lite`` prints it
    (None for any other instruction)."""
    if mnemonic == "bl" and op_str.startswith("#0x"):
        return int(op_str[1:], 16)
    return None
