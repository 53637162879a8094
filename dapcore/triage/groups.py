"""Goroutine groups (issue #17): goroutines with the same stack — the same
functions and lines, innermost first, and the same status or wait reason;
arguments ignored — counted together, with their creation sites and how
long they have waited.

A group's frames are the ones the runtime's own traceback would print for
its goroutines (:func:`dapcore.goruntime.traceback.printed_frames`), so a
group is what a person reading ``GOTRACEBACK=all`` output would see as
"the same stack". Filters select goroutines before they are grouped.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from dapcore.goruntime.clock import WaitClock
from dapcore.goruntime.goroutines import Goroutine
from dapcore.goruntime.status import G_LEAKED, G_RUNNING, G_SYSCALL, G_WAITING, status_name
from dapcore.goruntime.unwind import LogicalFrame

__all__ = ["FILTER_KEYS", "GoroutineFilter", "GoroutineGroup", "GroupFrame", "GroupSite",
           "StackSource", "group_goroutines", "parse_filters"]

@dataclass(frozen=True, slots=True)
class GroupFrame:
    """One frame of a group's shared stack."""

    function: str
    file: str
    line: int
    inlined: bool


@dataclass(slots=True)
class GroupSite:
    """A ``go`` statement that created goroutines of a group."""

    function: str  # the function holding the go statement ("" for none)
    file: str
    line: int
    count: int = 0


@dataclass(slots=True)
class GoroutineGroup:
    """Goroutines with the same stack and status."""

    id: str  # stable across runs of the same core: a hash of the key
    status: str  # the wait reason for waiting goroutines, else the status name
    frames: tuple[GroupFrame, ...]
    goids: list[int] = field(default_factory=list)
    sites: list[GroupSite] = field(default_factory=list)  # most goroutines first
    wait_minutes: tuple[int, int] | None = None  # (least, most) waited, lower bounds
    crashed: bool = False  # holds the crashing goroutine
    waiting: bool = False  # parked (a wait reason), not running, runnable or in a syscall
    system: bool = False  # the runtime's own goroutines
    labels: dict[str, list[str]] = field(default_factory=dict)  # label → values seen

    @property
    def count(self) -> int:
        return len(self.goids)

    @property
    def top_function(self) -> str:
        return self.frames[0].function if self.frames else "?"

    @property
    def headline(self) -> str:
        """The innermost function outside the runtime and the machinery of
        waiting (what the goroutines are doing: ``main.worker``, not
        ``runtime.gopark`` or ``sync.(*Mutex).Lock``: the status says that),
        else the top one."""
        for f in self.frames:
            if not f.function.startswith(_MACHINERY):
                return f.function
        return self.top_function


# the runtime, the standard library's internals, and how a goroutine waits
_MACHINERY = ("runtime.", "runtime/internal/", "internal/", "sync.", "sync/atomic.",
              "time.Sleep")


FILTER_KEYS = ("status", "reason", "function", "package", "label", "system")


@dataclass(slots=True)
class GoroutineFilter:
    """What the goroutines of the groups must have (all given conditions
    hold). Text conditions match case-sensitively, ``*``/``?`` as in shell
    patterns, else as a substring."""

    status: str | None = None  # status name or wait reason: "waiting", "chan receive", …
    reason: str | None = None  # a wait reason (substring or pattern)
    function: str | None = None  # a function on the stack (as Go names it)
    package: str | None = None  # a package with a function on the stack
    labels: dict[str, str | None] = field(default_factory=dict)  # key → value (None: any)
    system: bool | None = None  # True: only the runtime's, False: none of them

    def is_empty(self) -> bool:
        return (self.status is None and self.reason is None and self.function is None
                and self.package is None and not self.labels and self.system is None)


def parse_filters(items: Iterable[str]) -> GoroutineFilter:
    """``["status=waiting", "function=main.worker", "label=job=export"]`` →
    a filter; :class:`ValueError` names what is wrong."""
    out = GoroutineFilter()
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in FILTER_KEYS:
            raise ValueError(f"bad goroutine filter {item!r}: expected KEY=VALUE with KEY one "
                             f"of {', '.join(FILTER_KEYS)}")
        if key == "label":
            lk, lsep, lv = value.partition("=")
            if not lk:
                raise ValueError(f"bad goroutine filter {item!r}: expected label=KEY or "
                                 "label=KEY=VALUE")
            out.labels[lk] = lv if lsep else None
        elif key == "system":
            if value.lower() not in ("true", "false", "yes", "no", "1", "0"):
                raise ValueError(f"bad goroutine filter {item!r}: system=true or system=false")
            out.system = value.lower() in ("true", "yes", "1")
        else:
            if not value:
                raise ValueError(f"bad goroutine filter {item!r}: empty {key}")
            setattr(out, key, value)
    return out


def _matches(pattern: str, text: str) -> bool:
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(text, pattern)
    return pattern in text


# What the grouping asks of the engine: a goroutine's printed frames as
# (function, file, line, inlined, func_kind), innermost first; the
# package of a function, where a goroutine was created.
StackSource = Callable[[Goroutine], tuple[LogicalFrame, ...]]
PackageOf = Callable[[str], str]
SiteOf = Callable[[Goroutine], "tuple[str, str, int] | None"]


def _status_text(g: Goroutine) -> str:
    return g.status_text


def _accepts(flt: GoroutineFilter, g: Goroutine, frames: tuple[LogicalFrame, ...] | None,
             package_of: PackageOf) -> bool:
    """Whether ``g`` passes ``flt`` (``frames``: None to check only what the
    record says; the stack conditions are then checked later)."""
    if flt.system is not None and g.system != flt.system:
        return False
    if flt.status is not None:
        st = flt.status
        if not (_matches(st, g.status_text) or st == status_name(g.status)):
            return False
    if flt.reason is not None and not _matches(flt.reason, g.wait_reason or ""):
        return False
    for k, v in flt.labels.items():
        have = g.labels.get(k)
        if have is None or (v is not None and not _matches(v, have)):
            return False
    if frames is None:
        return True
    if flt.function is not None and not any(_matches(flt.function, f[0]) for f in frames):
        return False
    return flt.package is None or any(_matches(flt.package, package_of(f[0])) for f in frames)


def _group_id(status: str, frames: tuple[LogicalFrame, ...]) -> str:
    text = "\x1f".join([status, *(f"{f[0]}\x1e{f[1]}\x1e{f[2]}\x1e{f[3]}" for f in frames)])
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def group_goroutines(goroutines: Iterator[Goroutine], stack: StackSource,
                     package_of: PackageOf, site_of: SiteOf, clock: WaitClock,
                     flt: GoroutineFilter | None = None,
                     every: Callable[[int], None] | None = None) -> list[GoroutineGroup]:
    """The groups of ``goroutines`` that pass ``flt``: most goroutines first,
    then the crashing goroutine's group, then by the lowest goroutine id.
    ``every(n)`` is called every 1,024 goroutines (cancellation, releasing
    memory on big cores)."""
    flt = flt or GoroutineFilter()
    groups: dict[tuple[object, ...], GoroutineGroup] = {}
    sites: dict[tuple[object, ...], dict[tuple[str, str, int], int]] = {}
    waits: dict[tuple[object, ...], list[int]] = {}
    for n, g in enumerate(goroutines, 1):
        if every is not None and not n & 1023:
            every(n)
        if not _accepts(flt, g, None, package_of):
            continue
        frames = stack(g)
        if (flt.function is not None or flt.package is not None) and not _accepts(
                flt, g, frames, package_of):
            continue
        status = _status_text(g)
        key = (status, frames)
        grp = groups.get(key)
        if grp is None:
            grp = groups[key] = GoroutineGroup(
                id=_group_id(status, frames), status=status,
                frames=tuple(GroupFrame(f[0], f[1], f[2], f[3]) for f in frames),
                waiting=g.status in (G_WAITING, G_LEAKED), system=g.system)
            sites[key] = {}
            waits[key] = []
        grp.goids.append(g.goid)
        grp.crashed = grp.crashed or g.crashed
        grp.system = grp.system and g.system
        for k, v in g.labels.items():
            seen = grp.labels.setdefault(k, [])
            if v not in seen and len(seen) < 16:
                seen.append(v)
        site = site_of(g)
        if site is not None:
            per = sites[key]
            per[site] = per.get(site, 0) + 1
        if g.status not in (G_RUNNING, G_SYSCALL) and g.wait_since > 0:
            clock.observe(g.wait_since)
            waits[key].append(g.wait_since)
    for key, grp in groups.items():
        grp.goids.sort()
        grp.sites = [GroupSite(f, file, line, c) for (f, file, line), c in
                     sorted(sites[key].items(), key=lambda kv: (-kv[1], kv[0]))]
        w = waits[key]
        least, most = (clock.minutes(max(w)), clock.minutes(min(w))) if w else (None, None)
        grp.wait_minutes = (least, most) if least is not None and most is not None else None
    return sorted(groups.values(), key=lambda x: (-x.count, not x.crashed, x.goids[0]))
