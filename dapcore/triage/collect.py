"""Grouping every goroutine of a process (the engine's
``goroutine_groups``): the per-goroutine questions — where was it created,
which package is a function in — answered once per distinct answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from dapcore.cancellation import check as check_cancelled
from dapcore.gobin.pclntab import package_of, print_name
from dapcore.goruntime.clock import WaitClock
from dapcore.goruntime.goroutines import Goroutine
from dapcore.goruntime.process import Process
from dapcore.goruntime.traceback import created_by
from dapcore.goruntime.unwind import LogicalFrame
from dapcore.triage.groups import GoroutineFilter, GoroutineGroup, group_goroutines

__all__ = ["collect_groups"]


def collect_groups(proc: Process, goroutines: Iterator[Goroutine],
                   stack: Callable[[Goroutine], tuple[LogicalFrame, ...]],
                   flt: GoroutineFilter | None, release_pages: Callable[[], None]
                   ) -> list[GoroutineGroup]:
    """The groups of ``goroutines`` (``stack``: a goroutine's printed
    frames); cancellable (DAP ``cancel``), and the core's pages are let go
    every 16,384 goroutines."""
    sites: dict[int, tuple[str, str, int] | None] = {}
    packages: dict[str, str] = {}

    def site_of(g: Goroutine) -> tuple[str, str, int] | None:
        if g.goid == 1 or not g.go_pc:
            return None
        if g.go_pc not in sites:
            cb = created_by(proc, g)
            sites[g.go_pc] = ((print_name(cb.function), cb.file, cb.line)
                              if cb is not None else None)
        return sites[g.go_pc]

    def package(function: str) -> str:
        found = packages.get(function)
        if found is None:
            found = packages[function] = package_of(function)
        return found

    def every(n: int) -> None:
        check_cancelled()
        if not n & 0x3FFF:
            release_pages()

    return group_goroutines(goroutines, stack, package, site_of, WaitClock.of_process(proc),
                            flt, every)
