"""The layouts the blocking analysis needs beyond :data:`layout.SPECS`:
the runtime's semaphore table (``runtime.semaRoot``) and condition
variable list (``runtime.notifyList``), and the ``sync`` package's
Mutex, RWMutex, WaitGroup and Cond, read from the executable's DWARF.

These structures are not in the per-release tables of stripped binaries:
without DWARF, :func:`sync_layout` says so (:class:`NoDwarf`) and the
analysis of sync objects is left out, plainly (channels are still read:
``hchan``, ``waitq`` and ``sudog`` are in every table).

Layouts that moved between releases, read by name here:

* ``sync.Mutex`` is ``{state int32; sema uint32}`` up to Go 1.23 and wraps
  ``internal/sync.Mutex`` (``mu``) from 1.24;
* ``sync.RWMutex``'s ``readerCount``/``readerWait`` are ``int32`` up to 1.19,
  ``atomic.Int32`` after;
* ``sync.WaitGroup`` is ``state1 [3]uint32`` up to 1.17 (counter, waiters
  and semaphore in an order that depends on the address's alignment),
  ``state1 uint64; state2 uint32`` in 1.18–1.19, ``state atomic.Uint64;
  sema uint32`` from 1.20.
"""

from __future__ import annotations

from dataclasses import dataclass

from dapcore.dwarf.reader import Dwarf
from dapcore.errors import NoDwarf
from dapcore.goruntime.layout import Struct, StructSpec, dwarf_struct

__all__ = ["SEMTAB_SIZE", "SyncLayout", "sync_layout"]

# runtime/sema.go's semTabSize: prime, unchanged since Go 1.0.
SEMTAB_SIZE = 251

_SPECS = {
    "semaRoot": StructSpec("runtime.semaRoot", ("runtime.semaRoot",),
                           {"treap": ("treap",), "nwait": ("nwait",)}, required=("treap",)),
    "notifyList": StructSpec("runtime.notifyList", ("runtime.notifyList",),
                             {"wait": ("wait",), "notify": ("notify",), "head": ("head",),
                              "tail": ("tail",)}, required=("wait", "notify", "head")),
    "Mutex": StructSpec("sync.Mutex", ("sync.Mutex",),
                        {"state": ("state", "mu.state"), "sema": ("sema", "mu.sema")},
                        required=("state", "sema")),
    "RWMutex": StructSpec("sync.RWMutex", ("sync.RWMutex",),
                          {"w": ("w",), "writerSem": ("writerSem",), "readerSem": ("readerSem",),
                           "readerCount": ("readerCount",), "readerWait": ("readerWait",)},
                          required=("w", "writerSem", "readerSem", "readerCount", "readerWait")),
    "WaitGroup": StructSpec("sync.WaitGroup", ("sync.WaitGroup",),
                            {"state1": ("state1",), "state2": ("state2",), "state": ("state",),
                             "sema": ("sema",)}),
    "Cond": StructSpec("sync.Cond", ("sync.Cond",), {"L": ("L",), "notify": ("notify",)},
                       required=("L", "notify")),
}


@dataclass(frozen=True, slots=True)
class SyncLayout:
    """The structures found (a program that never uses sync.Cond has no
    sync.Cond in its DWARF: absent here, and no goroutine waits on one)."""

    structs: dict[str, Struct]

    def get(self, name: str) -> Struct | None:
        return self.structs.get(name)

    def waitgroup_sema(self, wg: int) -> int | None:
        """Where a WaitGroup at ``wg`` keeps its semaphore."""
        s = self.structs.get("WaitGroup")
        if s is None:
            return None
        if s.has("sema"):
            return wg + s.off("sema")
        if s.has("state2"):
            return wg + s.off("state2")
        # state1 [3]uint32: state in the 8-aligned pair, sema in the other word
        return wg + 8 if (wg + s.off("state1")) % 8 == 0 else wg

    def waitgroup_of_sema(self, sema: int) -> int | None:
        """The WaitGroup whose semaphore is at ``sema`` (the inverse)."""
        s = self.structs.get("WaitGroup")
        if s is None:
            return None
        if s.has("sema"):
            return sema - s.off("sema")
        if s.has("state2"):
            return sema - s.off("state2")
        return sema - 8 if sema % 8 == 0 else sema

    def waitgroup_state(self, wg: int) -> int | None:
        """The address of the 64-bit word: counter (high half), waiters."""
        s = self.structs.get("WaitGroup")
        if s is None:
            return None
        if s.has("state"):
            return wg + s.off("state")
        if s.has("state2"):
            return wg + s.off("state1")
        return wg if wg % 8 == 0 else wg + 4


def sync_layout(dwarf: Dwarf | None, what: str) -> SyncLayout:
    """The layouts from ``dwarf``; :class:`NoDwarf` without it (``what``
    names the executable in the message)."""
    if dwarf is None:
        raise NoDwarf(f"{what} has no DWARF: the layouts of the runtime's semaphore table and "
                      "of sync.Mutex, RWMutex, WaitGroup and Cond are not in dapcore's "
                      "built-in tables, so which object a goroutine waits on cannot be read")
    found = {key: st for key, spec in _SPECS.items()
             if (st := dwarf_struct(dwarf, spec)) is not None}
    if "semaRoot" not in found:
        raise NoDwarf(f"the DWARF of {what} does not describe runtime.semaRoot: the runtime's "
                      "semaphore table cannot be read")
    return SyncLayout(found)
