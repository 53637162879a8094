"""Goroutines as DAP threads: order and names."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from dapcore.cancellation import check as check_cancelled
from dapcore.dap.framing import RawJSON
from dapcore.dap.handles import INT32_MAX

if TYPE_CHECKING:
    from dapcore.engine import Engine, Traits


def thread_list(engine: Engine, hide_system: bool, id_of: Callable[[int], int]) -> RawJSON:
    """The ``threads`` response body: every goroutine as a thread, the
    crashing one first, then by id.

    Named ``[Go 7] main.worker · chan receive`` (+ ``· locked to thread``,
    ``· thread 1234`` and the crash mark). The name is made once for the
    goroutines that look alike (the engine's traits) and the JSON text by
    hand: listing 1,000,000 goroutines costs a lookup and a format each."""
    goids, traits = engine.listing(hide_system)
    check_cancelled()
    # JSON-escaped (ASCII) text without its quotes, once per look-alike group
    tails = {t: json.dumps(_tail(engine, t))[1:-1] for t in set(traits)}
    if goids and max(goids) <= INT32_MAX and min(goids) > 0:
        items = [f'{{"id":{goid},"name":"[Go {goid}] {tails[t]}"}}'
                 for goid, t in zip(goids, traits, strict=True)]
    else:  # thread ids other than the goroutine ids (beyond int32)
        items = [f'{{"id":{id_of(goid)},"name":"[Go {goid}] {tails[t]}"}}'
                 for goid, t in zip(goids, traits, strict=True)]
    return RawJSON('{"threads":[' + ",".join(items) + "]}")


def _tail(engine: Engine, traits: Traits) -> str:
    """What follows ``[Go N]`` in the names of goroutines with ``traits``."""
    fn, status = engine.traits_name(traits)
    _, _, _, locked, thread, crashed = traits
    parts = [fn or "?", status]
    if locked:
        parts.append("locked to thread")
    if thread:
        parts.append(f"thread {thread}")
    name = " · ".join(parts)
    return f"{name} · ⚡ crashed" if crashed else name
