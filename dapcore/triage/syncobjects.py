"""Goroutines waiting on sync.Mutex, RWMutex, WaitGroup and Cond, grouped
by the object, with its state decoded.

Semaphore waiters come from the runtime's semaphore table (exact: goroutine
→ semaphore address). Which object the semaphore is part of, and so its
address (the semaphore's minus the field's offset), follows from what the
goroutine is doing: the wait reason where the release says it (Go 1.20+:
``sync.Mutex.Lock``, ``sync.RWMutex.RLock`` …), else (``semacquire``) the
sync frames of one waiter's stack. Cond waiters are not in that table:
the Cond is found among the words of the waiter's stack (``sync.(*Cond).Wait``
keeps ``c`` there) and kept only when its notify list holds the waiter.
"""

from __future__ import annotations

from dapcore.errors import DapcoreError, UnreadableMemory
from dapcore.goruntime.layout import Struct
from dapcore.goruntime.sema import SemaWaiters
from dapcore.goruntime.sudog import SudogReader
from dapcore.goruntime.synclayout import SyncLayout
from dapcore.goruntime.unwind import Unwinder
from dapcore.triage.context import Scan
from dapcore.triage.records import SyncBlock

__all__ = ["cond_blocks", "sema_blocks"]

# Go 1.20+ wait reasons -> (kind, operation, semaphore field)
_BY_REASON = {
    "sync.Mutex.Lock": ("sync.Mutex", "Lock", "sema"),
    "sync.RWMutex.RLock": ("sync.RWMutex", "RLock", "readerSem"),
    "sync.RWMutex.Lock": ("sync.RWMutex", "Lock", "writerSem"),
    "sync.WaitGroup.Wait": ("sync.WaitGroup", "Wait", "sema"),
}
_MUTEX_FRAMES = ("sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).Lock",
                 "internal/sync.(*Mutex).lockSlow")
_STACK_WORDS = 512  # how far up a Cond waiter's stack its Cond is looked for
_MAX_READERS = 1 << 30  # sync.rwmutexMaxReaders


def sema_blocks(scan: Scan, sema: SemaWaiters, sync: SyncLayout) -> list[SyncBlock]:
    objects: dict[tuple[str, int], SyncBlock] = {}
    members: dict[tuple[str, int], list[int]] = {}
    unwinder = Unwinder(scan.proc)
    for addr, gs in sema.by_addr.items():
        live = [g for g in gs if g in scan.goid]
        if not live:
            continue
        kind, op, obj, function = _classify(scan, unwinder, sync, addr, live)
        block = objects.get((kind, obj))
        if block is None:
            block = objects[(kind, obj)] = SyncBlock(kind, obj, function=function)
        block.waiters.setdefault(op, []).extend(scan.ids(live))
        members.setdefault((kind, obj), []).extend(live)
    for key, block in objects.items():
        block.sites = scan.sites(members[key])
        _decode_state(scan, sync, block)
    return list(objects.values())


def _classify(scan: Scan, unwinder: Unwinder, sync: SyncLayout, addr: int, gs: list[int]
              ) -> tuple[str, str, int, str | None]:
    """(kind, operation, object address, waiting function) of a semaphore."""
    by_frames = _from_frames(scan, unwinder, sync, addr, gs[0])
    if by_frames is not None:
        return by_frames
    known = _BY_REASON.get(scan.reason.get(gs[0], ""))
    if known is not None:
        kind, op, fld = known
        obj = _object_of(sync, kind, fld, addr)
        if obj is not None:
            return kind, op, obj, None
    return "semaphore", "Acquire", addr, None


def _from_frames(scan: Scan, unwinder: Unwinder, sync: SyncLayout, addr: int, g_addr: int
                 ) -> tuple[str, str, int, str | None] | None:
    g = scan.proc.goroutine_at(g_addr)
    if g is None:
        return None
    try:
        frames = [f.function for f in unwinder.goroutine_stack(g).frames]
    except DapcoreError:
        return None
    for i, fn in enumerate(frames):
        if fn in _MUTEX_FRAMES:
            rest = [f for f in frames[i + 1:] if f not in _MUTEX_FRAMES]
            if rest and rest[0] == "sync.(*RWMutex).Lock":  # the writers' mutex w
                w = sync.get("RWMutex")
                m = _object_of(sync, "sync.Mutex", "sema", addr)
                if w is not None and m is not None:
                    return "sync.RWMutex", "Lock", m - w.off("w"), None
            obj = _object_of(sync, "sync.Mutex", "sema", addr)
            return ("sync.Mutex", "Lock", obj, None) if obj is not None else None
        if fn == "sync.(*RWMutex).RLock":
            obj = _object_of(sync, "sync.RWMutex", "readerSem", addr)
            return ("sync.RWMutex", "RLock", obj, None) if obj is not None else None
        if fn == "sync.(*RWMutex).Lock":
            obj = _object_of(sync, "sync.RWMutex", "writerSem", addr)
            return ("sync.RWMutex", "Lock", obj, None) if obj is not None else None
        if fn == "sync.(*WaitGroup).Wait":
            obj = sync.waitgroup_of_sema(addr)
            return ("sync.WaitGroup", "Wait", obj, None) if obj is not None else None
    user = next((f for f in frames if not f.startswith(("runtime.", "sync.runtime_",
                                                        "internal/sync.runtime_"))), None)
    return "semaphore", "Acquire", addr, user


def _object_of(sync: SyncLayout, kind: str, fld: str, sema: int) -> int | None:
    if kind == "sync.WaitGroup":
        return sync.waitgroup_of_sema(sema)
    s = sync.get(kind.removeprefix("sync."))
    return sema - s.off(fld) if s is not None else None


def cond_blocks(scan: Scan, sync: SyncLayout, sudogs: SudogReader,
                problems: list[str]) -> list[SyncBlock]:
    cond, nl = sync.get("Cond"), sync.get("notifyList")
    waiting = scan.with_reason(lambda r: r == "sync.Cond.Wait")
    if not waiting:
        return []
    if cond is None or nl is None:
        problems.append("goroutines wait in sync.Cond.Wait but the DWARF does not describe "
                        "sync.Cond or runtime.notifyList: their Conds are not known")
        return []
    found: dict[int, list[int]] = {}  # Cond -> g addresses in its notify list
    resolved: dict[int, int] = {}  # g -> Cond
    sp_off, hi_off = scan.g.off("sched.sp"), scan.g.off("stack.hi")
    for g in waiting:
        if g in resolved:
            continue
        try:
            sp, hi = scan.mem.ptr(g + sp_off), scan.mem.ptr(g + hi_off)
            words = scan.mem.read(sp, max(0, min(hi - sp, 8 * _STACK_WORDS)))
        except UnreadableMemory:
            continue
        for i in range(0, len(words) - 7, 8):
            w = int.from_bytes(words[i:i + 8], "little")
            if w < 4096 or w % 4:
                continue
            for c in (w, w - cond.off("notify")):
                listed = _notify_list(scan, sudogs, c + cond.off("notify"), nl)
                if g in listed:
                    found[c] = listed
                    resolved.update(dict.fromkeys(listed, c))
                    break
            if g in resolved:
                break
    lost = [g for g in waiting if g not in resolved]
    if lost:
        problems.append(f"goroutines {', '.join(map(str, scan.ids(lost)))} wait in "
                        "sync.Cond.Wait on a Cond not found on their stacks")
    out = []
    for c, gs in found.items():
        live = [g for g in gs if g in scan.goid]
        block = SyncBlock("sync.Cond", c, {"Wait": scan.ids(live)})
        block.sites = scan.sites(live)
        _decode_state(scan, sync, block)
        out.append(block)
    return out


def _notify_list(scan: Scan, sudogs: SudogReader, at: int, nl: Struct) -> list[int]:
    try:
        head = scan.mem.ptr(at + nl.off("head"))
    except UnreadableMemory:
        return []
    if not head or head % 8:
        return []
    out: list[int] = []
    try:
        for s in sudogs.chain(head, "next", limit=len(scan.goid) + 1):
            if s.g not in scan.goid:
                return []  # not a list of waiting goroutines: not a notify list
            out.append(s.g)
    except UnreadableMemory:
        return []
    return out


def _decode_state(scan: Scan, sync: SyncLayout, block: SyncBlock) -> None:
    mem, a = scan.mem, block.address
    try:
        if block.kind == "sync.Mutex":
            block.state = _mutex(mem.i32(a + _req(sync, "Mutex").off("state")))
            block.state_text = _mutex_text(block.state)
        elif block.kind == "sync.RWMutex":
            rw = _req(sync, "RWMutex")
            block.state = _rwmutex(mem.i32(a + rw.off("readerCount")),
                                   mem.i32(a + rw.off("readerWait")),
                                   mem.i32(a + rw.off("w") + _req(sync, "Mutex").off("state")))
            block.state_text = _rwmutex_text(block.state)
        elif block.kind == "sync.WaitGroup":
            at = sync.waitgroup_state(a)
            assert at is not None
            v = mem.u64(at)
            counter = (v >> 32) - (1 << 32) if v >> 63 else v >> 32
            block.state = {"counter": counter, "waiters": v & 0xFFFFFFFF}
            block.state_text = f"counter {counter}, {v & 0xFFFFFFFF} waiters"
        elif block.kind == "sync.Cond":
            c, nl = _req(sync, "Cond"), _req(sync, "notifyList")
            base = a + c.off("notify")
            wait, notify = mem.u32(base + nl.off("wait")), mem.u32(base + nl.off("notify"))
            locker = mem.ptr(a + c.off("L") + 8)
            block.state = {"waiters": (wait - notify) & 0xFFFFFFFF, "locker": locker}
            block.state_text = f"{block.state['waiters']} waiting, L {locker:#x}"
    except UnreadableMemory as exc:
        block.problems.append(f"its state: {exc}")


def _req(sync: SyncLayout, name: str) -> Struct:
    s = sync.get(name)
    if s is None:
        raise UnreadableMemory(0, 0, f"the DWARF does not describe sync.{name}")
    return s


def _mutex(state: int) -> dict[str, int]:
    return {"locked": state & 1, "woken": state >> 1 & 1, "starving": state >> 2 & 1,
            "waiters": state >> 3}


def _mutex_text(s: dict[str, int]) -> str:
    words = ["locked" if s["locked"] else "unlocked"]
    words += [w for w in ("woken", "starving") if s[w]]
    return ", ".join(words) + f", {s['waiters']} waiters"


def _rwmutex(reader_count: int, reader_wait: int, w_state: int) -> dict[str, int]:
    writer = reader_count < 0
    total = reader_count + _MAX_READERS if writer else reader_count
    holding = reader_wait if writer else total
    return {"readers": holding, "readersQueued": total - holding if writer else 0,
            "writerPending": int(writer and reader_wait > 0),
            "writerHolds": int(writer and reader_wait == 0),
            "writerLocked": w_state & 1, "readerCount": reader_count, "readerWait": reader_wait}


def _rwmutex_text(s: dict[str, int]) -> str:
    parts = [f"{s['readers']} readers hold it"]
    if s["writerPending"]:
        parts.append("a writer waits for them")
    if s["writerHolds"]:
        parts.append("a writer holds it")
    if s["readersQueued"]:
        parts.append(f"{s['readersQueued']} readers queued behind the writer")
    return ", ".join(parts)
