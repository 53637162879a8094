"""Every live goroutine as an editor's thread list needs it: ids and kinds.

At 1,000,000 goroutines there is no object per goroutine: the ids come from
the goroutine index (:mod:`dapcore.goruntime.gindex`), and goroutines that
look alike (same start function, status, wait reason, lock, thread, crash
mark) are of one *kind*, numbered, with its :data:`Traits` kept once. Each
per-goroutine step is a ``map`` over the index's columns, so the loops run
in C; only a new kind runs Python code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from dapcore.goruntime.goroutines import Goroutine
    from dapcore.goruntime.process import Process

__all__ = ["Listing", "Traits", "list_goroutines"]

# What goroutines of one kind share: start pc, status, wait reason text,
# locked to a thread, thread LWP (None: none), crashed.
Traits = tuple[int, int, str, bool, int | None, bool]


class Listing(NamedTuple):
    """Goroutines in list order: ``goids[i]`` is of kind ``kinds[i]``,
    whose traits are ``traits[kinds[i]]``."""

    goids: list[int]
    kinds: list[int]
    traits: list[Traits]

    @classmethod
    def of_goroutines(cls, goroutines: Iterable[Goroutine], hide_system: bool) -> Listing:
        """The listing of full records (the crashing one first, then by id;
        ``hide_system``: without the runtime's own, unless crashed)."""
        gs = [g for g in sorted(goroutines, key=lambda g: (not g.crashed, g.goid))
              if not (hide_system and g.system and not g.crashed)]
        table: dict[Traits, int] = {}
        kinds = [table.setdefault((g.start_pc, g.status, g.wait_reason or "",
                                   g.locked_to_thread, g.thread, g.crashed), len(table))
                 for g in gs]
        return cls([g.goid for g in gs], kinds, list(table))

    def traits_of(self, i: int) -> Traits:
        """The traits of the ``i``-th goroutine listed."""
        return self.traits[self.kinds[i]]


def list_goroutines(proc: Process, hide_system: bool = False) -> Listing:
    """Every live goroutine of ``proc``'s index, the crashing one first,
    then by id (``hide_system``: without the runtime's own goroutines,
    unless crashed). Needs wait reason codes (Go 1.11+)."""
    idx = proc.goroutine_index
    reasons = proc.layout.wait_reasons()
    crash_m = proc.crashing_m
    crash_g = crash_m.curg if crash_m is not None else 0
    first = idx.position_of_addr(crash_g) if crash_g else None
    table: list[Traits] = []

    class Kinds(dict[tuple[Any, ...], int]):
        """Kind numbers by (start pc, status, reason code, locked[, lwp,
        crashed]); a new kind is made on first sight."""

        def __missing__(self, key: tuple[Any, ...]) -> int:
            pc, status, code, locked, *rest = key
            text = reasons[code] if 0 < code < len(reasons) else ""
            lwp, crashed = rest or (None, False)
            kind = self[key] = len(table)
            table.append((pc, status, text, locked, lwp, crashed))
            return kind
    kinds_of = Kinds()
    # Kinds by position in allgs order, then the few goroutines that differ
    # (running on a thread, the crashing one) set apart.
    kinds = list(map(kinds_of.__getitem__, zip(idx.start_pc, idx.status, idx.reason,
                                                map(bool, idx.locked), strict=True)))
    special: dict[int, tuple[int | None, bool]] = {}
    for m in proc.ms:
        if m.thread is None:
            continue
        i = -1
        try:
            while True:  # the goroutines that name this M (array.index: in C)
                i = idx.m.index(m.addr, i + 1)
                if idx.addr[i] == m.curg:
                    special[i] = (m.thread.lwp, False)
        except ValueError:
            pass
    if first is not None:
        special[first] = (special.get(first, (None, False))[0], True)
    for i, (lwp, crashed) in special.items():
        kinds[i] = kinds_of[(idx.start_pc[i], idx.status[i], idx.reason[i],
                             bool(idx.locked[i]), lwp, crashed)]
    order = idx.by_goid(first)
    if hide_system:
        system = proc.system_start
        hidden = [system(t[0]) for t in table]
        order = [i for i in order if i == first or not hidden[kinds[i]]]
    return Listing(list(map(idx.goid.__getitem__, order)),
                   list(map(kinds.__getitem__, order)), table)
