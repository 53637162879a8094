"""Goroutines as DAP threads: order and names."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from dapcore.cancellation import check as check_cancelled
from dapcore.dap.framing import RawJSON
from dapcore.dap.handles import INT32_MAX
from dapcore.dap.threadcap import pick

if TYPE_CHECKING:
    from dapcore.dap.state import State
    from dapcore.engine import Engine, Listing, Traits


def thread_list(engine: Engine, listing: Listing,
                id_of: Callable[[int], int], limit: int = 0,
                wanted: Collection[int] = ()) -> tuple[RawJSON, list[int]]:
    """The ``threads`` response body and the goroutine ids it lists: the
    goroutines of ``listing`` (:meth:`Engine.listing`) as threads, the
    crashing one first, then by id (with ``limit``: at most that many,
    chosen by :func:`threadcap.pick`, plus the ``wanted`` goroutine ids).

    Named ``[Go 7] main.worker · chan receive`` (+ ``· locked to thread``,
    ``· thread 1234`` and the crash mark; in a capped list, ``· +N more like
    it`` on the kinds it leaves goroutines of out). The name is made once for
    the goroutines that look alike (the engine's traits) and the JSON text
    by hand: listing 1,000,000 goroutines costs a lookup and a format each."""
    goids, kinds, left_out = pick(listing.goids, listing.kinds, limit, wanted)
    check_cancelled()
    # JSON-escaped (ASCII) text without its quotes, once per kind
    tails = [json.dumps(_tail(engine, t, left_out.get(k, 0)))[1:-1]
             for k, t in enumerate(listing.traits)]
    if goids and max(goids) <= INT32_MAX and min(goids) > 0:
        items = [f'{{"id":{goid},"name":"[Go {goid}] {tails[k]}"}}'
                 for goid, k in zip(goids, kinds, strict=True)]
    else:  # thread ids other than the goroutine ids (beyond int32)
        items = [f'{{"id":{id_of(goid)},"name":"[Go {goid}] {tails[k]}"}}'
                 for goid, k in zip(goids, kinds, strict=True)]
    if not items:
        return RawJSON('{"threads":[]}'), goids
    items[0] = '{"threads":[' + items[0]  # (one join: no copy of the whole text)
    items[-1] += "]}"
    return RawJSON(",".join(items)), goids


def _tail(engine: Engine, traits: Traits, more: int = 0) -> str:
    """What follows ``[Go N]`` in the names of goroutines with ``traits``
    (``more``: how many like them a capped list leaves out)."""
    fn, status = engine.traits_name(traits)
    _, _, _, locked, thread, crashed = traits
    parts = [fn or "?", status]
    if locked:
        parts.append("locked to thread")
    if thread:
        parts.append(f"thread {thread}")
    if crashed:
        parts.append("⚡ crashed")
    if more:
        parts.append(f"+{more:,} more like it")
    return " · ".join(parts)


def include_goroutine(s: State, goid: int) -> bool:
    """List goroutine ``goid`` in a capped thread list from now on; False
    when the list shows it already (or is not capped)."""
    if s.threads_shown is None or goid in s.threads_shown:
        return False
    s.wanted_goroutines.add(goid)
    s.thread_list = None  # made again on the next threads request
    s.threads_shown = s.threads_shown | {goid}
    return True
