"""One executable's entry in the index cache: named parts, read lazily and
verified, written back whole when something was added.

A part is found by name and used only when its bytes check (CRC-32) and the
sections it was derived from still have the CRC they had (``sources``:
section names of the file, whose CRC the file computes:
``source_crc``). A consumer that finds nothing usable computes the index
and puts it; :meth:`Entry.save` (or :meth:`Entry.save_soon`, in a
background thread) writes the entry, with the parts of the old file that
are still valid, atomically.
"""

from __future__ import annotations

import json
import logging
import threading
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dapcore.indexcache.fileformat import BadFile, PartInfo, encode

if TYPE_CHECKING:
    from dapcore.indexcache.store import CacheFile, IndexCache

__all__ = ["NULL_ENTRY", "Entry", "SourceCRC"]

log = logging.getLogger("dapcore.indexcache")

# The CRC of the named sections of the file an entry belongs to (None: the
# file has none of them).
SourceCRC = Callable[[tuple[str, ...]], int | None]

_Part = tuple[str, bytes, tuple[str, ...], int]  # kind, data, sources, source crc


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
        self._saver: threading.Thread | None = None
        self._again = False
        self.hits: list[str] = []  # parts found (for the tests and benchmarks)
        self.misses: list[str] = []

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
        part = self._get(name, "b", sources)
        return part

    def get_json(self, name: str, sources: tuple[str, ...] = ()) -> Any:
        """The JSON part ``name`` decoded (None when absent or bad: the caller
        must still check its shape before using it)."""
        raw = self._get(name, "j", sources)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            self._drop(name)
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
        written)."""
        with self._lock:
            if self.cache is None or not self._dirty:
                return False
            parts = self._snapshot()
        assert self.cache is not None
        return self.cache.write_entry(self.key, encode(self.key, self.cache.fit(parts)))

    def save_soon(self) -> None:
        """:meth:`save` in a background thread (one at a time), so that the
        answer being computed is not held up by the write."""
        if self.cache is None or not self._dirty:
            return
        with self._lock:
            if self._saver is not None and self._saver.is_alive():
                self._again = True
                return
            self._saver = threading.Thread(target=self._save_loop, name="dapcore-index-save")
            self._saver.start()

    def _save_loop(self) -> None:
        while True:
            try:
                self.save()
            except Exception:  # the cache is optional: never let it break a session
                log.exception("index cache: saving failed")
            with self._lock:
                if not self._again:
                    return
                self._again = False

    def flush(self, timeout: float | None = None) -> None:
        """Wait for a background save, then save what is left."""
        saver = self._saver
        if saver is not None:
            saver.join(timeout)
            if saver.is_alive():
                return
        try:
            self.save()
        except Exception:
            log.exception("index cache: saving failed")


NULL_ENTRY = Entry(None, "", lambda sources: None)
