"""Locks that hold across threads and processes (two factory runs, or a test
session beside a ``build`` command, must not build the same thing at once)."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_thread_locks: dict[Path, threading.Lock] = {}
_guard = threading.Lock()


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold ``path`` (a lock file, created if needed) exclusively."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _guard:
        tlock = _thread_locks.setdefault(path, threading.Lock())
    with tlock, path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
