"""Goroutine groups over DAP (issue #17): the custom requests
``dapcore/goroutineGroups`` (groups of goroutines with the same stack, paged,
with the leak summary) and ``dapcore/focusGoroutine`` (show one goroutine in
the client: a ``stopped`` event on its thread), and the session's cache of
groups (:class:`GroupCache`) that the debug console's ``groups``, ``group``
and ``leaks`` commands share.

A core does not change: the groups of each filter are computed once per
session, in the engine's worker thread (cancellable, about as long as
``dapcore goroutines`` on the core), and kept.

Custom requests need no capability (clients send them by name); nothing
non-standard is advertised in ``initialize``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dapcore.cancellation import check as check_cancelled
from dapcore.dap.args import RequestError, bad_argument, non_negative, optional, required
from dapcore.dap.errorids import ErrorId
from dapcore.dap.state import Reply, State
from dapcore.dap.threads import include_goroutine
from dapcore.triage.groups import GoroutineFilter, GoroutineGroup
from dapcore.triage.leaks import LeakSuspect
from dapcore.triage.text import group_json, leak_json

if TYPE_CHECKING:
    from dapcore.engine import Engine

__all__ = ["GroupCache", "Grouped", "filter_of", "groups_body", "on_focus_goroutine",
           "on_goroutine_groups", "session_groups"]

# the keys of the request's ``filter`` object (and their JSON types)
_TEXT_KEYS = ("status", "reason", "function", "package")
FILTER_OBJECT_KEYS = (*_TEXT_KEYS, "label", "system")
DEFAULT_PER_GROUP = 10
_CACHED_FILTERS = 16  # filtered groupings kept besides the unfiltered one


@dataclass(slots=True)
class Grouped:
    """The groups of one filter, and their leak summary."""

    groups: list[GoroutineGroup]
    leaks: list[LeakSuspect]
    total: int = field(init=False)

    def __post_init__(self) -> None:
        self.total = sum(g.count for g in self.groups)

    def find(self, gid: str) -> GoroutineGroup:
        """The group of id ``gid`` (or of a unique prefix of it)."""
        hits = [g for g in self.groups if g.id.startswith(gid.lower())] if gid else []
        exact = [g for g in hits if g.id == gid.lower()]
        if exact or len(hits) == 1:
            return (exact or hits)[0]
        if not hits:
            raise RequestError(f"no goroutine group {gid!r} (the ids are the 16 hex digits "
                               "the groups list shows)", error_id=ErrorId.NOT_FOUND)
        raise RequestError(f"{len(hits)} groups have ids starting with {gid!r}: give more digits",
                           error_id=ErrorId.NOT_FOUND)


def _filter_key(flt: GoroutineFilter) -> tuple[object, ...]:
    return (flt.status, flt.reason, flt.function, flt.package,
            tuple(sorted(flt.labels.items(), key=lambda kv: kv[0])), flt.system)


class GroupCache:
    """A session's goroutine groups, per filter (engine thread only)."""

    def __init__(self) -> None:
        self._by_filter: dict[tuple[object, ...], Grouped] = {}

    def get(self, rep: Engine, flt: GoroutineFilter) -> Grouped:
        """The groups of ``flt`` (:meth:`Engine.goroutine_groups`), computed
        on first use; a cancelled computation leaves nothing behind."""
        key = _filter_key(flt)
        found = self._by_filter.get(key)
        if found is None:
            groups = rep.goroutine_groups(None if flt.is_empty() else flt)
            found = Grouped(groups, rep.leak_summary(groups))
            filtered = [k for k in self._by_filter if k != _filter_key(GoroutineFilter())]
            if len(filtered) >= _CACHED_FILTERS:
                del self._by_filter[filtered[0]]
            self._by_filter[key] = found
        return found


def session_groups(s: State, rep: Engine, flt: GoroutineFilter) -> Grouped:
    """The session's groups of ``flt`` (engine thread only); with the launch
    attribute ``hideSystemGoroutines``, the runtime's goroutines are left
    out unless the filter names ``system``."""
    if flt.system is None and s.config is not None and s.config.hide_system:
        flt.system = False
    if s.group_cache is None:
        s.group_cache = GroupCache()
    return s.group_cache.get(rep, flt)


def filter_of(raw: object) -> GoroutineFilter:
    """The request's ``filter`` object as a :class:`GoroutineFilter`;
    a clear :func:`bad_argument` error for anything else."""
    flt = GoroutineFilter()
    if raw is None:
        return flt
    if not isinstance(raw, dict):
        raise bad_argument("argument 'filter' must be an object such as "
                           '{"status": "waiting", "function": "main.*"}')
    for key, value in raw.items():
        if key not in FILTER_OBJECT_KEYS:
            raise bad_argument(f"unknown goroutine filter {key!r}: the filter's keys are "
                               f"{', '.join(FILTER_OBJECT_KEYS)}")
        if value is None:
            continue
        if key in _TEXT_KEYS:
            if not isinstance(value, str) or not value:
                raise bad_argument(f"filter '{key}' must be a non-empty string")
            setattr(flt, key, value)
        elif key == "system":
            if not isinstance(value, bool):
                raise bad_argument("filter 'system' must be true or false")
            flt.system = value
        else:
            flt.labels = _labels_of(value)
    return flt


def _labels_of(value: object) -> dict[str, str | None]:
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and k and (v is None or isinstance(v, str))
            for k, v in value.items()):
        raise bad_argument("filter 'label' must be an object of label keys to a value "
                           '(a string) or null for any value: {"job": "export", "trace": null}')
    return dict(value)


def _goroutine_entries(s: State, rep: Engine, goids: list[int]) -> list[dict[str, Any]]:
    """Per goroutine: its id, the session's threadId for it, and the frame
    to focus (its top user frame, where an editor lands: ``frameIndex`` as
    ``dapcore bt`` and the console's ``frame N`` number frames, ``frameId``
    as the ``stackTrace`` response names it)."""
    out = []
    for goid in goids:
        check_cancelled()
        index = rep.landing_frame(goid)
        out.append({"id": goid, "threadId": s.threads.id_of(goid), "frameIndex": index,
                    "frameId": s.frames.id_of((goid, index))})
    return out


def groups_body(s: State, rep: Engine, grouped: Grouped, start: int, count: int,
                per_group: int, goroutines_start: int = 0) -> dict[str, Any]:
    """The ``dapcore/goroutineGroups`` response body for ``grouped``:
    groups ``start`` … (``count`` of them, 0: all), each with the goroutines
    ``goroutines_start`` … (``per_group`` of them)."""
    page = grouped.groups[start:start + count] if count else grouped.groups[start:]
    groups = []
    for grp in page:
        item = group_json(grp, ids=False)
        item["headline"] = grp.headline  # the innermost function outside the runtime
        goids = grp.goids[goroutines_start:goroutines_start + per_group]
        item["goroutinesStart"] = goroutines_start
        item["goroutines"] = _goroutine_entries(s, rep, goids)
        groups.append(item)
    return {"groups": groups, "totalGroups": len(grouped.groups),
            "totalGoroutines": grouped.total,
            "leaks": [leak_json(x) for x in grouped.leaks]}


async def on_goroutine_groups(s: State, args: dict[str, Any]) -> Reply:
    """``dapcore/goroutineGroups``: ``{filter?, start?, count?,
    goroutinesPerGroup?, group?, goroutinesStart?}`` → ``{groups,
    totalGroups, totalGoroutines, leaks}`` (the README documents it)."""
    start = non_negative(args, "start", 0) or 0
    count = non_negative(args, "count", 0) or 0
    per_group = non_negative(args, "goroutinesPerGroup", DEFAULT_PER_GROUP)
    per_group = DEFAULT_PER_GROUP if per_group is None else per_group
    gid = optional(args, "group", str, None)
    g_start = non_negative(args, "goroutinesStart", 0) or 0
    flt = filter_of(args.get("filter"))
    rep = await s.loaded()

    def build() -> dict[str, Any]:
        grouped = session_groups(s, rep, flt)
        if gid is None:
            return groups_body(s, rep, grouped, start, count, per_group, g_start)
        one = Grouped([grouped.find(gid)], [])
        body = groups_body(s, rep, one, 0, 0, per_group, g_start)
        body.update(totalGroups=len(grouped.groups), totalGoroutines=grouped.total,
                    leaks=[])
        return body
    return Reply(await s.run(build))


async def on_focus_goroutine(s: State, args: dict[str, Any]) -> Reply:
    """``dapcore/focusGoroutine {threadId}``: make the client show that
    goroutine — listed in a capped thread list from now on, and a
    ``stopped`` event on its thread (``preserveFocusHint: false``, only that
    thread), on which VS Code selects the thread and its top user frame.
    Answers ``{threadId, frameId, frameIndex}`` (the frame to focus)."""
    tid = required(args, "threadId", int)
    rep = await s.loaded()
    g = s.goroutine(tid)
    index = await s.run(rep.landing_frame, g.goid)
    body = {"threadId": tid, "frameIndex": index, "frameId": s.frames.id_of((g.goid, index))}

    async def then() -> None:
        include_goroutine(s, g.goid)
        await s.event("stopped", {"reason": "goroutine", "threadId": tid,
                                  "allThreadsStopped": False, "preserveFocusHint": False,
                                  "description": f"goroutine {g.goid}, selected"})
    return Reply(body, then)
