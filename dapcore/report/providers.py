"""The sections other parts of dapcore provide: goroutine groups, the leak
summary and what blocks what (issue #17's capabilities 1–3), read through
the engine's triage facade (``Engine.goroutine_groups``,
``Engine.leak_summary``, ``Engine.blocking``: :mod:`dapcore.engine_triage`).

Each provider returns a :class:`Section` in the generic shape the
renderers show (``docs/report-schema.md``):

* ``summary``: one paragraph of text;
* ``rows``: a list of flat objects (strings and numbers) shown as a table,
  columns in the order of the first row's keys;
* ``text``: lines shown as preformatted text;

plus ``detail``: the analysis's own JSON (``dapcore goroutines --group
--json``, ``dapcore blocking --json``), for tools. A provider gets the
engine and whether the report is redacted (pprof label values, which the
program wrote, are then replaced), and does not raise for a damaged core:
the section's ``reason`` says why instead.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dapcore.errors import DapcoreError
from dapcore.report.model import Section
from dapcore.report.prefetch import blocking_later
from dapcore.report.redact import redacted_string
from dapcore.triage.blockingtext import blocking_json, blocking_text
from dapcore.triage.text import group_header, group_json, leak_json, wait_text

if TYPE_CHECKING:
    from dapcore.engine import Engine
    from dapcore.triage.groups import GoroutineGroup
    from dapcore.triage.records import BlockingReport

__all__ = ["PROVIDERS", "Provider", "prefetch"]

Provider = Callable[["Engine", bool], Section]

MAX_GROUPS = 50  # groups listed (most goroutines first); the count says how many more
STACKS_SHOWN = 10  # groups whose stacks are shown
FRAMES_PER_GROUP = 8

# The groups of the engine last asked (the groups and the leak summary both
# need them: every goroutine's stack is unwound once per report). Held by a
# weak reference to that engine: an id() could be a later engine's (a triage
# worker writes one report after another).
_last: tuple[weakref.ref[Engine], list[GoroutineGroup]] | None = None


def _groups(engine: Engine) -> list[GoroutineGroup]:
    global _last
    if _last is None or _last[0]() is not engine:
        _last = (weakref.ref(engine), engine.goroutine_groups())
    return _last[1]


def _labels(labels: dict[str, list[str]], redact: bool) -> dict[str, list[str]]:
    if not redact:
        return labels
    return {k: [redacted_string(v) for v in vs] for k, vs in labels.items()}


def groups_section(engine: Engine, redact: bool) -> Section:
    groups = _groups(engine)
    total = sum(g.count for g in groups)
    rows = [{"goroutines": g.count, "status": g.status + wait_text(g.wait_minutes),
             "function": engine.print_name(g.headline),
             "created by": (f"{g.sites[0].function} at {g.sites[0].file}:{g.sites[0].line}"
                            if g.sites else "—")} for g in groups[:MAX_GROUPS]]
    text: list[str] = []
    for g in groups[:STACKS_SHOWN]:
        text.append(group_header(g))
        for f in g.frames[:FRAMES_PER_GROUP]:
            text.append(f"    {engine.print_name(f.function)}  {f.file}:{f.line}")
        if len(g.frames) > FRAMES_PER_GROUP:
            text.append(f"    … {len(g.frames) - FRAMES_PER_GROUP} more frames")
    more = len(groups) - MAX_GROUPS
    summary = (f"{total:,} goroutines in {len(groups):,} groups (the same stack and status)"
               + (f"; the {MAX_GROUPS} biggest are listed" if more > 0 else "") + ".")
    detail = []
    for g in groups:
        one = group_json(g, ids=False)
        one["labels"] = _labels(g.labels, redact)
        detail.append(one)
    return Section("groups", "Goroutine groups",
                   {"summary": summary, "rows": rows, "text": text, "detail": detail})


def leaks_section(engine: Engine, redact: bool) -> Section:
    leaks = engine.leak_summary(_groups(engine))
    if not leaks:
        return Section("leaks", "Leak summary", {
            "summary": "No pile of blocked goroutines (2 or more from one creation site).",
            "rows": [], "text": [], "detail": []})
    rows = [{"goroutines": s.count, "blocked in": s.status,
             "created at": f"{s.function} at {s.file}:{s.line}" if s.function else "—",
             "waiting": wait_text(s.wait_minutes).lstrip(", ") or "—"} for s in leaks]
    return Section("leaks", "Leak summary", {
        "summary": leaks[0].sentence() + ".", "rows": rows,
        "detail": [leak_json(s) for s in leaks]})


# The blocking analysis started early (in a forked worker, while the groups
# are made here): :func:`prefetch`.
_pending: tuple[weakref.ref[Engine], Callable[[], BlockingReport]] | None = None


def prefetch(engine: Engine) -> None:
    """Start the sections that can run beside the others (the blocking
    analysis, in a worker on another CPU)."""
    global _pending
    _pending = (weakref.ref(engine), blocking_later(engine))


def blocking_section(engine: Engine, redact: bool) -> Section:
    global _pending
    started, _pending = _pending, None
    report = started[1]() if started is not None and started[0]() is engine \
        else engine.blocking()
    summary = (f"{len(report.channels)} channel(s) and {len(report.objects)} sync object(s) "
               f"with waiters; {len(report.cycles)} deadlock cycle(s) shown by the data.")
    detail: dict[str, Any] = blocking_json(report)
    return Section("blocking", "What blocks what", {
        "summary": summary, "text": blocking_text(report).splitlines(), "detail": detail})


def _guarded(key: str, title: str, make: Provider) -> Provider:
    def provide(engine: Engine, redact: bool) -> Section:
        try:
            return make(engine, redact)
        except DapcoreError as exc:
            return Section(key, title, reason=str(exc))
    return provide


# The order they appear in the report (after the engine's own sections).
PROVIDERS: dict[str, Provider] = {
    "groups": _guarded("groups", "Goroutine groups", groups_section),
    "leaks": _guarded("leaks", "Leak summary", leaks_section),
    "blocking": _guarded("blocking", "What blocks what", blocking_section),
}
