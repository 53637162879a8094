"""x86-64 (amd64) on linux: every fact of the instruction set and its ABI
the engine uses, gathered in the :data:`AMD64` descriptor.

* registers: the ``NT_PRSTATUS`` order (``struct user_regs_struct``), their
  roles, and the DWARF numbering (System V psABI, Figure 3.36);
* the signal frame: the kernel's ``ucontext``, declared as the runtime
  declares it in ``runtime/defs_linux_amd64.go`` (identical in every
  release; checked by the tests against the runtime's sources and DWARF);
* stack conventions: the return address on the stack, RBP the frame
  pointer, variable-length instructions (PC quantum 1);
* instruction facts read without a disassembler (a return address follows
  a ``CALL``, a thread stopped in ``SYSCALL``) and the capstone
  disassembler with the patterns the engine reads in Go's code
  (:mod:`dapcore.arch.amd64_refs`, :mod:`dapcore.arch.amd64_closure`).
"""

from __future__ import annotations

from collections.abc import Mapping

from dapcore.arch.amd64_closure import closure_entry
from dapcore.arch.amd64_disasm import call_candidates, direct_call_target, disassembler
from dapcore.arch.amd64_refs import pc_relative_refs
from dapcore.arch.decls import Decls, flat_fields, struct_layout
from dapcore.arch.descriptor import Arch, SignalContext

__all__ = [
    "AMD64",
    "DWARF_REGS",
    "REGS",
    "SIGNAL_DECLS",
    "SIGNAL_STRUCTS",
    "direct_call_target",
    "disassembler",
    "eflags_text",
    "follows_call",
    "follows_syscall",
    "in_syscall",
    "signal_struct_fields",
]

# pr_reg of NT_PRSTATUS: the kernel's struct user_regs_struct.
REGS: tuple[str, ...] = (
    "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx",
    "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base",
    "gs_base", "ds", "es", "fs", "gs",
)

# DWARF register numbers (System V psABI, Figure 3.36).
DWARF_REGS: tuple[str, ...] = (
    "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
    *(f"xmm{i}" for i in range(16)),
)

# ---------------------------------------------------------------------------
# The signal frame (linux/amd64): the kernel's ABI as the runtime declares it
# in runtime/defs_linux_amd64.go. sigtramp's CFA is the kernel's
# rt_sigframe.uc; the runtime reads uc_mcontext as a sigcontext.

_SIGCONTEXT: tuple[tuple[str, str], ...] = (
    *((r, "uint64") for r in ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi",
                              "rsi", "rbp", "rbx", "rdx", "rax", "rcx", "rsp", "rip",
                              "eflags")),
    ("cs", "uint16"), ("gs", "uint16"), ("fs", "uint16"), ("__pad0", "uint16"),
    ("err", "uint64"), ("trapno", "uint64"), ("oldmask", "uint64"), ("cr2", "uint64"),
    ("fpstate", "*fpstate1"), ("__reserved1", "[8]uint64"),
)
SIGNAL_DECLS: Decls = {
    "sigcontext": _SIGCONTEXT,
    "stackt": (("ss_sp", "*byte"), ("ss_flags", "int32"), ("pad_cgo_0", "[4]byte"),
               ("ss_size", "uintptr")),
    "mcontext": (("gregs", "[23]uint64"), ("fpregs", "*fpstate"), ("__reserved1", "[8]uint64")),
    "ucontext": (("uc_flags", "uint64"), ("uc_link", "*ucontext"), ("uc_stack", "stackt"),
                 ("uc_mcontext", "mcontext"), ("uc_sigmask", "usigset"),
                 ("__fpregs_mem", "fpstate")),
    "usigset": (("__val", "[16]uint64"),),
    "fpstate": (("cwd", "uint16"), ("swd", "uint16"), ("ftw", "uint16"), ("fop", "uint16"),
                ("rip", "uint64"), ("rdp", "uint64"), ("mxcsr", "uint32"),
                ("mxcr_mask", "uint32"), ("_st", "[8]fpxreg"), ("_xmm", "[16]xmmreg"),
                ("padding", "[24]uint32")),
    "fpxreg": (("significand", "[4]uint16"), ("exponent", "uint16"), ("padding", "[3]uint16")),
    "xmmreg": (("element", "[4]uint32"),),
}
# The declared structs a layout names (runtime.<name>), with the fields read
# as another declared struct (dotted paths).
SIGNAL_STRUCTS: Mapping[str, Mapping[str, str]] = {
    "sigcontext": {}, "stackt": {}, "mcontext": {},
    "ucontext": {"uc_stack": "stackt", "uc_mcontext": "sigcontext"},
}


def signal_struct_fields(name: str) -> tuple[list[tuple[str, int, int, str]], int]:
    """Fields (dotted name, offset, size, Go type) and size of the signal
    struct ``name`` (a key of :data:`SIGNAL_STRUCTS`)."""
    return (flat_fields(name, SIGNAL_DECLS, SIGNAL_STRUCTS[name]),
            struct_layout(name, SIGNAL_DECLS)[1])


def _signal_context() -> SignalContext:
    fields = {f: off for f, off, _size, _t in signal_struct_fields("ucontext")[0]}
    prefix = "uc_mcontext."
    regs = {f[len(prefix):]: off for f, off in fields.items()
            if f.startswith(prefix) and f[len(prefix):] in DWARF_REGS}
    # The kernel's frame holds its own sigset_t (one word) after uc_mcontext,
    # not the 128 bytes the runtime declares: the siginfo follows it.
    return SignalContext(regs, regs["rip"], regs["rsp"], fields["uc_sigmask"] + 8)


# ---------------------------------------------------------------------------
# Flags

# x86 EFLAGS bits worth naming when registers are shown.
EFLAGS_BITS = (
    (0, "CF"), (2, "PF"), (4, "AF"), (6, "ZF"), (7, "SF"), (8, "TF"), (9, "IF"), (10, "DF"),
    (11, "OF"),
)


def eflags_text(value: int) -> str:
    """``[ZF PF IF]``-style decoding of EFLAGS."""
    return "[" + " ".join(name for bit, name in EFLAGS_BITS if value >> bit & 1) + "]"


# ---------------------------------------------------------------------------
# Instructions


def in_syscall(regs: Mapping[str, int]) -> bool:
    """Whether a thread's registers (NT_PRSTATUS) were saved inside a system
    call: the kernel keeps the call's number in ``orig_rax`` (-1 otherwise)."""
    orig = regs.get("orig_rax", -1) & 0xFFFFFFFFFFFFFFFF
    return orig != 0xFFFFFFFFFFFFFFFF


def follows_syscall(code: bytes) -> bool:
    """Whether the two bytes before a thread's PC are a ``SYSCALL`` (0F 05),
    as they are when the thread stopped inside a system call (``int 0x80``
    and ``sysenter`` accepted too)."""
    return code[-2:] in (b"\x0f\x05", b"\xcd\x80", b"\x0f\x34")


def follows_call(code: bytes) -> bool:
    """Whether the bytes just before a return address end with a call.

    ``code`` holds the (up to 8) bytes that precede the address. A return
    address always follows a ``CALL``: ``E8 rel32`` or ``FF /2`` (through a
    register or memory, optionally with a REX prefix). A saved return
    address read from a damaged stack usually does not."""
    n = len(code)
    if n >= 5 and code[n - 5] == 0xE8:
        return True
    for k in range(2, min(n, 8) + 1):
        at = n - k
        if code[at] != 0xFF:
            continue
        if _ff2_length(code, at) == k:
            return True
    return False


def _ff2_length(code: bytes, at: int) -> int:
    """The length of an ``FF /2`` (CALL r/m64) instruction starting at
    ``code[at]`` (the REX prefix before it not counted), 0 if it is not one."""
    if at + 1 >= len(code):
        return 0
    modrm = code[at + 1]
    if (modrm >> 3) & 7 != 2:
        return 0
    mod, rm = modrm >> 6, modrm & 7
    length = 2
    if mod == 3:
        return length
    if rm == 4:  # a SIB byte follows
        if at + 2 >= len(code):
            return 0
        length += 1
        if mod == 0 and code[at + 2] & 7 == 5:
            length += 4
    elif mod == 0 and rm == 5:  # RIP-relative
        length += 4
    if mod == 1:
        length += 1
    elif mod == 2:
        length += 4
    return length


AMD64 = Arch(
    name="amd64",
    elf_machine=62,
    elf_machine_name="EM_X86_64",
    ptr_size=8,
    regs=REGS,
    pc="rip", sp="rsp", fp="rbp", lr=None, g="r14", pc_quantum=1,
    return_address_on_stack=True,
    dwarf_regs=DWARF_REGS,
    dwarf_numbers={name: i for i, name in enumerate(DWARF_REGS)},
    dwarf_sizes={i: 16 for i, name in enumerate(DWARF_REGS) if name.startswith("xmm")},
    signal=_signal_context(),
    signal_structs={name: signal_struct_fields(name) for name in SIGNAL_STRUCTS},
    flags="eflags",
    flags_text=eflags_text,
    in_syscall=in_syscall,
    follows_syscall=follows_syscall,
    syscall_window=2,
    follows_call=follows_call,
    call_window=8,
    disassembler=disassembler,
    direct_call_target=direct_call_target,
    call_candidates=call_candidates,
    pc_relative_refs=pc_relative_refs,
    closure_entry=closure_entry,
)
