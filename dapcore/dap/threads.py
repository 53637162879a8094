"""Goroutines as DAP threads: order and names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dapcore.cancellation import check as check_cancelled

if TYPE_CHECKING:
    from dapcore.engine import Engine, Traits


def thread_list(engine: Engine, hide_system: bool,
                id_of: Callable[[int], int]) -> list[dict[str, Any]]:
    """Every goroutine as a thread, the crashing one first, then by id.

    Named ``[Go 7] main.worker · chan receive`` (+ ``· locked to thread``,
    ``· thread 1234`` and the crash mark): the name is made once for the
    goroutines that look alike (the engine's traits), so listing 1,000,000
    goroutines costs a lookup each."""
    names: dict[Traits, str] = {}
    out = []
    for n, (goid, traits) in enumerate(engine.listing(hide_system)):
        if not n % 4096:
            check_cancelled()
        tail = names.get(traits)
        if tail is None:
            tail = names[traits] = _tail(engine, traits)
        out.append({"id": id_of(goid), "name": f"[Go {goid}] {tail}"})
    return out


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
