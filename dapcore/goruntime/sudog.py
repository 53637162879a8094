"""``runtime.sudog`` records: a goroutine waiting in a channel's queue, in a
select, on a semaphore or a condition variable.

A channel waiter's sudogs hang off ``g.waiting`` (one per channel a select
waits on, chained by ``waitlink``) and sit in the channel's ``recvq`` or
``sendq`` (chained by ``next``); ``sudog.c`` is the channel (a 16-byte
wrapper from Go 1.26 whose first word is the pointer, like ``elem``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dapcore.elf.memory import AddressSpace
from dapcore.errors import UnreadableMemory
from dapcore.goruntime.layout import Layout, Struct

__all__ = ["Sudog", "SudogReader"]

# No queue is longer than the process's goroutines; a chain longer than this
# is a loop in damaged memory.
MAX_CHAIN = 4_000_000


@dataclass(frozen=True, slots=True)
class Sudog:
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
        self.s: Struct = layout.struct("runtime.sudog")
        s = self.s
        self._off = {name: s.off(name) if s.has(name) else -1
                     for name in ("g", "next", "prev", "elem", "waitlink", "c", "isSelect",
                                  "ticket")}
        self._ticket_size = s.field("ticket").size if s.has("ticket") else 0

    def read(self, addr: int) -> Sudog:
        raw = self.mem.read(addr, self.s.size)
        o = self._off

        def word(name: str) -> int:
            at = o[name]
            return int.from_bytes(raw[at:at + 8], "little") if at >= 0 else 0

        sel = o["isSelect"]
        ticket = o["ticket"]
        return Sudog(addr, word("g"), word("next"), word("prev"), word("elem"),
                     word("waitlink"), word("c"), bool(raw[sel]) if sel >= 0 else False,
                     int.from_bytes(raw[ticket:ticket + self._ticket_size], "little")
                     if ticket >= 0 else 0)

    def chain(self, first: int, link: str, limit: int = MAX_CHAIN) -> Iterator[Sudog]:
        """The sudogs from ``first`` along ``link`` ("next" or "waitlink");
        stops at nil, at a loop, or at memory the core lacks (raising
        :class:`UnreadableMemory` for the last)."""
        seen: set[int] = set()
        addr = first
        while addr and addr not in seen and len(seen) < limit:
            seen.add(addr)
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
