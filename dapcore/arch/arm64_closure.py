"""A closure's entry block on AArch64, run symbolically: which register or
stack slot holds which bytes of the closure object (see
:mod:`dapcore.govalues.closures`, which places the captured variables from
it for Go releases whose DWARF does not).

The closure context arrives in x26 (Go's REGCTXT). The stack-check prologue
loads the g's stack guard (``ldr x16, [x28, #0x10]``), compares SP (or, for
a large frame, ``sub x17, sp, #N``; for a huge one ``subs`` and a ``b.lo``
first) with it and branches to the ``morestack`` call at the function's end
(``b.ls``). The block runs from there along the fall-through path until
another path joins it. Stack slots are CFA-relative: on arm64 the CFA is the
SP at entry (the return address arrives in x30), so ``[sp, #d]`` at a pc
whose pcsp is ``s`` is the slot ``d - s``; the frame itself is made by
``str x30, [sp, #-N]!`` (or ``sub sp, sp, #N``), which pcsp accounts for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dapcore.arch.arm64_disasm import disassembler
from dapcore.arch.descriptor import EntryBlock, Sym, record_slot_store

__all__ = ["closure_entry"]

_MAX_BLOCK = 4096  # instructions of an entry block looked at, at most
_CONTEXT = "x26"  # the closure context register (REGCTXT)
_G = "x28"  # the current g: the stack check reads its stack guard
_SP = "sp"
_STACK = "stack"  # internal: a register holding a stack address (CFA-relative)

# Bytes a load or store moves per register, by mnemonic (None: the register's width).
_LOADS: dict[str, int | None] = {
    "ldr": None, "ldur": None, "ldar": None, "ldapr": None, "ldapur": None,
    "ldrb": 1, "ldurb": 1, "ldrsb": 1, "ldursb": 1, "ldarb": 1, "ldaprb": 1,
    "ldrh": 2, "ldurh": 2, "ldrsh": 2, "ldursh": 2, "ldarh": 2, "ldaprh": 2,
    "ldrsw": 4, "ldursw": 4, "ldp": None, "ldnp": None, "ldpsw": 4,
}
_STORES: dict[str, int | None] = {
    "str": None, "stur": None, "strb": 1, "sturb": 1, "strh": 2, "sturh": 2,
    "stp": None, "stnp": None,
}
_NO_WRITE = frozenset({"cmp", "cmn", "tst", "fcmp", "fcmpe", "ccmp", "ccmn", "fccmp",
                       "nop", "prfm", "prfum", "hint", "dmb", "dsb", "isb", "yield"})
_CONDITIONAL = frozenset({"cbz", "cbnz", "tbz", "tbnz"})
_STOPS = frozenset({"b", "br", "ret", "brk", "udf", "hlt", "eret", "braa", "brab",
                    "retaa", "retab"})
_CALLS = frozenset({"bl", "blr", "blraa", "blrab"})


def _family(name: str) -> str | None:
    """The DWARF-named register a capstone register name is part of (``w3``
    → ``x3``, ``d0`` → ``v0``); None for the zero registers and flags."""
    if name in ("fp", "lr"):
        return "x29" if name == "fp" else "x30"
    if name in ("sp", "wsp"):
        return _SP
    head, tail = name[:1], name[1:]
    if tail.isdigit():
        if head in "xw":
            return "x" + tail
        if head in "qdshbv":
            return "v" + tail
    return None


def _width(name: str) -> int:
    """Bytes of a capstone register name (``x``: 8, ``w``: 4, ``q``/``v``: 16 …)."""
    return {"w": 4, "q": 16, "v": 16, "d": 8, "s": 4, "h": 2, "b": 1}.get(name[:1], 8)


def _prologue_end(insns: list[Any]) -> int:
    """Index of the first instruction after the stack-check prologue (0 when
    the function has none): from ``ldr x16, [x28, #0x10]`` to the first
    ``b.ls``, through only the check's own instructions."""
    from capstone import arm64  # heavy: imported where it is used

    if not insns or insns[0].mnemonic != "ldr" or len(insns[0].operands) != 2:
        return 0
    m = insns[0].operands[1]
    if m.type != arm64.ARM64_OP_MEM or insns[0].reg_name(m.mem.base) != _G:
        return 0
    for n, ins in enumerate(insns[1:8], 1):
        mn = ins.mnemonic
        if mn == "b.ls":
            return n + 1
        if mn in ("cmp", "b.lo", "b.cc") or (
                mn in ("sub", "subs", "mov", "movz", "movk")
                and ins.reg_name(ins.operands[0].reg) in ("x16", "x17")):
            continue
        return 0
    return 0


def closure_entry(code: bytes, entry: int, end: int, sp_at: Callable[[int], int]
                  ) -> EntryBlock | None:
    """The entry block of the closure whose ``code`` spans link-time
    ``[entry, end)``, run symbolically (``sp_at(pc)``: the SP's offset from
    the frame's entry value, pclntab's pcsp; negative when unknown); None
    when the block is too long or the SP is unknown in it."""
    insns = list(disassembler(True).disasm(code, entry))
    targets: set[int] = set()
    for ins in insns:
        if ins.mnemonic.startswith("b.") or ins.mnemonic in _CONDITIONAL:
            targets.add(ins.operands[-1].imm)
    targets.discard(entry)  # morestack branches back to the entry
    skip = _prologue_end(insns)
    if skip >= len(insns):
        return None
    start = insns[skip].address
    run = _Run({_CONTEXT: ("clo",)})
    before: dict[int, dict[str, Sym]] = {}
    window = True  # loads from the closure object still count as evidence
    stop = end
    for n, ins in enumerate(insns):
        if n > _MAX_BLOCK:
            return None
        pc = ins.address
        if n > skip and pc in targets:
            stop = pc  # another path joins here: what registers hold is unknown
            break
        before[pc] = {k: v for k, v in run.regs.items() if v[0] != _STACK}
        mn = ins.mnemonic
        if mn in _STOPS:
            stop = pc + ins.size
            break
        sp = sp_at(pc)
        if sp < 0:
            return None
        run.name, run.sp = ins.reg_name, sp
        if mn in _CALLS or run.writes_outside_frame(ins):
            # The captures are loaded with the memory the closure was called
            # with, so before its first call or store (see amd64_closure).
            window = False
        run.fresh = window
        run.step(ins)
    return EntryBlock(start, stop, before, run.first)


class _Run:
    """What registers and stack slots hold while the entry block runs, and
    the instruction being run (its register namer, the SP offset at it and
    whether loads from the closure object are still the captures' loads)."""

    def __init__(self, regs: dict[str, Sym]) -> None:
        self.regs = regs
        self.slots: dict[int, Sym] = {}
        self.first: dict[int, Sym | None] = {}
        self.name: Callable[[int], str] = str
        self.sp = 0
        self.fresh = True

    def reg(self, r: int) -> Sym | None:
        fam = _family(self.name(r))
        if fam == _SP:
            return (_STACK, -self.sp)
        return self.regs.get(fam) if fam else None

    def set_reg(self, r: int, v: Sym | None) -> None:
        """Register ``r`` (any part of it) now holds ``v`` (None: unknown)."""
        fam = _family(self.name(r))
        if fam and fam != _SP:
            self.regs.pop(fam, None)
            if v is not None:
                self.regs[fam] = v

    def slot_of(self, op: Any) -> int | None:
        """The CFA-relative stack slot a memory operand names (None: not the
        frame's: the base is not SP or a register holding a stack address)."""
        m = op.mem
        if m.index != 0 or m.base == 0:
            return None
        base = self.reg(m.base)
        return base[1] + m.disp if base is not None and base[0] == _STACK else None

    def kill_slots(self, rel: int, size: int) -> None:
        """Forget the slots overlapping ``[rel, rel+size)``."""
        for k in [k for k, v in self.slots.items()
                  if k < rel + size and rel < k + (v[2] if v[0] == "field" else 8)]:
            del self.slots[k]

    def writes_outside_frame(self, ins: Any) -> bool:
        """Whether the instruction writes memory other than the frame's slots."""
        from capstone import arm64  # heavy: imported where it is used

        mn = ins.mnemonic
        if not _writes_memory(mn):
            return False
        mems = [op for op in ins.operands if op.type == arm64.ARM64_OP_MEM]
        return mn not in _STORES or not mems or self.slot_of(mems[0]) is None

    def load(self, mem: Any, size: int) -> Sym | None:
        """What a ``size``-byte load from memory operand ``mem`` gives, when it
        is bytes of the closure object (or the closure pointer spilled)."""
        rel = self.slot_of(mem)
        if rel is not None:
            v = self.slots.get(rel)
            if v is None:
                return None
            if v[0] == "clo":
                return v if size == 8 else None
            if v[0] == "field" and size <= v[2]:
                return ("field", v[1], size, False)  # copied back: not evidence
            return None
        m = mem.mem
        base = self.reg(m.base) if m.index == 0 and m.base != 0 else None
        if base is None:
            return None
        if base[0] == "clo":
            return ("field", m.disp, size, self.fresh)
        if base[0] == "addr":
            return ("field", base[1] + m.disp, size, self.fresh)
        return None

    def store(self, rel: int, size: int, v: Sym | None) -> None:
        self.kill_slots(rel, size)
        record_slot_store(self.slots, self.first, rel, v)

    def value(self, r: int, size: int) -> Sym | None:
        """What the low ``size`` bytes of register ``r`` hold."""
        v = self.reg(r)
        if v is None:
            return None
        if v[0] == "field" and size <= v[2]:
            return ("field", v[1], size, v[3])
        return v if size == 8 and v[0] != "field" else None

    def step(self, ins: Any) -> None:
        """Run one instruction symbolically."""
        from capstone import arm64  # heavy: imported where it is used

        mn: str = ins.mnemonic
        ops = list(ins.operands)
        mems = [op for op in ops if op.type == arm64.ARM64_OP_MEM]
        regs = [op for op in ops if op.type == arm64.ARM64_OP_REG]
        if mn in _CALLS:
            self.regs.clear()
        elif mn in _LOADS and len(mems) == 1 and regs:
            self._load(ins, mn, regs, mems[0])
        elif mn in _STORES and len(mems) == 1 and regs:
            self._store(ins, mn, regs, mems[0])
        elif mn in ("mov", "fmov") and len(ops) == 2 and len(regs) == 2:
            dst, src = regs
            self.set_reg(dst.reg, self.value(src.reg, _width(ins.reg_name(dst.reg))))
        elif mn in ("add", "sub") and len(ops) == 3 and len(regs) == 2 and \
                ops[2].type == arm64.ARM64_OP_IMM and ops[2].shift.type == 0:
            self.set_reg(regs[0].reg, self._address(regs[1].reg, ops[2].imm if mn == "add"
                                                    else -ops[2].imm))
        else:
            self._unknown(ins, mn, regs, mems)
            return
        if ins.writeback and mems:
            self.set_reg(mems[0].mem.base, None)  # SP is pcsp's; another base moved

    def _load(self, ins: Any, mn: str, regs: list[Any], mem: Any) -> None:
        fixed = _LOADS[mn]
        pos = 0
        loaded = []  # all read before any is written: ldp x0, x1, [x0]
        for r in regs:
            size = fixed or _width(ins.reg_name(r.reg))
            loaded.append((r.reg, self.load(_Offset(mem, pos), size)))
            pos += size
        for r, v in loaded:
            self.set_reg(r, v)

    def _store(self, ins: Any, mn: str, regs: list[Any], mem: Any) -> None:
        rel = self.slot_of(mem)
        if rel is None:
            return
        fixed = _STORES[mn]
        pos = 0
        for r in regs:
            size = fixed or _width(ins.reg_name(r.reg))
            self.store(rel + pos, size, self.value(r.reg, size))
            pos += size

    def _address(self, r: int, delta: int) -> Sym | None:
        """What ``r + delta`` is: an address in the closure object or the frame."""
        base = self.reg(r)
        if base is None:
            return None
        if base[0] == "clo":
            return ("addr", delta)
        if base[0] in ("addr", _STACK):
            return (base[0], base[1] + delta)
        return None

    def _unknown(self, ins: Any, mn: str, regs: list[Any], mems: list[Any]) -> None:
        """Any other instruction: the registers it writes become unknown, and
        so do the frame's slots it may write."""
        if mn in _NO_WRITE or mn.startswith("b.") or mn in _CONDITIONAL:
            return
        _read, written = ins.regs_access()
        for r in written:
            self.set_reg(r, None)
        if regs:
            self.set_reg(regs[0].reg, None)  # the destination, whatever capstone says
        if mn in _LOADS or mn.startswith(("ld", "st", "swp", "cas")):
            for r in regs:
                self.set_reg(r.reg, None)
        if ins.writeback and mems:
            self.set_reg(mems[0].mem.base, None)
        if _writes_memory(mn):
            for m in mems:
                rel = self.slot_of(m)
                if rel is not None:
                    self.kill_slots(rel, 64)
                    self.first.setdefault(rel, None)


def _writes_memory(mn: str) -> bool:
    """Whether a mnemonic writes memory (stores, exclusive stores, atomics)."""
    if mn.startswith(("st", "swp", "cas")):
        return True
    return mn.startswith("ld") and mn[2:5] in ("add", "clr", "eor", "set", "sma", "smi",
                                                "uma", "umi")


class _Offset:
    """A memory operand ``pos`` bytes further (the second register of a pair)."""

    def __init__(self, op: Any, pos: int) -> None:
        m = op.mem
        self.mem = _Mem(m.base, m.index, m.disp + pos)


class _Mem:
    __slots__ = ("base", "disp", "index")

    def __init__(self, base: int, index: int, disp: int) -> None:
        self.base, self.index, self.disp = base, index, disp
