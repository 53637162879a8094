"""Bytes an expression made, readable like the process's memory.

A conversion such as ``string(b)`` or ``[]rune(s)`` yields a value whose
contents are not in the core. Rather than a second kind of value for each
kind, the evaluator places the new contents here, at addresses no process
can have (non-canonical on amd64 and arm64), and builds an ordinary
:class:`dapcore.govalues.values.Value` whose header points at them: its
text, children, indexing, slicing and ``len`` then work as for any value.
Nothing is written to the core or the process.

:meth:`ScratchMemory.install` puts it in front of a value context's memory
on first use, so reads cost nothing extra until an expression makes bytes.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from dapcore.elf.memory import AddressSpace
from dapcore.errors import UnreadableMemory

if TYPE_CHECKING:
    from dapcore.govalues.values import ValueContext

__all__ = ["BASE", "ScratchMemory"]

BASE = 0xFFFF_F000_0000_0000  # above every user address space
_LIMIT = 64 << 20  # bytes one session's expressions may make


class ScratchMemory:
    """The process's memory (``mem``) with the blocks expressions made."""

    def __init__(self, mem: Any) -> None:
        self._mem = mem
        self._starts: list[int] = []
        self._blocks: list[bytes] = []
        self._next = BASE

    @classmethod
    def install(cls, ctx: ValueContext) -> ScratchMemory:
        """The context's scratch memory, put in front of its memory if needed."""
        if not isinstance(ctx.mem, ScratchMemory):
            ctx.mem = cls(ctx.mem)
        return ctx.mem

    def alloc(self, data: bytes) -> int:
        """The address where ``data`` can now be read (8-byte aligned)."""
        if self._next - BASE + len(data) > _LIMIT:
            raise UnreadableMemory(self._next, len(data), "expressions made too many bytes")
        addr = self._next
        self._starts.append(addr)
        self._blocks.append(bytes(data))
        self._next += (len(data) + 15) & ~7
        return addr

    def read(self, addr: int, size: int) -> bytes:
        if addr < BASE:
            return self._mem.read(addr, size)
        if size <= 0:
            return b""
        i = bisect_right(self._starts, addr) - 1
        if i >= 0:
            start, block = self._starts[i], self._blocks[i]
            if addr + size <= start + len(block):
                return block[addr - start:addr - start + size]
        raise UnreadableMemory(addr, size, "outside what the expression made")

    # The typed readers, the same as the process memory's (they call read).
    readable = AddressSpace.readable
    u8 = AddressSpace.u8
    u32 = AddressSpace.u32
    i32 = AddressSpace.i32
    u64 = AddressSpace.u64
    ptr = AddressSpace.ptr
    uint = AddressSpace.uint
    go_string = AddressSpace.go_string

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mem, name)
