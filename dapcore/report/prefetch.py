"""The report's blocking analysis in a forked worker while this process
groups the goroutines: the two passes over a big core run on two CPUs (the
report of a 100,000-goroutine core then takes about the listing's time).

The worker inherits the open engine (the core is mapped, not copied), sends
the analysis back pickled through a pipe and leaves with ``os._exit``; what
it sends was made by dapcore itself from the core's bytes, so unpickling it
runs nothing from the core. Whenever the worker cannot be made, fails, or
does not answer in time, the analysis runs here, as it would without it.
No lock of the index cache is held by another thread at the fork
(:func:`dapcore.indexcache.entry.fork_guard`), and the worker writes no
cache entry.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from dapcore.indexcache.entry import fork_guard, quiet_after_fork

if TYPE_CHECKING:
    from dapcore.engine import Engine
    from dapcore.triage.records import BlockingReport

__all__ = ["blocking_later"]

TIMEOUT = 600.0  # seconds the worker may take before the analysis runs here


def blocking_later(engine: Engine) -> Callable[[], BlockingReport]:
    """Start ``engine.blocking()`` in a forked worker; a function that
    returns its result (computed here instead when the worker fails)."""
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
        return engine.blocking
    try:
        r, w = os.pipe()
    except OSError:
        return engine.blocking
    try:
        with fork_guard() as entries:
            pid = os.fork()
            if pid == 0:
                quiet_after_fork(entries)
    except OSError:
        os.close(r)
        os.close(w)
        return engine.blocking
    if pid == 0:  # the worker
        status = 1
        try:
            os.close(r)
            view = memoryview(pickle.dumps(engine.blocking(), pickle.HIGHEST_PROTOCOL))
            while view:
                view = view[os.write(w, view):]
            status = 0
        finally:
            os._exit(status)
    os.close(w)

    def result() -> BlockingReport:
        data = _read_all(r, time.monotonic() + TIMEOUT)
        if data is None:
            _kill(pid)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = 1
        if data and status == 0:
            try:
                found: BlockingReport = pickle.loads(data)
                return found
            except Exception:  # (a worker cut short: the analysis runs here)
                pass
        return engine.blocking()
    return result


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything the worker writes until it closes the pipe; None when it
    has not by ``deadline``."""
    chunks: list[bytes] = []
    try:
        # poll, not select: a process with over 1,024 files open (a test
        # run) gets a descriptor select cannot watch
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
