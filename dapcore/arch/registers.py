"""A thread's registers: values by name, with the architecture's roles."""

from __future__ import annotations

from typing import NamedTuple

from dapcore.arch.descriptor import Arch


class Registers(NamedTuple):
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
