"""The architecture seam (``dapcore/arch``): the amd64 descriptor's facts
checked against the kernel's ABI, the runtime's declarations and DWARF and
real cores; the registry choosing it by ELF ``e_machine``; and, read from the
code itself, that nothing outside ``dapcore/arch/`` knows an instruction set
(no capstone disassembler built, no amd64 register named)."""

from __future__ import annotations

import ast
import shutil
import struct
from pathlib import Path

import pytest

import dapcore
from dapcore.arch import ARCHES, lookup, machine_text, named, refusal
from dapcore.arch.amd64 import AMD64, SIGNAL_DECLS
from dapcore.arch.arm64 import ARM64
from dapcore.arch.decls import struct_layout
from dapcore.elf.core import _PR_REG_OFFSET, NT_PRSTATUS, _prstatus, open_core
from dapcore.elf.executable import Executable
from dapcore.engine import Engine
from dapcore.errors import MismatchError, UnsupportedError
from dapcore.goruntime.layout import dwarf_layout, table_layout
from dapcore.goruntime.layout_tables import TABLES
from dapcore.goruntime.unwind import Unwinder
from tests.factory import Fixture, FixtureSpec
from tests.factory.matrix import spec as make_spec

NILPTR = make_spec("1.27", "default", "nilptr")
SIGQUIT = make_spec("1.27", "default", "sigquit")
OLD = make_spec("1.19", "default", "goroutinepanic")
_E_MACHINE = 18  # offset of e_machine in an ELF header
_EM_AARCH64 = 183


# ---------------------------------------------------------------------------
# The signal frame


def test_signal_context_is_the_kernel_abi() -> None:
    """Offsets arch/x86/include/uapi/asm/sigcontext.h and the kernel's
    rt_sigframe fix: uc_mcontext 40 bytes into the ucontext, rsp and rip
    gregs 15 and 16, the siginfo right after the kernel's 304-byte ucontext."""
    sig = AMD64.signal
    assert sig.sp == 40 + 15 * 8 and sig.pc == 40 + 16 * 8
    assert sig.siginfo == 304
    assert sig.registers[AMD64.fp] == 40 + 10 * 8
    assert list(sig.registers) == ["r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi",
                                   "rsi", "rbp", "rbx", "rdx", "rax", "rcx", "rsp", "rip"]
    assert sig.span == (40, 17 * 8)
    assert set(sig.registers) <= set(AMD64.dwarf_regs)
    fields, size, _ = struct_layout("sigcontext", SIGNAL_DECLS)
    assert size == 256 and dict((f, o) for f, o, _s, _t in fields)["rip"] == 128


@pytest.mark.parametrize("minor", sorted(TABLES))
def test_engine_signal_offsets_are_the_layouts(minor: str) -> None:
    """What the unwinder, the crash reader and frame registers read (the
    descriptor's SignalContext) is what every layout declares."""
    uc = table_layout(minor).struct("runtime.ucontext")
    for reg, off in AMD64.signal.registers.items():
        assert uc.off(f"uc_mcontext.{reg}") == off, reg
    assert uc.off(f"uc_mcontext.{AMD64.pc}") == AMD64.signal.pc
    assert uc.off(f"uc_mcontext.{AMD64.sp}") == AMD64.signal.sp
    assert uc.off("uc_sigmask") + 8 == AMD64.signal.siginfo  # the kernel's sigset_t: one word


@pytest.mark.parametrize("spec", [NILPTR, OLD], ids=lambda s: s.id)
def test_signal_structs_agree_with_the_runtimes_dwarf(spec: FixtureSpec,
                                                      fixture: Fixture) -> None:
    """runtime.stackt, the one signal-frame type Go's DWARF holds, as the
    descriptor declares it; and a DWARF layout carries the declared structs."""
    exe = Executable(fixture.binary)
    layout = dwarf_layout(exe, spec.toolchain.version)
    fields, size = AMD64.signal_structs["stackt"]
    ours = layout.struct("runtime.stackt")
    assert ours.size == size
    assert {f.name: f.offset for f in ours.fields.values()} == {f: o for f, o, _s, _t in fields}
    uc = layout.struct("runtime.ucontext")
    assert uc.off(f"uc_mcontext.{AMD64.pc}") == AMD64.signal.pc


@pytest.mark.parametrize("spec", [NILPTR, SIGQUIT], ids=lambda s: s.id)
def test_signal_frames_of_real_cores(spec: FixtureSpec, fixture: Fixture) -> None:
    """Each signal frame a thread's unwind crosses, read with the
    descriptor's offsets: its siginfo holds the signal the thread took
    (SIGABRT for the dying thread's innermost one, the core's own
    NT_SIGINFO; SIGQUIT for those the runtime relayed it to) and its saved PC and SP are a
    thread stopped in a system call on a mapped stack, where the unwind
    goes on."""
    proc = Engine.open(fixture.binary, fixture.core).proc
    assert proc.arch is AMD64
    mem, sig = proc.memory, AMD64.signal
    unwinder = Unwinder(proc)
    seen = 0
    for m in proc.ms:
        if m.thread is None:
            continue
        stack = unwinder.thread_stack(m)
        for uc in stack.signal_contexts:
            signo = mem.i32(uc + sig.siginfo)
            assert signo in (6, 3), signo
            if m.thread is proc.core.crashing_thread and uc == stack.signal_contexts[0]:
                assert proc.core.siginfo is not None and signo == proc.core.siginfo.signo
            pc, sp = mem.u64(uc + sig.pc), mem.u64(uc + sig.sp)
            # after the SYSCALL, or on it when the kernel rewound the PC to
            # restart the call the signal interrupted (futex, nanosleep)
            n = AMD64.syscall_window
            assert AMD64.follows_syscall(mem.read(pc - n, n)) \
                or AMD64.follows_syscall(mem.read(pc, n)), hex(pc)
            mem.read(sp, 8)  # mapped
            after = [f for f in stack.frames if f.pc == pc and f.sp == sp]
            assert after and after[0].trap
            seen += 1
    assert seen


# ---------------------------------------------------------------------------
# Registers


def test_prstatus_registers_round_trip() -> None:
    """pr_reg values come out under their names, with the roles (pc, sp,
    fp, g) the names say; DWARF numbering goes both ways."""
    values = {name: 0x1000 + i for i, name in enumerate(AMD64.regs)}
    desc = bytearray(_PR_REG_OFFSET + 8 * len(AMD64.regs) + 8)
    struct.pack_into("<H", desc, 12, 11)  # pr_cursig
    struct.pack_into("<i", desc, 32, 4242)  # pr_pid
    struct.pack_into(f"<{len(AMD64.regs)}Q", desc, _PR_REG_OFFSET, *values.values())
    t = _prstatus(AMD64, bytes(desc))
    assert t is not None and t.lwp == 4242 and t.signal == 11
    assert t.registers.values == values
    regs = t.registers
    assert (regs.pc, regs.sp, regs.fp, regs.lr) == (values["rip"], values["rsp"],
                                                     values["rbp"], None)
    assert regs.get(AMD64.g or "") == values["r14"]
    numbered = AMD64.dwarf_numbered(regs.values)
    assert {AMD64.dwarf_name(n): v for n, v in numbered.items()} == {
        n: v for n, v in values.items() if n in AMD64.dwarf_numbers}
    assert AMD64.dwarf_numbered({"rax": 1, "rip": 2, "eflags": 3}) == {0: 1, 16: 2}
    assert AMD64.dwarf_name(7) == AMD64.sp and AMD64.dwarf_name(99) is None
    assert all(AMD64.dwarf_sizes[n] == 16 for n in range(17, 33)) and len(AMD64.dwarf_sizes) == 16


@pytest.mark.parametrize("spec", [NILPTR], ids=lambda s: s.id)
def test_core_registers_round_trip(spec: FixtureSpec, fixture: Fixture) -> None:
    """A real core's NT_PRSTATUS notes, read again by hand: the same values."""
    core = open_core(fixture.core)
    data = core.data
    descs = []
    phoff, phnum = struct.unpack_from("<Q", data, 32)[0], struct.unpack_from("<H", data, 56)[0]
    for i in range(phnum):
        ptype, _fl, off, _va, _pa, filesz, _ms, _al = struct.unpack_from("<IIQQQQQQ", data,
                                                                         phoff + i * 56)
        pos = off
        while ptype == 4 and pos + 12 <= off + filesz:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            desc = pos + 12 + ((namesz + 3) & ~3)
            if ntype == NT_PRSTATUS:
                descs.append(desc)
            pos = desc + ((descsz + 3) & ~3)
    assert len(descs) == len(core.threads)
    for desc, t in zip(descs, core.threads, strict=True):
        raw = struct.unpack_from(f"<{len(AMD64.regs)}Q", data, desc + _PR_REG_OFFSET)
        assert tuple(t.registers.values[n] for n in AMD64.regs) == raw
        assert t.registers.arch is AMD64


# ---------------------------------------------------------------------------
# The registry


def test_registry() -> None:
    assert lookup(62) is AMD64 and lookup("EM_X86_64") is AMD64 and named("amd64") is AMD64
    assert lookup(_EM_AARCH64) is ARM64 and lookup("EM_AARCH64") is ARM64
    assert named("arm64") is ARM64
    assert ARCHES == {62: AMD64, _EM_AARCH64: ARM64}
    assert refusal(3, "cores") == "cores of ELF machine 3 are not supported"
    assert machine_text("EM_AARCH64") == "arm64" and machine_text(62) == "amd64"
    assert machine_text(3) == "ELF machine 3"


def _patched(src: Path, dst: Path, machine: int) -> Path:
    shutil.copyfile(src, dst)
    with dst.open("r+b") as f:
        f.seek(_E_MACHINE)
        f.write(struct.pack("<H", machine))
    return dst


@pytest.mark.parametrize("spec", [NILPTR], ids=lambda s: s.id)
def test_cores_of_other_machines_are_refused(spec: FixtureSpec, fixture: Fixture,
                                             tmp_path: Path) -> None:
    core = _patched(fixture.core, tmp_path / "core", 8)  # MIPS
    with pytest.raises(UnsupportedError, match="cores of ELF machine 8 are not supported"):
        open_core(core)


@pytest.mark.parametrize("spec", [NILPTR], ids=lambda s: s.id)
def test_executable_and_core_architectures_must_agree(spec: FixtureSpec, fixture: Fixture,
                                                      tmp_path: Path) -> None:
    """The real executable with only its e_machine changed: the core (real
    bytes) is of an amd64 process, the executable says arm64."""
    exe = _patched(fixture.binary, tmp_path / "zoo", _EM_AARCH64)
    with pytest.raises(MismatchError, match=r"is an arm64 executable, the core is of an amd64 "):
        Engine.open(exe, fixture.core)
    exe = _patched(fixture.binary, tmp_path / "zoo386", 3)
    with pytest.raises(MismatchError, match="ELF machine"):
        Engine.open(exe, fixture.core)


# ---------------------------------------------------------------------------
# Nothing outside dapcore/arch knows an instruction set (read from the code)

_PACKAGE = Path(dapcore.__file__).parent
_ARCH_DIR = _PACKAGE / "arch"
# amd64 register names (NT_PRSTATUS and DWARF), and the capstone spellings of
# their parts that code matching instruction text would use
_REGISTER_NAMES = frozenset(AMD64.regs) | frozenset(AMD64.dwarf_regs) | frozenset(
    {"eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip",
     *(f"r{n}{s}" for n in range(8, 16) for s in ("d", "w", "b"))})


def _outside_arch() -> list[Path]:
    return sorted(p for p in _PACKAGE.rglob("*.py") if _ARCH_DIR not in p.parents)


def test_only_dapcore_arch_builds_a_disassembler() -> None:
    found = []
    for path in _outside_arch():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Attribute) and node.attr in ("Cs", "CS_ARCH_X86"):
                names = [node.attr]
            elif isinstance(node, ast.Name) and node.id in ("Cs", "CS_ARCH_X86"):
                names = [node.id]
            if any(n == "capstone" or n.startswith("capstone.") or n in ("Cs", "CS_ARCH_X86")
                   for n in names):
                found.append(f"{path.relative_to(_PACKAGE)}:{node.lineno}")
    assert not found, found


def test_no_amd64_register_names_outside_dapcore_arch() -> None:
    """Register names are the descriptor's roles and maps (``arch.pc``,
    ``arch.dwarf_regs`` …), never string literals elsewhere."""
    found = []
    for path in _outside_arch():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value in _REGISTER_NAMES:
                found.append(f"{path.relative_to(_PACKAGE)}:{node.lineno}: {node.value!r}")
    assert not found, found


def test_the_amd64_module_is_the_only_one_naming_amd64_facts() -> None:
    """No module outside dapcore/arch imports an architecture's module: the
    engine reaches the ISA through the registry (``proc.arch``)."""
    found = []
    for path in _outside_arch():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            mods: list[str] = []
            if isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
                if node.module == "dapcore.arch":
                    mods += [f"dapcore.arch.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            if any(m.startswith(("dapcore.arch.amd64", "dapcore.arch.arm64")) for m in mods):
                found.append(f"{path.relative_to(_PACKAGE)}:{node.lineno}")
    assert not found, found



# ---------------------------------------------------------------------------
# A closure's entry block


def test_arm64_closure_entry_block() -> None:
    """x26 followed through pair loads (both registers read before either is
    written), an address into the object, a stack address in a register,
    the pre- and post-index frame instructions and a call (after which a
    value copied back from its slot is no longer evidence)."""
    words = [
        0xF9400B90,  # 0x1000 ldr x16, [x28, #0x10]     the stack check
        0xEB3063FF,  # 0x1004 cmp sp, x16
        0x54000189,  # 0x1008 b.ls #0x1038
        0xF81C0FFE,  # 0x100c str x30, [sp, #-0x40]!    the frame
        0xA9408740,  # 0x1010 ldp x0, x1, [x26, #8]
        0xF9000FE1,  # 0x1014 str x1, [sp, #0x18]
        0x91008344,  # 0x1018 add x4, x26, #0x20
        0xA9401484,  # 0x101c ldp x4, x5, [x4]
        0x910083FB,  # 0x1020 add x27, sp, #0x20
        0xF9000364,  # 0x1024 str x4, [x27]
        0x94000100,  # 0x1028 bl #0x1428
        0xF9400FE0,  # 0x102c ldr x0, [sp, #0x18]
        0xF84407FE,  # 0x1030 ldr x30, [sp], #0x40
        0xD65F03C0,  # 0x1034 ret
        0xAA1E03E3,  # 0x1038 mov x3, x30               morestack
        0x94000200,  # 0x103c bl #0x183c
        0x17FFFFF0,  # 0x1040 b #0x1000
    ]
    code = b"".join(w.to_bytes(4, "little") for w in words)
    block = ARM64.closure_entry(code, 0x1000, 0x1044,
                                lambda pc: 0x40 if 0x100c < pc <= 0x1030 else 0)
    assert block is not None
    assert (block.start, block.stop) == (0x100c, 0x1038)
    assert block.regs_before[0x1014] == {"x26": ("clo",), "x0": ("field", 8, 8, True),
                                         "x1": ("field", 16, 8, True)}
    assert block.regs_before[0x1020]["x4"] == ("field", 0x20, 8, True)
    assert block.regs_before[0x1020]["x5"] == ("field", 0x28, 8, True)
    assert block.first_store[0x18 - 0x40] == ("field", 16, 8, True)
    assert block.first_store[0x20 - 0x40] == ("field", 0x20, 8, True)
    assert block.regs_before[0x1030] == {"x0": ("field", 16, 8, False)}
