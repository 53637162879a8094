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
in a loop and there are few) have no record: :class:`OpenCodedReader`
reads them from a frame, given where the frame is (an unwound stack).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dapcore.dwarf.leb128 import uleb
from dapcore.errors import DapcoreError, UnreadableMemory
from dapcore.goruntime.sudog import Cursor
from dapcore.goruntime.traceback import called_function

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process

__all__ = ["DeferReader", "DeferredCall", "OpenCodedReader"]

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

    def name_at(self, pc: int) -> str | None:
        """The function holding run-time ``pc``."""
        return self._name(pc)

    def _name(self, pc: int) -> str | None:
        if pc not in self._names:
            f = self.proc.pclntab.func_at(pc - self.proc.bias) if pc else None
            self._names[pc] = f.name if f is not None else None
        return self._names[pc]


class OpenCodedReader:
    """The open-coded defers (Go 1.14+) pending in one physical frame.

    The function's FUNCDATA_OpenCodedDeferInfo names a byte of the frame
    (``deferBits``, one bit per defer statement executed and not yet run)
    and where each deferred call's closure is kept, as offsets below the
    frame's ``varp`` (its top, under the return address and the saved frame
    pointer, as the runtime's unwinder computes it). By release:

    * 1.14–1.16: maxargsize, deferBits, n, then per defer (last first) argWidth,
      closureOffset, nArgs and nArgs × (argOffset, argLen, argCallOffset);
      the closure is the deferred function itself, its first argument
      (the receiver) at varp − argOffset;
    * 1.17–1.21: deferBits, n, then per defer (last first) closureOffset;
      the closure is a wrapper that captured the receiver;
    * 1.22+: deferBits, slotsOffset: closure i at varp − slotsOffset + 8i.
    """

    def __init__(self, proc: Process, defers: DeferReader) -> None:
        self.proc = proc
        self.defers = defers
        self.release = proc.pclntab.release or (1, 1000)
        self.on_stack_return = proc.arch.return_address_on_stack

    def pending(self, entry: int, fp: int, sp: int) -> list[DeferredCall]:
        """The open-coded deferred calls pending in the frame of the function
        at run-time ``entry`` whose caller's SP (CFA) is ``fp``."""
        tab = self.proc.pclntab
        f = tab.func_at(entry - self.proc.bias)
        if f is None or self.release < (1, 14):
            return []
        info = tab.funcdata(f, tab.open_coded_defer_index())
        if info is None:
            return []
        varp = fp - 8 if self.on_stack_return else fp
        if varp > sp:
            varp -= 8  # the saved frame pointer
        try:
            raw = self.proc.exe.read_static(info, 64)
            return self._calls(raw, varp, f.name)
        except (UnreadableMemory, IndexError, DapcoreError):
            return []

    def _calls(self, raw: bytes, varp: int, name: str) -> list[DeferredCall]:
        mem = self.proc.memory
        pos = uleb(raw, 0)[1] if self.release < (1, 17) else 0  # maxargsize, up to 1.16
        bits_off, pos = uleb(raw, pos)
        bits = mem.u8(varp - bits_off)
        if not bits:
            return []
        out: list[DeferredCall] = []
        if self.release >= (1, 22):
            slots, _ = uleb(raw, pos)
            for i in range(8):
                if bits >> i & 1:
                    out.append(self._closure(mem.ptr(varp - slots + 8 * i), name))
            return out
        n, pos = uleb(raw, pos)
        for i in range(n - 1, -1, -1):
            if self.release >= (1, 17):
                closure_off, pos = uleb(raw, pos)
                if bits >> i & 1:
                    out.append(self._closure(mem.ptr(varp - closure_off), name))
                continue
            _, pos = uleb(raw, pos)  # argWidth
            closure_off, pos = uleb(raw, pos)
            nargs, pos = uleb(raw, pos)
            arg_offs = []
            for _ in range(nargs):
                arg_off, pos = uleb(raw, pos)
                _, pos = uleb(raw, pos)  # argLen
                _, pos = uleb(raw, pos)  # argCallOffset
                arg_offs.append(arg_off)
            if bits >> i & 1:
                fn = mem.ptr(varp - closure_off)
                receiver = mem.ptr(varp - arg_offs[0]) if arg_offs else 0
                out.append(DeferredCall(self.defers.name_at(mem.ptr(fn)), receiver, name))
        return out

    def _closure(self, fn: int, deferred_in: str) -> DeferredCall:
        mem = self.proc.memory
        entry = mem.ptr(fn)
        name = self.defers.name_at(entry)
        if name is not None and name.startswith("sync."):
            return DeferredCall(name, 0, deferred_in)  # a method value: receiver unknown
        return DeferredCall(called_function(self.proc, entry) or name, mem.ptr(fn + 8),
                            deferred_in)
