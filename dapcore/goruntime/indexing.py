"""The index cache as the engine uses it: which code derives what is kept
(its hash is part of every entry's key), and the cache a setting names.

What is kept, by the layer that derives it: decompressed DWARF sections
(:mod:`dapcore.dwarf.sections`), the pc → unit and pc → subprogram indexes
(:mod:`dapcore.dwarf.pcindex`), the func-id calibration and function-name
lookups of the pclntab (:mod:`dapcore.gobin.pclntab`), symbol lookups
(:mod:`dapcore.elf.executable`) and the runtime layout
(:mod:`dapcore.goruntime.layoutcache`).
"""

from __future__ import annotations

import sys

from dapcore import __version__
from dapcore.dwarf import dies, pcindex, sections
from dapcore.elf import executable, fingerprint
from dapcore.gobin import funcid, namememo, pclntab
from dapcore.goruntime import layout, layoutcache
from dapcore.indexcache import IndexCache, IndexSetting, code_digest, fileformat
from dapcore.indexcache import entry as cache_entry

__all__ = ["DERIVING", "open_index_cache"]

# The modules whose code decides what a cached part holds.
DERIVING = (sections, pcindex, dies, executable, fingerprint, funcid, namememo, pclntab,
            layout, layoutcache, cache_entry, fileformat)

_digest: str | None = None


def open_index_cache(setting: IndexSetting = None) -> IndexCache | None:
    """The cache ``setting`` names (:func:`dapcore.indexcache.resolve`), or
    None when it is off."""
    global _digest
    cache = IndexCache.from_setting(setting, "")
    if cache is None:
        return None
    if _digest is None:
        _digest = code_digest((m.__file__ or m.__name__ for m in DERIVING),
                              f"{__version__}/{sys.byteorder}")
    cache.code = _digest
    return cache
