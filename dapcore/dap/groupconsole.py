"""The debug console's goroutine-group commands (issue #17): ``groups
[FILTER…]``, ``group ID`` and ``leaks``, over the session's cached groups
(:mod:`dapcore.dap.groups`). Run in the engine's worker thread."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from dapcore.dap.args import RequestError
from dapcore.dap.errorids import ErrorId
from dapcore.dap.groups import session_groups
from dapcore.triage.groups import FILTER_KEYS, GoroutineFilter, GoroutineGroup, parse_filters
from dapcore.triage.text import frame_lines, group_header, leaks_text

if TYPE_CHECKING:
    from dapcore.dap.state import State
    from dapcore.engine import Engine

__all__ = ["group_command", "groups_command", "leaks_command"]

TOP_GROUPS = 20  # groups the console lists
TOP_FRAMES = 8  # frames shown per group in the list
IDS_SHOWN = 2000  # goroutine ids 'group ID' lists


def _filter_words(words: list[str], usage: str) -> list[str]:
    """The command's words, quotes honoured (``reason="chan receive"``)."""
    try:
        return shlex.split(" ".join(words))
    except ValueError as exc:
        raise RequestError(f"{exc} (usage: {usage})", error_id=ErrorId.EVALUATION_FAILED
                           ) from None


def _frames(grp: GoroutineGroup, limit: int | None) -> list[str]:
    return frame_lines(grp, limit, f" ('group {grp.id}')")


def groups_command(session: State, rep: Engine, words: list[str]) -> str:
    """``groups [KEY=VALUE …]``: the biggest groups, their stacks cut short."""
    usage = "groups [" + " ".join(f"{k}=…" for k in FILTER_KEYS) + "]"
    try:
        flt = parse_filters(_filter_words(words, usage))
    except ValueError as exc:
        raise RequestError(str(exc), error_id=ErrorId.EVALUATION_FAILED) from None
    grouped = session_groups(session, rep, flt)
    groups = grouped.groups
    n = len(groups)
    out = [f"{grouped.total:,} goroutines in {n:,} group{'s' if n != 1 else ''}"
           + (f" (the {TOP_GROUPS} biggest first)" if n > TOP_GROUPS else "")]
    for grp in groups[:TOP_GROUPS]:
        out.append("")
        out.append(f"[{grp.id}] {group_header(grp)}")
        out.append(f"  goroutines {_ids(grp.goids, 8)}")
        out.extend(_frames(grp, TOP_FRAMES))
        for k, vs in sorted(grp.labels.items()):
            out.append(f"  label {k}: {', '.join(vs)}")
        for s in grp.sites[:3]:
            out.append(f"  created by {s.function} at {s.file}:{s.line}"
                       + (f" ({s.count:,})" if len(grp.sites) > 1 else ""))
        if len(grp.sites) > 3:
            out.append(f"  … {len(grp.sites) - 3} more creation sites")
    out.append("")
    if n > TOP_GROUPS:
        out.append(f"… {n - TOP_GROUPS:,} more groups: narrow them with a filter "
                   "(groups status=waiting function=main.* label=job=export).")
    out.append("'group ID' lists a group's goroutines (an id prefix will do); "
               "'goroutine N' switches to one; 'leaks' sums up the blocked ones.")
    return "\n".join(out)


def _ids(goids: list[int], limit: int) -> str:
    shown = ", ".join(str(i) for i in goids[:limit])
    return shown + (f", … ({len(goids) - limit:,} more)" if len(goids) > limit else "")


def group_command(session: State, rep: Engine, words: list[str]) -> str:
    """``group ID``: one group whole: its stack and every goroutine's id."""
    if len(words) != 1:
        raise RequestError("usage: group ID (the id in brackets that 'groups' shows)",
                           error_id=ErrorId.EVALUATION_FAILED)
    grp = session_groups(session, rep, GoroutineFilter()).find(words[0])
    out = [f"[{grp.id}] {group_header(grp)}", *_frames(grp, None)]
    for s in grp.sites:
        out.append(f"  created by {s.function} at {s.file}:{s.line} ({s.count:,})")
    out.append(f"goroutines ({grp.count:,}; 'goroutine N' switches to one):")
    ids = [str(i) for i in grp.goids[:IDS_SHOWN]]
    out.extend("  " + " ".join(ids[i:i + 12]) for i in range(0, len(ids), 12))
    if grp.count > IDS_SHOWN:
        out.append(f"  … {grp.count - IDS_SHOWN:,} more (the dapcore/goroutineGroups request "
                   "pages through every one)")
    return "\n".join(out)


def leaks_command(session: State, rep: Engine, words: list[str]) -> str:
    """``leaks``: blocked goroutines per creation site and wait reason."""
    if words:
        raise RequestError("usage: leaks", error_id=ErrorId.EVALUATION_FAILED)
    return leaks_text(session_groups(session, rep, GoroutineFilter()).leaks)
