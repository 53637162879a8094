"""Goroutine groups and the leak summary as text and as JSON data: what the
CLI prints, the DAP debug console shows and the report quotes."""

from __future__ import annotations

from typing import Any

from dapcore.gobin.pclntab import print_name
from dapcore.triage.groups import GoroutineGroup
from dapcore.triage.leaks import LeakSuspect

__all__ = ["frame_lines", "group_header", "group_json", "groups_json", "groups_text", "leak_json",
           "leaks_text", "wait_text"]


def wait_text(minutes: tuple[int, int] | None) -> str:
    """``", ≥ 12 minutes"`` / ``", ≥ 3–12 minutes"``; empty under a minute
    or when unknown (as the runtime says nothing under a minute)."""
    if minutes is None or minutes[1] <= 0:
        return ""
    lo, hi = minutes
    span = f"{lo}" if lo == hi else f"{lo}–{hi}"
    return f", ≥ {span} minute{'s' if hi != 1 else ''}"


def _ids(goids: list[int], limit: int = 8) -> str:
    shown = ", ".join(str(i) for i in goids[:limit])
    return shown + (f", … ({len(goids) - limit:,} more)" if len(goids) > limit else "")


def group_header(grp: GoroutineGroup) -> str:
    """``3,125 goroutines [chan receive, ≥ 2 minutes]: main.worker``."""
    n = grp.count
    marks = " (crashed)" if grp.crashed else ""
    marks += " (system)" if grp.system else ""
    return (f"{n:,} goroutine{'s' if n != 1 else ''} [{grp.status}{wait_text(grp.wait_minutes)}]"
            f"{marks}: {print_name(grp.headline)}")


def frame_lines(grp: GoroutineGroup, limit: int | None = None, more: str = "") -> list[str]:
    """A group's stack as the runtime prints frames (two lines each), at
    most ``limit`` frames, then how many more (``more``: what to say after)."""
    out = []
    shown = grp.frames if limit is None else grp.frames[:limit]
    for f in shown:
        out.append(f"    {print_name(f.function)}{' (inlined)' if f.inlined else ''}")
        out.append(f"        {f.file}:{f.line}")
    if len(shown) < len(grp.frames):
        out.append(f"    … {len(grp.frames) - len(shown)} more frames{more}")
    return out


def groups_text(groups: list[GoroutineGroup], total: int | None = None,
                frames: int | None = None) -> str:
    """Every group: its header, goroutine ids, stack (``frames``: at most so
    many frames each), labels and creation sites."""
    out: list[str] = []
    counted = sum(g.count for g in groups)
    out.append(f"{counted:,} goroutines in {len(groups):,} group{'s' if len(groups) != 1 else ''}"
               + (f" (of {total:,})" if total is not None and total != counted else ""))
    for grp in groups:
        out.append("")
        out.append(group_header(grp))
        out.append(f"  goroutines {_ids(grp.goids)}")
        out.extend(frame_lines(grp, frames))
        for k, vs in sorted(grp.labels.items()):
            out.append(f"  label {k}: {', '.join(vs)}")
        for s in grp.sites:
            out.append(f"  created by {s.function} at {s.file}:{s.line}"
                       + (f" ({s.count:,})" if len(grp.sites) > 1 else ""))
    return "\n".join(out)


def leaks_text(leaks: list[LeakSuspect], longest: int = 5) -> str:
    """The biggest piles first; then, when the core tells how long
    goroutines have waited (a minute or more), the ``longest`` waits."""
    if not leaks:
        return "no pile of blocked goroutines (2 or more from one creation site)"
    lines = [s.sentence() for s in leaks]
    waited = sorted((s for s in leaks if s.wait_minutes is not None and s.wait_minutes[0] > 0),
                    key=lambda s: (-s.wait_minutes[0] if s.wait_minutes else 0, -s.count))
    if waited:
        lines += ["", "Longest waits:", *(s.sentence() for s in waited[:longest])]
    return "\n".join(lines)


def group_json(grp: GoroutineGroup, ids: bool = True) -> dict[str, Any]:
    """A group as data (``ids``: with every goroutine id)."""
    out: dict[str, Any] = {
        "id": grp.id, "count": grp.count, "status": grp.status, "waiting": grp.waiting,
        "crashed": grp.crashed, "system": grp.system,
        "waitMinutes": ({"least": grp.wait_minutes[0], "most": grp.wait_minutes[1]}
                        if grp.wait_minutes is not None else None),
        "frames": [{"function": f.function, "file": f.file, "line": f.line,
                    "inlined": f.inlined} for f in grp.frames],
        "createdBy": [{"function": s.function, "file": s.file, "line": s.line,
                       "count": s.count} for s in grp.sites],
        "labels": grp.labels,
    }
    if ids:
        out["goroutines"] = grp.goids
    return out


def groups_json(groups: list[GoroutineGroup]) -> dict[str, Any]:
    return {"groups": [group_json(g) for g in groups],
            "goroutines": sum(g.count for g in groups)}


def leak_json(s: LeakSuspect) -> dict[str, Any]:
    return {"count": s.count, "status": s.status,
            "createdAt": ({"function": s.function, "file": s.file, "line": s.line}
                          if s.function else None),
            "waitMinutes": ({"least": s.wait_minutes[0], "most": s.wait_minutes[1]}
                            if s.wait_minutes is not None else None),
            "blockedIn": s.blocked_in, "groups": s.group_ids, "summary": s.sentence()}
