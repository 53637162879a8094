"""PC-relative references in AArch64 code, as the stripped-binary globals
finder reads them (:mod:`dapcore.gobin.symbols`).

Go reaches a package variable with ``ADRP Xn, page`` followed by ``ADD Xn,
Xn, #lo12`` (the address taken) or a load or store ``[Xn, #lo12]``; a pair
load or store (``LDP``/``STP``) touches two words. An atomic pointer store
is ``STLR`` (or a ``SWP`` with release semantics) through a register that
holds such an address, or a call to a function that stores its second
argument (x1 under Go's register ABI) at its first (x0).

Only straight-line facts are kept: what a register holds is forgotten at a
call (every register is caller-saved in Go's ABIInternal) and when the
register is written."""

from __future__ import annotations

import re
from collections.abc import Callable

from dapcore.arch.arm64_disasm import disassembler
from dapcore.arch.descriptor import CodeRefs, Ref

__all__ = ["pc_relative_refs"]

_MEM = re.compile(r"\[(x\d+|sp)(?:, #(-?0x[0-9a-f]+|-?\d+))?\](!?)")
_ARG0, _ARG1 = "x0", "x1"
_STORE_RELEASE = ("stlr", "swpl", "swpal")
_WIDTHS = {"b": "byte", "h": "word", "sb": "byte", "sh": "word", "sw": "dword"}
# Instructions that write no general-purpose register named first.
_NO_WRITE = frozenset({"cmp", "cmn", "tst", "b", "br", "ret", "nop", "cbz", "cbnz", "tbz",
                       "tbnz", "udf", "brk", "dmb", "dsb", "isb", "hint", "yield"})


def _reg(name: str) -> str | None:
    """A general-purpose register's 64-bit name (``w3`` → ``x3``), else None."""
    if len(name) > 1 and name[0] in "xw" and name[1:].isdigit():
        return "x" + name[1:]
    return None


def _width(mnemonic: str, reg: str) -> str:
    """The access width of a load or store (``ldrb`` → byte, ``ldr x1`` → qword)."""
    for suffix, width in _WIDTHS.items():
        if mnemonic.endswith(suffix) and mnemonic[:-len(suffix)] in ("ldr", "str", "ldur",
                                                                     "stur", "ldar", "stlr"):
            return width
    return "dword" if reg.startswith("w") else "qword"


def pc_relative_refs(code: bytes, entry: int, store_calls: frozenset[str],
                     callee_at: Callable[[int], str | None]) -> CodeRefs:
    """PC-relative references and atomic stores of the function whose
    ``code`` starts at link-time ``entry`` (see the module documentation)."""
    cs = disassembler(False)
    refs: list[Ref] = []
    stores: list[tuple[int, int | None]] = []
    # What a register holds: ("page", P) after adrp; ("addr", X) after
    # adrp+add; ("load", X) after a load of the word at X.
    regs: dict[str, tuple[str, int]] = {}

    def value_src(name: str) -> int | None:
        v = regs.get(_reg(name) or "")
        return v[1] if v is not None and v[0] == "load" else None

    for _addr, _size, mnemonic, op_str in cs.disasm_lite(code, entry):
        ops = [o.strip() for o in op_str.split(",")] if op_str else []
        if mnemonic == "bl":
            target = int(ops[0][1:], 16) if ops and ops[0].startswith("#0x") else None
            callee = callee_at(target) if target is not None else None
            ptr = regs.get(_ARG0)
            if callee in store_calls and ptr is not None and ptr[0] == "addr":
                stores.append((ptr[1], value_src(_ARG1)))
            regs.clear()  # Go's ABIInternal: every register is caller-saved
            continue
        if mnemonic == "blr":
            regs.clear()
            continue
        m = _MEM.search(op_str)
        if m is not None:
            _memory(mnemonic, ops, m, regs, refs, stores, value_src)
            continue
        if not ops or mnemonic in _NO_WRITE or mnemonic.startswith("b."):
            continue
        dest = _reg(ops[0])
        if dest is None:
            continue
        if mnemonic == "adrp" and len(ops) == 2 and ops[1].startswith("#0x"):
            regs[dest] = ("page", int(ops[1][1:], 16))
            continue
        if mnemonic == "add" and len(ops) == 3 and ops[2].startswith("#"):
            base = regs.get(_reg(ops[1]) or "")
            if base is not None and base[0] == "page":
                target = base[1] + int(ops[2][1:], 0)
                regs[dest] = ("addr", target)
                refs.append(Ref(target, "lea", ""))
                continue
        if mnemonic == "mov" and len(ops) == 2 and _reg(ops[1]) is not None:
            src = regs.get(_reg(ops[1]) or "")
            if src is not None:
                regs[dest] = src
                continue
        regs.pop(dest, None)
    return CodeRefs(refs, stores)


def _memory(mnemonic: str, ops: list[str], m: re.Match[str], regs: dict[str, tuple[str, int]],
            refs: list[Ref], stores: list[tuple[int, int | None]],
            value_src: Callable[[str], int | None]) -> None:
    """One load or store: its reference when the base register holds a
    known address, and what it does to the registers it writes."""
    base = regs.get(m.group(1))
    off = int(m.group(2), 0) if m.group(2) else 0
    loads = mnemonic.startswith("ld")
    pair = mnemonic in ("ldp", "stp", "ldnp", "stnp")
    data_regs = ops[:2] if pair else ops[:1]
    if mnemonic in _STORE_RELEASE:
        if base is not None and base[0] == "addr" and off == 0:
            stores.append((base[1], value_src(ops[-2] if mnemonic != "stlr" else ops[0])))
        if mnemonic != "stlr" and len(ops) >= 2 and _reg(ops[1]):
            regs.pop(_reg(ops[1]) or "", None)  # swp writes its second register
        return
    target: int | None = None
    if base is not None and base[0] in ("page", "addr"):
        target = base[1] + off
        width = _width(mnemonic, data_regs[0]) if data_regs else ""
        for i, _r in enumerate(data_regs):
            refs.append(Ref(target + 8 * i if pair else target,
                            "load" if loads else "store", width))
    if m.group(3) == "!" or "], #" in ",".join(ops):  # writeback changes the base
        regs.pop(m.group(1), None)
    if loads:
        for i, r in enumerate(data_regs):
            dest = _reg(r)
            if dest is None:
                continue
            if target is not None and r.startswith("x"):
                regs[dest] = ("load", target + 8 * i)
            else:
                regs.pop(dest, None)
