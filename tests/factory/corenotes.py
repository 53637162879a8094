"""What an ELF core's notes hold: recorded in each fixture's ``meta.json``
(``coreNotes``), since cores differ by who wrote them. The kernel writes
``NT_PRSTATUS`` (and the register sets) per thread, ``NT_PRPSINFO``,
``NT_SIGINFO``, ``NT_AUXV`` and ``NT_FILE``; gdb's ``gcore`` much the same;
qemu's guest cores only ``NT_PRSTATUS`` per thread, ``NT_PRPSINFO`` and
``NT_AUXV`` (README, "arm64 fixtures")."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile

# Note types pyelftools leaves as numbers (linux/elf.h).
_NAMES = {
    0x200: "NT_386_TLS", 0x202: "NT_X86_XSTATE", 0x204: "NT_X86_SHSTK",
    0x205: "NT_X86_XSAVE_LAYOUT",
    0x400: "NT_ARM_VFP", 0x401: "NT_ARM_TLS", 0x402: "NT_ARM_HW_BREAK",
    0x403: "NT_ARM_HW_WATCH", 0x404: "NT_ARM_SYSTEM_CALL", 0x405: "NT_ARM_SVE",
    0x406: "NT_ARM_PAC_MASK", 0x409: "NT_ARM_TAGGED_ADDR_CTRL", 0x40B: "NT_ARM_SSVE",
    0x40C: "NT_ARM_ZA", 0x40E: "NT_ARM_FPMR", 0xFF000000: "NT_GDB_TDESC",
}


@dataclass(frozen=True, slots=True)
class Thread:
    pid: int  # the thread's id (pr_pid)
    signal: int  # pr_cursig: the signal the thread was stopped by (0: none)


@dataclass(frozen=True, slots=True)
class CoreNotes:
    machine: str  # pyelftools' e_machine name: "EM_X86_64", "EM_AARCH64"
    machine_number: int
    names: list[str]  # note types present, in order of first appearance
    threads: list[Thread]  # one per NT_PRSTATUS, in core order
    pid: int | None  # NT_PRPSINFO's pr_pid


def _name(n_type: object) -> str:
    if isinstance(n_type, str):
        return n_type
    assert isinstance(n_type, int)
    return _NAMES.get(n_type, f"0x{n_type:x}")


def read_notes(core: Path) -> CoreNotes:
    with core.open("rb") as f:
        elf = ELFFile(f)
        machine = elf.header.e_machine
        f.seek(18)  # e_machine as a number
        number = int.from_bytes(f.read(2), "little")
        names: list[str] = []
        threads: list[Thread] = []
        pid = None
        for seg in elf.iter_segments():
            if seg.header.p_type != "PT_NOTE":
                continue
            for note in seg.iter_notes():
                name = _name(note.n_type)
                if name not in names:
                    names.append(name)
                desc = note.n_desc
                if name == "NT_PRSTATUS":
                    if isinstance(desc, bytes):  # not parsed by pyelftools (aarch64)
                        # struct elf_prstatus (64-bit): si_signo, si_code,
                        # si_errno, pr_cursig (+pad), sigpend, sighold, pr_pid
                        (cursig,) = struct.unpack_from("<H", desc, 12)
                        (tid,) = struct.unpack_from("<i", desc, 32)
                    else:
                        cursig, tid = desc.pr_cursig, desc.pr_pid
                    threads.append(Thread(int(tid), int(cursig)))
                elif name == "NT_PRPSINFO":
                    pid = int(desc.pr_pid if not isinstance(desc, bytes)
                              else struct.unpack_from("<i", desc, 24)[0])
    return CoreNotes(str(machine), number, names, threads, pid)

