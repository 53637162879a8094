"""A closure's entry block on x86-64, run symbolically: which register or
stack slot holds which bytes of the closure object (see
:mod:`dapcore.govalues.closures`, which places the captured variables from
it for Go releases whose DWARF does not).

The closure context arrives in RDX; the stack-check prologue compares RSP
with the g's stack guard (``cmp rsp, [r14+16]``, or ``lea r12, [rsp-N]``
then ``cmp`` for a large frame) and jumps to ``morestack``; the block runs
from there along the fall-through path until another path joins it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dapcore.arch.amd64_disasm import disassembler
from dapcore.arch.descriptor import EntryBlock, Sym, record_slot_store

__all__ = ["closure_entry"]

_PTR = 8
_MAX_BLOCK = 4096  # instructions of an entry block looked at, at most
_CONTEXT = "rdx"  # the closure context register of Go's ABIInternal
_G = "r14"  # the current g (the stack check reads its stack guard)
_BIG_FRAME = "r12"  # a large frame's stack check computes SP-N in it
_SP = "rsp"
_MOVES = frozenset({"mov", "movq", "movups", "movdqu", "movaps", "movupd", "movsd", "movss"})
_WIDENING = frozenset({"movzx", "movsx", "movsxd"})


def _family(name: str) -> str | None:
    """The 64-bit register (or xmm register) a capstone register name is
    part of; None for others (rip, flags, segment registers)."""
    if name.startswith(("xmm", "ymm", "zmm")):
        return "xmm" + name[3:]
    if name.startswith("r") and name[1:2].isdigit():
        return "r" + "".join(ch for ch in name[1:] if ch.isdigit())
    legacy = {"a": "rax", "b": "rbx", "c": "rcx", "d": "rdx"}
    if len(name) == 3 and name[0] in "re" and name[2] == "x" and name[1] in legacy:
        return legacy[name[1]]
    if len(name) == 2 and name[1] in "xlh" and name[0] in legacy:
        return legacy[name[0]]
    for base in ("si", "di", "bp", "sp"):
        if name in (base, "e" + base, "r" + base, base + "l"):
            return "r" + base
    return None


def closure_entry(code: bytes, entry: int, end: int, sp_at: Callable[[int], int]
                  ) -> EntryBlock | None:
    """The entry block of the closure whose ``code`` spans link-time
    ``[entry, end)``, run symbolically (``sp_at(pc)``: the SP's offset from
    the frame's entry value, pclntab's pcsp; negative when unknown); None
    when the block is too long or the SP is unknown in it."""
    import capstone  # heavy: only closures of releases before Go 1.23 pay it
    from capstone import x86  # heavy, as above

    cs = disassembler(True)
    insns = list(cs.disasm(code, entry))
    targets: set[int] = set()
    for ins in insns:
        if ins.group(capstone.CS_GRP_JUMP) and ins.operands and \
                ins.operands[0].type == x86.X86_OP_IMM:
            targets.add(ins.operands[0].imm)
    targets.discard(entry)  # morestack jumps back to the entry

    regs: dict[str, Sym] = {_CONTEXT: ("clo",)}
    first: dict[int, Sym | None] = {}
    run = _Run(regs, {}, first)
    before: dict[int, dict[str, Sym]] = {}
    start: int | None = None
    prev_cmp_r14 = False
    window = True  # loads from the closure object still count as evidence
    stop = end
    for n, ins in enumerate(insns):
        if n > _MAX_BLOCK:
            return None
        pc = ins.address
        if start is not None and pc in targets:
            stop = pc  # another path joins here: what registers hold is unknown
            break
        mn = ins.mnemonic
        jump = ins.group(capstone.CS_GRP_JUMP)
        if start is None and jump and prev_cmp_r14:
            prev_cmp_r14 = False
            continue  # the stack check: its jump goes to morestack
        if start is None and not (mn == "cmp" or (mn == "lea" and _BIG_FRAME in ins.op_str)):
            start = pc
        prev_cmp_r14 = mn == "cmp" and _G in ins.op_str
        before[pc] = dict(regs)
        if mn == "call" or _stores_outside_frame(ins):
            # The captures are loaded with the memory the closure was called
            # with, so before its first call or store (``tighten`` may move
            # a load down the fall-through path to its use, not past those).
            # Later loads from the object are the body reading fields of a
            # large capture; what registers and slots hold still counts.
            window = False
        if (jump and mn == "jmp") or ins.group(capstone.CS_GRP_RET) or \
                ins.group(capstone.CS_GRP_INT) or mn in ("ud2", "hlt"):
            stop = pc + ins.size
            break
        sp = sp_at(pc)
        if sp < 0:
            return None
        run.name, run.sp, run.fresh = ins.reg_name, sp, window
        run.step(ins)
    if start is None:
        return None
    return EntryBlock(start, stop, before, first)


def _stores_outside_frame(ins: object) -> bool:
    """Whether the instruction writes memory other than the frame's stack
    slots (SP-based)."""
    from capstone import CS_AC_WRITE, x86  # heavy: imported where it is used

    for op in ins.operands:  # type: ignore[attr-defined]
        if op.type == x86.X86_OP_MEM and op.access & CS_AC_WRITE:
            m = op.mem
            if m.base == 0 or ins.reg_name(m.base) != _SP:  # type: ignore[attr-defined]
                return True
    return False


class _Run:
    """What registers and stack slots hold while the entry block runs, and
    the instruction being run (its register namer, the SP offset at it and
    whether loads from the closure object are still the captures' loads)."""

    def __init__(self, regs: dict[str, Sym], slots: dict[int, Sym],
                 first: dict[int, Sym | None]) -> None:
        self.regs = regs
        self.slots = slots
        self.first = first
        self.name: Callable[[int], str] = str
        self.sp = 0
        self.fresh = True

    def slot_of(self, op: Any) -> int | None:
        """The CFA-relative stack slot an SP-based memory operand names."""
        m = op.mem
        if m.index != 0 or m.segment != 0 or m.base == 0 or self.name(m.base) != _SP:
            return None
        return m.disp - _PTR - self.sp  # relative to the CFA

    def kill_slots(self, rel: int, size: int) -> None:
        for k in [k for k in self.slots if k < rel + size and rel < k + 16]:
            del self.slots[k]

    def value_of(self, op: Any) -> Sym | None:
        """What operand ``op`` holds, when it is bytes of the closure object."""
        from capstone import x86  # heavy: imported where it is used

        size = op.size
        if op.type == x86.X86_OP_REG:
            fam = _family(self.name(op.reg))
            v = self.regs.get(fam) if fam else None
            if v is None:
                return None
            if v[0] == "field" and size <= v[2]:
                return ("field", v[1], size, v[3])
            return v if size == _PTR else None
        if op.type != x86.X86_OP_MEM:
            return None
        rel = self.slot_of(op)
        if rel is not None:
            v = self.slots.get(rel)
            if v is None:
                return None
            if v[0] == "clo":
                return v if size == _PTR else None
            if v[0] == "field" and size <= v[2]:
                return ("field", v[1], size, False)  # copied back: not evidence
            return None
        m = op.mem
        if m.index != 0 or m.base == 0:
            return None
        fam = _family(self.name(m.base))
        base = self.regs.get(fam) if fam else None
        if base is None:
            return None
        if base[0] == "clo":
            return ("field", m.disp, size, self.fresh)
        if base[0] == "addr":
            return ("field", base[1] + m.disp, size, self.fresh)
        return None

    def store(self, op: Any, v: Sym | None) -> None:
        rel = self.slot_of(op)
        if rel is None:
            return
        self.kill_slots(rel, op.size)
        record_slot_store(self.slots, self.first, rel, v)

    def set_register(self, reg: int, v: Sym | None) -> None:
        """Register ``reg`` (any part of it) now holds ``v`` (None: unknown)."""
        fam = _family(self.name(reg))
        if fam:
            self.regs.pop(fam, None)
            if v is not None:
                self.regs[fam] = v

    def step(self, ins: Any) -> None:
        """Run one instruction symbolically."""
        from capstone import CS_AC_WRITE, x86  # heavy: imported where it is used

        mn: str = ins.mnemonic
        ops = list(ins.operands)
        regs = self.regs
        if mn == "call":
            regs.clear()
            return
        if mn in _MOVES and len(ops) == 2:
            dst, src = ops
            v = self.value_of(src)
            if dst.type == x86.X86_OP_REG:
                self.set_register(dst.reg, v)
            elif dst.type == x86.X86_OP_MEM:
                self.store(dst, v)
            return
        if mn in _WIDENING and len(ops) == 2 and ops[0].type == x86.X86_OP_REG:
            # A small capture widened on load: the register's low bytes are it.
            v = self.value_of(ops[1])
            self.set_register(ops[0].reg, v if v is not None and v[0] == "field" else None)
            return
        if mn == "lea" and len(ops) == 2 and ops[0].type == x86.X86_OP_REG:
            m = ops[1].mem
            base = regs.get(_family(self.name(m.base)) or "") if m.base and not m.index else None
            addr: Sym | None = None
            if base is not None and base[0] == "clo":
                addr = ("addr", m.disp)
            elif base is not None and base[0] == "addr":
                addr = ("addr", base[1] + m.disp)
            self.set_register(ops[0].reg, addr)
            return
        _read, written = ins.regs_access()
        for r in written:
            self.set_register(r, None)
        for op in ops:
            if op.type == x86.X86_OP_MEM and op.access & CS_AC_WRITE:
                rel = self.slot_of(op)
                if rel is not None:
                    self.kill_slots(rel, op.size)
                    self.first.setdefault(rel, None)
