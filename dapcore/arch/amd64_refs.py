"""RIP-relative references in x86-64 code, as the stripped-binary globals
finder reads them (:mod:`dapcore.gobin.symbols`): which addresses a function
takes (``lea reg, [rip+X]``), loads (``mov reg, [rip+X]``) or stores, and
which pointers it stores atomically (``XCHG``, the intrinsic of
``atomic.Store*``, or a call to a function that stores its second argument,
RBX under Go's register ABI, at its first, RAX; before Go 1.17's register
ABI, the arguments were the words at [rsp] and [rsp+8]).

Only straight-line facts are kept: what a register holds is forgotten at a
call (every register is caller-saved in Go's ABIInternal) and when the
register is written."""

from __future__ import annotations

import re
from collections.abc import Callable

from dapcore.arch.amd64_disasm import disassembler
from dapcore.arch.descriptor import CodeRefs, Ref

__all__ = ["pc_relative_refs"]

_RIP = re.compile(r"\[rip(?: ([+-]) (0x[0-9a-f]+|\d+))?\]")
_WIDTH = re.compile(r"^(byte|word|dword|qword|xmmword|ymmword) ptr ")
_NO_WRITE = frozenset({"cmp", "test", "push", "jmp", "ret", "nop", "ud2"})
_GPR = ("ax", "bx", "cx", "dx", "si", "di", "bp", "sp")
_ARG0, _ARG1 = "rax", "rbx"  # Go's ABIInternal: the first two integer arguments
_STACK_SLOT = re.compile(r"^qword ptr \[rsp(?: \+ (0x[0-9a-f]+|\d+))?\]$")  # ABI0 arguments


def _canonical_registers() -> dict[str, str]:
    """Every name of a general-purpose register part → its 64-bit name."""
    out: dict[str, str] = {}
    for r in _GPR:
        full = "r" + r
        for name in (full, "e" + r, r):
            out[name] = full
    for low in ("al", "bl", "cl", "dl", "sil", "dil", "bpl", "spl", "ah", "bh", "ch", "dh"):
        out[low] = "r" + (low[0] + "x" if low[1] in "lh" and len(low) == 2 else low[:2])
    for n in range(8, 16):
        for suffix in ("", "d", "w", "b"):
            out[f"r{n}{suffix}"] = f"r{n}"
    return out


_REG = _canonical_registers()


def pc_relative_refs(code: bytes, entry: int, store_calls: frozenset[str],
                     callee_at: Callable[[int], str | None]) -> CodeRefs:
    """RIP-relative references and atomic stores of the function whose
    ``code`` starts at link-time ``entry``. ``callee_at(addr)`` names the
    function a direct call enters (None: not a function's entry);
    ``store_calls`` are the functions that store their second argument at
    their first."""
    cs = disassembler(False)
    refs: list[Ref] = []
    stores: list[tuple[int, int | None]] = []
    # What a register holds, as far as straight-line code shows it:
    # ("addr", X) after lea reg, [rip+X]; ("load", X) after mov reg, [rip+X].
    regs: dict[str, tuple[str, int]] = {}
    args: dict[int, tuple[str, int] | None] = {}  # [rsp+N] → what was stored there
    for addr, size, mnemonic, op_str in cs.disasm_lite(code, entry):
        ops = op_str.split(", ") if op_str else []
        target = None
        for i, op in enumerate(ops):
            m = _RIP.search(op)
            if m is None:
                continue
            disp = int(m.group(2), 0) if m.group(2) else 0
            target = addr + size + (-disp if m.group(1) == "-" else disp)
            w = _WIDTH.match(op)
            if mnemonic == "lea":
                kind = "lea"
            elif mnemonic.startswith("mov") and len(ops) == 2:
                kind = "store" if i == 0 else "load"
            else:
                kind = "other"
            refs.append(Ref(target, kind, w.group(1) if w else ""))
        if mnemonic == "call":
            callee = callee_at(int(ops[0], 16)) if ops and ops[0].startswith("0x") else None
            ptr, val = regs.get(_ARG0), regs.get(_ARG1)
            if ptr is None or ptr[0] != "addr":
                ptr, val = args.get(0), args.get(8)  # ABI0: on the stack
            if callee in store_calls and ptr is not None and ptr[0] == "addr":
                stores.append((ptr[1], val[1] if val is not None and val[0] == "load" else None))
            regs.clear()  # Go's ABIInternal: every register is caller-saved
            args.clear()
            continue
        slot = _STACK_SLOT.match(ops[0]) if mnemonic == "mov" and len(ops) == 2 else None
        if slot is not None:
            args[int(slot.group(1), 0) if slot.group(1) else 0] = regs.get(_REG.get(ops[1], ""))
            continue
        if mnemonic == "xchg" and len(ops) == 2 and ops[0].startswith("qword ptr [") \
                and ops[1] in _REG:
            base = ops[0][len("qword ptr ["):-1]
            ptr = regs.get(_REG.get(base, ""))
            if ptr is not None and ptr[0] == "addr":
                val = regs.get(_REG[ops[1]])
                stores.append((ptr[1], val[1] if val is not None and val[0] == "load" else None))
            regs.pop(_REG[ops[1]], None)
            continue
        if not ops or mnemonic in _NO_WRITE or mnemonic.startswith("j"):
            continue
        dest = _REG.get(ops[0])
        if dest is None:
            continue
        if target is not None and len(ops) == 2 and _RIP.search(ops[1]):
            if mnemonic == "lea":
                regs[dest] = ("addr", target)
                continue
            if mnemonic == "mov" and ops[1].startswith("qword ptr"):
                regs[dest] = ("load", target)
                continue
        regs.pop(dest, None)
        if mnemonic == "xchg" and len(ops) == 2 and ops[1] in _REG:
            regs.pop(_REG[ops[1]], None)
    return CodeRefs(refs, stores)
