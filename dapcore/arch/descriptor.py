"""What the engine asks of an instruction set: the :class:`Arch` descriptor.

One instance per supported architecture (``dapcore/arch/<goarch>.py``), found
by the ELF ``e_machine`` of the core and the executable (:mod:`dapcore.arch`).
Nothing outside ``dapcore/arch/`` names a register, builds a disassembler or
reads an instruction's bytes: it asks the descriptor of the open core.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["Arch", "CodeRefs", "EntryBlock", "Ref", "SignalContext", "Sym"]


class SignalContext(NamedTuple):
    """Where the kernel's signal frame (linux) keeps the interrupted thread's
    registers, relative to ``runtime.sigtramp``'s CFA (on amd64 the
    ``ucontext`` the handler receives; on arm64 the ``siginfo`` before it).

    ``registers``: saved register name → offset, for the registers the
    DWARF numbers (contiguous, in the order they are saved); ``siginfo``:
    offset of the ``siginfo`` in the frame."""

    registers: Mapping[str, int]
    pc: int  # offset of the interrupted PC
    sp: int  # offset of the interrupted SP
    siginfo: int

    @property
    def span(self) -> tuple[int, int]:
        """``(offset, size)`` of the saved registers as one read."""
        lo = min(self.registers.values())
        return lo, max(self.registers.values()) + 8 - lo


class Ref(NamedTuple):
    """One PC-relative memory operand of an instruction: what the
    instruction did with the address."""

    target: int  # link-time address
    kind: str  # "lea" (address taken), "load" (register ← [X]), "store" ([X] ← …), "other"
    width: str  # "qword", "dword", … ("" for an address taken)


@dataclass(slots=True)
class CodeRefs:
    """What one function's code does with PC-relative addresses."""

    refs: list[Ref]
    # (address stored to, where the stored value was loaded from, or None)
    # for each atomic pointer-sized store through an address taken PC-relative
    atomic_stores: list[tuple[int, int | None]]


# What a register or stack slot holds in a closure's entry block:
# ("clo",) the closure pointer; ("field", off, size, fresh) the closure
# object's bytes [off, off+size), fresh when loaded from it directly (not
# copied back from a stack slot); ("addr", off) the address of byte off.
Sym = tuple


def record_slot_store(slots: dict[int, Sym], first: dict[int, Sym | None], rel: int,
                      v: Sym | None) -> None:
    """A closure entry block stores ``v`` at CFA-relative slot ``rel``: what
    each slot holds now, and the first value each was given. A 16-byte field
    (a string or an interface) is split into its two words, as Go spills them."""
    parts: list[tuple[int, Sym | None]]
    if v is not None and v[0] == "field" and v[2] == 16:
        parts = [(rel, ("field", v[1], 8, v[3])), (rel + 8, ("field", v[1] + 8, 8, v[3]))]
    else:
        parts = [(rel, v)]
    for k, pv in parts:
        if pv is not None:
            slots[k] = pv
        first.setdefault(k, pv)


@dataclass(slots=True)
class EntryBlock:
    """The symbolic run of a closure's entry block (see
    :mod:`dapcore.govalues.closures`). Register names are the DWARF map's
    (:attr:`Arch.dwarf_regs`); stack slots are CFA-relative offsets."""

    start: int  # first pc after the stack-check prologue
    stop: int  # first pc not run
    regs_before: dict[int, dict[str, Sym]]  # pc → registers before it runs
    first_store: dict[int, Sym | None]  # CFA-relative slot → first value stored


@dataclass(frozen=True, slots=True, eq=False)
class Arch:
    """Everything the engine knows of one instruction set (linux ABI).

    Register roles name entries of :attr:`regs` (the ``NT_PRSTATUS`` order);
    the functions are the architecture's own (see each field)."""

    name: str  # GOARCH spelling
    elf_machine: int  # ELF e_machine
    elf_machine_name: str  # the same as pyelftools spells it ("EM_X86_64")
    ptr_size: int
    regs: tuple[str, ...]  # order of pr_reg in NT_PRSTATUS
    pc: str
    sp: str
    fp: str  # frame pointer register
    lr: str | None  # link register (None: the return address is on the stack)
    g: str | None  # register holding the current g under Go's register ABI
    pc_quantum: int  # instruction alignment (1: variable-length instructions)
    # the return address sits at CFA − ptr_size (True) or in ``lr`` (False)
    return_address_on_stack: bool
    dwarf_regs: tuple[str, ...]  # DWARF register number → name
    dwarf_numbers: Mapping[str, int]  # the reverse of dwarf_regs
    dwarf_sizes: Mapping[int, int]  # DWARF number → bytes, for those not ptr_size wide
    signal: SignalContext
    # the signal frame's structs as the runtime declares them (runtime.<name>
    # in a layout): name → (fields (dotted name, offset, size, Go type), size)
    signal_structs: Mapping[str, tuple[list[tuple[str, int, int, str]], int]]
    flags: str | None  # the flags register, decoded by flags_text when shown
    flags_text: Callable[[int], str]  # ``[ZF PF IF]``-style decoding
    # whether a thread's registers (by name) were saved inside a system call
    in_syscall: Callable[[Mapping[str, int]], bool]
    # whether the syscall_window bytes just before a PC are a system call
    follows_syscall: Callable[[bytes], bool]
    syscall_window: int
    # whether the (up to call_window) bytes before a return address end with a call
    follows_call: Callable[[bytes], bool]
    call_window: int
    # a capstone disassembler for this ISA (detail: operands decoded)
    disassembler: Callable[[bool], Any]
    # the target of a direct call (mnemonic, operand text of disasm_lite),
    # None for anything else
    direct_call_target: Callable[[str, str], int | None]
    # (code, its address) → (address, target) of what may be direct calls,
    # in order, found without a disassembler (a superset: check the targets)
    call_candidates: Callable[[bytes, int], Iterator[tuple[int, int]]]
    # (code, link-time entry, store_calls, callee_at) → PC-relative references
    # and atomic stores; store_calls names the functions that store their
    # second argument at their first; callee_at names a call's target
    pc_relative_refs: Callable[[bytes, int, frozenset[str], Callable[[int], str | None]],
                               CodeRefs]
    # (code, link-time entry, link-time end, SP offset at a pc) → the closure's
    # entry block run symbolically, None when it cannot be
    closure_entry: Callable[[bytes, int, int, Callable[[int], int]], EntryBlock | None]

    def dwarf_numbered(self, values: Mapping[str, int]) -> dict[int, int]:
        """Register values by name (as :class:`dapcore.arch.registers.Registers`
        holds them) → by DWARF number (registers DWARF does not number left out)."""
        numbers = self.dwarf_numbers
        return {numbers[n]: v for n, v in values.items() if n in numbers}

    def dwarf_name(self, number: int) -> str | None:
        """The name of DWARF register ``number`` (None: not one this ISA has)."""
        return self.dwarf_regs[number] if 0 <= number < len(self.dwarf_regs) else None

