"""Function name → index of the function in a pclntab's func table.

A session asks for a few dozen names (the runtime's special functions when
the first stack is unwound, ``runtime.main``, then what expressions name),
and a big binary has 100,000s of functions (issue #16). The first lookups
search for their names alone (:meth:`FuncNames._scan`); after
:data:`SCANNED_LOOKUPS` of them the index of every name is built once.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Callable

__all__ = ["SCANNED_LOOKUPS", "FuncNames"]

# lookups answered by a search before the index of every name is built
SCANNED_LOOKUPS = 8


class FuncNames:
    """The names of one pclntab's functions. ``funcoffs``: each record's
    offset from ``func_base``; the name offset (an ``int32`` read with
    ``name_field``) is at ``name_at`` in a record, counted from
    ``name_base``; Go ≥ 1.16 keeps every name in one table,
    ``[name_base, name_end)``, the go1.2 layout does not (``table``
    False)."""

    def __init__(self, mm: bytes, funcoffs: array[int], func_base: int, name_at: int,
                 name_field: struct.Struct, name_base: int, name_end: int, table: bool,
                 cstring: Callable[[int], bytes]) -> None:
        self._mm, self._funcoffs, self._func_base = mm, funcoffs, func_base
        self._name_at, self._name_field = name_at, name_field
        self._name_base, self._name_end, self._table = name_base, name_end, table
        self._cstring = cstring
        self.index: dict[bytes, int] | None = None  # every name, once built
        self.lookups = 0  # lookups answered before the index was built

    def lookup(self, names: list[bytes]) -> dict[bytes, int]:
        """Name → function index for the names that exist. Raises
        :class:`struct.error` or :class:`IndexError` on a damaged table."""
        if self.index is None:
            self.lookups += 1
            if self.lookups <= SCANNED_LOOKUPS and self._table:
                return self._scan(names)
            self.index = self.build_index()
        return {k: self.index[k] for k in names if k in self.index}

    def _scan(self, names: list[bytes]) -> dict[bytes, int]:
        """Name → index of the first function of that name, without
        indexing every name: each name's first offset in the name table (a
        byte search), then the records in order until every name found is
        matched (the runtime's functions come first). The linker writes the
        table in the records' order, so the first record of a name points
        at its first copy (a few assembly functions have two records of one
        name: ``runtime.asmcgocall``). A name in the table that no record
        points to (an inlined function's) costs one walk of the records."""
        mm, start, end = self._mm, self._name_base, self._name_end
        targets: dict[int, bytes] = {}
        for name in dict.fromkeys(names):
            if not name or b"\0" in name:
                continue
            if mm[start:start + len(name) + 1] == name + b"\0":
                targets[0] = name
                continue
            at = mm.find(b"\0" + name + b"\0", start, end)
            if at >= 0:
                targets[at + 1 - start] = name
        found: dict[bytes, int] = {}
        unpack = self._name_field.unpack_from
        base, field = self._func_base, self._name_at
        for i, fo in enumerate(self._funcoffs):
            if len(found) == len(targets):
                break
            name = targets.get(unpack(mm, base + fo + field)[0])
            if name is not None and name not in found:
                found[name] = i
        return found

    def build_index(self) -> dict[bytes, int]:
        """Every name → the index of its first function."""
        at = self._name_at
        unpack = self._name_field.unpack_from
        mm, base = self._mm, self._func_base
        offs = [unpack(mm, base + fo + at)[0] for fo in self._funcoffs]
        index: dict[bytes, int] = {}
        if not self._table:
            for i, off in enumerate(offs):
                index.setdefault(self._cstring(self._name_base + off), i)
            return index
        blob = mm[self._name_base:self._name_end]
        by_off: dict[int, bytes] = {}
        pos = 0
        for part in blob.split(b"\0"):
            by_off[pos] = part
            pos += len(part) + 1
        for i, off in enumerate(offs):
            name = by_off.get(off)
            if name is None:
                name = self._cstring(self._name_base + off)
            index.setdefault(name, i)
        return index
