"""Goroutines blocked on channels, grouped by channel.

A goroutine blocked in a channel send, receive or select has its sudogs on
``g.waiting`` (one per channel; ``sudog.c`` the channel); each sudog also
sits in the channel's ``sendq`` or ``recvq``, which says the direction.
Both are read, and a goroutine whose ``g.waiting`` names a channel whose
queues do not list it is noted."""

from __future__ import annotations

from dapcore.errors import UnreadableMemory
from dapcore.goruntime.rtype import TypeReader
from dapcore.goruntime.sudog import SudogReader
from dapcore.triage.context import Scan
from dapcore.triage.records import ChannelBlock

__all__ = ["channel_blocks", "is_channel_wait", "is_forever"]

# No channel's buffer is this big (the runtime caps it at maxAlloc / elemsize).
_MAX_CAP = 1 << 48


def is_channel_wait(reason: str) -> bool:
    return ((reason.startswith(("chan send", "chan receive")) and "nil chan" not in reason)
            or reason == "select")


def is_forever(reason: str) -> bool:
    """A wait nothing can end: a nil channel, ``select {}``."""
    return "nil chan" in reason or reason == "select (no cases)"


def channel_blocks(scan: Scan, sudogs: SudogReader, problems: list[str]) -> list[ChannelBlock]:
    waiting_off = scan.g.off("waiting")
    named: dict[int, list[int]] = {}  # channel -> g addresses whose g.waiting names it
    for n, g in enumerate(scan.with_reason(is_channel_wait), 1):
        if not n & 0x7FF:
            scan.mem.release_pages()  # resident memory on a big core
        try:
            first = scan.cursor.ptr(g + waiting_off)
        except UnreadableMemory as exc:
            problems.append(f"goroutine {scan.goid[g]}: g.waiting: {exc}")
            continue
        for s in sudogs.safe_chain(first, "waitlink", problems,
                                   f"goroutine {scan.goid[g]}'s channel waits"):
            if s.c:
                named.setdefault(s.c, []).append(g)
    types = TypeReader(scan.proc)
    return [_channel(scan, sudogs, types, c, gs) for c, gs in named.items()]


def _channel(scan: Scan, sudogs: SudogReader, types: TypeReader, c: int, named: list[int]
             ) -> ChannelBlock:
    lay = scan.proc.layout
    h = lay.struct("runtime.hchan")
    first = lay.struct("runtime.waitq").off("first") if lay.has_struct("runtime.waitq") else 0
    try:
        raw = scan.mem.read(c, h.size)
    except UnreadableMemory as exc:
        block = ChannelBlock(c, None, 0, 0, False)
        block.problems.append(f"the channel itself: {exc}")
        block.receivers = scan.ids(named)
        return block
    block = ChannelBlock(c, _elem_type(types, h.get(raw, "elemtype")), h.get(raw, "dataqsiz"),
                         h.get(raw, "qcount"), bool(h.get(raw, "closed")))
    if (block.length > block.capacity or block.capacity >= _MAX_CAP
            or h.get(raw, "closed") > 1):
        block.problems.append(
            f"its header does not look like a channel's (qcount {block.length:#x}, dataqsiz "
            f"{block.capacity:#x}, closed {h.get(raw, 'closed'):#x}): damaged memory")
    queues = {}
    for side in ("sendq", "recvq"):
        head = int.from_bytes(raw[h.off(side) + first:h.off(side) + first + 8], "little")
        queues[side] = sudogs.safe_chain(head, "next", block.problems, f"the channel's {side}")
    block.senders = scan.ids([s.g for s in queues["sendq"]])
    block.receivers = scan.ids([s.g for s in queues["recvq"]])
    block.selecting = sorted({scan.goid[s.g] for q in queues.values() for s in q
                              if s.is_select and s.g in scan.goid})
    listed = {s.g for q in queues.values() for s in q}
    unlisted = [g for g in named if g not in listed]
    if unlisted:
        # placed by their wait reasons (a select's direction is not known)
        for g in unlisted:
            reason = scan.reason.get(g, "")
            side = block.senders if reason.startswith("chan send") else block.receivers
            side.append(scan.goid[g])
            if reason == "select":
                block.selecting.append(scan.goid[g])
        block.problems.append(
            f"goroutines {', '.join(map(str, scan.ids(unlisted)))} wait on this channel "
            "(g.waiting) but are in neither of its queues: placed by their wait reasons")
    block.sites = scan.sites(sorted(listed | set(named)))
    return block


def _elem_type(types: TypeReader, addr: int) -> str | None:
    if not addr:
        return None
    try:
        return types.read(addr).name
    except UnreadableMemory:
        return None
