"""Which goroutines a capped thread list shows (the ``maxThreads`` launch
attribute): the crashing one, every goroutine the user asked for by id,
then one of each kind (goroutines that look alike: same start function,
status, wait reason, thread), then the others by id, up to the cap.

VS Code's debug model checks each thread of a ``threads`` answer against
the whole answer (an ``indexOf`` per thread: quadratic), which freezes its
window for minutes at 100,000 threads; a thousand cost it milliseconds.
Every goroutine stays reachable: the Debug Console's ``goroutines`` lists
them, ``goroutine N`` adds N to the list."""

from __future__ import annotations

from collections.abc import Collection, Hashable
from itertools import chain
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def pick(goids: list[int], kinds: list[K], limit: int, wanted: Collection[int] = ()
         ) -> tuple[list[int], list[K], dict[K, int]]:
    """Of the goroutines ``goids`` (the crashing one first) and their
    ``kinds`` (parallel lists), the ones a list of at most ``limit`` shows,
    in their order, and for each kind shown, how many goroutines of that
    kind it leaves out. ``wanted`` goroutines are shown too, on top of the
    limit (adding one never drops another from the list); ``limit <= 0``
    shows every one."""
    if limit <= 0 or len(goids) <= limit:
        return goids, kinds, {}
    chosen: set[int] = {i for i, goid in enumerate(goids) if goid in wanted}
    firsts: dict[K, int] = {}
    for i, kind in enumerate(kinds):
        if kind not in firsts:
            firsts[kind] = i
    # goids[0] is the crashing goroutine when there is one: its kind's first
    taken: set[int] = set()
    for i in chain((0,), firsts.values(), range(len(goids))):
        if len(taken) >= limit:
            break
        taken.add(i)
    order = sorted(chosen | taken)
    total: dict[K, int] = {}
    for kind in kinds:
        total[kind] = total.get(kind, 0) + 1
    listed: dict[K, int] = {}
    for i in order:
        listed[kinds[i]] = listed.get(kinds[i], 0) + 1
    left_out = {kind: total[kind] - n for kind, n in listed.items() if total[kind] > n}
    return [goids[i] for i in order], [kinds[i] for i in order], left_out
