"""The report's blocking analysis in a forked worker
(:mod:`dapcore.forkwork`) while this process groups the goroutines: the two
passes over a big core run on two CPUs (the report of a 100,000-goroutine
core then takes about the listing's time). The analysis comes back pickled:
it was made by dapcore itself from the core's bytes, so unpickling it runs
nothing from the core. Whenever the worker fails, the analysis runs here.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING

from dapcore.forkwork import in_worker

if TYPE_CHECKING:
    from dapcore.engine import Engine
    from dapcore.triage.records import BlockingReport

__all__ = ["blocking_later"]

TIMEOUT = 600.0  # seconds the worker may take before the analysis runs here


def blocking_later(engine: Engine) -> Callable[[], BlockingReport]:
    """Start ``engine.blocking()`` in a forked worker; a function that
    returns its result (computed here instead when the worker fails)."""
    waiting = in_worker(lambda: pickle.dumps(engine.blocking(), pickle.HIGHEST_PROTOCOL),
                        TIMEOUT)

    def result() -> BlockingReport:
        data = waiting()
        if data:
            try:
                found: BlockingReport = pickle.loads(data)
                return found
            except Exception:  # (a worker cut short: the analysis runs here)
                pass
        return engine.blocking()
    return result
