"""The AArch64 disassembler (capstone) and what is read from its text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["call_candidates", "direct_call_target", "disassembler"]


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


def call_candidates(code: bytes, base: int) -> Iterator[tuple[int, int]]:
    """(address, target) of every ``bl`` in ``code`` at ``base`` (fixed
    4-byte instructions: ``100101`` and a 26-bit word offset), in order,
    without capstone."""
    for i in range(0, len(code) - 3, 4):
        word = int.from_bytes(code[i:i + 4], "little")
        if word & 0xFC000000 == 0x94000000:
            imm = word & 0x03FFFFFF
            if imm & 0x02000000:
                imm -= 1 << 26
            yield base + i, base + i + 4 * imm
