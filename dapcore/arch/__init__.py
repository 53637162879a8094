"""What depends on a CPU's instruction set: one module per architecture
(:mod:`dapcore.arch.amd64`), each holding an :class:`Arch` descriptor, and
the registry here choosing it by the ELF ``e_machine`` of the core and the
executable.

The rest of the engine reaches the instruction set only through the
``Arch`` of the open core (``proc.arch``): register roles (``arch.pc``,
``arch.sp`` …), the DWARF register map, the signal frame, the
disassembler and the instruction facts. A new architecture is a new module
here and one line in :data:`ARCHES` (:mod:`dapcore.arch.amd64`,
:mod:`dapcore.arch.arm64`).
"""

from __future__ import annotations

from collections.abc import Mapping

from dapcore.arch.amd64 import AMD64
from dapcore.arch.arm64 import ARM64
from dapcore.arch.descriptor import Arch
from dapcore.arch.registers import Registers

__all__ = ["ARCHES", "Arch", "Registers", "lookup", "machine_text", "named", "refusal"]

# Supported architectures by ELF e_machine.
ARCHES: Mapping[int, Arch] = {a.elf_machine: a for a in (AMD64, ARM64)}
# Known architectures not supported yet: e_machine → (GOARCH, pyelftools name).
_NOT_YET: Mapping[int, tuple[str, str]] = {}
_BY_NAME: Mapping[str, int] = {
    **{a.elf_machine_name: m for m, a in ARCHES.items()},
    **{name: m for m, (_goarch, name) in _NOT_YET.items()},
}


def _number(machine: int | str) -> int | None:
    """``machine`` as an e_machine number (a pyelftools name converted)."""
    return machine if isinstance(machine, int) else _BY_NAME.get(machine)


def lookup(machine: int | str) -> Arch | None:
    """The supported architecture of ELF ``e_machine`` (a number, or its
    pyelftools name such as ``"EM_X86_64"``); None when not supported."""
    number = _number(machine)
    return ARCHES.get(number) if number is not None else None


def named(goarch: str) -> Arch | None:
    """The supported architecture GOARCH ``goarch`` names (None: not one)."""
    return next((a for a in ARCHES.values() if a.name == goarch), None)


def machine_text(machine: int | str) -> str:
    """How a message names the architecture: its GOARCH spelling when
    known (``amd64``), else ``ELF machine N``."""
    number = _number(machine)
    if number in ARCHES:
        return ARCHES[number].name
    if number in _NOT_YET:
        return _NOT_YET[number][0]
    return f"ELF machine {machine}"


def refusal(machine: int | str, what: str) -> str:
    """Why files (``what``: "cores", "executables") of an unsupported
    architecture cannot be read: ``arm64 cores are not supported yet``."""
    number = _number(machine)
    if number in _NOT_YET:
        return f"{_NOT_YET[number][0]} {what} are not supported yet"
    return f"{what} of ELF machine {machine} are not supported"
