"""The leak summary (issue #17): blocked goroutines counted per creation
site and wait reason, the biggest piles and the longest waits first —
"9,998 goroutines created at main.go:47 (main.main) blocked in chan send
for ≥ 12 minutes"."""

from __future__ import annotations

from dataclasses import dataclass, field

from dapcore.triage.groups import GoroutineGroup

__all__ = ["LeakSuspect", "leak_summary"]


@dataclass(slots=True)
class LeakSuspect:
    """Blocked goroutines sharing a creation site and a wait reason."""

    function: str  # the function holding the go statement ("" when unknown)
    file: str
    line: int
    status: str  # what they wait for ("chan send", "sync.Mutex.Lock", …)
    count: int = 0
    wait_minutes: tuple[int, int] | None = None  # (least, most), lower bounds
    group_ids: list[str] = field(default_factory=list)
    blocked_in: list[str] = field(default_factory=list)  # innermost non-runtime functions

    def sentence(self) -> str:
        """The summary's line for it (``print_name``: the caller's naming)."""
        where = (f"created at {_base(self.file)}:{self.line} ({self.function})"
                 if self.function else "of unknown origin")
        text = f"{self.count:,} goroutine{'s' if self.count != 1 else ''} {where} " \
               f"blocked in {self.status}"
        if self.blocked_in:
            text += f" in {', '.join(self.blocked_in[:3])}"
        least = self.wait_minutes[0] if self.wait_minutes is not None else 0
        if least > 0:
            text += f" for ≥ {least} minute{'s' if least != 1 else ''}"
        return text


def _base(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _blocked_in(grp: GoroutineGroup) -> str:
    for f in grp.frames:
        if not f.function.startswith(("runtime.", "internal/", "sync.", "time.Sleep")):
            return f.function
    return grp.top_function


def leak_summary(groups: list[GoroutineGroup], min_count: int = 2, limit: int | None = 20
                 ) -> list[LeakSuspect]:
    """Blocked goroutines by (creation site, wait reason) over ``groups``:
    only waiting goroutines (not running, runnable or in a system call),
    not the runtime's own goroutines, and
    at least ``min_count`` goroutines; most goroutines first, then the
    longest wait. A group created at several sites counts at each."""
    found: dict[tuple[str, str, int, str], LeakSuspect] = {}
    for grp in groups:
        if grp.system or not grp.waiting:
            continue
        sites = grp.sites or []
        pairs = [((s.function, s.file, s.line), s.count) for s in sites]
        unknown = grp.count - sum(c for _, c in pairs)
        if unknown > 0:
            pairs.append((("", "", 0), unknown))
        for (fn, file, line), count in pairs:
            key = (fn, file, line, grp.status)
            sus = found.get(key)
            if sus is None:
                sus = found[key] = LeakSuspect(fn, file, line, grp.status)
            sus.count += count
            sus.group_ids.append(grp.id)
            where = _blocked_in(grp)
            if where not in sus.blocked_in:
                sus.blocked_in.append(where)
            if grp.wait_minutes is not None:
                lo, hi = grp.wait_minutes
                if sus.wait_minutes is None:
                    sus.wait_minutes = (lo, hi)
                else:
                    sus.wait_minutes = (min(lo, sus.wait_minutes[0]),
                                        max(hi, sus.wait_minutes[1]))
    out = [s for s in found.values() if s.count >= min_count]
    out.sort(key=lambda s: (-s.count, -(s.wait_minutes[0] if s.wait_minutes else -1),
                            s.file, s.line))
    return out[:limit] if limit is not None else out
