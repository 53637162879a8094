"""The x86-64 disassembler (capstone) and what is read from its text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["call_candidates", "direct_call_target", "disassembler"]


def disassembler(detail: bool = False) -> Any:
    """A capstone disassembler for x86-64 (``detail``: operands decoded)."""
    import capstone  # heavy (a few ms to import): only what disassembles pays it

    cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    if detail:
        cs.detail = True
    return cs


def direct_call_target(mnemonic: str, op_str: str) -> int | None:
    """The target of ``call 0x…`` as capstone's ``disasm_lite`` prints it
    (None for any other instruction)."""
    if mnemonic == "call" and op_str.startswith("0x"):
        return int(op_str, 16)
    return None


def call_candidates(code: bytes, base: int) -> Iterator[tuple[int, int]]:
    """(address, target) of every ``call rel32`` (``E8`` and a 32-bit
    displacement) that ``code`` at ``base`` may hold, in order, without
    decoding instructions (no capstone to import). An ``E8`` byte inside
    another instruction gives a candidate too: callers keep only targets
    that are a function's entry."""
    i = code.find(b"\xe8")
    while 0 <= i <= len(code) - 5:
        rel = int.from_bytes(code[i + 1:i + 5], "little", signed=True)
        yield base + i, base + i + 5 + rel
        i = code.find(b"\xe8", i + 1)
