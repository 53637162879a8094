"""Work done in a forked copy of this process, on the machine's other CPU.

Two passes over a big core are pure Python, so threads would take turns on
the interpreter lock; a forked worker runs at the same time. It inherits the
open engine (the core is mapped, not copied), sends back bytes through a
pipe and leaves with ``os._exit``. The bytes are made by dapcore itself
from the core, so decoding them runs nothing from the core. Whenever the
worker cannot be made, fails, or does not answer in time, the caller does
the work itself, as it would without a worker.

No lock of the index cache is held by another thread at the fork
(:func:`dapcore.indexcache.entry.fork_guard`), and the worker writes no
cache entry. The worker must use nothing another thread may hold at the
fork: the work is reading the mapped core and computing.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable

from dapcore.cancellation import check as check_cancelled
from dapcore.indexcache.entry import fork_guard, quiet_after_fork

__all__ = ["in_worker"]


def in_worker(work: Callable[[], bytes], timeout: float) -> Callable[[], bytes | None]:
    """Start ``work`` in a forked worker; a function that waits for what it
    returned (None when no worker could be made, it failed, or it took
    longer than ``timeout`` seconds: then the caller does the work). Waiting
    stops the worker when the engine's call is cancelled."""
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
        return _nothing
    try:
        r, w = os.pipe()
    except OSError:
        return _nothing
    try:
        with fork_guard() as entries:
            pid = os.fork()
            if pid == 0:
                quiet_after_fork(entries)
    except OSError:
        os.close(r)
        os.close(w)
        return _nothing
    if pid == 0:  # the worker
        status = 1
        try:
            os.close(r)
            view = memoryview(work())
            while view:
                view = view[os.write(w, view):]
            status = 0
        finally:
            os._exit(status)
    os.close(w)

    def result() -> bytes | None:
        data = None
        try:
            data = _read_all(r, time.monotonic() + timeout)
        finally:
            if data is None:
                _kill(pid)
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                status = 1
        return data if status == 0 else None
    return result


def _nothing() -> bytes | None:
    return None


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything the worker writes until it closes the pipe; None when it
    has not by ``deadline``. Raises the engine's cancellation."""
    chunks: list[bytes] = []
    try:
        # poll, not select: a process with over 1,024 files open (a test
        # run) gets a descriptor select cannot watch
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP)
        while True:
            check_cancelled()
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not poller.poll(min(left, 0.1) * 1000):
                continue
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
