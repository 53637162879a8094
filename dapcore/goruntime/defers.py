"""A goroutine's pending deferred calls that are in ``_defer`` records
(``g._defer``, newest first, chained by ``link``).

What a record says about the call, by release:

* up to Go 1.16 ``fn`` is the deferred function itself (a method value's
  code pointer, ``sync.(*Mutex).Unlock``) and its arguments follow the
  record (``deferArgs``): the receiver is the first word after it;
* from Go 1.17 (register ABI) the compiler wraps ``defer m.Unlock()`` in a
  closure (``main.f.func1``, from 1.22 ``main.f.deferwrap1``) that captured
  ``m``: the receiver is the closure's first captured word, and the called
  function is the one the wrapper's code calls.

Defers the compiler open-coded (Go 1.14+, a function's defers when none is
in a loop and there are few) have no record: they are not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dapcore.errors import UnreadableMemory
from dapcore.goruntime.sudog import Cursor
from dapcore.goruntime.traceback import called_function

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process

__all__ = ["DeferReader", "DeferredCall"]

_MAX_DEFERS = 10_000


@dataclass(frozen=True, slots=True)
class DeferredCall:
    """``function``: what will be called (None: unknown); ``receiver``: its
    first argument or captured word (0: none read); ``deferred_in``: the
    function whose defer statement made it."""

    function: str | None
    receiver: int
    deferred_in: str | None


class DeferReader:
    def __init__(self, proc: Process) -> None:
        self.proc = proc
        lay = proc.layout
        self.g_defer = lay.struct("runtime.g").off("_defer")
        self.rec = lay.struct("runtime._defer")
        self._names: dict[int, str | None] = {}
        self.cursor = Cursor(proc.memory)

    def pending(self, g_addr: int) -> list[DeferredCall]:
        """The record-based deferred calls of the goroutine at ``g_addr``
        (empty when none, or when the core lacks the records)."""
        mem = self.proc.memory
        out: list[DeferredCall] = []
        try:
            d = self.cursor.ptr(g_addr + self.g_defer)
            seen: set[int] = set()
            while d and d not in seen and len(seen) < _MAX_DEFERS:
                seen.add(d)
                raw = mem.read(d, self.rec.size)
                call = self._call(d, raw)
                if call is not None:
                    out.append(call)
                d = self.rec.get(raw, "link")
        except UnreadableMemory:
            pass
        return out

    def _call(self, d: int, raw: bytes) -> DeferredCall | None:
        rec = self.rec
        if rec.has("openDefer") and rec.get(raw, "openDefer"):
            return None  # a marker for a frame's open-coded defers (panics, ≤1.21)
        if rec.has("rangefunc") and rec.get(raw, "rangefunc"):
            return None
        fn = rec.get(raw, "fn")
        if not fn:
            return None
        mem = self.proc.memory
        entry = mem.ptr(fn)
        name = self._name(entry)
        deferred_in = self._name(rec.get(raw, "pc"))
        if name is not None and name.startswith("sync."):
            # the deferred function itself: its arguments follow the record
            return DeferredCall(name, mem.ptr(d + rec.size), deferred_in)
        called = called_function(self.proc, entry)
        return DeferredCall(called or name, mem.ptr(fn + 8), deferred_in)

    def _name(self, pc: int) -> str | None:
        if pc not in self._names:
            f = self.proc.pclntab.func_at(pc - self.proc.bias) if pc else None
            self._names[pc] = f.name if f is not None else None
        return self._names[pc]
