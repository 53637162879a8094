"""What the blocking analysis finds, as plain records the front ends render
(:func:`dapcore.render.blocking_text`, ``blocking_json``)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BlockingReport", "ChannelBlock", "Cycle", "CycleEdge", "Holder", "Site",
           "SyncBlock"]


@dataclass(frozen=True, slots=True)
class Site:
    """Where ``count`` of a group's goroutines were created (the go
    statement's function, file and line; function None: the runtime made
    them, or goroutine 1)."""

    function: str | None
    file: str
    line: int
    count: int


@dataclass(slots=True)
class ChannelBlock:
    """The goroutines blocked on one channel."""

    address: int
    elem_type: str | None  # None: the type could not be read
    capacity: int  # 0: unbuffered
    length: int  # elements in the buffer
    closed: bool
    senders: list[int] = field(default_factory=list)  # goroutine ids, queue order
    receivers: list[int] = field(default_factory=list)
    selecting: list[int] = field(default_factory=list)  # those of the above in a select
    sites: list[Site] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def waiters(self) -> int:
        return len(set(self.senders) | set(self.receivers))

    @property
    def both_sides(self) -> bool:
        """Goroutines wait on both sides (a select may be on both)."""
        return bool(set(self.senders) and set(self.receivers))


@dataclass(frozen=True, slots=True)
class Holder:
    """A goroutine known to hold a sync object, and why it is known."""

    goroutine: int
    how: str  # e.g. "deferred sync.(*Mutex).Unlock in main.holdIt"
    mode: str = "Lock"  # "Lock" (writer/exclusive) or "RLock" (a reader)


@dataclass(slots=True)
class SyncBlock:
    """The goroutines waiting on one sync object (or a runtime semaphore)."""

    kind: str  # sync.Mutex, sync.RWMutex, sync.WaitGroup, sync.Cond, semaphore
    address: int
    # operation (Lock, RLock, Wait, Acquire) -> goroutine ids
    waiters: dict[str, list[int]] = field(default_factory=dict)
    state: dict[str, int] = field(default_factory=dict)
    state_text: str = ""
    holders: list[Holder] = field(default_factory=list)
    function: str | None = None  # the function that waits (semaphores of unknown use)
    sites: list[Site] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.waiters.values())


@dataclass(frozen=True, slots=True)
class CycleEdge:
    """``waiter`` waits on ``kind`` at ``address``; ``other`` is known to
    hold it (certain) or may be the one to unblock it (a channel)."""

    waiter: int
    kind: str
    address: int
    other: int
    certain: bool
    why: str


@dataclass(frozen=True, slots=True)
class Cycle:
    edges: tuple[CycleEdge, ...]

    @property
    def goroutines(self) -> list[int]:
        return [e.waiter for e in self.edges]

    @property
    def certain(self) -> bool:
        return all(e.certain for e in self.edges)


@dataclass(slots=True)
class BlockingReport:
    channels: list[ChannelBlock] = field(default_factory=list)
    objects: list[SyncBlock] = field(default_factory=list)
    cycles: list[Cycle] = field(default_factory=list)
    # blocked for ever on a nil channel or an empty select: reason -> ids
    forever: dict[str, list[int]] = field(default_factory=dict)
    # what a core cannot tell, and what this one did not let us read
    limits: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
