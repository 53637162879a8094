"""Function-name lookups of the pclntab, remembered in the index cache.

Finding a function by name needs an index of every name (~75 ms for a
23 MB binary), and opening a core looks up a few dozen runtime functions
(the func-id calibration, the unwinder's special functions). The answers
(name → functab position, or -1 for none) are kept in the executable's
index cache entry. A remembered position is used only when the record
there has that name, which is cheaper than a CRC of the whole pclntab (5 MB
for a 23 MB binary); a name remembered as absent is trusted under the
entry's key (the Go build id, the headers: the same build has the same
functions). At most :data:`LIMIT` names are remembered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dapcore.indexcache import Entry

__all__ = ["LIMIT", "NameMemo"]

LIMIT = 4096
PART = "pclntab.names"


class NameMemo:
    """The remembered lookups of one pclntab."""

    def __init__(self, entry: Entry, nfunc: int) -> None:
        self.entry: Entry | None = entry
        self.sources: tuple[str, ...] = ()
        self.nfunc = nfunc
        self._names: dict[str, int] | None = None

    def _load(self) -> dict[str, int]:
        if self._names is None:
            self._names = {}
            if self.entry is not None and self.entry.enabled:
                doc: Any = self.entry.get_json(PART, self.sources)
                if isinstance(doc, dict) and all(
                        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                        and -1 <= v < self.nfunc for k, v in doc.items()):
                    self._names = doc
                elif doc is not None:
                    self.entry.reject(PART)
        return self._names

    def get(self, name: str) -> int | None:
        """The remembered position of ``name`` (-1: no such function), or None."""
        if self.entry is None:
            return None
        return self._load().get(name)

    def lookup(self, name: str, func_at: Callable[[int], Any]) -> tuple[bool, Any]:
        """(True, the function) when the answer for ``name`` is remembered
        and checks (the function is None when there is none of that name);
        (False, None) when it must be looked up. ``func_at``: the function
        record at a functab position."""
        known = self.get(name)
        if known is None:
            return False, None
        if known < 0:
            return True, None
        f = func_at(known)
        if f.name == name:
            return True, f
        self.forget(name)
        return False, None

    def forget(self, name: str) -> None:
        """A remembered answer that did not check: drop the part."""
        if self.entry is not None:
            self._load().pop(name, None)
            self.entry.reject(PART)

    def record(self, name: str, index: int | None) -> None:
        if self.entry is None or not self.entry.enabled:
            return
        names = self._load()
        if name in names or len(names) >= LIMIT:
            return
        names[name] = -1 if index is None else index
        self.entry.put_json(PART, names, self.sources)
