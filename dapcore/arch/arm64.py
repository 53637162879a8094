"""arm64 (AArch64) on linux: every fact of the instruction set and its ABI
the engine uses, gathered in the :data:`ARM64` descriptor.

* registers: the ``NT_PRSTATUS`` order (the kernel's ``struct
  user_pt_regs``: x0–x30, sp, pc, pstate), their roles (x29 the frame
  pointer, x30 the link register, x28 Go's g, x26 the closure context) and
  the DWARF numbering (DWARF for the Arm 64-bit Architecture: x0–x30 are
  0–30, sp 31, v0–v31 64–95);
* the signal frame: the kernel's ``rt_sigframe`` is a ``siginfo`` followed
  by a ``ucontext``, declared as the runtime declares them in
  ``runtime/defs_linux_arm64.go``;
* stack conventions: the return address arrives in the link register and a
  function that makes a frame stores it at the bottom of that frame (at its
  SP); instructions are 4 bytes;
* instruction facts: a return address follows ``BL``/``BLR``, a thread in
  a system call stopped after ``SVC #0``; capstone's ARM64 disassembler.

PC-relative references (ADRP pairs) for the globals of stripped binaries
are read by :mod:`dapcore.arch.arm64_refs`; a closure's entry block (what
places captures before Go 1.23, and tells those held by pointer) is run by
:mod:`dapcore.arch.arm64_closure`.
"""

from __future__ import annotations

from collections.abc import Mapping

from dapcore.arch.arm64_closure import closure_entry
from dapcore.arch.arm64_disasm import call_candidates, direct_call_target, disassembler
from dapcore.arch.arm64_refs import pc_relative_refs
from dapcore.arch.decls import Decls, flat_fields, struct_layout
from dapcore.arch.descriptor import Arch, SignalContext

__all__ = [
    "ARM64",
    "DWARF_REGS",
    "ELF_MACHINE",
    "ELF_MACHINE_NAME",
    "NAME",
    "REGS",
    "SIGNAL_DECLS",
    "follows_call",
    "follows_syscall",
    "pstate_text",
]

NAME = "arm64"
ELF_MACHINE = 183
ELF_MACHINE_NAME = "EM_AARCH64"

# pr_reg of NT_PRSTATUS: the kernel's struct user_pt_regs.
REGS: tuple[str, ...] = (*(f"x{i}" for i in range(31)), "sp", "pc", "pstate")

# DWARF register numbers: x0–x30, sp, 32–63 reserved or unused by Go, v0–v31.
DWARF_REGS: tuple[str, ...] = (
    *(f"x{i}" for i in range(31)), "sp",
    *(f"dwarf{n}" for n in range(32, 64)),
    *(f"v{i}" for i in range(32)),
)

# ---------------------------------------------------------------------------
# The signal frame (linux/arm64): rt_sigframe = {siginfo (128 bytes),
# ucontext}; sigtramp's CFA (its caller's SP: the kernel enters it with SP at
# the frame) is the siginfo. As runtime/defs_linux_arm64.go declares them.

_SIGINFO_SIZE = 128
SIGNAL_DECLS: Decls = {
    "sigcontext": (("fault_address", "uint64"), ("regs", "[31]uint64"), ("sp", "uint64"),
                   ("pc", "uint64"), ("pstate", "uint64"), ("_pad", "[8]byte"),
                   ("__reserved", "[4096]byte")),
    "stackt": (("ss_sp", "*byte"), ("ss_flags", "int32"), ("pad_cgo_0", "[4]byte"),
               ("ss_size", "uintptr")),
    "ucontext": (("uc_flags", "uint64"), ("uc_link", "*ucontext"), ("uc_stack", "stackt"),
                 ("uc_sigmask", "uint64"), ("_pad", "[120]byte"), ("_pad2", "[8]byte"),
                 ("uc_mcontext", "sigcontext")),
}
SIGNAL_STRUCTS: Mapping[str, Mapping[str, str]] = {
    "sigcontext": {}, "stackt": {},
    "ucontext": {"uc_stack": "stackt", "uc_mcontext": "sigcontext"},
}


def signal_struct_fields(name: str) -> tuple[list[tuple[str, int, int, str]], int]:
    """Fields (dotted name, offset, size, Go type) and size of the signal
    struct ``name`` (a key of :data:`SIGNAL_STRUCTS`)."""
    return (flat_fields(name, SIGNAL_DECLS, SIGNAL_STRUCTS[name]),
            struct_layout(name, SIGNAL_DECLS)[1])


def _signal_context() -> SignalContext:
    fields = {f: off for f, off, _size, _t in signal_struct_fields("ucontext")[0]}
    base = _SIGINFO_SIZE  # offsets from sigtramp's CFA: the ucontext follows the siginfo
    regs_at = fields["uc_mcontext.regs"]
    regs = {f"x{i}": base + regs_at + 8 * i for i in range(31)}
    for name in ("sp", "pc", "pstate"):  # they follow x30: one read
        regs[name] = base + fields[f"uc_mcontext.{name}"]
    return SignalContext(regs, regs["pc"], regs["sp"], 0)


# ---------------------------------------------------------------------------
# Flags and instructions

_NZCV = ((31, "N"), (30, "Z"), (29, "C"), (28, "V"))


def pstate_text(value: int) -> str:
    """``[N Z]``-style decoding of PSTATE's condition flags."""
    return "[" + " ".join(name for bit, name in _NZCV if value >> bit & 1) + "]"


def _word(code: bytes) -> int | None:
    return int.from_bytes(code[-4:], "little") if len(code) >= 4 else None


def in_syscall(regs: Mapping[str, int]) -> bool:
    """``user_pt_regs`` keeps no system call number (the kernel's
    ``orig_x0``/``syscallno`` are not in a core's ``NT_PRSTATUS``): never
    told from the registers alone."""
    return False


def follows_syscall(code: bytes) -> bool:
    """Whether the instruction before a thread's PC is ``SVC #0``."""
    return _word(code) == 0xD4000001


def follows_call(code: bytes) -> bool:
    """Whether the instruction before a return address is a call: ``BL
    imm26`` or ``BLR Xn``."""
    w = _word(code)
    if w is None:
        return False
    return w & 0xFC000000 == 0x94000000 or w & 0xFFFFFC1F == 0xD63F0000


ARM64 = Arch(
    name=NAME,
    elf_machine=ELF_MACHINE,
    elf_machine_name=ELF_MACHINE_NAME,
    ptr_size=8,
    regs=REGS,
    pc="pc", sp="sp", fp="x29", lr="x30", g="x28", pc_quantum=4,
    return_address_on_stack=False,
    dwarf_regs=DWARF_REGS,
    dwarf_numbers={name: i for i, name in enumerate(DWARF_REGS)
                   if not name.startswith("dwarf")},
    dwarf_sizes={i: 16 for i, name in enumerate(DWARF_REGS) if name.startswith("v")},
    signal=_signal_context(),
    signal_structs={name: signal_struct_fields(name) for name in SIGNAL_STRUCTS},
    flags="pstate",
    flags_text=pstate_text,
    in_syscall=in_syscall,
    follows_syscall=follows_syscall,
    syscall_window=4,
    follows_call=follows_call,
    call_window=4,
    disassembler=disassembler,
    direct_call_target=direct_call_target,
    call_candidates=call_candidates,
    pc_relative_refs=pc_relative_refs,
    closure_entry=closure_entry,
)
