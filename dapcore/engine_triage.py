"""The engine facade's triage part (issue #17): goroutine groups, the
leak summary and what blocks what, over the whole process. :class:`dapcore.engine.Engine` inherits
it; front ends reach it through the engine only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dapcore.goruntime.traceback import printed_frames

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dapcore.goruntime.crash import Crash
    from dapcore.goruntime.goroutines import Goroutine
    from dapcore.goruntime.process import Process
    from dapcore.goruntime.unwind import LogicalFrame, Stack, Unwinder
    from dapcore.triage.groups import GoroutineFilter, GoroutineGroup
    from dapcore.triage.leaks import LeakSuspect
    from dapcore.triage.records import BlockingReport

__all__ = ["TriageFacade"]


class TriageFacade:
    """Triage over every goroutine; what it needs of the engine is declared
    below (the :class:`dapcore.engine.Engine` provides it)."""

    if TYPE_CHECKING:
        proc: Process
        crash: Crash

        def each_goroutine(self) -> Iterator[Goroutine]: ...
        def stack(self, g: Goroutine, keep: bool = True) -> Stack: ...
        def release_pages(self) -> None: ...
        @property
        def unwinder(self) -> Unwinder: ...

    def goroutine_groups(self, flt: GoroutineFilter | None = None) -> list[GoroutineGroup]:
        """Goroutines with the same stack and status, grouped
        (:mod:`dapcore.triage.groups`): most goroutines first. Every stack
        is unwound once and not kept; the core's pages are released as
        the walk goes (100,000 goroutines)."""
        # triage: loaded when asked for (start-up time)
        from dapcore.triage.collect import collect_groups

        crash = self.crash
        parked = self.unwinder.parked_shape

        def shape(g: Goroutine) -> tuple[LogicalFrame, ...]:
            # a parked goroutine's frames without a Frame each, else the
            # full unwind (which says what is wrong with a stack)
            found = None if g.crashed else parked(g)
            if found is None:
                found = tuple((f.function, f.file, f.line, f.inlined, f.func_kind) for f in
                              printed_frames(self.stack(g, keep=False).frames, crash, g.crashed))
            return found
        return collect_groups(self.proc, self.each_goroutine(), shape, flt, self.release_pages)

    @staticmethod
    def leak_summary(groups: list[GoroutineGroup], min_count: int = 2,
                     limit: int | None = 20) -> list[LeakSuspect]:
        """Blocked goroutines per creation site and wait reason
        (:mod:`dapcore.triage.leaks`), from :meth:`goroutine_groups`."""
        from dapcore.triage.leaks import leak_summary

        return leak_summary(groups, min_count, limit)

    def blocking(self) -> BlockingReport:
        """What blocks what (:mod:`dapcore.triage.blocking`): goroutines
        blocked on channels grouped by channel, those waiting on sync
        objects grouped by object with its state and known holders, the
        deadlock cycles the data shows, and what a core cannot tell."""
        from dapcore.triage.blocking import analyse_blocking

        return analyse_blocking(self.proc)
