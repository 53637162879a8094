"""Unwinding native (C) frames with call frame information.

From a register set (a thread's registers, a signal frame's saved ones, or
only PC and SP) the frames of C code are walked with the CFI rules of the
object that holds each PC (:mod:`dapcore.native.objects`) until a PC is Go
code again (``runtime.asmcgocall`` on the system stack, which called the C
function), where the Go unwinder takes over. Registers the rules do not
mention keep their value (the callee-saved convention); a rule that needs a
register whose value is unknown stops the walk with a note, as does a
missing or mismatched library or a PC without CFI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dapcore.arch import Arch
from dapcore.dwarf.cfi import (
    EXPRESSION,
    OFFSET,
    REGISTER,
    SAME,
    UNDEFINED,
    VAL_EXPRESSION,
    VAL_OFFSET,
    Rules,
    eval_expression,
)
from dapcore.elf.memory import AddressSpace
from dapcore.errors import UnreadableMemory
from dapcore.native.clines import CLines
from dapcore.native.objects import RULE_ERRORS, NativeObject, NativeObjects

__all__ = ["CFrame", "CWalk", "NativeUnwinder"]

MAX_C_FRAMES = 512
_MASK = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class CFrame:
    function: str  # the symbol, or "??"
    file: str  # "" when no line table describes the PC
    line: int
    pc: int
    sp: int
    cfa: int
    entry: int  # the symbol's run-time start (pc when unknown)
    object_name: str  # the ELF object's base name ("zoocgo", "libc.so.6")
    trap: bool  # pc is the faulting instruction, not a return address


@dataclass(slots=True)
class CWalk:
    """What a walk found: the C frames, innermost first; where Go code
    resumes (``resume``: pc, sp, DWARF-numbered registers), or why the walk
    stopped (``note``; None when the stack simply ended)."""

    frames: list[CFrame] = field(default_factory=list)
    resume: tuple[int, int, dict[int, int]] | None = None
    note: str | None = None


class NativeUnwinder:
    def __init__(self, arch: Arch, objects: NativeObjects, memory: AddressSpace) -> None:
        self.arch = arch
        self.objects = objects
        self.memory = memory
        self.sp_reg = arch.dwarf_numbers[arch.sp]
        # the PC has no DWARF number on some ISAs (arm64): a key of its own
        self.pc_reg = arch.dwarf_numbers.get(arch.pc, -1)
        self.clines = CLines(objects.exe.elf) if objects.exe.elf is not None else None

    def walk(self, pc: int, regs: dict[int, int], trap: bool,
             is_go: Callable[[int], bool]) -> CWalk:
        """The C frames from ``pc`` with registers ``regs`` (DWARF numbers;
        the SP at least) until a PC for which ``is_go`` holds."""
        out = CWalk()
        regs = dict(regs)
        regs[self.pc_reg] = pc
        for _ in range(MAX_C_FRAMES):
            obj = self.objects.object_at(pc)
            lookup = pc if trap else pc - 1
            if obj is None:
                out.frames.append(CFrame("??", "", 0, pc, regs.get(self.sp_reg, 0), 0, pc, "?",
                                         trap))
                out.note = self.objects.unmapped(pc)
                return out
            frame_base = self._frame(obj, pc, regs.get(self.sp_reg, 0), trap)
            if obj.problem is not None:
                out.frames.append(frame_base)
                out.note = obj.problem
                return out
            try:
                rules = obj.rules_at(lookup)
            except RULE_ERRORS as exc:
                rules, out.note = None, f"{obj.name}: {exc}"
            if rules is None:
                out.frames.append(frame_base)
                out.note = out.note or (f"no call frame information for {pc:#x} in "
                                        f"{obj.name}: the C frames stop here")
                return out
            try:
                cfa, caller = self._step(rules, regs)
            except KeyError as exc:
                out.frames.append(frame_base)
                out.note = (f"the C frame at {pc:#x} in {obj.name} needs register "
                            f"{self.arch.dwarf_name(exc.args[0]) or exc.args[0]}, whose value "
                            "is not known here: the C frames stop here")
                return out
            except (UnreadableMemory, *RULE_ERRORS) as exc:
                # unreadable stack, or a CFI expression this reader does not
                # evaluate (said, not guessed at)
                out.frames.append(frame_base)
                out.note = f"the C frame at {pc:#x} in {obj.name}: {exc}"
                return out
            out.frames.append(CFrame(frame_base.function, frame_base.file, frame_base.line,
                                     pc, frame_base.sp, cfa, frame_base.entry, obj.name, trap))
            ret = caller.get(rules.ra_reg, 0)
            if ret == 0:
                return out  # the outermost frame (thread start)
            if ret == pc and cfa <= regs.get(self.sp_reg, 0):
                out.note = f"the C stack does not progress at {pc:#x}"
                return out
            caller[self.sp_reg] = cfa
            caller[self.pc_reg] = ret
            trap, pc, regs = rules.signal_frame, ret, caller
            if is_go(pc):
                out.resume = (pc, cfa, regs)
                return out
        out.note = f"stopped after {MAX_C_FRAMES} C frames"
        return out

    def _frame(self, obj: NativeObject, pc: int, sp: int, trap: bool) -> CFrame:
        # a return address may be the first byte after its function (a call
        # to a noreturn function, such as abort, ends it): look at the call
        at = pc if trap else pc - 1
        sym = obj.symbol_at(at) if obj.elf is not None else None
        name, entry = sym if sym is not None else ("??", pc)
        file, line = "", 0
        if obj.is_executable and self.clines is not None:
            found = self.clines.line_at(at - obj.bias)
            if found is not None:
                file, line = found
        return CFrame(name, file, line, pc, sp, 0, entry, obj.name, trap)

    def _step(self, rules: Rules, regs: dict[int, int]) -> tuple[int, dict[int, int]]:
        """(CFA, the caller's registers) from the rules at the callee's PC."""
        read = self.memory.u64
        if rules.cfa_expr is not None:
            cfa = eval_expression(rules.cfa_expr, regs, read)
        else:
            cfa = (regs[rules.cfa_reg] + rules.cfa_offset) & _MASK
        caller = {r: v for r, v in regs.items() if r != self.pc_reg}
        for reg, rule in rules.regs.items():
            kind = rule.kind
            if kind == OFFSET:
                caller[reg] = read((cfa + rule.value) & _MASK)
            elif kind == VAL_OFFSET:
                caller[reg] = (cfa + rule.value) & _MASK
            elif kind == REGISTER:
                caller[reg] = regs[rule.value]
            elif kind == EXPRESSION:
                caller[reg] = read(eval_expression(rule.expr, regs, read, cfa))
            elif kind == VAL_EXPRESSION:
                caller[reg] = eval_expression(rule.expr, regs, read, cfa)
            elif kind == UNDEFINED:
                caller.pop(reg, None)
            elif kind == SAME and reg in regs:
                caller[reg] = regs[reg]
        if rules.ra_reg not in rules.regs and rules.ra_reg in regs:
            caller[rules.ra_reg] = regs[rules.ra_reg]  # a link register left as it is
        return cfa, caller
