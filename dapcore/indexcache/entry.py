"""One executable's entry in the index cache: named parts, read lazily and
verified, written back whole when something was added.

A part is found by name and used only when its bytes check (CRC-32) and the
sections it was derived from still have the CRC they had (``sources``:
section names of the file, whose CRC the file computes:
``source_crc``). A consumer that finds nothing usable computes the index
and puts it; the entry is then written, with the parts of the old file that
are still valid, atomically: in a background thread once nothing new came
for a second (:data:`AUTOSAVE`), or at once with :meth:`Entry.flush` (at
exit, when a front end closes the engine or its session ends).
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from dapcore.indexcache.fileformat import BadFile, PartInfo, encode

if TYPE_CHECKING:
    from dapcore.indexcache.store import CacheFile, IndexCache

__all__ = ["AUTOSAVE", "NULL_ENTRY", "Entry", "SourceCRC", "fork_guard", "quiet_after_fork"]

log = logging.getLogger("dapcore.indexcache")

# The CRC of the named sections of the file an entry belongs to (None: the
# file has none of them).
SourceCRC = Callable[[tuple[str, ...]], int | None]

_Part = tuple[str, bytes, tuple[str, ...], int]  # kind, data, sources, source crc
AUTOSAVE = 1.0  # seconds without a new part before the entry is written

# Fork safety (dapcore.forkwork forks a worker while an engine is open): the
# live entries, for fork_guard.
_LIVE: weakref.WeakSet[Entry] = weakref.WeakSet()


class Entry:
    """The cached parts of one file (``cache=None``: a disabled entry that
    finds nothing and keeps nothing)."""

    def __init__(self, cache: IndexCache | None, key: str, source_crc: SourceCRC) -> None:
        self.cache = cache
        self.key = key
        self._source_crc = source_crc
        self._crcs: dict[tuple[str, ...], int | None] = {}
        self._lock = threading.RLock()
        self._file: CacheFile | None = None
        self._loaded = False
        self._parts: dict[str, _Part] = {}  # read from the file (checked) or put
        self._bad: set[str] = set()  # parts of the file that did not check
        self._dirty = False
        self._timer: threading.Timer | None = None
        self._writing = threading.Lock()  # one writer at a time
        self._writes = True  # False in a forked child (see the end of the module)
        self.hits: list[str] = []  # parts found (for the tests and benchmarks)
        self.misses: list[str] = []
        if cache is not None:
            _LIVE.add(self)

    @property
    def enabled(self) -> bool:
        return self.cache is not None

    # -- reading -------------------------------------------------------------

    def _open(self) -> CacheFile | None:
        if not self._loaded:
            self._loaded = True
            assert self.cache is not None
            self._file = self.cache.open_entry(self.key)
        return self._file

    def sources_crc(self, sources: tuple[str, ...]) -> int | None:
        if sources not in self._crcs:
            self._crcs[sources] = self._source_crc(sources) if sources else 0
        return self._crcs[sources]

    def get_bytes(self, name: str, sources: tuple[str, ...] = ()) -> bytes | None:
        """The part ``name`` when it is there and checks, else None."""
        return self._get(name, "b", sources)

    def get_json(self, name: str, sources: tuple[str, ...] = ()) -> Any:
        """The JSON part ``name`` decoded (None when absent or bad: the caller
        must still check its shape before using it)."""
        raw = self._get(name, "j", sources)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            self.reject(name)
            return None

    def reject(self, name: str) -> None:
        """The consumer found part ``name`` unusable (wrong shape): forget it,
        so that what it computes instead replaces it."""
        with self._lock:
            self._drop(name)

    def _drop(self, name: str) -> None:
        self._parts.pop(name, None)
        self._bad.add(name)
        self._dirty = True
        log.info("index cache %s: part %s dropped", self.key[:16], name)

    def _get(self, name: str, kind: str, sources: tuple[str, ...]) -> bytes | None:
        if self.cache is None:
            return None
        with self._lock:
            part = self._parts.get(name)
            if part is None and name not in self._bad:
                part = self._read(name)
            if part is None or part[0] != kind or part[2] != sources or \
                    part[3] != self.sources_crc(sources):
                self.misses.append(name)
                return None
            self.hits.append(name)
            return part[1]

    def _read(self, name: str) -> _Part | None:
        f = self._open()
        info = f.parts.get(name) if f is not None else None
        if f is None or info is None:
            return None
        part = self._read_info(f, info)
        if part is None:
            self._bad.add(name)
            self._dirty = True  # the file is rewritten without it
            return None
        self._parts[name] = part
        return part

    @staticmethod
    def _read_info(f: CacheFile, info: PartInfo) -> _Part | None:
        try:
            data = f.read(info.offset, info.length)
        except (OSError, BadFile) as exc:
            log.info("index cache: part %s unreadable: %s", info.name, exc)
            return None
        if zlib.crc32(data) != info.crc:
            log.info("index cache: part %s is damaged (CRC)", info.name)
            return None
        return info.kind, data, info.sources, info.source_crc

    # -- writing -------------------------------------------------------------

    def put_bytes(self, name: str, data: bytes, sources: tuple[str, ...] = ()) -> None:
        self._put(name, "b", bytes(data), sources)

    def put_json(self, name: str, obj: Any, sources: tuple[str, ...] = ()) -> None:
        self._put(name, "j", json.dumps(obj, separators=(",", ":")).encode(), sources)

    def _put(self, name: str, kind: str, data: bytes, sources: tuple[str, ...]) -> None:
        if self.cache is None:
            return
        crc = self.sources_crc(sources)
        if crc is None:
            return  # derived from sections the file does not have: nothing to check it by
        with self._lock:
            old = self._parts.get(name)
            if old is not None and old == (kind, data, sources, crc):
                return
            self._parts[name] = (kind, data, sources, crc)
            self._bad.discard(name)
            self._dirty = True
            self._arm()

    @property
    def dirty(self) -> bool:
        return self._dirty

    def _snapshot(self) -> list[tuple[str, str, bytes, tuple[str, ...], int]]:
        """Every part to write: the ones in memory, and the old file's others
        that still check."""
        with self._lock:
            f = self._open()
            if f is not None:
                for name, info in f.parts.items():
                    if name not in self._parts and name not in self._bad:
                        part = self._read_info(f, info)
                        if part is not None:
                            self._parts[name] = part
            self._dirty = False
            return [(n, k, d, s, c) for n, (k, d, s, c) in sorted(self._parts.items())]

    def save(self) -> bool:
        """Write the entry now if something was added or dropped (False:
        nothing written: nothing new, no cache, or the cache cannot be
        written). Writers take turns: a save waits for one under way."""
        with self._writing:
            with self._lock:
                if self.cache is None or not self._dirty or not self._writes:
                    return False
                parts = self._snapshot()
            return self.cache.write_entry(self.key, encode(self.key, self.cache.fit(parts)))

    def _arm(self) -> None:
        """Save in the background once nothing was added for AUTOSAVE
        seconds (a daemon thread: :meth:`flush` at exit or when the session
        ends writes what it did not)."""
        if not self._writes:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(AUTOSAVE, self._autosave)
        self._timer.name = "dapcore-index-save"
        self._timer.daemon = True
        self._timer.start()

    def _autosave(self) -> None:
        try:
            self.save()
        except Exception:  # the cache is optional: never let it break a session
            log.exception("index cache: saving failed")

    def flush(self) -> None:
        """Write what is not written yet, now (after a save under way)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self._autosave()


NULL_ENTRY = Entry(None, "", lambda sources: None)


@contextmanager
def fork_guard() -> Iterator[list[Entry]]:
    """Around an ``os.fork()`` of the engine's process (:mod:`dapcore.forkwork`):
    no entry's lock is held by another thread at the fork (they are taken
    here, in one order, and given back in the parent and in the child
    alike). In the child, call :func:`quiet_after_fork` with what this
    yields: the background writer does not exist there, and the parent
    writes the entries."""
    entries = sorted(_LIVE, key=id)
    taken: list[Entry] = []
    try:
        for e in entries:
            e._writing.acquire()
            e._lock.acquire()
            taken.append(e)
        yield taken
    finally:
        for e in reversed(taken):
            e._lock.release()
            e._writing.release()


def quiet_after_fork(entries: list[Entry]) -> None:
    """In a forked child: its entries write nothing (see :func:`fork_guard`)."""
    for e in entries:
        e._timer = None
        e._writes = False
