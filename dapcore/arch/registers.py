"""Per-architecture register models: names, order in NT_PRSTATUS, roles."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Arch:
    name: str  # GOARCH spelling
    elf_machine: int
    ptr_size: int
    regs: tuple[str, ...]  # order of pr_reg in NT_PRSTATUS
    pc: str
    sp: str
    fp: str
    lr: str | None  # link register (None: return address on the stack)
    g: str | None  # register holding the current g under Go's register ABI
    pc_quantum: int


AMD64 = Arch(
    name="amd64",
    elf_machine=62,
    ptr_size=8,
    regs=("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx",
          "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base",
          "gs_base", "ds", "es", "fs", "gs"),
    pc="rip", sp="rsp", fp="rbp", lr=None, g="r14", pc_quantum=1,
)

ARM64 = Arch(
    name="arm64",
    elf_machine=183,
    ptr_size=8,
    regs=(*(f"x{i}" for i in range(31)), "sp", "pc", "pstate"),
    pc="pc", sp="sp", fp="x29", lr="x30", g="x28", pc_quantum=4,
)

ARCHES = {a.elf_machine: a for a in (AMD64, ARM64)}


@dataclass(frozen=True, slots=True)
class Registers:
    """A register set of one architecture; values are unsigned 64-bit."""

    arch: Arch
    values: dict[str, int]

    @property
    def pc(self) -> int:
        return self.values[self.arch.pc]

    @property
    def sp(self) -> int:
        return self.values[self.arch.sp]

    @property
    def fp(self) -> int:
        return self.values[self.arch.fp]

    @property
    def lr(self) -> int | None:
        return self.values[self.arch.lr] if self.arch.lr else None

    def get(self, name: str) -> int | None:
        return self.values.get(name)

    def replace(self, **changes: int) -> Registers:
        return Registers(self.arch, {**self.values, **changes})


# x86 EFLAGS bits worth naming when registers are shown.
EFLAGS_BITS = (
    (0, "CF"), (2, "PF"), (4, "AF"), (6, "ZF"), (7, "SF"), (8, "TF"), (9, "IF"), (10, "DF"),
    (11, "OF"),
)


def eflags_text(value: int) -> str:
    """``[ZF PF IF]``-style decoding of EFLAGS."""
    return "[" + " ".join(name for bit, name in EFLAGS_BITS if value >> bit & 1) + "]"
