"""Cooperative cancellation of engine work.

The DAP server runs engine calls in a worker thread, one at a time. When a
client cancels a request (or the session ends), the waiting task returns at
once, but the thread keeps running until the engine looks up: long loops
call :func:`check`, which raises :class:`Cancelled` once the work's token is
set, so a cancelled ``variables`` page of 20,000 elements frees the engine
within one element instead of finishing the page nobody will read.

Outside the server (the CLI, tests) no token is installed and :func:`check`
costs one attribute lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dapcore.errors import DapcoreError

__all__ = ["Cancelled", "check", "token_scope"]

_local = threading.local()


class Cancelled(DapcoreError):
    """The work was cancelled by the client (or the session ended)."""


def check() -> None:
    """Raise :class:`Cancelled` when the current thread's work was cancelled."""
    token: threading.Event | None = getattr(_local, "token", None)
    if token is not None and token.is_set():
        raise Cancelled("cancelled")


@contextmanager
def token_scope(token: threading.Event) -> Iterator[None]:
    """Run the body with ``token`` as this thread's cancellation token."""
    previous = getattr(_local, "token", None)
    _local.token = token
    try:
        check()
        yield
    finally:
        _local.token = previous
