"""How long goroutines have waited, as far as a core can tell.

The runtime prints ``[chan receive, 12 minutes]`` from ``nanotime() −
g.waitsince``; a core holds no clock reading of its moment of death. The
latest monotonic time the runtime wrote down is the best estimate of it:
``sched.lastpoll`` (the last network poll) and every ``g.waitsince`` (set
when a garbage collection found the goroutine waiting). Each is at most the
real time of death, so the durations derived from them are lower bounds:
said as "≥ N minutes".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dapcore.errors import UnreadableMemory

if TYPE_CHECKING:
    from dapcore.goruntime.process import Process

__all__ = ["NANOS_PER_MINUTE", "WaitClock"]

NANOS_PER_MINUTE = 60_000_000_000


class WaitClock:
    """The latest monotonic time seen in the core (``now``), fed with the
    goroutines' ``waitsince`` as they are read."""

    __slots__ = ("now",)

    def __init__(self, now: int = 0) -> None:
        self.now = now

    @classmethod
    def of_process(cls, proc: Process) -> WaitClock:
        """Started from ``runtime.sched.lastpoll`` where it can be read."""
        now = 0
        addr = proc.global_addr("runtime.sched", required=False)
        lay = proc.layout
        if addr is not None and lay.has_struct("runtime.schedt"):
            sched = lay.struct("runtime.schedt")
            if sched.has("lastpoll"):
                try:
                    now = proc.memory.u64(addr + sched.off("lastpoll"))
                except UnreadableMemory:
                    now = 0
        # a time beyond 100 years of uptime is not a time (damaged memory)
        return cls(now if 0 < now < 100 * 365 * 24 * 60 * NANOS_PER_MINUTE else 0)

    def observe(self, wait_since: int) -> None:
        if self.now < wait_since < 1 << 62:
            self.now = wait_since

    def minutes(self, wait_since: int) -> int | None:
        """Whole minutes waited since ``wait_since`` (a lower bound); None
        when the runtime did not record when the wait began."""
        if wait_since <= 0 or wait_since >= 1 << 62 or not self.now:
            return None
        return max(0, (self.now - wait_since) // NANOS_PER_MINUTE)
