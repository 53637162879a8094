"""Long steps announce themselves (installing a toolchain, compiling a
program) to whoever listens: the ``build`` command prints them, a test
session writes them to the terminal."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_listeners: list[Callable[[str], None]] = []
_lock = threading.Lock()


def announce(text: str) -> None:
    """Tell every listener (none: nothing happens)."""
    with _lock:
        for listener in list(_listeners):
            listener(text)


@contextmanager
def listening(listener: Callable[[str], None]) -> Iterator[None]:
    """Receive announcements while the ``with`` block runs."""
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)
