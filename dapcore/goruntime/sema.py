"""The runtime's semaphore table (``runtime/sema.go``): which goroutine
waits on which semaphore address.

``runtime.semtable`` is an array of 251 entries, each a ``semaRoot`` padded
to a cache line; a root holds a treap of sudogs, one per distinct address
(``sudog.elem``; ``prev``/``next`` are the treap's children), and each of
those heads a list of the other waiters on the same address (``waitlink``).
sync.Mutex, RWMutex and WaitGroup (and a few runtime locks) park their
goroutines there. The table gives goroutine → semaphore address exactly;
which object the semaphore belongs to is the caller's question
(:mod:`dapcore.triage.blocking`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dapcore.errors import UnreadableMemory
from dapcore.goruntime.sudog import MAX_CHAIN, SudogReader
from dapcore.goruntime.synclayout import SEMTAB_SIZE, SyncLayout

__all__ = ["SemaWaiters", "read_semtable"]


@dataclass(slots=True)
class SemaWaiters:
    """``by_addr``: semaphore address → the waiting g addresses, in queue
    order (the head first); ``problems``: what could not be read."""

    by_addr: dict[int, list[int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def of_g(self) -> dict[int, int]:
        """g address → the semaphore address it waits on."""
        return {g: addr for addr, gs in self.by_addr.items() for g in gs}


def read_semtable(table: int, table_size: int, sync: SyncLayout, sudogs: SudogReader
                  ) -> SemaWaiters:
    """Every waiter of the table at ``table`` (``table_size`` bytes, its
    symbol's size)."""
    out = SemaWaiters()
    root = sync.get("semaRoot")
    assert root is not None
    if table_size % SEMTAB_SIZE or table_size // SEMTAB_SIZE < root.size:
        out.problems.append(f"runtime.semtable is {table_size} bytes, not {SEMTAB_SIZE} "
                            "semaRoot entries: a table layout dapcore does not know")
        return out
    step = table_size // SEMTAB_SIZE
    treap_off = root.off("treap")
    mem = sudogs.mem
    for i in range(SEMTAB_SIZE):
        try:
            top = mem.ptr(table + i * step + treap_off)
        except UnreadableMemory as exc:
            out.problems.append(f"semaphore table entry {i}: {exc}")
            continue
        if top:
            _walk_treap(top, sudogs, out)
    return out


def _walk_treap(top: int, sudogs: SudogReader, out: SemaWaiters) -> None:
    stack, seen = [top], set()
    while stack and len(seen) < MAX_CHAIN:
        node = stack.pop()
        if node in seen:
            out.problems.append(f"a loop in the semaphore treap at {node:#x}")
            continue
        seen.add(node)
        try:
            s = sudogs.read(node)
        except UnreadableMemory as exc:
            out.problems.append(f"semaphore treap node: {exc}")
            continue
        waiters = [s.g] if s.g else []
        waiters += [w.g for w in sudogs.safe_chain(s.waitlink, "waitlink", out.problems,
                                                   f"waiters on semaphore {s.elem:#x}") if w.g]
        if s.elem:
            out.by_addr.setdefault(s.elem, []).extend(waiters)
        stack.extend(c for c in (s.prev, s.next) if c)
