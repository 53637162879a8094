"""``runtime.sudog`` records: a goroutine waiting in a channel's queue, in a
select, on a semaphore or a condition variable.

A channel waiter's sudogs hang off ``g.waiting`` (one per channel a select
waits on, chained by ``waitlink``) and sit in the channel's ``recvq`` or
``sendq`` (chained by ``next``); ``sudog.c`` is the channel (a 16-byte
wrapper from Go 1.26 whose first word is the pointer, like ``elem``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from operator import itemgetter
from typing import NamedTuple

from dapcore.elf.memory import AddressSpace, Mapping
from dapcore.errors import UnreadableMemory
from dapcore.goruntime.layout import Layout, Struct

__all__ = ["Cursor", "Sudog", "SudogReader"]


class Cursor:
    """Reads of many small records: straight from the core mapping of the
    last one when the next is in it too (a sudog queue of 100,000 records
    lies in a few heap spans), else through the address space."""

    def __init__(self, mem: AddressSpace) -> None:
        self.mem = mem
        self._m: Mapping | None = None

    def read(self, addr: int, size: int) -> bytes:
        m = self._m
        if m is None or not m.start <= addr <= m.end - size:
            m = self.mem.core_mapping(addr)
            if m is None or addr + size > m.end:
                return self.mem.read(addr, size)
            self._m = m
        off = m.offset + addr - m.start
        return m.source[off:off + size]

    def ptr(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 8), "little")

_CODES = {1: "B", 2: "H", 4: "I", 8: "Q", 16: "Q"}  # 16: a wrapper, its first word

# No queue is longer than the process's goroutines; a chain longer than this
# is a loop in damaged memory.
MAX_CHAIN = 4_000_000


class Sudog(NamedTuple):
    """One sudog (a record read by the hundred thousand: a NamedTuple is
    made five times faster than a frozen dataclass)."""

    addr: int
    g: int
    next: int
    prev: int
    elem: int
    waitlink: int
    c: int  # the channel (0: not a channel wait)
    is_select: bool
    ticket: int


class SudogReader:
    """Reads sudogs with one memory read each."""

    def __init__(self, layout: Layout, mem: AddressSpace) -> None:
        self.mem = mem
        self.cursor = Cursor(mem)
        self.s: Struct = layout.struct("runtime.sudog")
        s = self.s
        # One unpack of the wanted fields, in Sudog's order (a missing field
        # reads as 0: an 8-byte word at offset 0 stands in, then is dropped).
        names = ("g", "next", "prev", "elem", "waitlink", "c", "isSelect", "ticket")
        self._present = tuple(s.has(n) for n in names)
        fields = [(s.off(n), _CODES[s.field(n).size if n in ("isSelect", "ticket") else 8], i)
                  for i, n in enumerate(names) if s.has(n)]
        fields.sort()
        fmt, pos = "<", 0
        for off, code, _ in fields:
            fmt += f"{off - pos}x{code}" if off > pos else code
            pos = off + struct.calcsize(code)
        self._unpack = struct.Struct(fmt).unpack_from
        # the unpacked values (and a 0 after them for a missing field) in
        # Sudog's order
        where = {i: k for k, (_, _, i) in enumerate(fields)}
        self._pick = itemgetter(*(where.get(i, len(fields)) for i in range(len(names))))
        self._size = max(pos, 1)

    def read(self, addr: int) -> Sudog:
        g, nxt, prev, elem, waitlink, c, is_select, ticket = self._pick(
            (*self._unpack(self.cursor.read(addr, self._size)), 0))
        return Sudog(addr, g, nxt, prev, elem, waitlink, c, bool(is_select), ticket)

    def chain(self, first: int, link: str, limit: int = MAX_CHAIN) -> Iterator[Sudog]:
        """The sudogs from ``first`` along ``link`` ("next" or "waitlink");
        stops at nil, at a loop, or at memory the core lacks (raising
        :class:`UnreadableMemory` for the last)."""
        seen: set[int] = set()
        addr = first
        while addr and addr not in seen and len(seen) < limit:
            seen.add(addr)
            if not len(seen) & 0x7FF:
                self.mem.release_pages()  # a queue of 100,000 waiters: resident memory
            s = self.read(addr)
            yield s
            addr = s.next if link == "next" else s.waitlink

    def safe_chain(self, first: int, link: str, problems: list[str], what: str
                   ) -> list[Sudog]:
        """:meth:`chain` as a list; what the core lacks noted in ``problems``."""
        out: list[Sudog] = []
        try:
            out.extend(self.chain(first, link))
        except UnreadableMemory as exc:
            problems.append(f"{what}: the list stops at {exc.addr:#x}, which the core "
                            f"does not hold ({len(out)} read)")
        return out
