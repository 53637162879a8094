"""Who holds what, and the waits-for graph's cycles.

A core does not record which goroutine holds a sync.Mutex. It is known
only when a goroutine's stack shows it: here, a pending deferred
``Unlock`` (``RUnlock``) whose receiver is the object, in the goroutine's
``_defer`` records (not open-coded defers). A channel has no holder: a
goroutine waiting to receive from a channel on which no goroutine waits to
send *may* be unblocked by any goroutine that can reach the channel; among
the blocked goroutines, those whose stacks hold the channel's address are
taken as the ones that may, which makes a cycle through a channel a "may".
"""

from __future__ import annotations

from dapcore.errors import DapcoreError, UnreadableMemory
from dapcore.goruntime.defers import DeferReader, DeferredCall, OpenCodedReader
from dapcore.goruntime.unwind import Unwinder
from dapcore.triage.context import Scan
from dapcore.triage.records import ChannelBlock, Cycle, CycleEdge, Holder, SyncBlock

__all__ = ["find_cycles", "find_holders"]

_UNLOCKS = {"sync.(*Mutex).Unlock": ("sync.Mutex", "Lock"),
            "sync.(*RWMutex).Unlock": ("sync.RWMutex", "Lock"),
            "sync.(*RWMutex).RUnlock": ("sync.RWMutex", "RLock")}
# Channel edges need a scan of the blocked goroutines' stacks: up to this many.
MAX_CHANNEL_SCAN = 5000
# Open-coded defers need every goroutine's stack unwound: up to this many.
MAX_OPEN_CODED = 5000
_STACK_LIMIT = 64 * 1024


def find_holders(scan: Scan, objects: list[SyncBlock], limits: list[str]) -> None:
    """Fill ``holders`` of the mutexes from the goroutines' _defer records,
    then, for those still without one, from the open-coded defers of every
    goroutine's frames (an unwind of each: up to :data:`MAX_OPEN_CODED`
    goroutines)."""
    locks = {(b.kind, b.address): b for b in objects
             if b.kind in ("sync.Mutex", "sync.RWMutex")}
    if not locks:
        return
    defers = DeferReader(scan.proc)
    for n, (g, goid) in enumerate(scan.goid.items(), 1):
        if not n & 0x7FF:
            scan.mem.release_pages()  # resident memory on a big core
        for call in defers.pending(g):
            _hold(locks, goid, call)
    if all(b.holders for b in locks.values()):
        return
    if len(scan.goid) > MAX_OPEN_CODED:
        limits.append(f"open-coded defers were not searched for mutex holders: "
                      f"{len(scan.goid):,} goroutines (their stacks are unwound up to "
                      f"{MAX_OPEN_CODED:,})")
        return
    open_coded = OpenCodedReader(scan.proc, defers)
    unwinder = Unwinder(scan.proc)
    for g, goid in scan.goid.items():
        record = scan.proc.goroutine_at(g)
        if record is None:
            continue
        try:
            frames = unwinder.goroutine_stack(record).frames
        except DapcoreError:
            continue
        for f in frames:
            if not f.inlined and not f.is_c and f.stack == "goroutine":
                for call in open_coded.pending(f.entry, f.fp, f.sp):
                    _hold(locks, goid, call, ", open-coded")


def _hold(locks: dict[tuple[str, int], SyncBlock], goid: int, call: DeferredCall,
          how: str = "") -> None:
    known = _UNLOCKS.get(call.function or "")
    if known is None:
        return
    block = locks.get((known[0], call.receiver))
    if block is not None and goid not in {h.goroutine for h in block.holders}:
        block.holders.append(Holder(goid, f"deferred {call.function} in "
                                          f"{call.deferred_in or '?'}{how}", known[1]))


def find_cycles(scan: Scan, channels: list[ChannelBlock], objects: list[SyncBlock],
                limits: list[str]) -> list[Cycle]:
    edges: dict[int, list[CycleEdge]] = {}
    for b in objects:
        if not b.holders:
            continue
        for op, ids in b.waiters.items():
            for w in ids:
                for h in b.holders:
                    if h.goroutine != w and (op == "Lock" or h.mode == "Lock"):
                        edges.setdefault(w, []).append(CycleEdge(
                            w, b.kind, b.address, h.goroutine, True,
                            f"held by goroutine {h.goroutine} ({h.how})"))
    _channel_edges(scan, channels, objects, edges, limits)
    return _cycles(edges)


def _channel_edges(scan: Scan, channels: list[ChannelBlock], objects: list[SyncBlock],
                   edges: dict[int, list[CycleEdge]], limits: list[str]) -> None:
    one_sided = [c for c in channels if not c.both_sides and not c.closed]
    if not one_sided:
        return
    blocked = {g for c in channels for g in (*c.senders, *c.receivers)}
    blocked |= {g for b in objects for ids in b.waiters.values() for g in ids}
    if len(blocked) > MAX_CHANNEL_SCAN:
        limits.append(f"cycles through channels were not looked for: {len(blocked):,} "
                      f"blocked goroutines (the stacks of at most {MAX_CHANNEL_SCAN:,} "
                      "are searched)")
        return
    by_goid = {goid: g for g, goid in scan.goid.items()}
    words = {goid: _stack_words(scan, by_goid[goid]) for goid in blocked if goid in by_goid}
    for c in one_sided:
        receiving = bool(c.receivers)
        waiters = c.receivers if receiving else c.senders
        same_side = set(waiters)
        reach = [goid for goid, ws in words.items() if c.address in ws and goid not in same_side]
        for w in waiters:
            for other in reach:
                edges.setdefault(w, []).append(CycleEdge(
                    w, "chan", c.address, other, False,
                    f"goroutine {other} holds the channel on its stack and may "
                    f"{'send to' if receiving else 'receive from'} it"))


def _stack_words(scan: Scan, g: int) -> set[int]:
    try:
        sp, hi = scan.field(g, "sched.sp"), scan.field(g, "stack.hi")
        raw = scan.mem.read(sp, max(0, min(hi - sp, _STACK_LIMIT)))
    except UnreadableMemory:
        return set()
    return {int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw) - 7, 8)}


def _cycles(edges: dict[int, list[CycleEdge]]) -> list[Cycle]:
    """One cycle per strongly connected component (Tarjan, iterative),
    preferring certain edges."""
    out: list[Cycle] = []
    for comp in _components(edges):
        members = set(comp)
        start = min(comp)
        path: list[CycleEdge] = []
        seen: dict[int, int] = {}
        node = start
        while node not in seen:
            seen[node] = len(path)
            nexts = [e for e in edges.get(node, []) if e.other in members]
            nexts.sort(key=lambda e: (not e.certain, e.other))
            path.append(nexts[0])
            node = nexts[0].other
        out.append(Cycle(tuple(path[seen[node]:])))
    return out


def _components(edges: dict[int, list[CycleEdge]]) -> list[list[int]]:
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on: set[int] = set()
    stack: list[int] = []
    comps: list[list[int]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on.add(v)
            succ = [e.other for e in edges.get(v, [])]
            if i < len(succ):
                work.append((v, i + 1))
                w = succ[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return comps
