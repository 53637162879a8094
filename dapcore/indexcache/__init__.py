"""The on-disk index cache: what opening an executable derived from it
(decompressed DWARF sections, the pc → unit and pc → subprogram indexes, the
runtime layouts, function-name lookups, symbols), kept per executable so
that the next core of the same build opens faster (issue #16).

* **Where:** ``$DAPCORE_INDEX_CACHE`` when set (a directory, or ``off``),
  else ``$XDG_CACHE_HOME/dapcore/index`` or ``~/.cache/dapcore/index``
  (:mod:`~dapcore.indexcache.location`); a front end may name another
  directory or turn it off (``--no-index-cache``, ``indexCache: false``).
* **Keyed by content, never by path:** the entry's name and key come from
  the file's fingerprint (Go and GNU build ids, size, a hash of its ELF,
  program and section headers, computed by :mod:`dapcore.elf.executable`)
  and from a hash of the dapcore code that derives what is kept; each part
  also records a CRC of the sections it was derived from, checked before
  the part is used (:mod:`~dapcore.indexcache.entry`).
* **Verified, never trusted:** a format version, a SHA-256 of the header
  and a CRC-32 per part (:mod:`~dapcore.indexcache.fileformat`); a file
  that is truncated, damaged, of another build, of another user or
  writable by others is ignored (and replaced when the entry is saved).
  Parts are plain bytes and JSON: nothing in a cache file is ever run.
* **Written atomically** (a temporary file, then ``rename``) and **bounded**
  (256 MB by default; the least recently used entries go first:
  :mod:`~dapcore.indexcache.store`).

This package imports nothing of dapcore but the error kinds: the layers
that derive indexes (``elf``, ``dwarf``, ``gobin``, ``goruntime``) use it.
"""

from dapcore.indexcache.entry import NULL_ENTRY, Entry
from dapcore.indexcache.location import DEFAULT_LIMIT, ENV, IndexSetting, resolve
from dapcore.indexcache.store import IndexCache, code_digest

__all__ = ["DEFAULT_LIMIT", "ENV", "NULL_ENTRY", "Entry", "IndexCache", "IndexSetting",
           "code_digest", "resolve"]
